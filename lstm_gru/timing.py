"""Fair wall-clock timing: synchronise the device, interleave the candidates, take medians."""

import statistics
import time
from collections.abc import Callable

import torch

from lstm_gru.checks import check_positive_int


def synchronize(device) -> None:
    """Wait until every queued kernel on ``device`` (cuda or mps) has finished; no-op on cpu."""
    device = torch.device(device)
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elif device.type == "mps":
        torch.mps.synchronize()


def median_times(
    fns: dict[str, Callable[[], object]], *, device="cpu", repeats: int = 5, warmup: int = 1
) -> dict[str, float]:
    """Median seconds per call of each function, measured side by side.

    Every function runs ``warmup`` untimed times, then ``repeats`` rounds in which each runs once,
    the order reversing every other round, so that all of them see the same machine load. The
    device is synchronised before and after each call, so GPU times are real. Returns
    ``{name: median seconds}``.
    """
    check_positive_int(repeats, "repeats")
    check_positive_int(warmup, "warmup", minimum=0)
    for _ in range(warmup):
        for fn in fns.values():
            fn()
    synchronize(device)
    times: dict[str, list[float]] = {name: [] for name in fns}
    names = list(fns)
    for r in range(repeats):
        for name in names if r % 2 == 0 else names[::-1]:
            start = time.perf_counter()
            fns[name]()
            synchronize(device)
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(ts) for name, ts in times.items()}


__all__ = ["median_times", "synchronize"]
