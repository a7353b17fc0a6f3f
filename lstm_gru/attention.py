"""Attention (注意力机制): a decoder that looks back at every encoder output, not one summary.

``Seq2SeqDecoder`` (chapter 07) sees the source only through one fixed-size context, the
encoder's final state. ``Seq2SeqAttentionDecoder`` (Bahdanau et al. 2015) keeps all of the
encoder's outputs and, at every step, takes a weighted average of them, the weights computed
from its own state: a context of its own for every output token.

Names follow the d2l book (Chinese edition, 注意力评分函数 / Bahdanau 注意力), so its readers
recognise them: ``masked_softmax``, ``AdditiveAttention``, ``DotProductAttention``. Shapes:

- queries (batch_size, num_queries, query_size), keys (batch_size, num_keys, key_size),
  values (batch_size, num_keys, value_size);
- ``valid_len``: None, (batch_size,) or (batch_size, num_queries): keys at or beyond a
  row's valid length get attention weight exactly 0;
- result (batch_size, num_queries, value_size); the weights are kept in
  ``.attention_weights`` (batch_size, num_queries, num_keys).
"""

import math

import torch
from torch import nn

from lstm_gru.checks import check_positive_int, check_tensor, check_valid_len
from lstm_gru.device import model_device
from lstm_gru.encoder_decoder import (
    Decoder,
    _check_ids,
    _check_same_cell,
    _make_rnn,
)

__all__ = [
    "AdditiveAttention",
    "DotProductAttention",
    "Seq2SeqAttentionDecoder",
    "alignment",
    "masked_softmax",
]


def masked_softmax(scores: torch.Tensor, valid_len=None) -> torch.Tensor:
    """Softmax over the last axis of ``scores`` (batch_size, num_queries, num_keys), with
    positions at or beyond each row's valid length set to exactly 0.

    ``valid_len``: None (no mask), (batch_size,) (one length per batch row) or
    (batch_size, num_queries) (one per query); every length in [1, num_keys].
    """
    check_tensor(scores, "scores", ndim=3, floating=True)
    if valid_len is None:
        return torch.softmax(scores, dim=-1)
    batch_size, num_queries, num_keys = scores.shape
    valid_len = torch.as_tensor(valid_len)  # checked where it is (values on the CPU only)
    if valid_len.dim() == 1:
        check_valid_len(valid_len, "valid_len", batch_size=batch_size, num_steps=num_keys)
        valid_len = valid_len[:, None].expand(batch_size, num_queries)
    elif valid_len.dim() == 2 and tuple(valid_len.shape) == (batch_size, num_queries):
        flat = valid_len.reshape(-1)
        check_valid_len(flat, "valid_len", batch_size=len(flat), num_steps=num_keys)
    else:
        raise ValueError(
            f"valid_len must have shape (batch_size={batch_size},) or (batch_size={batch_size}, "
            f"num_queries={num_queries}), got {tuple(valid_len.shape)}"
        )
    valid_len = valid_len.to(scores.device)
    keep = torch.arange(num_keys, device=scores.device) < valid_len[..., None]  # (B, Q, K)
    return torch.softmax(scores.masked_fill(~keep, float("-inf")), dim=-1)


def _check_qkv(queries, keys, values, query_size=None, key_size=None):
    """queries (B, Q, q), keys (B, K, k), values (B, K, v): same B, keys and values same K."""
    check_tensor(queries, "queries", ndim=3, floating=True)
    check_tensor(keys, "keys", ndim=3, floating=True)
    check_tensor(values, "values", ndim=3, floating=True)
    if not queries.shape[0] == keys.shape[0] == values.shape[0] or keys.shape[1] != values.shape[1]:
        raise ValueError(
            "queries (batch_size, num_queries, query_size), keys (batch_size, num_keys, key_size) "
            "and values (batch_size, num_keys, value_size) must agree in batch_size and num_keys, "
            f"got {tuple(queries.shape)}, {tuple(keys.shape)} and {tuple(values.shape)}"
        )
    for name, tensor, size in (("queries", queries, query_size), ("keys", keys, key_size)):
        if size is not None and tensor.shape[-1] != size:
            raise ValueError(
                f"{name} must have {size} features (dimension 2), got shape {tuple(tensor.shape)}"
            )


