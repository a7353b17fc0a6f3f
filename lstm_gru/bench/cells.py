"""Scratch cells vs the fused nn.LSTM / nn.GRU: training throughput, measured side by side.

``python -m lstm_gru.bench cells [--batch-size 32 --num-steps 35 --num-hiddens 256 --repeats 20]``

For each cell type, one forward and backward pass over a (num_steps, batch_size, num_inputs)
batch is timed for the scratch cell and for the fused module holding the same weights,
alternating the two so both see the same machine load (``lstm_gru.compare.time_training_steps``);
medians are reported. One JSON
line per cell type: tokens/s of each, ``ratio`` = scratch time / fused time, and the
largest output difference between the two (they compute the same function).
"""

import argparse

import torch

from lstm_gru.bench import add_device_options, device_from, emit, round_sig
from lstm_gru.cells import RNN_CLASSES, SCRATCH_CLASSES
from lstm_gru.compare import time_training_steps


def compare(kind: str, args, device: torch.device) -> dict:
    """Time the scratch and fused ``kind`` cells side by side; emit and return the record."""
    fused = RNN_CLASSES[kind](args.num_inputs, args.num_hiddens).to(device)
    scratch = SCRATCH_CLASSES[kind].from_torch(fused)
    # (num_steps, batch_size, num_inputs)
    X = torch.randn(args.num_steps, args.batch_size, args.num_inputs, device=device)
    with torch.no_grad():
        max_abs_diff = (scratch(X)[0] - fused(X)[0]).abs().max().item()
    seconds = time_training_steps(
        {"scratch": scratch, "fused": fused}, X, repeats=args.repeats, warmup=args.warmup
    )
    scratch_t, fused_t = seconds["scratch"], seconds["fused"]
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
    parser.add_argument("--cells", nargs="+", choices=sorted(RNN_CLASSES), default=["lstm", "gru"])
    add_device_options(parser)
    args = parser.parse_args(argv)
    for name in ("batch_size", "num_steps", "num_inputs", "num_hiddens", "repeats"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be >= 1, got {getattr(args, name)}")
    device = device_from(args)
    torch.manual_seed(0)
    for kind in args.cells:
        compare(kind, args, device)
