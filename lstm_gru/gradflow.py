"""How far back a gradient reaches: multiplicative, gated-additive and residual paths.

Backpropagation through a chain multiplies one Jacobian per step. What the step is decides
whether the product dies out:

* multiplicative, a vanilla RNN:   h_t = tanh(W h_{t-1} + x_t)         dh_t/dh_{t-1} = diag(tanh') W
* gated additive, the LSTM cell:   c_t = f_t * c_{t-1} + i_t * g_t     dc_t/dc_{t-1} = diag(f_t)
* residual (He et al. 2016):       h_t = h_{t-1} + F(h_{t-1}, x_t)     dh_t/dh_{t-1} = I + dF/dh

The LSTM's additive cell update (a gate times the old state, plus new content) is the ancestor of
highway networks (Srivastava et al. 2015: y = T * H(x) + (1 - T) * x) and of residual connections
(the gate fixed open). :func:`path_gradients` measures the three toy chains;
:func:`gradient_vs_distance` measures whole nn.RNN / nn.LSTM / nn.GRU layers. Both return plain
tensors indexed by the distance k, computed in float64 from a seed, so a figure can plot them and
a test can pin them.
"""

import torch
from torch import nn

from lstm_gru.cells import RNN_CLASSES
from lstm_gru.checks import check_positive_int
from lstm_gru.models import make_rnn

PATHS = ("tanh", "cell", "residual")


def path_gradients(
    kind: str,
    num_steps: int,
    *,
    num_hiddens: int = 32,
    seed: int = 0,
    weight_scale: float = 1.0,
    forget_bias: float = 3.0,
    residual_scale: float = 0.1,
) -> torch.Tensor:
    """Norm of the gradient that reaches step T - k from the last state h_T, for k = 0..T.

    kind: "tanh" (h_t = tanh(W h_{t-1} + x_t), W ~ weight_scale * N(0, 1/num_hiddens)),
    "cell" (c_t = f_t * c_{t-1} + i_t * g_t with f_t = sigmoid(x_t + forget_bias),
    i_t = sigmoid(x'_t), g_t = tanh(x''_t): gates from the inputs only, so the path is diag(f_t)),
    or "residual" (h_t = h_{t-1} + residual_scale * tanh(W h_{t-1} + x_t)). Inputs x_t ~ N(0, 1).
    Returns g: (num_steps + 1,) float64 with g[k] = ||d(u . h_T) / dh_{T-k}||, u a random unit
    vector, so g[0] = 1.
    """
    if kind not in PATHS:
        raise ValueError(f"kind must be one of {PATHS}, got {kind!r}")
    check_positive_int(num_steps, "num_steps")
    check_positive_int(num_hiddens, "num_hiddens")
    gen = torch.Generator().manual_seed(seed)
    opts = {"generator": gen, "dtype": torch.float64}
    W = weight_scale * torch.randn(num_hiddens, num_hiddens, **opts) / num_hiddens**0.5
    X = torch.randn(num_steps, 3, num_hiddens, **opts)  # (num_steps, 3 input streams, hidden)
    u = torch.randn(num_hiddens, **opts)
    u = u / u.norm()
    h = torch.zeros(num_hiddens, dtype=torch.float64, requires_grad=True)  # h_0
    states = [h]
    for x in X:  # x: (3, num_hiddens)
        if kind == "tanh":
            h = torch.tanh(W @ h + x[0])
        elif kind == "cell":
            f, i = torch.sigmoid(x[0] + forget_bias), torch.sigmoid(x[1])
            h = f * h + i * torch.tanh(x[2])
        else:
            h = h + residual_scale * torch.tanh(W @ h + x[0])
        states.append(h)  # h_1 .. h_T
    grads = torch.autograd.grad(u @ h, states)  # d(u . h_T)/dh_t for t = 0..T
    return torch.stack([gr.norm() for gr in reversed(grads)])  # index k = T - t


def _build(kind: str, num_inputs: int, num_hiddens: int, seed: int, forget_bias):
    """A seeded nn.RNN/nn.LSTM/nn.GRU in float64, without touching the global random state."""
    if forget_bias is not None and kind != "lstm":
        raise ValueError(f"forget_bias applies to kind='lstm' only, got kind={kind!r}")
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return make_rnn(kind, num_inputs, num_hiddens, forget_bias=forget_bias).double()


def gradient_vs_distance(
    module_or_kind,
    num_steps: int,
    *,
    num_inputs: int = 8,
    num_hiddens: int = 64,
    batch_size: int = 16,
    seed: int = 0,
    forget_bias: float | None = None,
) -> torch.Tensor:
    """How strongly the last output depends on the input k steps back: ||dL/dx_{T-k}||.

    module_or_kind: "rnn", "lstm" or "gru" (a fresh PyTorch module with its default
    initialisation, seeded with ``seed``, in float64; ``forget_bias`` sets an LSTM's forget-gate
    bias, Jozefowicz et al. 2015 recommend 1), or a time-major recurrent module returning
    (outputs, state), whose ``input_size`` / ``num_inputs`` and parameters set the input size,
    dtype and device.
    Inputs X ~ N(0, 1): (num_steps, batch_size, num_inputs), seeded; L = sum of the last output
    (batch_size, num_hiddens). Returns g: (num_steps,) float, g[k] = mean over the batch of
    ||dL/dx_{T-1-k}||, so g[0] is the newest input and g[-1] the oldest.
    """
    check_positive_int(num_steps, "num_steps")
    check_positive_int(num_inputs, "num_inputs")
    check_positive_int(batch_size, "batch_size")
    if isinstance(module_or_kind, str):
        if module_or_kind not in RNN_CLASSES:
            raise ValueError(
                f"module_or_kind must be one of {sorted(RNN_CLASSES)} or an nn.Module, "
                f"got {module_or_kind!r}"
            )
        check_positive_int(num_hiddens, "num_hiddens")
        module = _build(module_or_kind, num_inputs, num_hiddens, seed, forget_bias)
    elif isinstance(module_or_kind, nn.Module):
        if forget_bias is not None:
            raise ValueError("forget_bias applies only when module_or_kind is 'lstm'")
        module = module_or_kind
        if getattr(module, "batch_first", False):
            raise ValueError("the module must be time-major (batch_first=False)")
        size = getattr(module, "input_size", getattr(module, "num_inputs", None))
        if not isinstance(size, int):
            raise ValueError(
                "the module must say its input size in .input_size (nn.RNN/nn.LSTM/nn.GRU) "
                "or .num_inputs (the scratch cells)"
            )
        num_inputs = size
    else:
        raise TypeError(
            f"module_or_kind must be a str or an nn.Module, got {type(module_or_kind).__name__}"
        )
    param = next(module.parameters())
    gen = torch.Generator().manual_seed(seed + 1)
    X = torch.randn(num_steps, batch_size, num_inputs, generator=gen, dtype=torch.float64)
    X = X.to(device=param.device, dtype=param.dtype).requires_grad_()
    outputs = module(X)
    outputs = outputs[0] if isinstance(outputs, tuple) else outputs  # (num_steps, batch, hidden)
    (grad,) = torch.autograd.grad(outputs[-1].sum(), X)  # (num_steps, batch_size, num_inputs)
    norms = grad.norm(dim=2).mean(dim=1)  # (num_steps,)
    return norms.flip(0).detach().cpu()


__all__ = ["PATHS", "gradient_vs_distance", "path_gradients"]
