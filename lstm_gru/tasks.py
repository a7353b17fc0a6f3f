"""Synthetic long-range tasks: where a plain RNN fails and gates succeed.

Every task is a function ``(num_samples, num_steps, *, seed, ...) -> TaskData``, seeded with
its own ``torch.Generator`` (the same seed gives the same tensors on every machine).
``X, Y = task(...)`` unpacks the inputs and targets; the ``TaskData`` also carries a ``mask``
of the input positions the answer depends on (for plotting gate values by position type),
the token ids of token tasks, and the ``baseline`` a model scores without memory.

Shapes: X is time-major (num_steps, num_samples, num_inputs) float. Y is (num_samples,) for one
answer per sequence (float for regression, long class ids for classification), or
(num_steps, num_samples) long for an answer per step, with ``IGNORE_INDEX`` at unscored steps.
"""

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from lstm_gru.checks import check_positive_int
from lstm_gru.device import model_device, seed_everything
from lstm_gru.models import SequenceModel
from lstm_gru.train import RunningSum, fit, to_device

IGNORE_INDEX = -100  # target of an unscored step (F.cross_entropy's default ignore_index)


@dataclass(frozen=True)
class TaskData:
    """One synthetic data set; iterate (``X, Y = data``) to unpack inputs and targets.

    ``X``: (num_steps, num_samples, num_inputs) float. ``Y``: (num_samples,) or
    (num_steps, num_samples), see the module docstring. ``mask``: (num_steps, num_samples)
    bool, True at the input positions the answer depends on. ``tokens``: (num_steps,
    num_samples) long ids that X one-hot encodes, or None (adding problem). ``baseline``: the
    score of the best memoryless guess; ``metric``: "mse" (lower is better) or "accuracy";
    ``num_outputs``: what a model must output per answer (1 for regression, else the number
    of classes).
    """

    X: torch.Tensor
    Y: torch.Tensor
    mask: torch.Tensor
    tokens: torch.Tensor | None
    baseline: float
    metric: str
    num_outputs: int

    def __iter__(self):
        yield self.X
        yield self.Y

    @property
    def num_inputs(self) -> int:
        return self.X.shape[2]

    def loader(self, batch_size: int, *, shuffle: bool = True, seed: int = 0) -> "TaskLoader":
        """Minibatches (X (num_steps, batch_size, num_inputs), Y) for ``train.fit``."""
        return TaskLoader(self, batch_size, shuffle=shuffle, seed=seed)


class TaskLoader:
    """Iterates minibatches of a ``TaskData`` along its sample dimension.

    With ``shuffle``, each pass draws a new order from a generator seeded once with ``seed``,
    so a whole training run is reproducible.
    """

    def __init__(self, data: TaskData, batch_size: int, *, shuffle: bool = True, seed: int = 0):
        self.data = data
        self.batch_size = check_positive_int(batch_size, "batch_size")
        self.shuffle = shuffle
        self.generator = torch.Generator().manual_seed(seed)

    def __len__(self) -> int:
        return math.ceil(self.data.X.shape[1] / self.batch_size)

    def __iter__(self):
        num_samples = self.data.X.shape[1]
        if self.shuffle:
            order = torch.randperm(num_samples, generator=self.generator)
        else:
            order = torch.arange(num_samples)
        Y = self.data.Y
        for start in range(0, num_samples, self.batch_size):
            idx = order[start : start + self.batch_size]
            # X (num_steps, batch_size, num_inputs); Y (batch_size,) or (num_steps, batch_size)
            yield self.data.X[:, idx], (Y[idx] if Y.dim() == 1 else Y[:, idx])


def _check_sizes(num_samples, num_steps, seed, min_steps: int) -> torch.Generator:
    check_positive_int(num_samples, "num_samples")
    check_positive_int(num_steps, "num_steps", minimum=min_steps)
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"seed must be an int, got {type(seed).__name__} ({seed!r})")
    return torch.Generator().manual_seed(seed)


def _one_hot(tokens: torch.Tensor, num_tokens: int) -> torch.Tensor:
    return F.one_hot(tokens, num_tokens).float()  # (num_steps, num_samples, num_tokens)


