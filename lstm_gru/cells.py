"""Recurrent cells written out step by step: a vanilla RNN, the LSTM and the GRU.

Each cell keeps its parameters in exactly PyTorch's layout, so a trained ``nn.LSTM``,
``nn.GRU`` or ``nn.RNN`` can be copied in (``from_torch``) and its gates inspected
(``trace_gates``): train with the fast fused module, look inside with the readable one.

Shapes follow ``nn.LSTM`` (time-major):

- ``X``: (num_steps, batch_size, num_inputs)
- ``outputs``: (num_steps, batch_size, num_hiddens), the hidden state at every step
- state: a tensor (1, batch_size, num_hiddens); for the LSTM the tuple ``(h, c)`` of two

Parameters (G gates stacked in PyTorch's order; G = 1 for the RNN, 4 for the LSTM (i, f, g, o),
3 for the GRU (r, z, n)):

- ``weight_ih``: (G * num_hiddens, num_inputs), ``weight_hh``: (G * num_hiddens, num_hiddens)
- ``bias_ih``, ``bias_hh``: (G * num_hiddens,)

PyTorch stores W with one row per output unit, so the book's ``X_t W_xi`` is ``X_t @ W_ii.T``.
Every cell computes the input part of all gates for all time steps in ONE matrix product before
the loop (the input does not depend on the state), then one product with ``weight_hh`` per step.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from lstm_gru.checks import check_like, check_positive_int, check_shape, check_tensor

__all__ = [
    "RNN_CLASSES",
    "SCRATCH_CLASSES",
    "GRUScratch",
    "GateTrace",
    "LSTMScratch",
    "RNNScratch",
    "trace_gates",
]

# The cell kinds and PyTorch's fused module for each: the one registry the package builds from.
RNN_CLASSES: dict[str, type[nn.RNNBase]] = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}


@dataclass
class GateTrace:
    """Every gate's value at every time step of one run of a cell, detached from autograd.

    ``gates``: {name: tensor (num_steps, batch_size, num_hiddens)}, in the order of ``names``.
    LSTM names: input, forget, output, candidate, cell, hidden. GRU: reset, update, candidate,
    hidden. RNN: hidden. ``kind``: "rnn", "lstm" or "gru". ``tokens``: optional labels, one per
    time step (for axis ticks). ``trace["forget"]`` is ``trace.gates["forget"]``.
    """

    gates: dict[str, torch.Tensor]
    kind: str
    tokens: list[str] | None = None

    def __post_init__(self):
        if self.kind not in GATE_NAMES:
            raise ValueError(f"kind must be one of {sorted(GATE_NAMES)}, got {self.kind!r}")
        if list(self.gates) != list(GATE_NAMES[self.kind]):
            raise ValueError(
                f"gates of a {self.kind} trace must be {list(GATE_NAMES[self.kind])}, "
                f"got {list(self.gates)}"
            )
        shapes = {tuple(v.shape) for v in self.gates.values()}
        if len(shapes) != 1 or len(next(iter(shapes))) != 3:
            raise ValueError(
                f"gates must all have one shape (num_steps, batch_size, num_hiddens), got {shapes}"
            )
        self.tokens = _check_tokens(self.tokens, self.num_steps)

    @property
    def names(self) -> list[str]:
        """Gate names in order, e.g. ``["reset", "update", "candidate", "hidden"]``."""
        return list(self.gates)

    @property
    def num_steps(self) -> int:
        """Number of time steps traced."""
        return next(iter(self.gates.values())).shape[0]

    def __getitem__(self, name: str) -> torch.Tensor:
        if name not in self.gates:
            raise KeyError(f"no gate {name!r} in a {self.kind} trace; the gates are {self.names}")
        return self.gates[name]

    def cpu(self) -> GateTrace:
        """The same trace with every tensor on the CPU (for plotting)."""
        return GateTrace({k: v.cpu() for k, v in self.gates.items()}, self.kind, self.tokens)


GATE_NAMES = {
    "rnn": ("hidden",),
    "lstm": ("input", "forget", "output", "candidate", "cell", "hidden"),
    "gru": ("reset", "update", "candidate", "hidden"),
}


def _check_tokens(tokens, num_steps: int) -> list[str] | None:
    """``tokens`` as a list of ``num_steps`` strings (a string is split into characters)."""
    if tokens is None:
        return None
    if not isinstance(tokens, (str, list, tuple)):
        raise TypeError(f"tokens must be a list of strings or a str, got {type(tokens).__name__}")
    tokens = [str(t) for t in tokens]
    if len(tokens) != num_steps:
        raise ValueError(
            f"tokens must have one entry per time step (num_steps={num_steps}), "
            f"got {len(tokens)} entries"
        )
    return tokens


class _ScratchCell(nn.Module):
    """What the three cells share: parameters in PyTorch's layout, input checks, ``from_torch``."""

    kind = ""  # "rnn", "lstm" or "gru"
    num_gates = 1  # G: how many blocks of num_hiddens rows the weights stack
    torch_class: type[nn.RNNBase] = nn.RNNBase  # the fused module with the same parameters

    def __init__(self, num_inputs: int, num_hiddens: int):
        super().__init__()
        self.num_inputs = check_positive_int(num_inputs, "num_inputs")
        self.num_hiddens = check_positive_int(num_hiddens, "num_hiddens")
        rows = self.num_gates * num_hiddens
        # Same names, shapes and creation order as nn.LSTM's layer 0, so the same seed gives
        # the same initial weights.
        self.weight_ih = nn.Parameter(torch.empty(rows, num_inputs))
        self.weight_hh = nn.Parameter(torch.empty(rows, num_hiddens))
        self.bias_ih = nn.Parameter(torch.empty(rows))
        self.bias_hh = nn.Parameter(torch.empty(rows))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """PyTorch's initialisation: every parameter uniform in (-1/sqrt(H), 1/sqrt(H))."""
        bound = 1 / math.sqrt(self.num_hiddens)
        for param in self.parameters():
            nn.init.uniform_(param, -bound, bound)

    def extra_repr(self) -> str:
        return f"{self.num_inputs}, {self.num_hiddens}"

    @classmethod
    def from_torch(cls, module: nn.RNNBase, layer: int = 0, reverse: bool = False):
        """A scratch cell holding the weights of layer ``layer`` of a fused ``module``.

        The copy is plain: PyTorch's layout is this cell's layout. Of a bidirectional module
        the forward direction is copied, or with ``reverse=True`` the backward one (PyTorch's
        ``..._reverse`` weights; the cell itself still reads ``X`` in the order given, see
        ``lstm_gru.bidirectional``). LSTMs with ``proj_size`` are rejected. A ``batch_first``
        module is accepted (its weights are the same), but the scratch cell is always
        time-major: transpose ``X``, or use :func:`trace_gates`, which does. The cell lands on
        the module's device and dtype.
        """
        _check_fused(module, cls.torch_class, layer, bidirectional_ok=True)
        if reverse and not module.bidirectional:
            raise ValueError("reverse=True needs a bidirectional module")
        directions = 2 if module.bidirectional else 1
        num_inputs = module.input_size if layer == 0 else directions * module.hidden_size
        suffix = f"_l{layer}" + ("_reverse" if reverse else "")
        weight = getattr(module, f"weight_ih{suffix}")
        cell = cls(num_inputs, module.hidden_size).to(device=weight.device, dtype=weight.dtype)
        with torch.no_grad():
            for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
                source = getattr(module, f"{name}{suffix}", None)  # None: built with bias=False
                if source is None:
                    getattr(cell, name).zero_()
                else:
                    getattr(cell, name).copy_(source)
        return cell

    def _check_input(self, X) -> torch.Tensor:
        """``X`` must be a float tensor (num_steps >= 1, batch_size, num_inputs) like the weights."""
        check_tensor(X, "X", ndim=3, floating=True, nonempty_dim=0)
        if X.shape[2] != self.num_inputs:
            raise ValueError(
                f"X must have shape (num_steps, batch_size, num_inputs={self.num_inputs}), "
                f"got shape {tuple(X.shape)}"
            )
        check_like(X, "X", self.weight_ih, "the cell")
        return X

    def _check_hidden(self, state, batch_size: int, name: str = "state") -> torch.Tensor:
        """A state tensor (1, batch_size, num_hiddens) (zeros if None) -> (batch_size, num_hiddens)."""
        if state is None:
            return self.weight_hh.new_zeros(batch_size, self.num_hiddens)
        if isinstance(state, (tuple, list)):
            raise TypeError(
                f"{name} of a {type(self).__name__} must be one tensor "
                f"(1, batch_size, num_hiddens); got a {type(state).__name__} "
                f"(only the LSTM's state is a tuple (h, c))"
            )
        check_shape(state, name, (1, batch_size, self.num_hiddens))
        check_like(state, name, self.weight_hh, "the cell")
        return state[0]

    def _trace(self, steps: list[tuple[torch.Tensor, ...]]) -> GateTrace:
        """Stack the per-step gate tuples recorded in the loop into a detached GateTrace."""
        names = GATE_NAMES[self.kind]
        gates = {name: torch.stack([s[k] for s in steps]).detach() for k, name in enumerate(names)}
        return GateTrace(gates, self.kind)  # each (num_steps, batch_size, num_hiddens)


