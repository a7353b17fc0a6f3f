"""Suite-wide fixtures: no network beyond loopback, and `gpu` tests skipped without CUDA."""

import ipaddress
import socket

import pytest
import torch


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


def pytest_collection_modifyitems(config, items):
    if torch.cuda.is_available():
        return
    skip = pytest.mark.skip(reason="needs a CUDA device (run `make test-gpu` on a GPU machine)")
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip)