def adding_problem(num_samples: int, num_steps: int, *, seed: int = 0) -> TaskData:
    """The adding problem (Hochreiter & Schmidhuber 1997; Le et al. 2015).

    X (num_steps, num_samples, 2): channel 0 holds values uniform in [0, 1); channel 1 is a
    marker, 1 at exactly two steps (one in each half of the sequence), else 0.
    Y (num_samples,) float: the sum of the two marked values. Always answering 1 has expected
    MSE Var(u1 + u2) = 1/6 ~ 0.167, the ``baseline``; ``mask`` marks the two marked steps.
    """
    gen = _check_sizes(num_samples, num_steps, seed, min_steps=2)
    values = torch.rand(num_steps, num_samples, generator=gen)
    half = num_steps // 2
    first = torch.randint(0, half, (num_samples,), generator=gen)
    second = torch.randint(half, num_steps, (num_samples,), generator=gen)
    samples = torch.arange(num_samples)
    mask = torch.zeros(num_steps, num_samples, dtype=torch.bool)
    mask[first, samples] = True
    mask[second, samples] = True
    X = torch.stack([values, mask.float()], dim=2)  # (num_steps, num_samples, 2)
    Y = values[first, samples] + values[second, samples]  # (num_samples,)
    return TaskData(X, Y, mask, None, baseline=1 / 6, metric="mse", num_outputs=1)


def copy_task(
    num_samples: int,
    num_steps: int,
    *,
    seed: int = 0,
    num_symbols: int = 8,
    copy_len: int = 5,
) -> TaskData:
    """The copy (memory) task (Hochreiter & Schmidhuber 1997; Arjovsky et al. 2016).

    Token ids: 0 blank, 1..num_symbols symbols, num_symbols + 1 the delimiter. A sequence is
    ``copy_len`` random symbols, blanks, the delimiter at step num_steps - copy_len - 1, then
    ``copy_len`` blanks during which the model must reproduce the symbols in order.
    X (num_steps, num_samples, num_symbols + 2) one-hot. Y (num_steps, num_samples) long:
    the symbol's class (id - 1, in [0, num_symbols)) at the last ``copy_len`` steps,
    ``IGNORE_INDEX`` elsewhere. ``baseline`` = chance accuracy 1 / num_symbols; ``mask``
    marks the first ``copy_len`` steps. Needs num_steps >= 2 * copy_len + 1.
    """
    check_positive_int(copy_len, "copy_len")
    check_positive_int(num_symbols, "num_symbols", minimum=2)
    if isinstance(num_steps, int) and num_steps < 2 * copy_len + 1:
        raise ValueError(
            f"num_steps must be >= 2 * copy_len + 1 = {2 * copy_len + 1}, got {num_steps}"
        )
    gen = _check_sizes(num_samples, num_steps, seed, min_steps=3)
    symbols = torch.randint(0, num_symbols, (copy_len, num_samples), generator=gen)
    tokens = torch.zeros(num_steps, num_samples, dtype=torch.long)
    tokens[:copy_len] = symbols + 1
    tokens[num_steps - copy_len - 1] = num_symbols + 1  # the delimiter: "now recall"
    Y = torch.full((num_steps, num_samples), IGNORE_INDEX, dtype=torch.long)
    Y[num_steps - copy_len :] = symbols
    mask = torch.zeros(num_steps, num_samples, dtype=torch.bool)
    mask[:copy_len] = True
    X = _one_hot(tokens, num_symbols + 2)
    return TaskData(
        X, Y, mask, tokens, baseline=1 / num_symbols, metric="accuracy", num_outputs=num_symbols
    )


def first_token_task(
    num_samples: int,
    num_steps: int,
    *,
    seed: int = 0,
    num_classes: int = 4,
    num_noise: int = 4,
) -> TaskData:
    """Remember the first token through noise.

    Token ids: 0..num_classes-1 are classes, num_classes..num_classes+num_noise-1 noise.
    Step 0 holds a random class token, every later step a random noise token; the answer is
    the class of step 0, read after the last step.
    X (num_steps, num_samples, num_classes + num_noise) one-hot; Y (num_samples,) long in
    [0, num_classes). ``baseline`` = chance accuracy 1 / num_classes; ``mask`` marks step 0.
    """
    check_positive_int(num_classes, "num_classes", minimum=2)
    check_positive_int(num_noise, "num_noise")
    gen = _check_sizes(num_samples, num_steps, seed, min_steps=1)
    Y = torch.randint(0, num_classes, (num_samples,), generator=gen)
    tokens = torch.randint(
        num_classes, num_classes + num_noise, (num_steps, num_samples), generator=gen
    )
    tokens[0] = Y
    mask = torch.zeros(num_steps, num_samples, dtype=torch.bool)
    mask[0] = True
    X = _one_hot(tokens, num_classes + num_noise)
    return TaskData(
        X, Y, mask, tokens, baseline=1 / num_classes, metric="accuracy", num_outputs=num_classes
    )


