import random

import numpy as np
import pytest
import torch

import lstm_gru
from lstm_gru import device


def fake_hardware(monkeypatch, *, cuda: int, mps: bool):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: cuda > 0)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: cuda)
    monkeypatch.setattr(device, "_mps_available", lambda: mps)


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
