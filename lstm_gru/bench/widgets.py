"""How fast GateExplorer responds: recompute + redraw for typed text, and a step / unit move.

``python -m lstm_gru.bench widgets [--chars 100] [--num-hiddens 64] [--repeats 5]``
The target is under 200 ms for 100 characters on a laptop CPU. Wall time counts everything
the student waits for; CPU time is this process alone (on a shared machine, wall > CPU).
"""

import argparse
import statistics
import time

import matplotlib

from lstm_gru.bench import emit, round_sig
from lstm_gru.checks import check_positive_int


def _timed(action, repeats: int) -> tuple[float, float]:
    """Median wall and CPU milliseconds of ``action(k)`` over runs k = 0 .. repeats - 1."""
    check_positive_int(repeats, "repeats")
    walls, cpus = [], []
    for k in range(repeats):
        wall, cpu = time.perf_counter(), time.process_time()
        action(k)
        walls.append((time.perf_counter() - wall) * 1e3)
        cpus.append((time.process_time() - cpu) * 1e3)
    return statistics.median(walls), statistics.median(cpus)


def measure_text_update(explorer, text: str, repeats: int = 5) -> float:
    """Median milliseconds for a ``GateExplorer`` to recompute and redraw the gates of ``text``."""
    return _timed(lambda _: explorer.set_text(text), repeats)[0]


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m lstm_gru.bench widgets")
    parser.add_argument("--chars", type=int, default=100, help="length of the typed text")
    parser.add_argument("--num-hiddens", type=int, default=64, help="hidden units of the model")
    parser.add_argument("--max-units", type=int, default=32, help="units shown in the heatmaps")
    parser.add_argument("--repeats", type=int, default=5, help="timed runs; the median is printed")
    parser.add_argument("--device", default="cpu", help="where the model runs (cpu, cuda, ...)")
    args = parser.parse_args(argv)
    matplotlib.use("Agg")
    import torch

    from lstm_gru.data import Vocab, load_corpus
    from lstm_gru.models import CharRNN
    from lstm_gru.widgets import GateExplorer

    corpus = load_corpus("stdlib", max_chars=20_000)
    vocab = Vocab(corpus.text)
    texts = [corpus.text[k * args.chars : (k + 1) * args.chars] for k in range(args.repeats)]
    device = torch.device(args.device)
    for cell in ("lstm", "gru"):
        torch.manual_seed(0)
        model = CharRNN(len(vocab), args.num_hiddens, cell=cell).to(device)
        start = time.perf_counter()
        explorer = GateExplorer(model, vocab, text=texts[0], max_units=args.max_units)
        build_ms = (time.perf_counter() - start) * 1e3
        text_wall, text_cpu = _timed(lambda k, e=explorer: e.set_text(texts[k]), args.repeats)
        step_wall, step_cpu = _timed(lambda k, e=explorer: e.set_step(k), args.repeats)
        unit_wall, unit_cpu = _timed(lambda k, e=explorer: e.set_unit(k + 1), args.repeats)
        emit(
            "widgets",
            device,
            cell=cell,
            chars=args.chars,
            num_hiddens=args.num_hiddens,
            max_units=args.max_units,
            build_ms=round_sig(build_ms, 3),
            text_update_ms=round_sig(text_wall, 3),
            text_update_cpu_ms=round_sig(text_cpu, 3),
            step_update_ms=round_sig(step_wall, 3),
            step_update_cpu_ms=round_sig(step_cpu, 3),
            unit_update_ms=round_sig(unit_wall, 3),
            unit_update_cpu_ms=round_sig(unit_cpu, 3),
            png_bytes=len(explorer.image.value),
            under_200_ms=text_wall < 200,
        )