def distractor_task(
    num_samples: int,
    num_steps: int,
    *,
    seed: int = 0,
    num_relevant: int = 3,
    num_values: int = 4,
    num_distractors: int = 4,
) -> TaskData:
    """Skip the distractors: add up a few digits scattered among many irrelevant tokens.

    Token ids: 0..num_values-1 are digits, num_values..num_values+num_distractors-1
    distractors. ``num_relevant`` digits sit at random distinct steps; every other step holds
    a random distractor. The answer is the sum of the digits (a class in
    [0, num_relevant * (num_values - 1)]), read after the last step, so a model must update its
    state on digits and keep it on distractors.
    X (num_steps, num_samples, num_values + num_distractors) one-hot; Y (num_samples,) long.
    ``mask`` marks the digits' steps. ``baseline``: the accuracy of always answering the most
    likely sum (for two digits 0..3: sum 3, probability 4/16 = 0.25).
    """
    check_positive_int(num_relevant, "num_relevant")
    check_positive_int(num_values, "num_values", minimum=2)
    check_positive_int(num_distractors, "num_distractors")
    if isinstance(num_steps, int) and num_steps < num_relevant:
        raise ValueError(f"num_steps must be >= num_relevant={num_relevant}, got {num_steps}")
    gen = _check_sizes(num_samples, num_steps, seed, min_steps=1)
    digits = torch.randint(0, num_values, (num_relevant, num_samples), generator=gen)
    tokens = torch.randint(
        num_values, num_values + num_distractors, (num_steps, num_samples), generator=gen
    )
    # the steps of the digits: the first num_relevant of a random permutation of the steps
    steps = torch.rand(num_steps, num_samples, generator=gen).argsort(dim=0)[:num_relevant]
    tokens.scatter_(0, steps, digits)
    mask = torch.zeros(num_steps, num_samples, dtype=torch.bool)
    mask.scatter_(0, steps, True)
    Y = digits.sum(dim=0)  # (num_samples,)
    X = _one_hot(tokens, num_values + num_distractors)
    # distribution of a sum of num_relevant uniform digits: repeated convolution
    probs = torch.ones(1, dtype=torch.float64)
    for _ in range(num_relevant):
        probs = torch.nn.functional.pad(probs, (num_values - 1, num_values - 1))
        probs = probs.unfold(0, num_values, 1).mean(dim=1)
    return TaskData(
        X,
        Y,
        mask,
        tokens,
        baseline=float(probs.max()),
        metric="accuracy",
        num_outputs=num_relevant * (num_values - 1) + 1,
    )


def task_loss(model: nn.Module, batch) -> tuple[torch.Tensor, int | torch.Tensor]:
    """Training loss of a ``SequenceModel`` on a task batch (X, Y); returns (loss, count).

    Float Y (batch_size,): MSE of ``model(X)`` (batch_size, 1). Long Y (batch_size,):
    cross-entropy of the logits (batch_size, num_classes). Long Y (num_steps, batch_size):
    cross-entropy of the per-step logits (num_steps, batch_size, num_classes) over the scored
    steps. ``count`` is the number of scored answers (a scalar tensor for long Y: reading it
    on a GPU would make the CPU wait).
    """
    X, Y = batch
    output = model(X)
    if Y.is_floating_point():
        return F.mse_loss(output.squeeze(-1), Y), Y.numel()
    loss = F.cross_entropy(output.reshape(-1, output.shape[-1]), Y.reshape(-1))
    return loss, (Y != IGNORE_INDEX).sum()


@torch.no_grad()
def score(model: nn.Module, loader) -> float:
    """MSE (float targets) or accuracy over the scored answers (long targets) on ``loader``.

    Summed with ``RunningSum``: on a GPU the sums stay there and are read once, at the end.
    """
    device = model_device(model)
    total, count = RunningSum(device), RunningSum(device)
    for batch in loader:
        X, Y = to_device(batch, device)
        output = model(X)
        if Y.is_floating_point():
            total.add(((output.squeeze(-1) - Y) ** 2).sum())
            count.add(Y.numel())
        else:  # an unscored step's target, IGNORE_INDEX, never equals a predicted class
            total.add((output.argmax(-1) == Y).sum())
            count.add((Y != IGNORE_INDEX).sum())
    return float(total) / float(count)


