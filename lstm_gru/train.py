"""Training loop shared by every chapter: device-aware, clipped, timed, with a progress bar.

With ``lm_loss`` every batch starts from a zero state: independent windows, as the d2l
book's v1.0 language models train (their batches are shuffled windows of the text).
``CarriedStateLoss`` carries the state from one batch to the next, detached: truncated
backpropagation through time over ``lstm_gru.data.char_batches``' sequential batches, where
row b of batch k + 1 continues row b of batch k.
"""

import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn
from tqdm.auto import tqdm

from lstm_gru.checks import check_positive_int, check_tensor
from lstm_gru.device import model_device, try_gpu
from lstm_gru.i18n import tr


@dataclass
class History:
    """What ``fit`` recorded, one entry per epoch (the last one partial if time ran out).

    ``train_loss``: mean training loss of the epoch; ``valid_metric``: ``metric_fn``'s value
    after the epoch (empty without a validation loader); ``seconds``: wall-clock seconds since
    ``fit`` started, at the end of each epoch; ``num_updates``: optimizer steps taken;
    ``stopped_early``: True when ``max_seconds`` ran out before ``num_epochs``.
    One entry per optimizer step: ``step_loss`` (the batch's loss) and ``grad_norm`` (the
    global gradient norm before clipping).
    """

    train_loss: list[float] = field(default_factory=list)
    valid_metric: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    num_updates: int = 0
    stopped_early: bool = False
    step_loss: list[float] = field(default_factory=list)
    grad_norm: list[float] = field(default_factory=list)


def to_device(batch, device: torch.device):
    """Move every tensor in ``batch`` (a tensor or nested tuples/lists/dicts) to ``device``.

    To a CUDA GPU the copy is queued without waiting (``non_blocking``; from ordinary, unpinned
    CPU memory CUDA stages the data before returning, so this is safe): a plain ``.to`` would
    make the CPU wait until the GPU has finished all queued work, at every batch.
    """
    if isinstance(batch, torch.Tensor):
        return batch.to(device, non_blocking=torch.device(device).type == "cuda")
    if isinstance(batch, dict):
        return {key: to_device(value, device) for key, value in batch.items()}
    if isinstance(batch, (tuple, list)):
        return type(batch)(to_device(value, device) for value in batch)
    return batch


class RunningSum:
    """A sum of ``value * weight`` terms, read once: ``float(running_sum)``.

    ``add(value, weight=1.0)``: ``value`` a number or a scalar tensor without gradient (detach
    a loss first), ``weight`` a number or a scalar tensor on the same device. For ``device``
    the CPU, each term is read at once and summed as a Python float (reading a CPU tensor costs
    nothing). For a GPU, reading a tensor makes the CPU wait until the GPU has finished all
    queued work, which would stall training at every batch: there the terms are summed on the
    device in float64, the same double-precision products and sums in the same order, and read
    once, by ``float()``.
    """

    def __init__(self, device):
        self.on_cpu = torch.device(device).type == "cpu"
        self.total = 0.0  # a float, or a float64 tensor on the device once a tensor is added

    def add(self, value, weight=1.0) -> None:
        if not isinstance(value, torch.Tensor) or self.on_cpu:
            self.total += float(value) * float(weight)
        else:
            self.total = self.total + value.double() * weight

    def __float__(self) -> float:
        return float(self.total)


def _loss_and_weight(result):
    """``loss_fn``'s result -> (scalar loss, weight): a scalar, or a (loss, weight) pair.

    The weight is a number or a scalar tensor (e.g. a count of tokens, left on the device).
    """
    loss, weight = result if isinstance(result, tuple) else (result, 1.0)
    if not isinstance(loss, torch.Tensor) or loss.dim() != 0:
        got = tuple(loss.shape) if isinstance(loss, torch.Tensor) else type(loss).__name__
        raise ValueError(f"loss_fn must return a scalar tensor (or (loss, weight)), got {got}")
    if isinstance(weight, torch.Tensor) and weight.dim() != 0:
        raise ValueError(
            f"loss_fn's weight must be a number or a scalar tensor, got {tuple(weight.shape)}"
        )
    return loss, weight


