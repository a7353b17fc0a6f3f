"""Character LSTM on The Time Machine: the d2l book's recipe against this package's, same budget.

``python -m lstm_gru.bench lm --corpus PATH --seconds 30 [--device DEVICE] [--threads N]``

Both recipes train on the same data for the same wall-clock budget and are judged the same way:

- data: d2l's preprocessing (``preprocess_timemachine``: letters only, lower case), a character
  vocabulary of the whole text, split 80/10/10 into contiguous training, validation and test
  text. Our recipe's settings were chosen by their validation perplexity; the **test**
  perplexity, on text no choice looked at, is the number to compare;
- d2l's training batches: windows starting at every offset of the training text, shuffled each
  epoch, the state starting from zeros in every batch; this is what d2l v1.0's
  ``TimeMachine`` + ``RNNLM`` + ``Trainer`` do (d2l keeps only the first 10,000 windows; here
  both recipes use all of the training text);
- evaluation: perplexity on consecutive, non-overlapping 32-character windows, each from a
  zero state (d2l's own way, ``*_val_ppl`` and ``*_test_ppl``), and on the same text read as
  one stream with the state carried (``*_test_ppl_stream``; chapter 05 shows why the two
  differ).

d2l's recipe (the LSTM section of d2l v1.0): one-hot input, ``nn.LSTM`` with 32 hidden units,
a linear head, SGD with lr 4, gradient clipping at norm 1, batch size 1024, 32 steps.
Ours (``OURS``): the same one-hot LSTM language model, 4x wider (128 hidden units) and two layers
deep, with dropout 0.2 between the layers and before the head, trained with Adam (lr 0.01,
decayed linearly to 0 over the time budget) on batches of 32 windows: many more, smaller updates
in the same time. ``carry_state``: sequential batches with the state carried across them,
detached (truncated BPTT, ``CarriedStateLoss``), instead of shuffled independent windows.

Prints one JSON line: both recipes' perplexities, the ratios ours / d2l (``ratio`` on
validation, ``test_ratio`` on test), steps and seconds; then one line per ablation (key
``ablation``), which swaps one half of the recipe, so a reader sees where the gain comes
from: ``d2l_model_our_optimizer`` (d2l's model, our optimiser and batches) and
``our_model_d2l_sgd`` (our model, d2l's SGD and batches). On a busy CPU, ``--threads 1``
avoids thread oversubscription (it can slow PyTorch's CPU LSTM ten-fold).
"""

import argparse
import math
import time
from pathlib import Path

import torch

from lstm_gru.bench import add_device_options, device_from, emit, round_sig
from lstm_gru.data import Vocab, char_batches, preprocess_timemachine, train_valid_split
from lstm_gru.device import seed_everything
from lstm_gru.models import CharRNN
from lstm_gru.train import CarriedStateLoss, fit, lm_loss, perplexity

MODEL_KEYS = ("num_hiddens", "num_layers", "dropout")
OPTIMIZER_KEYS = ("optimizer", "lr", "lr_decay", "batch_size", "num_steps", "carry_state")

D2L = dict(
    num_hiddens=32,
    num_layers=1,
    dropout=0.0,
    optimizer="sgd",
    lr=4.0,
    lr_decay=False,
    batch_size=1024,
    num_steps=32,
    carry_state=False,
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
    carry_state=False,
)
ABLATIONS = {  # one half of each recipe swapped for the other's
    "d2l_model_our_optimizer": {
        **{k: D2L[k] for k in MODEL_KEYS},
        **{k: OURS[k] for k in OPTIMIZER_KEYS},
    },
    "our_model_d2l_sgd": {
        **{k: OURS[k] for k in MODEL_KEYS},
        **{k: D2L[k] for k in OPTIMIZER_KEYS},
    },
}
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
    if recipe["carry_state"]:  # sequential rows, the state carried from batch to batch
        loader = char_batches(
            train_ids,
            recipe["batch_size"],
            recipe["num_steps"],
            shuffle=True,
            seed=seed,
            device=device,
        )
        loss_fn = CarriedStateLoss()
    else:
        loader = WindowLoader(train_ids.to(device), recipe["batch_size"], recipe["num_steps"], seed)
        loss_fn = lm_loss
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
        loss_fn=loss_fn,
        optimizer=optimizer,
        device=device,
        clip_norm=1.0,
        max_seconds=seconds,
        progress=False,
        scheduler=scheduler,
    )
    return model, history