def _check_fused(module, torch_class: type, layer, bidirectional_ok: bool = False) -> None:
    """``module`` must be a ``torch_class`` with a layer ``layer`` (one direction unless
    ``bidirectional_ok``)."""
    if not isinstance(module, torch_class):
        raise TypeError(f"module must be an nn.{torch_class.__name__}, got {type(module).__name__}")
    if module.bidirectional and not bidirectional_ok:
        raise ValueError(
            "module must not be bidirectional (a scratch cell runs one direction; "
            "lstm_gru.bidirectional.BidirectionalScratch runs both)"
        )
    if getattr(module, "proj_size", 0):
        raise ValueError(f"module must have proj_size=0, got proj_size={module.proj_size}")
    if isinstance(module, nn.RNN) and module.nonlinearity != "tanh":
        raise ValueError(f"module must use nonlinearity='tanh', got {module.nonlinearity!r}")
    check_positive_int(layer, "layer", minimum=0)
    if layer >= module.num_layers:
        raise ValueError(
            f"layer must be < num_layers={module.num_layers} of the module, got layer={layer}"
        )


class RNNScratch(_ScratchCell):
    """The vanilla (Elman) RNN with tanh, step by step; same parameters as ``nn.RNN``.

    H_t = tanh(X_t W_ih^T + b_ih + H_{t-1} W_hh^T + b_hh)
    """

    kind = "rnn"
    num_gates = 1
    torch_class = RNN_CLASSES["rnn"]

    def forward(self, X, state=None, return_gates=False):
        """X (num_steps, batch_size, num_inputs), state (1, batch_size, num_hiddens) or None.

        Returns ``(outputs, state)``: outputs (num_steps, batch_size, num_hiddens), state
        (1, batch_size, num_hiddens); with ``return_gates=True`` also a GateTrace ("hidden").
        """
        X = self._check_input(X)
        H = self._check_hidden(state, X.shape[1])  # (batch_size, num_hiddens)
        # The input part for every time step at once: (num_steps, batch_size, num_hiddens)
        XW = X @ self.weight_ih.T + (self.bias_ih + self.bias_hh)
        W_hh_T = self.weight_hh.T  # (num_hiddens, num_hiddens)
        outputs = []
        for xw in XW:  # xw: (batch_size, num_hiddens)
            H = torch.tanh(torch.addmm(xw, H, W_hh_T))  # addmm(a, b, c) = a + b @ c
            outputs.append(H)
        outputs = torch.stack(outputs)  # (num_steps, batch_size, num_hiddens)
        state = H.unsqueeze(0)  # (1, batch_size, num_hiddens)
        if return_gates:
            return outputs, state, GateTrace({"hidden": outputs.detach()}, self.kind)
        return outputs, state


