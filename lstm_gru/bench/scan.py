"""minGRU trained with a parallel scan vs the step-by-step loop: forward + backward time.

``python -m lstm_gru.bench scan [--lengths 64 256 1024 4096] [--num-hiddens 256 --batch-sizes 1 16]``

For each sequence length, one seeded MinGRU is run forward and backward (loss = sum of the
outputs) in each mode: ``sequential`` (a Python loop over steps, autograd through every step),
``scan`` (the blocked parallel scan with its adjoint backward) and ``log`` (the paper's log-space
scan). The modes are timed side by side, medians of interleaved repeats. ``recurrence_*`` time the
linear recurrence h_t = a_t h_{t-1} + b_t alone (the layer minus its input projection and gates);
``gates_s`` times the part every mode shares, the input projection and the gates (forward and
backward, no recurrence), and ``speedup_bound = sequential_s / gates_s`` is the speedup the layer
would get from a recurrence that cost nothing (Amdahl's law): no scan can beat it.
Batch 1 is one long sequence, where the loop's per-step overhead dominates and the scan pays
off most; batch 16 x 256 units makes every step 4096 numbers wide, where the loop is already
bound by memory traffic and the shared gates take a large share (see ``speedup_bound``).
One JSON line per batch size and length with the times, the speedups over ``sequential`` and the largest output
difference of each parallel mode from the loop.
"""

import argparse

import torch

from lstm_gru.bench import add_device_options, device_from, emit, round_sig
from lstm_gru.minrnn import MODES, MinGRU, linear_scan
from lstm_gru.timing import median_times


def _fwd_bwd(fn, params):
    """A closure: zero the grads of ``params``, run ``fn()`` and backpropagate its sum."""

    def step():
        for p in params:
            p.grad = None
        fn().sum().backward()

    return step


def measure(length: int, batch_size: int, args, device: torch.device) -> dict:
    """Time every mode at one sequence length and batch size; emit and return the record."""
    torch.manual_seed(args.seed)
    model = MinGRU(args.num_inputs, args.num_hiddens).to(device)
    # (num_steps, batch_size, num_inputs)
    X = torch.randn(length, batch_size, args.num_inputs, device=device)
    params = list(model.parameters())
    fns = {mode: _fwd_bwd(lambda m=mode: model(X, mode=m), params) for mode in args.modes}
    with torch.no_grad():
        a, b = model.coefficients(model.linear(X))  # each (num_steps, batch_size, num_hiddens)
        outputs = {mode: model(X, mode=mode) for mode in args.modes}
    # dense gradients for the coefficients, as the recurrence's backward pass would send them
    grad_a, grad_b = torch.randn_like(a), torch.randn_like(b)

    def gates():
        for p in params:
            p.grad = None
        coefficients = model.coefficients(model.linear(X))  # (a, b) as above
        torch.autograd.backward(coefficients, (grad_a, grad_b))

    fns["gates"] = gates
    a, b = a.requires_grad_(), b.requires_grad_()
    for mode in ("sequential", "scan"):
        fns[f"recurrence_{mode}"] = _fwd_bwd(lambda m=mode: linear_scan(a, b, mode=m), [a, b])
    seconds = median_times(fns, device=device, repeats=args.repeats, warmup=args.warmup)
    fields = {}
    for mode in args.modes:
        fields[f"{mode}_s"] = round_sig(seconds[mode])
    for mode in args.modes:
        if mode != "sequential":
            key = "speedup" if mode == "scan" else f"{mode}_speedup"
            fields[key] = round_sig(seconds["sequential"] / seconds[mode], 3)
            diff = (outputs[mode] - outputs["sequential"]).abs().max().item()
            fields[f"{mode}_max_abs_diff"] = round_sig(diff, 2)
    fields["gates_s"] = round_sig(seconds["gates"])
    fields["speedup_bound"] = round_sig(seconds["sequential"] / seconds["gates"], 3)
    fields["recurrence_sequential_s"] = round_sig(seconds["recurrence_sequential"])
    fields["recurrence_scan_s"] = round_sig(seconds["recurrence_scan"])
    fields["recurrence_speedup"] = round_sig(
        seconds["recurrence_sequential"] / seconds["recurrence_scan"], 3
    )
    return emit(
        "scan",
        device,
        length=length,
        batch_size=batch_size,
        num_inputs=args.num_inputs,
        num_hiddens=args.num_hiddens,
        repeats=args.repeats,
        **fields,
    )


def main(argv: list[str]) -> None:
    """Parse options and print one JSON line per sequence length."""
    parser = argparse.ArgumentParser(prog="python -m lstm_gru.bench scan", description=__doc__)
    parser.add_argument("--lengths", type=int, nargs="+", default=[64, 256, 1024, 4096])
    parser.add_argument("--num-inputs", type=int, default=32)
    parser.add_argument("--num-hiddens", type=int, default=256)
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[1, 16])
    parser.add_argument(
        "--modes",
        nargs="+",
        choices=MODES,
        default=list(MODES),
        help="'sequential' is always included: the speedups are relative to it",
    )
    parser.add_argument("--repeats", type=int, default=5, help="timed runs of each mode")
    parser.add_argument("--warmup", type=int, default=1, help="untimed runs first")
    parser.add_argument("--seed", type=int, default=0)
    add_device_options(parser)
    args = parser.parse_args(argv)
    for name in ("num_inputs", "num_hiddens", "repeats"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be >= 1, got {getattr(args, name)}")
    for name in ("lengths", "batch_sizes"):
        if min(getattr(args, name)) < 1:
            parser.error(f"--{name.replace('_', '-')} must all be >= 1, got {getattr(args, name)}")
    if args.warmup < 0:
        parser.error(f"--warmup must be >= 0, got {args.warmup}")
    args.modes = ["sequential"] + [m for m in dict.fromkeys(args.modes) if m != "sequential"]
    device = device_from(args)
    for batch_size in args.batch_sizes:
        for length in args.lengths:
            measure(length, batch_size, args, device)
