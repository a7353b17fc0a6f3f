"""A bidirectional recurrent layer written out: two scratch cells, one reading backwards.

    H→_t = cell→(X_t, H→_{t-1})          left to right, t = 1 .. T
    H←_t = cell←(X_t, H←_{t+1})          right to left, t = T .. 1
    H_t  = [H→_t ; H←_t]                 (num_hiddens from each direction, concatenated)

So the output at step t has read the whole sequence: the past through H→ and the future
through H←. This is ``nn.LSTM(bidirectional=True)`` (and ``nn.GRU``, ``nn.RNN``) for one
layer, with the same parameters: ``BidirectionalScratch.from_torch`` copies them.
"""

from __future__ import annotations

import torch
from torch import nn

from lstm_gru.cells import SCRATCH_CLASSES, _ScratchCell

__all__ = ["BidirectionalScratch"]


class BidirectionalScratch(nn.Module):
    """Two scratch cells of one kind: ``forward_cell`` reads X in order, ``backward_cell``
    reads it reversed. Outputs (num_steps, batch_size, 2 * num_hiddens), as ``nn.LSTM``'s."""

    def __init__(self, forward_cell: _ScratchCell, backward_cell: _ScratchCell):
        super().__init__()
        for name, cell in (("forward_cell", forward_cell), ("backward_cell", backward_cell)):
            if not isinstance(cell, _ScratchCell):
                raise TypeError(
                    f"{name} must be an LSTMScratch, GRUScratch or RNNScratch, "
                    f"got {type(cell).__name__}"
                )
        if type(forward_cell) is not type(backward_cell) or (
            forward_cell.num_inputs,
            forward_cell.num_hiddens,
        ) != (backward_cell.num_inputs, backward_cell.num_hiddens):
            raise ValueError(
                f"forward_cell and backward_cell must be the same kind and size, got "
                f"{forward_cell} and {backward_cell}"
            )
        self.forward_cell = forward_cell
        self.backward_cell = backward_cell

    @classmethod
    def from_torch(cls, module: nn.RNNBase, layer: int = 0) -> BidirectionalScratch:
        """Both directions of layer ``layer`` of a bidirectional ``nn.LSTM`` / ``nn.GRU`` /
        ``nn.RNN`` (tanh), weights copied."""
        cell_class = next(
            (c for c in SCRATCH_CLASSES.values() if isinstance(module, c.torch_class)), None
        )
        if cell_class is None:
            raise TypeError(
                f"module must be an nn.LSTM, nn.GRU or nn.RNN, got {type(module).__name__}"
            )
        if not module.bidirectional:
            raise ValueError("module must be bidirectional (built with bidirectional=True)")
        return cls(
            cell_class.from_torch(module, layer),
            cell_class.from_torch(module, layer, reverse=True),
        )

    def forward(self, X: torch.Tensor, state=None):
        """X (num_steps, batch_size, num_inputs); ``state`` as ``nn.LSTM``'s for one
        bidirectional layer: (2, batch_size, num_hiddens), forward direction first (a tuple
        ``(h, c)`` of two for the LSTM), or None for zeros.

        Returns ``(outputs, state)``: outputs (num_steps, batch_size, 2 * num_hiddens), the
        forward direction's hidden states in the first half; state in the same layout.
        """
        forward_state, backward_state = _split(state)
        out_forward, state_forward = self.forward_cell(X, forward_state)
        # the backward cell reads the sequence reversed; flip its outputs back into step order
        out_backward, state_backward = self.backward_cell(X.flip(0), backward_state)
        outputs = torch.cat([out_forward, out_backward.flip(0)], dim=2)
        return outputs, _join(state_forward, state_backward)


def _split(state):
    """(2, batch_size, num_hiddens), or a tuple of two such, -> (forward state, backward state)."""
    if state is None:
        return None, None
    if isinstance(state, tuple):
        parts = [_split(s) for s in state]
        return tuple(p[0] for p in parts), tuple(p[1] for p in parts)
    if state.dim() != 3 or state.shape[0] != 2:
        raise ValueError(
            f"state must have shape (2, batch_size, num_hiddens) (one row per direction), "
            f"got shape {tuple(state.shape)}"
        )
    return state[0:1], state[1:2]


def _join(forward_state, backward_state):
    """The two directions' states (each (1, batch_size, num_hiddens) or a tuple) stacked."""
    if isinstance(forward_state, tuple):
        return tuple(_join(f, b) for f, b in zip(forward_state, backward_state, strict=True))
    return torch.cat([forward_state, backward_state], dim=0)
