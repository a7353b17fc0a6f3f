"""Benchmarks: ``python -m lstm_gru.bench <name> [options]`` prints one JSON object per line.

Each benchmark is a module ``lstm_gru.bench.<name>`` with ``main(argv) -> None``; every
record it prints goes through :func:`emit`, which adds the device, torch version and threads.
"""

import json
import platform
import sys

import torch


def machine_info(device: torch.device) -> dict:
    """What the figures were measured on: device name, torch version, CPU threads."""
    name = (
        torch.cuda.get_device_name(device)
        if device.type == "cuda"
        else platform.processor() or platform.machine()
    )
    return {
        "device": str(device),
        "device_name": name,
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
    }


def emit(benchmark: str, device: torch.device, **fields) -> dict:
    """Print one JSON line: ``{"benchmark": ..., **machine_info(device), **fields}``; return it."""
    record = {"benchmark": benchmark, **machine_info(device), **fields}
    print(json.dumps(record), flush=True)
    return record


def add_device_options(parser) -> None:
    """Add ``--device`` (default: ``try_gpu()``) and ``--threads`` to an argparse parser."""
    parser.add_argument("--device", default=None, help="default: try_gpu()")
    parser.add_argument("--threads", type=int, default=None, help="CPU threads (default: torch's)")


def device_from(args) -> torch.device:
    """Apply ``--threads`` and return the device ``--device`` names (default: ``try_gpu()``)."""
    from lstm_gru.device import try_gpu

    if args.threads is not None:
        torch.set_num_threads(args.threads)
    return torch.device(args.device) if args.device else try_gpu()


def round_sig(x: float, digits: int = 4) -> float:
    """Round ``x`` to ``digits`` significant figures (for JSON output)."""
    return float(f"{x:.{digits}g}")


__all__ = ["add_device_options", "device_from", "emit", "machine_info", "round_sig"]

if __name__ == "__main__":  # pragma: no cover
    sys.exit("run `python -m lstm_gru.bench <name>`")