class AdditiveAttention(nn.Module):
    """Additive attention (加性注意力): score(q, k) = w_v^T tanh(W_q q + W_k k).

    Works for queries and keys of different sizes. ``num_hiddens``: size of the hidden
    layer; ``dropout`` on the weights (only while training).
    """

    def __init__(self, key_size: int, query_size: int, num_hiddens: int, dropout: float = 0.0):
        super().__init__()
        self.key_size = check_positive_int(key_size, "key_size")
        self.query_size = check_positive_int(query_size, "query_size")
        check_positive_int(num_hiddens, "num_hiddens")
        self.W_k = nn.Linear(key_size, num_hiddens, bias=False)
        self.W_q = nn.Linear(query_size, num_hiddens, bias=False)
        self.w_v = nn.Linear(num_hiddens, 1, bias=False)
        self.dropout = nn.Dropout(dropout)
        self.attention_weights = None

    def forward(self, queries, keys, values, valid_len=None, projected_keys=None):
        """(B, Q, query_size), (B, K, key_size), (B, K, v) -> (B, Q, v); see the module.

        ``projected_keys``: ``W_k(keys)`` (B, K, num_hiddens) if already computed (a decoder
        attends to the same keys at every step, so it projects them once).
        """
        _check_qkv(queries, keys, values, self.query_size, self.key_size)
        if projected_keys is None:
            projected_keys = self.W_k(keys)
        # (B, Q, 1, h) + (B, 1, K, h): every query against every key
        features = torch.tanh(self.W_q(queries).unsqueeze(2) + projected_keys.unsqueeze(1))
        scores = self.w_v(features).squeeze(-1)  # (B, Q, K)
        self.attention_weights = masked_softmax(scores, valid_len)
        return torch.bmm(self.dropout(self.attention_weights), values)


class DotProductAttention(nn.Module):
    """Scaled dot-product attention (缩放点积注意力): score(q, k) = q·k / sqrt(d).

    Queries and keys must have the same size d; no parameters.
    """

    def __init__(self, dropout: float = 0.0):
        super().__init__()
        self.dropout = nn.Dropout(dropout)
        self.attention_weights = None

    def forward(self, queries, keys, values, valid_len=None):
        """(B, Q, d), (B, K, d), (B, K, v) -> (B, Q, v); see the module."""
        _check_qkv(queries, keys, values)
        d = queries.shape[-1]
        if keys.shape[-1] != d:
            raise ValueError(
                f"queries and keys must have the same size d, got {tuple(queries.shape)} and "
                f"{tuple(keys.shape)} (for different sizes use AdditiveAttention)"
            )
        scores = torch.bmm(queries, keys.transpose(1, 2)) / math.sqrt(d)  # (B, Q, K)
        self.attention_weights = masked_softmax(scores, valid_len)
        return torch.bmm(self.dropout(self.attention_weights), values)


