"""GRU vs LSTM: parameters, multiply-adds per step and measured training-step time.

``python -m lstm_gru.bench compare [--hiddens 64 256] [--lengths 32 128] [--num-inputs 64]``

For every (hidden size, length), nn.LSTM, nn.GRU and the scratch LSTMScratch / GRUScratch are
timed side by side (forward + backward, medians of interleaved repeats) on one seeded batch.
One JSON line per model and size: parameters, MACs / elementwise ops / activations per step
(counted from the equations), seconds per training step; GRU lines add the GRU/LSTM ratios of
parameters, MACs and time. The measuring code is ``lstm_gru.compare``.
"""

import argparse

from lstm_gru.bench import add_device_options, device_from, emit, round_sig
from lstm_gru.compare import compare_gru_lstm


def main(argv: list[str]) -> None:
    """Parse options and print one JSON line per (model, input size, hidden size, length)."""
    parser = argparse.ArgumentParser(prog="python -m lstm_gru.bench compare", description=__doc__)
    parser.add_argument("--hiddens", type=int, nargs="+", default=[64, 256])
    parser.add_argument("--lengths", type=int, nargs="+", default=[32, 128])
    parser.add_argument("--num-inputs", type=int, nargs="+", default=[64])
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--no-scratch", action="store_true", help="time nn.LSTM / nn.GRU only")
    parser.add_argument("--repeats", type=int, default=5, help="timed runs of each model")
    parser.add_argument("--warmup", type=int, default=1, help="untimed runs first")
    add_device_options(parser)
    args = parser.parse_args(argv)
    sizes = args.hiddens + args.lengths + args.num_inputs + [args.batch_size, args.repeats]
    if min(sizes) < 1:
        parser.error("sizes, lengths, --batch-size and --repeats must all be >= 1")
    if args.warmup < 0:
        parser.error(f"--warmup must be >= 0, got {args.warmup}")
    device = device_from(args)
    for num_inputs in args.num_inputs:
        for num_hiddens in args.hiddens:
            for num_steps in args.lengths:
                records = compare_gru_lstm(
                    num_inputs,
                    num_hiddens,
                    num_steps,
                    batch_size=args.batch_size,
                    device=device,
                    scratch=not args.no_scratch,
                    repeats=args.repeats,
                    warmup=args.warmup,
                )
                for record in records:
                    fields = {
                        k: round_sig(v, 4) if isinstance(v, float) else v for k, v in record.items()
                    }
                    emit("compare", device, **fields)
