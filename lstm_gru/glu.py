"""Gated feed-forward layers (Shazeer 2020, "GLU Variants Improve Transformer").

Where gating went after the GRU: the Transformer's position-wise feed-forward layer. The original
layer (Vaswani et al. 2017) has *no* gate,

    FFN(x) = relu(x W1) W2,

while the GLU family multiplies two projections of the same input elementwise, one of them
passed through an activation, the way a GRU's update gate multiplies its candidate:

    FFN_GLU(x) = (act(x W) * (x V)) W2,   act = sigmoid (GLU), relu (ReGLU), gelu (GEGLU),
                                          swish (SwiGLU, x * sigmoid(x)), none (bilinear).

The gate here depends on the current position only; nothing is carried across time. A GLU layer
has three d_model x d_ff matrices instead of two, so Shazeer shrinks d_ff to 2/3 to compare at
equal parameters (d_ff = 3072 -> 2048 for d_model = 768). Biases are off by default, as in the
paper; ``bias=True`` adds them.
"""

import torch
import torch.nn.functional as F
from torch import nn

from lstm_gru.checks import check_positive_int, check_tensor

ACTIVATIONS = {
    "sigmoid": torch.sigmoid,  # GLU (Dauphin et al. 2017)
    "relu": F.relu,  # ReGLU
    "gelu": F.gelu,  # GEGLU
    "swish": F.silu,  # SwiGLU: swish_1(x) = x * sigmoid(x)
    "bilinear": lambda x: x,  # no activation
}


def _check_input(x, d_model: int) -> torch.Tensor:
    """x: (..., d_model) float with 1 to 3 dimensions."""
    return check_tensor(x, "x", ndim=(1, 2, 3), floating=True, sizes={-1: d_model})


class FeedForward(nn.Module):
    """The plain Transformer feed-forward layer, no gate: relu(x W1) W2.

    x: (..., d_model) -> (..., d_model); parameters 2 * d_model * d_ff (without biases).
    """

    def __init__(self, d_model: int, d_ff: int, bias: bool = False):
        super().__init__()
        self.d_model = check_positive_int(d_model, "d_model")
        self.d_ff = check_positive_int(d_ff, "d_ff")
        self.W1 = nn.Linear(d_model, d_ff, bias=bias)
        self.W2 = nn.Linear(d_ff, d_model, bias=bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (..., d_model) -> (..., d_model)."""
        _check_input(x, self.d_model)
        return self.W2(F.relu(self.W1(x)))  # (..., d_ff) -> (..., d_model)


class GLUFeedForward(nn.Module):
    """A GLU-family feed-forward layer: (act(x W) * (x V)) W2.

    activation: "swish" (SwiGLU, the default, as in PaLM and LLaMA), "gelu" (GEGLU),
    "sigmoid" (GLU), "relu" (ReGLU) or "bilinear" (no activation).
    x: (..., d_model) -> (..., d_model); parameters 3 * d_model * d_ff (without biases).
    ``forward(x, return_gate=True)`` also returns the gate act(x W): (..., d_ff).
    """

    def __init__(self, d_model: int, d_ff: int, activation: str = "swish", bias: bool = False):
        super().__init__()
        self.d_model = check_positive_int(d_model, "d_model")
        self.d_ff = check_positive_int(d_ff, "d_ff")
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, got {activation!r}")
        self.activation = activation
        self.W = nn.Linear(d_model, d_ff, bias=bias)  # the gate's projection
        self.V = nn.Linear(d_model, d_ff, bias=bias)  # the gated value's projection
        self.W2 = nn.Linear(d_ff, d_model, bias=bias)

    def forward(self, x: torch.Tensor, return_gate: bool = False):
        """x: (..., d_model) -> y: (..., d_model), or (y, gate (..., d_ff)) with return_gate."""
        _check_input(x, self.d_model)
        gate = ACTIVATIONS[self.activation](self.W(x))  # (..., d_ff)
        y = self.W2(gate * self.V(x))  # (..., d_ff) -> (..., d_model)
        return (y, gate.detach()) if return_gate else y


def glu_d_ff(d_ff: int) -> int:
    """The GLU hidden size with the parameters of a plain FFN of size d_ff: round(2 * d_ff / 3)."""
    check_positive_int(d_ff, "d_ff")
    return max(1, round(2 * d_ff / 3))


__all__ = ["ACTIVATIONS", "FeedForward", "GLUFeedForward", "glu_d_ff"]