class LSTMScratch(_ScratchCell):
    """Long short-term memory (长短期记忆网络), step by step; same parameters as ``nn.LSTM``.

    With W_i* the rows of ``weight_ih`` for a gate and W_h* those of ``weight_hh``::

        I_t = sigmoid(X_t W_ii^T + b_ii + H_{t-1} W_hi^T + b_hi)     input gate  (输入门)
        F_t = sigmoid(X_t W_if^T + b_if + H_{t-1} W_hf^T + b_hf)     forget gate (遗忘门)
        C~_t = tanh(X_t W_ig^T + b_ig + H_{t-1} W_hg^T + b_hg)       candidate memory
        O_t = sigmoid(X_t W_io^T + b_io + H_{t-1} W_ho^T + b_ho)     output gate (输出门)
        C_t = F_t * C_{t-1} + I_t * C~_t                             memory cell (记忆元)
        H_t = O_t * tanh(C_t)                                        hidden state (隐状态)

    Only H is the output; the memory cell C stays inside (it is returned only in the state).
    """

    kind = "lstm"
    num_gates = 4
    torch_class = RNN_CLASSES["lstm"]

    def forward(self, X, state=None, return_gates=False):
        """X (num_steps, batch_size, num_inputs); state ``(h, c)``, each (1, batch_size,
        num_hiddens), or None for zeros.

        Returns ``(outputs, (h, c))``: outputs (num_steps, batch_size, num_hiddens) are the
        hidden states H_t; with ``return_gates=True`` also a GateTrace.
        """
        X = self._check_input(X)
        H, C = self._check_state(state, X.shape[1])  # each (batch_size, num_hiddens)
        # The input part of all four gates for every time step in one matrix product, both
        # biases included: (num_steps, batch_size, 4 * num_hiddens)
        XW = X @ self.weight_ih.T + (self.bias_ih + self.bias_hh)
        W_hh_T = self.weight_hh.T  # (num_hiddens, 4 * num_hiddens)
        outputs, steps = [], []
        for xw in XW:  # xw: (batch_size, 4 * num_hiddens)
            gates = torch.addmm(xw, H, W_hh_T)  # xw + H @ W_hh_T: (batch_size, 4 * num_hiddens)
            i, f, g, o = gates.chunk(4, dim=1)  # each (batch_size, num_hiddens)
            I, F, O = torch.sigmoid(i), torch.sigmoid(f), torch.sigmoid(o)  # noqa: E741 (the equations)
            C_tilde = torch.tanh(g)
            C = F * C + I * C_tilde
            H = O * torch.tanh(C)
            outputs.append(H)
            if return_gates:
                steps.append((I, F, O, C_tilde, C, H))
        outputs = torch.stack(outputs)  # (num_steps, batch_size, num_hiddens)
        state = (H.unsqueeze(0), C.unsqueeze(0))  # each (1, batch_size, num_hiddens)
        if return_gates:
            return outputs, state, self._trace(steps)
        return outputs, state

    def _check_state(self, state, batch_size: int) -> tuple[torch.Tensor, torch.Tensor]:
        """``(h, c)``, each (1, batch_size, num_hiddens), or None -> two (batch_size, num_hiddens)."""
        if state is None:
            zeros = self.weight_hh.new_zeros(batch_size, self.num_hiddens)
            return zeros, zeros
        if not isinstance(state, (tuple, list)) or len(state) != 2:
            got = type(state).__name__
            if isinstance(state, (tuple, list)):
                got = f"a {got} of {len(state)}"
            raise TypeError(
                f"state of an LSTMScratch must be a tuple (h, c) of two tensors "
                f"(1, batch_size, num_hiddens), got {got}"
            )
        h = self._check_hidden(state[0], batch_size, "state h")
        c = self._check_hidden(state[1], batch_size, "state c")
        return h, c


