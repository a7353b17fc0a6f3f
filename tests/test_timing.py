"""median_times: interleaved, order-alternating, warm-up excluded, medians returned."""

import time

import pytest
import torch

from lstm_gru.timing import median_times, synchronize


def test_interleaves_and_alternates_order():
    calls = []
    fns = {"a": lambda: calls.append("a"), "b": lambda: calls.append("b")}
    median_times(fns, repeats=3, warmup=1)
    assert calls == ["a", "b", "a", "b", "b", "a", "a", "b"]  # warm-up, then a b | b a | a b


def test_medians_measure_the_calls():
    times = median_times({"short": lambda: None, "long": lambda: time.sleep(0.02)}, repeats=3)
    assert times["short"] < 0.005 < 0.02 <= times["long"] < 0.2


def test_rejects_bad_counts():
    with pytest.raises(ValueError, match="repeats must be >= 1, got 0"):
        median_times({"a": lambda: None}, repeats=0)
    with pytest.raises(ValueError, match="warmup must be >= 0, got -1"):
        median_times({"a": lambda: None}, warmup=-1)


def test_synchronize_accepts_cpu():
    synchronize("cpu")
    synchronize(torch.device("cpu"))


@pytest.mark.gpu
def test_synchronize_waits_for_cuda():
    x = torch.randn(2048, 2048, device="cuda")
    times = median_times({"matmul": lambda: x @ x}, device="cuda", repeats=3)
    assert times["matmul"] > 0
