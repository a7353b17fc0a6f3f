"""Character LSTM on The Time Machine: the d2l book's recipe against this package's, same budget.

``python -m lstm_gru.bench lm --corpus PATH --seconds 30 [--device DEVICE] [--threads N]``

Both recipes train on the same data for the same wall-clock budget and are judged the same way:

- data: d2l's preprocessing (``preprocess_timemachine``: letters only, lower case), a character
  vocabulary of the whole text, the first 90% of the text for training and the last 10% for
  validation (contiguous, unseen text);
- training batches: subsequences starting at every offset of the training text, shuffled each
  epoch, the state starting from zeros in every batch; this is what d2l v1.0's
  ``TimeMachine`` + ``RNNLM`` + ``Trainer`` do (d2l keeps only the first 10,000 subsequences;
  here both recipes use all of the training text);
- validation: perplexity on consecutive, non-overlapping 32-character windows of the
  validation text, each from a zero state (d2l's own way of validating).

d2l's recipe (the LSTM section of d2l v1.0): one-hot input, ``nn.LSTM`` with 32 hidden units,
a linear head, SGD with lr 4, gradient clipping at norm 1, batch size 1024, 32 steps.
Ours (``OURS``): the same one-hot LSTM language model, 4x wider (128 hidden units) and two layers
deep, with dropout 0.2 between the layers and before the head, trained with Adam (lr 0.01,
decayed linearly to 0 over the time budget) on batches of 32 windows: many more, smaller updates
in the same time. (On the course's idle 2-core CPU, a second layer lowered the 30-second
perplexity from about 4.33 to 4.08; a wider single layer, 192 or 256 units, did not help.)
Prints one JSON line with both validation perplexities and their ratio (ours / d2l).
On a busy CPU, ``--threads 1`` avoids thread oversubscription (it can slow PyTorch's CPU
LSTM ten-fold).
"""

import argparse
import math
import time
from pathlib import Path

import torch

from lstm_gru.bench import add_device_options, device_from, emit, round_sig
from lstm_gru.data import Vocab, preprocess_timemachine, train_valid_split
from lstm_gru.device import seed_everything
from lstm_gru.models import CharRNN
from lstm_gru.train import fit, lm_loss, perplexity

D2L = dict(
    num_hiddens=32,
    num_layers=1,
    dropout=0.0,
    optimizer="sgd",
    lr=4.0,
    lr_decay=False,
    batch_size=1024,
    num_steps=32,
)
OURS = dict(
    num_hiddens=128,
    num_layers=2,
    dropout=0.2,
    optimizer="adam",
    lr=0.01,
    lr_decay=True,
    batch_size=32,
    num_steps=32,
)
VALID_STEPS = 32  # validation window length, the same for both recipes


class WindowLoader:
    """Shuffled batches (X, Y) of all ``num_steps``-long windows of ``ids``, each (batch_size,
    num_steps) long, Y shifted one token ahead; a new order from ``seed``'s generator every pass.
    """

    def __init__(self, ids: torch.Tensor, batch_size: int, num_steps: int, seed: int = 0):
        self.windows = ids.unfold(0, num_steps + 1, 1)  # (num_windows, num_steps + 1), a view
        self.batch_size = batch_size
        self.generator = torch.Generator().manual_seed(seed)

    def __len__(self) -> int:
        return math.ceil(len(self.windows) / self.batch_size)

    def __iter__(self):
        order = torch.randperm(len(self.windows), generator=self.generator)
        order = order.to(self.windows.device)
        for start in range(0, len(order), self.batch_size):
            batch = self.windows[order[start : start + self.batch_size]]  # (batch, num_steps + 1)
            yield batch[:, :-1], batch[:, 1:]


def valid_batches(ids: torch.Tensor, num_steps: int, batch_size: int = 1024) -> list:
    """Consecutive non-overlapping windows of ``ids`` as batches (X, Y) of (<= batch_size,
    num_steps) long; the last few tokens that do not fill a window are left out."""
    num_windows = (len(ids) - 1) // num_steps
    X = ids[: num_windows * num_steps].reshape(num_windows, num_steps)
    Y = ids[1 : num_windows * num_steps + 1].reshape(num_windows, num_steps)
    return [
        (X[start : start + batch_size], Y[start : start + batch_size])
        for start in range(0, num_windows, batch_size)
    ]


def train_recipe(recipe: dict, train_ids, vocab_size: int, seconds: float, device, seed: int):
    """Train a character LSTM with ``recipe`` for ``seconds``; return (model, History)."""
    seed_everything(seed)
    model = CharRNN(
        vocab_size,
        recipe["num_hiddens"],
        "lstm",
        num_layers=recipe["num_layers"],
        dropout=recipe["dropout"],
    )
    if recipe["optimizer"] == "sgd":
        optimizer = torch.optim.SGD(model.parameters(), lr=recipe["lr"])
    else:
        optimizer = torch.optim.Adam(model.parameters(), lr=recipe["lr"])
    loader = WindowLoader(train_ids.to(device), recipe["batch_size"], recipe["num_steps"], seed)
    scheduler = None
    if recipe["lr_decay"]:  # linear decay to 0 over the wall-clock budget
        start = time.perf_counter()
        scheduler = torch.optim.lr_scheduler.LambdaLR(
            optimizer, lambda _: max(0.0, 1 - (time.perf_counter() - start) / seconds)
        )
    history = fit(
        model,
        loader,
        num_epochs=10**6,  # the time budget stops training
        loss_fn=lm_loss,
        optimizer=optimizer,
        device=device,
        clip_norm=1.0,
        max_seconds=seconds,
        progress=False,
        scheduler=scheduler,
    )
    return model, history


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m lstm_gru.bench lm", description=__doc__)
    parser.add_argument("--corpus", type=Path, required=True, help="path of timemachine.txt")
    parser.add_argument("--seconds", type=float, default=30.0, help="training budget per recipe")
    parser.add_argument("--seed", type=int, default=0, help="seeds models and batch order")
    add_device_options(parser)
    args = parser.parse_args(argv)
    if not args.seconds > 0:
        parser.error(f"--seconds must be > 0, got {args.seconds}")
    device = device_from(args)
    text = preprocess_timemachine(args.corpus.read_text(encoding="utf-8"))
    vocab = Vocab(text)
    train_ids, valid_ids = train_valid_split(vocab.encode(text), valid_fraction=0.1)
    valid = valid_batches(valid_ids, VALID_STEPS)
    results = {}
    for name, recipe in (("d2l", D2L), ("ours", OURS)):
        model, history = train_recipe(
            recipe, train_ids, len(vocab), args.seconds, device, args.seed
        )
        results[name] = dict(
            val_ppl=perplexity(model, valid),
            seconds=history.seconds[-1],
            steps=history.num_updates,
            params=sum(p.numel() for p in model.parameters()),
            **recipe,
        )
    d2l, ours = results["d2l"], results["ours"]
    emit(
        "lm",
        device,
        corpus=str(args.corpus.name),
        vocab_size=len(vocab),
        train_chars=len(train_ids),
        valid_chars=len(valid_ids),
        budget_seconds=args.seconds,
        d2l_val_ppl=round_sig(d2l["val_ppl"]),
        ours_val_ppl=round_sig(ours["val_ppl"]),
        ratio=round_sig(ours["val_ppl"] / d2l["val_ppl"]),
        **{
            f"{n}_{k}": round_sig(v) if isinstance(v, float) else v
            for n, r in results.items()
            for k, v in r.items()
            if k != "val_ppl"
        },
    )