def lm_loss(model: nn.Module, batch) -> tuple[torch.Tensor, int]:
    """Mean cross-entropy per token of a language model on ``batch = (X, Y)``.

    X, Y: (batch_size, num_steps) token ids; ``model(X)`` returns (logits (batch_size,
    num_steps, vocab_size), state). Returns (loss, number of tokens) so means are per token.
    """
    X, Y = batch
    logits, _ = model(X)  # (batch_size, num_steps, vocab_size)
    loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), Y.reshape(-1))
    return loss, Y.numel()


def detach_state(state):
    """A recurrent state (a tensor, or a tuple such as the LSTM's ``(h, c)``), detached.

    The values stay; the autograd graph that produced them is cut, so the next backward pass
    stops here instead of running back through every earlier batch.
    """
    if isinstance(state, tuple):
        return tuple(s.detach() for s in state)
    return state.detach()


class CarriedStateLoss:
    """``lm_loss`` for truncated backpropagation through time: the state carries over.

    Called as ``loss_fn(model, (X, Y))`` like ``lm_loss``, but each call starts the model from
    the state the previous call ended in, detached (``detach_state``): the forward pass sees
    all the text read so far, gradients flow back only through the current batch. Batches
    must be sequential (``char_batches``: row b of one batch continues row b of the last).
    ``reset()`` forgets the state; ``fit`` and ``evaluate`` call it at the start of every
    epoch or evaluation, so the first batch starts from zeros. ``.state`` is the carried state.
    (``__call__`` writes the loss out rather than sharing ``lm_loss``'s: chapter 05 prints it.)
    """

    def __init__(self):
        self.state = None

    def reset(self) -> None:
        """Forget the carried state: the next batch starts from zeros."""
        self.state = None

    def __call__(self, model: nn.Module, batch) -> tuple[torch.Tensor, int]:
        X, Y = batch  # each (batch_size, num_steps)
        logits, state = model(X, self.state)  # (batch_size, num_steps, vocab_size)
        self.state = detach_state(state)
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), Y.reshape(-1))
        return loss, Y.numel()


def _reset(loss_fn: Callable) -> None:
    """Call ``loss_fn.reset()`` when the loss keeps state (``CarriedStateLoss``)."""
    if hasattr(loss_fn, "reset"):
        loss_fn.reset()


def graph_size(tensor: torch.Tensor) -> int:
    """How many autograd nodes a backward pass from ``tensor`` would visit (0 if none).

    A loss over a window of T steps has a graph that grows with T; with a carried state that
    is not detached it grows with every batch read so far.
    """
    seen, stack = set(), [tensor.grad_fn]
    while stack:
        node = stack.pop()
        if node is None or node in seen:
            continue
        seen.add(node)
        stack.extend(next_node for next_node, _ in node.next_functions)
    return len(seen)


@torch.no_grad()
def evaluate(
    model: nn.Module, loader: Iterable, loss_fn: Callable, device: torch.device | None = None
) -> float:
    """Mean of ``loss_fn(model, batch)`` over ``loader`` in eval mode, without gradients.

    Batches are weighted by the weight ``loss_fn`` returns with the loss (e.g. the number of
    tokens), equally when it returns a scalar. ``device``: default the model's device.
    A stateful ``loss_fn`` (``CarriedStateLoss``) is reset first.
    """
    device = model_device(model) if device is None else torch.device(device)
    was_training = model.training
    model.eval()
    _reset(loss_fn)
    total, weight_sum = RunningSum(device), RunningSum(device)
    for batch in loader:
        loss, weight = _loss_and_weight(loss_fn(model, to_device(batch, device)))
        total.add(loss, weight)
        weight_sum.add(weight)
    model.train(was_training)
    if float(weight_sum) == 0:
        raise ValueError("loader yielded no batches to evaluate")
    return float(total) / float(weight_sum)