class GRUScratch(_ScratchCell):
    """Gated recurrent unit (门控循环单元), step by step; same parameters as ``nn.GRU``.

    ``reset_after=True`` (default) is PyTorch's and cuDNN's GRU: the reset gate multiplies
    the recurrent product *after* the matrix product::

        R_t = sigmoid(X_t W_ir^T + b_ir + H_{t-1} W_hr^T + b_hr)         reset gate  (重置门)
        Z_t = sigmoid(X_t W_iz^T + b_iz + H_{t-1} W_hz^T + b_hz)         update gate (更新门)
        H~_t = tanh(X_t W_in^T + b_in + R_t * (H_{t-1} W_hn^T + b_hn))   candidate state
        H_t = Z_t * H_{t-1} + (1 - Z_t) * H~_t

    ``reset_after=False`` is Cho et al. (2014) and the d2l book's form: the reset gate
    multiplies the state *before* the product, ``H~_t = tanh(X_t W_in^T + b_in +
    (R_t * H_{t-1}) W_hn^T + b_hn)``. The two are different models (a d2l-zh port mixed them
    up); only ``reset_after=True`` can load ``nn.GRU`` weights with ``from_torch``.
    """

    kind = "gru"
    num_gates = 3
    torch_class = RNN_CLASSES["gru"]

    def __init__(self, num_inputs: int, num_hiddens: int, reset_after: bool = True):
        super().__init__(num_inputs, num_hiddens)
        if not isinstance(reset_after, bool):
            raise TypeError(f"reset_after must be a bool, got {type(reset_after).__name__}")
        self.reset_after = reset_after

    def extra_repr(self) -> str:
        return f"{super().extra_repr()}, reset_after={self.reset_after}"

    def forward(self, X, state=None, return_gates=False):
        """X (num_steps, batch_size, num_inputs), state (1, batch_size, num_hiddens) or None.

        Returns ``(outputs, state)``: outputs (num_steps, batch_size, num_hiddens), state
        (1, batch_size, num_hiddens); with ``return_gates=True`` also a GateTrace.
        """
        X = self._check_input(X)
        H = self._check_hidden(state, X.shape[1])  # (batch_size, num_hiddens)
        # The input part of all three gates for every step: (num_steps, batch_size, 3 * hiddens)
        XW = X @ self.weight_ih.T + self.bias_ih
        h2 = 2 * self.num_hiddens  # rows [0, h2) are r and z, rows [h2, 3h) are n
        outputs, steps = [], []
        for xw in XW:  # xw: (batch_size, 3 * num_hiddens)
            if self.reset_after:
                # One product for all three gates: (batch_size, 3 * num_hiddens)
                HW = torch.addmm(self.bias_hh, H, self.weight_hh.T)
                R, Z = torch.sigmoid(xw[:, :h2] + HW[:, :h2]).chunk(2, dim=1)
                H_tilde = torch.tanh(xw[:, h2:] + R * HW[:, h2:])
            else:
                HW = torch.addmm(self.bias_hh[:h2], H, self.weight_hh[:h2].T)  # r and z only
                R, Z = torch.sigmoid(xw[:, :h2] + HW).chunk(2, dim=1)
                H_tilde = torch.tanh(
                    xw[:, h2:] + torch.addmm(self.bias_hh[h2:], R * H, self.weight_hh[h2:].T)
                )
            H = Z * H + (1 - Z) * H_tilde  # Z near 1 keeps the old state, near 0 takes H~
            outputs.append(H)
            if return_gates:
                steps.append((R, Z, H_tilde, H))
        outputs = torch.stack(outputs)  # (num_steps, batch_size, num_hiddens)
        state = H.unsqueeze(0)  # (1, batch_size, num_hiddens)
        if return_gates:
            return outputs, state, self._trace(steps)
        return outputs, state