class Seq2SeqAttentionDecoder(Decoder):
    """An RNN decoder with additive (Bahdanau) attention over the encoder's outputs.

    At each step the query is the decoder's top-layer hidden state; keys and values are the
    encoder's outputs (at real source positions only). The step's input is the attention's
    context concatenated with the token's embedding.

    ``init_state((enc_outputs, enc_state), enc_valid_len=None)`` -> the decoder state
    ``(enc_outputs, hidden, valid_len)``: enc_outputs (num_steps, batch_size, num_hiddens),
    hidden the encoder's final state (it starts the decoder, so the encoder's output size
    must be ``num_hiddens``, with the same ``num_layers`` and ``cell``), valid_len
    (1, batch_size). Every part has the batch in dimension 1, so ``greedy_decode`` and
    ``beam_search`` reorder it unchanged.
    ``forward(X, state)``: X (batch_size, num_steps) ids -> (logits (batch_size, num_steps,
    vocab_size), state); ``.attention_weights`` (batch_size, num_steps, num_source_steps)
    holds every step's weights of the last call.
    """

    def __init__(
        self,
        vocab_size: int,
        embed_size: int,
        num_hiddens: int,
        num_layers: int = 1,
        cell: str = "gru",
        dropout: float = 0.0,
    ):
        super().__init__()
        self.vocab_size = check_positive_int(vocab_size, "vocab_size")
        self.num_hiddens = check_positive_int(num_hiddens, "num_hiddens")
        self.attention = AdditiveAttention(num_hiddens, num_hiddens, num_hiddens, dropout)
        self.embedding = nn.Embedding(vocab_size, check_positive_int(embed_size, "embed_size"))
        self.rnn = _make_rnn(cell, embed_size + num_hiddens, num_hiddens, num_layers, dropout)
        self.dense = nn.Linear(num_hiddens, vocab_size)
        self.cell = cell
        self.attention_weights = None

    def init_state(self, enc_outputs, enc_valid_len=None):
        outputs, hidden = enc_outputs  # outputs (num_steps, batch_size, output_size)
        check_tensor(outputs, "enc_outputs", ndim=3, floating=True)
        num_steps, batch_size, size = outputs.shape
        if size != self.num_hiddens:
            raise ValueError(
                f"the encoder's outputs must have num_hiddens={self.num_hiddens} features, got "
                f"shape {tuple(outputs.shape)} (num_steps, batch_size, features); a "
                "bidirectional encoder with num_hiddens=H needs a decoder with num_hiddens=2*H"
            )
        _check_same_cell(hidden, self.cell)
        h = hidden[0] if isinstance(hidden, tuple) else hidden
        want = (self.rnn.num_layers, batch_size, self.num_hiddens)
        if tuple(h.shape) != want:
            raise ValueError(
                f"the encoder's state must have shape (num_layers={want[0]}, batch_size="
                f"{batch_size}, num_hiddens={want[2]}) to start this decoder, got "
                f"{tuple(h.shape)}"
            )
        if enc_valid_len is None:
            valid_len = torch.full((batch_size,), num_steps, device=outputs.device)
        else:
            valid_len = check_valid_len(
                enc_valid_len, "enc_valid_len", batch_size=batch_size, num_steps=num_steps
            )
        return outputs, hidden, valid_len.to(outputs.device)[None, :]  # (1, batch_size)

    def forward(self, X, state):
        _check_ids(X, "X", self.vocab_size)
        enc_outputs, hidden, valid_len = state
        if enc_outputs.shape[1] != X.shape[0]:
            raise ValueError(
                f"X holds {X.shape[0]} sequences but the state was built for {enc_outputs.shape[1]}"
            )
        keys = enc_outputs.transpose(0, 1)  # (batch_size, num_source_steps, num_hiddens)
        projected_keys = self.attention.W_k(keys)  # the same at every step: once per call
        outputs, weights = [], []
        for emb in self.embedding(X.t()):  # emb: (batch_size, embed_size), one step
            h = hidden[0] if isinstance(hidden, tuple) else hidden
            query = h[-1][:, None, :]  # (batch_size, 1, num_hiddens): top layer
            context = self.attention(query, keys, keys, valid_len[0], projected_keys)  # (B, 1, h)
            step_input = torch.cat((context[:, 0], emb), dim=-1)[None]  # (1, batch, h + e)
            out, hidden = self.rnn(step_input, hidden)  # out: (1, batch_size, num_hiddens)
            outputs.append(out[0])
            weights.append(self.attention.attention_weights[:, 0])  # (batch_size, num_keys)
        self.attention_weights = torch.stack(weights, dim=1)  # (batch, num_steps, num_keys)
        logits = self.dense(torch.stack(outputs, dim=1))  # (batch_size, num_steps, vocab_size)
        return logits, (enc_outputs, hidden, valid_len)


@torch.no_grad()
def alignment(model, src_ids: torch.Tensor, output_ids, bos: int) -> torch.Tensor:
    """Where an attention model looks while it writes ``output_ids`` for one source.

    ``model``: an ``EncoderDecoder`` with a ``Seq2SeqAttentionDecoder``; ``src_ids`` (1,
    num_source_steps) the source ids; ``output_ids``: the output tokens (e.g. what the model
    decoded, ``<eos>`` included if wanted). The decoder is fed ``<bos>`` and the outputs
    (teacher forcing), so step t's weights are those it used to choose ``output_ids[t]``.
    Returns the weights (len(output_ids), num_source_steps) on the CPU; each row sums to 1.
    """
    check_tensor(src_ids, "src_ids", ndim=2, floating=False, sizes={0: 1}, nonempty_dim=1)
    if not isinstance(model.decoder, Seq2SeqAttentionDecoder):
        raise TypeError(
            f"model.decoder must be a Seq2SeqAttentionDecoder, got {type(model.decoder).__name__}"
        )
    output_ids = [int(t) for t in output_ids]
    if not output_ids:
        raise ValueError("output_ids must hold at least one token")
    device = model_device(model)
    dec_in = torch.tensor([[bos, *output_ids[:-1]]], device=device)  # (1, num_outputs)
    was_training = model.training
    model.eval()
    try:
        model(src_ids.to(device), dec_in)
    finally:
        model.train(was_training)
    return model.decoder.attention_weights[0].cpu()  # (num_outputs, num_source_steps)