def perplexity(
    model: nn.Module,
    loader: Iterable,
    loss_fn: Callable = lm_loss,
    device: torch.device | None = None,
) -> float:
    """exp(mean cross-entropy per token) of a language model over ``loader``.

    A model that predicts the uniform distribution has perplexity ``vocab_size``.
    """
    return math.exp(evaluate(model, loader, loss_fn, device))


@torch.no_grad()
def context_curve(model: nn.Module, ids, targets, context_lengths, warmup=None) -> list[float]:
    """How much a language model gains from context: one perplexity per context length.

    For each k in ``context_lengths`` the tokens ``ids[targets]`` are predicted from only the
    k tokens before each one, read from a zero state (Khandelwal et al. 2018). The targets are
    the same for every k, so the perplexities differ only by the context. ``ids``: (num_tokens,)
    token ids; ``targets``: (num_targets,) positions, each >= max(context_lengths) and
    < num_tokens. ``warmup``: None, or (num_warmup,) token ids of other text, read first from a
    zero state: the k tokens are then read from the state it leaves (a state in mid-stream, as
    a model trained with its state carried knows it) instead of from zeros. ``model(tokens,
    state)`` returns (logits (batch, steps, vocab), state), the state's batch on dimension 1.
    """
    ids = torch.as_tensor(ids)
    targets = torch.as_tensor(targets)
    check_tensor(ids, "ids", ndim=1, floating=False)
    check_tensor(targets, "targets", ndim=1, floating=False)
    lengths = [check_positive_int(k, "context_lengths entry") for k in context_lengths]
    if not lengths:
        raise ValueError("context_lengths must not be empty")
    if len(targets) == 0 or int(targets.min()) < max(lengths) or int(targets.max()) >= len(ids):
        raise ValueError(
            f"targets must be positions in [max(context_lengths)={max(lengths)}, "
            f"len(ids)={len(ids)}), got {len(targets)} positions"
            + (f" in [{int(targets.min())}, {int(targets.max())}]" if len(targets) else "")
        )
    if warmup is not None:
        warmup = torch.as_tensor(warmup)
        check_tensor(warmup, "warmup", ndim=1, floating=False, nonempty_dim=0)
    device = model_device(model)
    was_training = model.training
    model.eval()
    state = None
    if warmup is not None:
        _, warm = model(warmup[None, :].to(device))  # one row; its state for every target
        state = (
            tuple(s.expand(-1, len(targets), -1) for s in warm)
            if isinstance(warm, tuple)
            else warm.expand(-1, len(targets), -1)
        )
    curve = []
    for k in lengths:
        windows = ids[targets[:, None] + torch.arange(-k, 1)[None, :]]  # (num_targets, k + 1)
        windows = windows.to(device)
        logits, _ = model(windows[:, :-1], state)  # (num_targets, k, vocab_size)
        loss = F.cross_entropy(logits[:, -1], windows[:, -1])  # the prediction after k tokens
        curve.append(math.exp(loss.item()))
    model.train(was_training)
    return curve


def _mean_loss_metric(loss_fn: Callable, device: torch.device) -> Callable:
    """The default ``metric_fn`` of ``fit``: the mean ``loss_fn`` over the validation loader."""
    return lambda model, loader: evaluate(model, loader, loss_fn, device)