TASKS = {
    "adding": adding_problem,
    "copy": copy_task,
    "first_token": first_token_task,
    "distractor": distractor_task,
}

# Recipes where, at 100 steps, a vanilla RNN stays at the baseline while an LSTM and a GRU
# solve the task within seconds of CPU time (seed 0, validation score after each epoch:
# first_token: RNN 0.24 0.25 0.24 0.24, LSTM 0.51 1.0 1.0 1.0, GRU 0.78 1.0 1.0 1.0 (chance 0.25);
# adding: RNN MSE 0.165-0.169 throughout, LSTM 0.001, GRU 0.000 after 6 epochs (baseline 0.167);
# distractor: RNN <= 0.25, LSTM 0.996, GRU 1.0 (baseline 0.25)). Gated cells start with chrono
# initialisation (``models.make_rnn``); the RNN has no gate to initialise. With PyTorch's
# default initialisation (``chrono_init=None``) LSTM and GRU stay at chance on first_token too.
RECIPES = {
    "first_token": dict(
        task="first_token",
        task_kwargs=dict(num_steps=100, num_classes=4, num_noise=4),
        num_train=8192,
        num_valid=1000,
        num_hiddens=32,
        lr=0.005,
        batch_size=64,
        num_epochs=4,
        chrono_init=100,
    ),
    "adding": dict(
        task="adding",
        task_kwargs=dict(num_steps=100),
        num_train=8192,
        num_valid=1000,
        num_hiddens=32,
        lr=0.01,
        batch_size=64,
        num_epochs=6,
        chrono_init=100,
    ),
    "distractor": dict(
        task="distractor",
        task_kwargs=dict(num_steps=100, num_relevant=2, num_values=4, num_distractors=4),
        num_train=8192,
        num_valid=1000,
        num_hiddens=32,
        lr=0.01,
        batch_size=64,
        num_epochs=4,
        chrono_init=100,
    ),
}


def train_recipe(
    name: str,
    cell: str,
    *,
    seed: int = 0,
    device=None,
    max_seconds: float | None = None,
    progress: bool = True,
    **overrides,
):
    """Train a ``SequenceModel`` with ``cell`` on ``RECIPES[name]``; return (model, history, valid).

    Training data comes from ``seed``, validation data from ``seed + 1``, the model's
    initialisation and batch order from ``seed`` too. ``overrides`` replace recipe entries
    (e.g. ``num_epochs=1``). ``history.valid_metric`` holds ``score`` on ``valid`` after each
    epoch; compare it with ``valid.baseline``. ``device``, ``max_seconds``, ``progress``: as
    in ``train.fit``.
    """
    if name not in RECIPES:
        raise ValueError(f"name must be one of {sorted(RECIPES)}, got {name!r}")
    unknown = sorted(set(overrides) - set(RECIPES[name]))
    if unknown:
        raise ValueError(f"unknown recipe entries {unknown}; a recipe has {sorted(RECIPES[name])}")
    recipe = {**RECIPES[name], **overrides}
    make = TASKS[recipe["task"]]
    train = make(recipe["num_train"], seed=seed, **recipe["task_kwargs"])
    valid = make(recipe["num_valid"], seed=seed + 1, **recipe["task_kwargs"])
    seed_everything(seed)
    model = SequenceModel(
        train.num_inputs,
        recipe["num_hiddens"],
        train.num_outputs,
        cell=cell,
        per_step=train.Y.dim() == 2,
        chrono_init=None if cell == "rnn" else recipe["chrono_init"],
    )
    history = fit(
        model,
        train.loader(recipe["batch_size"], seed=seed),
        num_epochs=recipe["num_epochs"],
        loss_fn=task_loss,
        optimizer=torch.optim.Adam(model.parameters(), lr=recipe["lr"]),
        device=device,
        valid_loader=valid.loader(1000, shuffle=False),
        metric_fn=score,
        max_seconds=max_seconds,
        progress=progress,
    )
    return model, history, valid