# The scratch cell of each kind, with the same parameters as RNN_CLASSES[kind].
SCRATCH_CLASSES = {cell.kind: cell for cell in (RNNScratch, LSTMScratch, GRUScratch)}


def trace_gates(module, X, state=None, tokens=None, layer: int = 0) -> GateTrace:
    """Run ``module`` on ``X`` without gradients and record every gate at every step.

    ``module``: a scratch cell, or an ``nn.LSTM`` / ``nn.GRU`` / ``nn.RNN`` (tanh), whose
    layer ``layer`` is copied into a scratch cell with ``from_torch``. For ``layer > 0`` the
    layers below are run first (as scratch cells with the module's weights, as in eval mode:
    no dropout between layers) to get that layer's input. ``X``: (num_steps, batch_size,
    num_inputs), or batch-first if the module is ``batch_first``. ``state``: the module's own
    initial state (for a fused module (num_layers, batch_size, num_hiddens), a tuple of two
    for the LSTM), or None for zeros. ``tokens``: optional labels, one per time step (a str is
    split into characters). Returns a GateTrace whose gates are (num_steps, batch_size,
    num_hiddens), always time-major.
    """
    cell_class = next(
        (c for c in SCRATCH_CLASSES.values() if isinstance(module, c.torch_class)), None
    )
    if isinstance(module, _ScratchCell):
        if layer != 0:
            raise ValueError(f"layer must be 0 for a scratch cell (it has one layer), got {layer}")
        with torch.no_grad():
            _, _, trace = module(X, state, return_gates=True)
    elif cell_class is not None:
        _check_fused(module, cell_class.torch_class, layer)
        cells = [cell_class.from_torch(module, k) for k in range(layer + 1)]
        check_tensor(X, "X", ndim=3)
        if module.batch_first:
            X = X.transpose(0, 1)  # (batch_size, num_steps, ...) -> (num_steps, batch_size, ...)
        states = _split_layers(state, module, X.shape[1])
        with torch.no_grad():
            for cell, layer_state in zip(cells[:-1], states, strict=False):
                X, _ = cell(X, layer_state)  # the next layer's input
            _, _, trace = cells[-1](X, states[layer], return_gates=True)
    else:
        raise TypeError(
            f"module must be an nn.LSTM, nn.GRU, nn.RNN or a scratch cell, got "
            f"{type(module).__name__} (for a whole model pass its recurrent layer, e.g. model.rnn)"
        )
    trace.tokens = _check_tokens(tokens, trace.num_steps)
    return trace


def _split_layers(state, module: nn.RNNBase, batch_size: int) -> list:
    """A fused module's state (num_layers, batch_size, num_hiddens) -> one state per layer."""
    shape = (module.num_layers, batch_size, module.hidden_size)
    if state is None:
        return [None] * module.num_layers
    if isinstance(module, nn.LSTM):
        if not isinstance(state, (tuple, list)) or len(state) != 2:
            raise TypeError(
                f"state of an nn.LSTM must be a tuple (h, c) of two tensors {shape}, "
                f"got {type(state).__name__}"
            )
        h, c = check_shape(state[0], "state h", shape), check_shape(state[1], "state c", shape)
        return [(h[k : k + 1], c[k : k + 1]) for k in range(module.num_layers)]
    if isinstance(state, (tuple, list)):
        raise TypeError(
            f"state of an nn.{type(module).__name__} must be one tensor {shape}, "
            f"got a {type(state).__name__} (only the LSTM's state is a tuple (h, c))"
        )
    check_shape(state, "state", shape)
    return [state[k : k + 1] for k in range(module.num_layers)]