def fit(
    model: nn.Module,
    train_loader: Iterable,
    *,
    num_epochs: int,
    loss_fn: Callable,
    optimizer: torch.optim.Optimizer,
    device: torch.device | None = None,
    clip_norm: float | None = 1.0,
    valid_loader: Iterable | None = None,
    metric_fn: Callable | None = None,
    max_seconds: float | None = None,
    progress: bool = True,
    scheduler=None,
) -> History:
    """Train ``model`` for ``num_epochs`` passes over ``train_loader``; return a ``History``.

    The model and every batch (tensors in nested tuples/lists/dicts) move to ``device``
    (default ``try_gpu()``). ``loss_fn(model, batch)`` returns a scalar mean loss, or
    ``(loss, weight)`` to weight the batch in the epoch mean (e.g. by its number of tokens).
    Gradients are clipped to global norm ``clip_norm`` (None: no clipping). After each epoch,
    with a ``valid_loader``, ``metric_fn(model, valid_loader)`` is recorded (in eval mode,
    without gradients; default: the mean ``loss_fn`` over it). ``max_seconds`` is checked after
    every batch: when it runs out, training stops and the partial epoch is recorded (on a GPU
    the check sees when a batch was queued; the GPU may still be a few batches behind).
    Losses are summed with ``RunningSum``, so on a GPU they are read once per epoch.
    ``scheduler`` (e.g. a ``torch.optim.lr_scheduler.LambdaLR``) is stepped after every
    optimizer step, so its schedule counts batches, not epochs.
    A stateful ``loss_fn`` (``CarriedStateLoss``) is reset at the start of every epoch.
    Every step's loss and gradient norm (before clipping) go to ``History.step_loss`` and
    ``History.grad_norm``, read once per epoch like the losses.
    The optimizer must hold the model's parameters (build it before calling ``fit``; moving
    the model keeps the same parameter objects). Deterministic on CPU for a fixed seed.
    """
    check_positive_int(num_epochs, "num_epochs")
    if clip_norm is not None and not clip_norm > 0:
        raise ValueError(f"clip_norm must be > 0 or None, got {clip_norm!r}")
    if max_seconds is not None and not max_seconds > 0:
        raise ValueError(f"max_seconds must be > 0 or None, got {max_seconds!r}")
    if metric_fn is not None and valid_loader is None:
        raise ValueError("metric_fn needs a valid_loader")
    device = try_gpu() if device is None else torch.device(device)
    model.to(device)
    if metric_fn is None:
        metric_fn = _mean_loss_metric(loss_fn, device)
    history = History()
    start = time.perf_counter()
    bar = tqdm(range(num_epochs), desc=tr("epochs"), disable=not progress)
    for _ in bar:
        model.train()
        total, weight_sum = RunningSum(device), RunningSum(device)  # read once per epoch
        step_losses, grad_norms = [], []  # scalar tensors, read once per epoch
        _reset(loss_fn)
        for batch in train_loader:
            loss, weight = _loss_and_weight(loss_fn(model, to_device(batch, device)))
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            max_norm = math.inf if clip_norm is None else clip_norm  # inf: measure, keep
            grad_norms.append(nn.utils.clip_grad_norm_(model.parameters(), max_norm))
            step_losses.append(loss.detach())
            optimizer.step()
            if scheduler is not None:
                scheduler.step()
            history.num_updates += 1
            total.add(loss.detach(), weight)
            weight_sum.add(weight)
            if max_seconds is not None and time.perf_counter() - start >= max_seconds:
                history.stopped_early = True
                break
        if float(weight_sum) == 0:
            raise ValueError("train_loader yielded no batches")
        history.step_loss.extend(torch.stack(step_losses).tolist())
        history.grad_norm.extend(torch.stack(grad_norms).tolist())
        history.train_loss.append(float(total) / float(weight_sum))
        if valid_loader is not None:
            model.eval()
            with torch.no_grad():
                history.valid_metric.append(float(metric_fn(model, valid_loader)))
            model.train()
        history.seconds.append(time.perf_counter() - start)
        postfix = {"loss": f"{history.train_loss[-1]:.4g}"}
        if history.valid_metric:
            postfix["valid"] = f"{history.valid_metric[-1]:.4g}"
        bar.set_postfix(postfix)
        if history.stopped_early:
            break
    bar.close()
    return history
