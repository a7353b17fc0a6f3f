import random

import numpy as np
import pytest
import torch

import lstm_gru
from lstm_gru import device


def fake_hardware(monkeypatch, *, cuda: int, mps: bool, env: str | None = None):
    """Pretend to have ``cuda`` NVIDIA GPUs and (or not) Apple's mps; set $LSTM_GRU_DEVICE."""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: cuda > 0)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: cuda)
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda i=0: f"Fake GPU {i}")
    monkeypatch.setattr(device, "_mps_available", lambda: mps)
    if env is None:
        monkeypatch.delenv("LSTM_GRU_DEVICE", raising=False)
    else:
        monkeypatch.setenv("LSTM_GRU_DEVICE", env)


@pytest.mark.parametrize(
    ("cuda", "mps", "i", "expected"),
    [
        (2, False, 0, "cuda:0"),
        (2, False, 1, "cuda:1"),
        (2, False, 5, "cpu"),  # beyond the GPUs present: falls back, never raises
        (2, True, 5, "mps"),
        (0, True, 0, "mps"),
        (0, False, 0, "cpu"),
        (0, False, 3, "cpu"),
    ],
)
def test_try_gpu_prefers_cuda_then_mps_then_cpu(monkeypatch, cuda, mps, i, expected):
    fake_hardware(monkeypatch, cuda=cuda, mps=mps)
    assert device.try_gpu(i) == torch.device(expected)


@pytest.mark.parametrize(
    ("cuda", "mps", "i", "expected", "reason"),
    [
        (2, True, 1, "cuda:1", "CUDA GPU found: Fake GPU 1"),
        (0, True, 0, "mps", "Apple silicon GPU (mps)"),
        (0, False, 0, "cpu", "no CUDA or Apple GPU found, so the CPU"),
        (2, False, 5, "cpu", "no CUDA GPU 5 (there are 2) or Apple GPU, so the CPU"),
    ],
)
def test_device_choice_says_why(monkeypatch, cuda, mps, i, expected, reason):
    fake_hardware(monkeypatch, cuda=cuda, mps=mps)
    assert device.device_choice(i) == (torch.device(expected), reason)


@pytest.mark.parametrize("env", ["", "  "])
def test_empty_device_variable_means_automatic(monkeypatch, env):
    fake_hardware(monkeypatch, cuda=1, mps=False, env=env)
    assert device.device_choice() == (torch.device("cuda:0"), "CUDA GPU found: Fake GPU 0")


@pytest.mark.parametrize(
    ("env", "cuda", "mps", "expected", "reason"),
    [
        ("cpu", 2, True, "cpu", "LSTM_GRU_DEVICE=cpu"),  # hides CUDA and mps alike
        ("mps", 2, True, "mps", "LSTM_GRU_DEVICE=mps"),  # mps although CUDA is present
        ("cuda", 1, True, "cuda:0", "LSTM_GRU_DEVICE=cuda: Fake GPU 0"),
    ],
)
def test_device_variable_overrides_the_automatic_choice(
    monkeypatch, env, cuda, mps, expected, reason
):
    fake_hardware(monkeypatch, cuda=cuda, mps=mps, env=env)
    assert device.device_choice() == (torch.device(expected), reason)
    assert device.try_gpu() == torch.device(expected)


def test_device_variable_asking_for_missing_hardware_fails_clearly(monkeypatch):
    fake_hardware(monkeypatch, cuda=0, mps=False, env="cuda")
    with pytest.raises(
        RuntimeError,
        match="LSTM_GRU_DEVICE=cuda asks for CUDA GPU 0, but this machine has 0 CUDA GPU",
    ):
        device.try_gpu()
    fake_hardware(monkeypatch, cuda=1, mps=False, env="cuda")
    with pytest.raises(RuntimeError, match="asks for CUDA GPU 3, but this machine has 1 CUDA"):
        device.try_gpu(3)
    fake_hardware(monkeypatch, cuda=2, mps=False, env="mps")
    with pytest.raises(
        RuntimeError, match="LSTM_GRU_DEVICE=mps asks for the Apple silicon GPU, but PyTorch finds"
    ):
        device.try_gpu()


@pytest.mark.parametrize("bad", ["nvidia", "CPU", "cuda:1"])  # not "gpu": a marker name
def test_bad_device_variable_names_the_allowed_values(monkeypatch, bad):
    fake_hardware(monkeypatch, cuda=0, mps=False, env=bad)
    with pytest.raises(
        ValueError,
        match=f"LSTM_GRU_DEVICE must be one of cpu, cuda, mps \\(or empty for automatic\\), "
        f"got '{bad}'",
    ):
        device.try_gpu()


def test_try_gpu_is_reexported():
    assert lstm_gru.try_gpu is device.try_gpu
    assert lstm_gru.seed_everything is device.seed_everything


def test_seed_everything_makes_python_numpy_and_torch_repeat():
    def draw():
        return random.random(), float(np.random.rand()), float(torch.rand(1))

    lstm_gru.seed_everything(123)
    first = draw()
    lstm_gru.seed_everything(123)
    assert draw() == first
    lstm_gru.seed_everything(124)
    assert draw() != first


def test_seed_everything_seeds_cuda_when_present(monkeypatch):
    seeded = []
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "manual_seed_all", seeded.append)
    lstm_gru.seed_everything(7)
    assert seeded and set(seeded) == {7}


@pytest.mark.parametrize("bad", [1.5, "3", None, True])
def test_seed_everything_rejects_non_integers(bad):
    with pytest.raises(TypeError, match="seed must be an int"):
        lstm_gru.seed_everything(bad)


@pytest.mark.gpu
def test_try_gpu_returns_a_working_cuda_device():
    x = torch.ones(3, device=lstm_gru.try_gpu())
    assert x.device.type == "cuda"
    assert float(x.sum()) == 3.0


@pytest.mark.gpu
def test_device_choice_names_the_real_gpu(monkeypatch):
    monkeypatch.delenv("LSTM_GRU_DEVICE", raising=False)
    name = torch.cuda.get_device_name(0)
    assert device.device_choice() == (torch.device("cuda:0"), f"CUDA GPU found: {name}")
    monkeypatch.setenv("LSTM_GRU_DEVICE", "cpu")
    assert device.try_gpu() == torch.device("cpu")
