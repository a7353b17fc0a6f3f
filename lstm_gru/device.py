"""Choosing a device and seeding every random number generator the course uses.

``$LSTM_GRU_DEVICE`` (``cpu``, ``cuda`` or ``mps``; unset or empty: automatic) overrides the
automatic choice, e.g. ``LSTM_GRU_DEVICE=cpu`` to reproduce the stored outputs on a GPU machine.
"""

import contextlib
import os
import random

import numpy as np
import torch

from lstm_gru.i18n import tr

DEVICE_ENV = "LSTM_GRU_DEVICE"
DEVICE_CHOICES = ("cpu", "cuda", "mps")


def _mps_available() -> bool:
    mps = getattr(torch.backends, "mps", None)
    return bool(mps is not None and mps.is_available())


def _cuda_count() -> int:
    return torch.cuda.device_count() if torch.cuda.is_available() else 0


def device_choice(i: int = 0) -> tuple[torch.device, str]:
    """The device ``try_gpu(i)`` returns, and a one-line reason for the choice.

    ``$LSTM_GRU_DEVICE`` decides when set: ``cpu``; ``cuda`` (``cuda:i``, a RuntimeError if
    there is no such GPU); ``mps`` (a RuntimeError without Apple silicon). Otherwise ``cuda:i``
    if that GPU exists, else ``mps``, else the CPU.
    """
    requested = os.environ.get(DEVICE_ENV, "").strip()
    if requested and requested not in DEVICE_CHOICES:
        raise ValueError(
            f"{DEVICE_ENV} must be one of {', '.join(DEVICE_CHOICES)} (or empty for automatic), "
            f"got {requested!r}"
        )
    gpus = _cuda_count()
    if requested == "cpu":
        return torch.device("cpu"), f"{DEVICE_ENV}=cpu"
    if requested == "cuda":
        if not 0 <= i < gpus:
            raise RuntimeError(
                f"{DEVICE_ENV}=cuda asks for CUDA GPU {i}, but this machine has {gpus} CUDA "
                f"GPU(s) visible to PyTorch; unset {DEVICE_ENV} to choose automatically"
            )
        return torch.device(f"cuda:{i}"), f"{DEVICE_ENV}=cuda: {torch.cuda.get_device_name(i)}"
    if requested == "mps":
        if not _mps_available():
            raise RuntimeError(
                f"{DEVICE_ENV}=mps asks for the Apple silicon GPU, but PyTorch finds none here; "
                f"unset {DEVICE_ENV} to choose automatically"
            )
        return torch.device("mps"), f"{DEVICE_ENV}=mps"
    if 0 <= i < gpus:
        return torch.device(f"cuda:{i}"), tr("CUDA GPU found: {name}").format(
            name=torch.cuda.get_device_name(i)
        )
    if _mps_available():
        return torch.device("mps"), tr("Apple silicon GPU (mps)")
    if gpus:
        return torch.device("cpu"), tr(
            "no CUDA GPU {i} (there are {gpus}) or Apple GPU, so the CPU"
        ).format(i=i, gpus=gpus)
    return torch.device("cpu"), tr("no CUDA or Apple GPU found, so the CPU")


def try_gpu(i: int = 0) -> torch.device:
    """Return ``cuda:i`` if that GPU exists, else ``mps`` (Apple silicon), else ``cpu``.

    Like d2l's ``try_gpu``, an index beyond the GPUs present falls back instead of raising.
    ``$LSTM_GRU_DEVICE`` overrides the choice; ``device_choice(i)`` also says why.
    """
    return device_choice(i)[0]


def model_device(model: torch.nn.Module) -> torch.device:
    """The device of ``model``'s parameters (the CPU for a model without any)."""
    param = next(model.parameters(), None)
    return param.device if param is not None else torch.device("cpu")


@contextlib.contextmanager
def cpu_threads(num_threads: int | None, device=None):
    """Run the block with ``num_threads`` torch CPU threads, then restore the setting.

    Unchanged when ``num_threads`` is None or ``device`` is not the CPU. Small models (a batch
    of one is a string of tiny matrix products) run fastest on one thread: on a busy CPU,
    waiting for a second thread costs far more than it saves.
    """
    if num_threads is None or (device is not None and torch.device(device).type != "cpu"):
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(num_threads)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def seed_everything(seed: int) -> None:
    """Seed Python's ``random``, NumPy and PyTorch (CPU and every CUDA device) with ``seed``."""
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"seed must be an int, got {type(seed).__name__} ({seed!r})")
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(seed)