def split_80_10_10(ids):
    """Contiguous training, validation and test parts: the first 80%, the next 10%, the last 10%."""
    train_ids, held_out = train_valid_split(ids, valid_fraction=0.2)
    valid_ids, test_ids = train_valid_split(held_out, valid_fraction=0.5)
    return train_ids, valid_ids, test_ids


def run_recipe(recipe: dict, train_ids, valid_ids, test_ids, vocab_size, seconds, device, seed):
    """Train with ``recipe`` for ``seconds`` and judge it; a dict of results and settings."""
    model, history = train_recipe(recipe, train_ids, vocab_size, seconds, device, seed)
    test_stream = char_batches(test_ids, 16, VALID_STEPS, device=device)  # 16 long rows
    return dict(
        val_ppl=perplexity(model, valid_batches(valid_ids, VALID_STEPS)),
        test_ppl=perplexity(model, valid_batches(test_ids, VALID_STEPS)),
        test_ppl_stream=perplexity(model, test_stream, CarriedStateLoss()),
        seconds=history.seconds[-1],
        steps=history.num_updates,
        params=sum(p.numel() for p in model.parameters()),
        **recipe,
    )


def _rounded(fields: dict) -> dict:
    return {k: round_sig(v) if isinstance(v, float) else v for k, v in fields.items()}


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m lstm_gru.bench lm", description=__doc__)
    parser.add_argument("--corpus", type=Path, required=True, help="path of timemachine.txt")
    parser.add_argument("--seconds", type=float, default=30.0, help="training budget per recipe")
    parser.add_argument("--seed", type=int, default=0, help="seeds models and batch order")
    parser.add_argument(
        "--no-ablations", action="store_true", help="train only the two recipes, not the ablations"
    )
    add_device_options(parser)
    args = parser.parse_args(argv)
    if not args.seconds > 0:
        parser.error(f"--seconds must be > 0, got {args.seconds}")
    device = device_from(args)
    text = preprocess_timemachine(args.corpus.read_text(encoding="utf-8"))
    vocab = Vocab(text)
    parts = split_80_10_10(vocab.encode(text))
    common = dict(
        corpus=str(args.corpus.name),
        vocab_size=len(vocab),
        train_chars=len(parts[0]),
        valid_chars=len(parts[1]),
        test_chars=len(parts[2]),
        budget_seconds=args.seconds,
    )

    def run(recipe: dict) -> dict:
        return run_recipe(recipe, *parts, len(vocab), args.seconds, device, args.seed)

    results = {"d2l": run(D2L), "ours": run(OURS)}
    d2l, ours = results["d2l"], results["ours"]
    emit(
        "lm",
        device,
        **common,
        d2l_val_ppl=round_sig(d2l["val_ppl"]),
        ours_val_ppl=round_sig(ours["val_ppl"]),
        ratio=round_sig(ours["val_ppl"] / d2l["val_ppl"]),
        d2l_test_ppl=round_sig(d2l["test_ppl"]),
        ours_test_ppl=round_sig(ours["test_ppl"]),
        test_ratio=round_sig(ours["test_ppl"] / d2l["test_ppl"]),
        **_rounded(
            {
                f"{n}_{k}": v
                for n, r in results.items()
                for k, v in r.items()
                if k not in ("val_ppl", "test_ppl")
            }
        ),
    )
    if args.no_ablations:
        return
    for name, recipe in ABLATIONS.items():
        result = run(recipe)
        emit(
            "lm",
            device,
            ablation=name,
            **common,
            **_rounded(result),
            test_ratio_to_d2l=round_sig(result["test_ppl"] / d2l["test_ppl"]),
        )
