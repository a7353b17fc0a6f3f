"""Suite-wide fixtures: no network beyond loopback; `gpu` tests skipped without CUDA, run
without TF32 with it; one headless Chromium for the `browser` tests; no smoke run of the claims
(see tests/test_claims.py for the policy)."""

import ipaddress
import os
import socket

import pytest
import torch

from lstm_gru.device import cpu_threads


def _is_loopback(address) -> bool:
    host = address[0] if isinstance(address, tuple) else address
    if not isinstance(host, str):  # AF_UNIX paths and the like are local
        return True
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:  # a host name other than localhost would need DNS: not allowed
        return False


class NetworkBlocked(OSError):
    """Raised when a test tries to reach anything but loopback."""


@pytest.fixture(autouse=True, scope="session")
def block_network():
    """Refuse every socket connection that does not go to a loopback address."""
    original_connect = socket.socket.connect
    original_connect_ex = socket.socket.connect_ex
    original_getaddrinfo = socket.getaddrinfo

    def guard(address):
        if not _is_loopback(address):
            raise NetworkBlocked(f"tests must not use the network; tried to connect to {address!r}")

    def connect(self, address):
        guard(address)
        return original_connect(self, address)

    def connect_ex(self, address):
        guard(address)
        return original_connect_ex(self, address)

    def getaddrinfo(host, *args, **kwargs):
        if host is not None:
            guard((host.decode() if isinstance(host, bytes) else host, 0))
        return original_getaddrinfo(host, *args, **kwargs)

    socket.socket.connect = connect
    socket.socket.connect_ex = connect_ex
    socket.getaddrinfo = getaddrinfo
    yield
    socket.getaddrinfo = original_getaddrinfo
    socket.socket.connect = original_connect
    socket.socket.connect_ex = original_connect_ex


@pytest.fixture(scope="session")
def browser():
    """A headless Chromium (``tools/browser.py``). Without one the `browser` tests fail under CI
    and skip elsewhere; `make test` installs one before any test runs (``tools/provision.py``)."""
    from playwright.sync_api import Error, sync_playwright

    from tools.browser import launch

    with sync_playwright() as playwright:
        try:
            chromium = launch(playwright)
        except Error as error:
            message = f"no Chromium starts ({str(error).strip().splitlines()[0]}): run `make test`"
            if os.environ.get("CI"):
                pytest.fail(message)
            pytest.skip(message)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def one_thread():
    """One torch CPU thread for a test module whose models are tiny: one thread runs them faster
    than two, and far faster when other processes share the cores (threads then wait)."""
    with cpu_threads(1):
        yield


@pytest.fixture
def no_tf32():
    """Full float32 products in cuBLAS and cuDNN (no TF32) while a test runs, then as before.

    On Ampere and later GPUs cuDNN's RNNs use TF32 by default (``torch.backends.cudnn.allow_tf32``
    is True; matrix products' ``torch.backends.cuda.matmul.allow_tf32`` is False): inputs
    rounded to 10 mantissa bits, which moved nn.LSTM / nn.GRU / nn.RNN outputs by 1.6e-4 to
    4.8e-4 at the sizes of the equivalence tests, far above float32's rounding.
    """
    before = torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32
    torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = False
    yield
    torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = before


@pytest.fixture(autouse=True)
def gpu_tests_without_tf32(request):
    """Every `gpu` test compares CUDA results with float32 references: run it without TF32."""
    if request.node.get_closest_marker("gpu") is not None:
        request.getfixturevalue("no_tf32")


def pytest_configure(config):
    """Refuse to run with LSTM_GRU_SMOKE set: nbval would then report failed claims, not fail."""
    from lstm_gru.claims import SMOKE_ENV

    if os.environ.get(SMOKE_ENV, "") not in ("", "0"):
        raise pytest.UsageError(
            f"unset {SMOKE_ENV} (got {os.environ[SMOKE_ENV]!r}): with it the notebooks' claims "
            f"would not be checked; only the browser tests set it, for their own JupyterLab"
        )


def pytest_collection_modifyitems(config, items):
    if torch.cuda.is_available():
        return
    skip = pytest.mark.skip(reason="needs a CUDA device (run `make test-gpu` on a GPU machine)")
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip)
