"""Scratch cells vs the fused nn.LSTM / nn.GRU: training throughput, measured side by side.

``python -m lstm_gru.bench cells [--batch-size 32 --num-steps 35 --num-hiddens 256 --repeats 20]``

For each cell type, one forward and backward pass over a (num_steps, batch_size, num_inputs)
batch is timed for the scratch cell and for the fused module holding the same weights,
alternating the two so both see the same machine load; medians are reported. One JSON
line per cell type: tokens/s of each, ``ratio`` = scratch time / fused time, and the
largest output difference between the two (they compute the same function).
"""

import argparse
import statistics
import time

import torch
from torch import nn

from lstm_gru.bench import add_device_options, device_from, emit, round_sig
from lstm_gru.cells import GRUScratch, LSTMScratch, RNNScratch

CELLS = {"lstm": (nn.LSTM, LSTMScratch), "gru": (nn.GRU, GRUScratch), "rnn": (nn.RNN, RNNScratch)}


def _seconds_per_pass(model: nn.Module, X: torch.Tensor) -> float:
    """Wall time of one forward + backward pass of ``model`` on ``X``."""
    model.zero_grad(set_to_none=True)
    if X.device.type == "cuda":
        torch.cuda.synchronize(X.device)
    start = time.perf_counter()
    outputs, _ = model(X)  # (num_steps, batch_size, num_hiddens)
    outputs.sum().backward()
    if X.device.type == "cuda":
        torch.cuda.synchronize(X.device)
    return time.perf_counter() - start


def compare(kind: str, args, device: torch.device) -> dict:
    """Time the scratch and fused ``kind`` cells side by side; emit and return the record."""
    fused_class, scratch_class = CELLS[kind]
    fused = fused_class(args.num_inputs, args.num_hiddens).to(device)
    scratch = scratch_class.from_torch(fused)
    # (num_steps, batch_size, num_inputs)
    X = torch.randn(args.num_steps, args.batch_size, args.num_inputs, device=device)
    with torch.no_grad():
        max_abs_diff = (scratch(X)[0] - fused(X)[0]).abs().max().item()
    for _ in range(args.warmup):
        _seconds_per_pass(scratch, X), _seconds_per_pass(fused, X)
    scratch_s, fused_s = [], []
    for r in range(args.repeats):  # alternate which runs first
        pair = [(scratch, scratch_s), (fused, fused_s)]
        for model, times in pair if r % 2 == 0 else pair[::-1]:
            times.append(_seconds_per_pass(model, X))
    scratch_t, fused_t = statistics.median(scratch_s), statistics.median(fused_s)
    tokens = args.num_steps * args.batch_size
    return emit(
        "cells",
        device,
        cell=kind,
        batch_size=args.batch_size,
        num_steps=args.num_steps,
        num_inputs=args.num_inputs,
        num_hiddens=args.num_hiddens,
        repeats=args.repeats,
        scratch_tokens_per_s=round_sig(tokens / scratch_t),
        fused_tokens_per_s=round_sig(tokens / fused_t),
        ratio=round_sig(scratch_t / fused_t, 3),
        max_abs_diff=round_sig(max_abs_diff, 2),
    )


def main(argv: list[str]) -> None:
    """Parse options and print one JSON line per cell type."""
    parser = argparse.ArgumentParser(prog="python -m lstm_gru.bench cells", description=__doc__)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--num-steps", type=int, default=35)
    parser.add_argument("--num-inputs", type=int, default=28, help="28: one-hot characters")
    parser.add_argument("--num-hiddens", type=int, default=256)
    parser.add_argument("--repeats", type=int, default=20, help="timed passes of each model")
    parser.add_argument("--warmup", type=int, default=2, help="untimed passes first")
    parser.add_argument("--cells", nargs="+", choices=sorted(CELLS), default=["lstm", "gru"])
    add_device_options(parser)
    args = parser.parse_args(argv)
    for name in ("batch_size", "num_steps", "num_inputs", "num_hiddens", "repeats"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be >= 1, got {getattr(args, name)}")
    device = device_from(args)
    torch.manual_seed(0)
    for kind in args.cells:
        compare(kind, args, device)
