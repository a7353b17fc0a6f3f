"""The encoder–decoder architecture (编码器-解码器) on gated RNNs, and how to decode with it.

``Encoder``, ``Decoder`` and ``EncoderDecoder`` are the interfaces of the course notes (and of
the d2l book): the encoder (编码器) turns a variable-length input into an encoded state of fixed
shape, ``Decoder.init_state`` turns the encoder's outputs into the decoder's state, and the
decoder (解码器) maps that state, step by step, to a variable-length output.

``Seq2SeqEncoder`` / ``Seq2SeqDecoder`` implement them on ``nn.GRU`` or ``nn.LSTM``, like the
d2l book's RNN encoder–decoder: the encoder's final top-layer hidden state is the *context*,
concatenated to the decoder's input at every step, and the encoder's final state starts the
decoder. Unlike the book, the encoder takes valid lengths (padding never reaches its state),
``masked_cross_entropy`` averages over real tokens only (d2l-en issue 2076), and decoding is
greedy or beam search with length normalisation.

Token-id tensors are batch-major, (batch_size, num_steps), as in d2l; inside the models
everything is time-major like ``nn.GRU``. Every tensor in a decoder state has the batch in
dimension 1 (like ``nn.GRU``'s ``h_n``), so decoding can reorder states generically.
"""

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from lstm_gru.checks import (
    check_positive_int,
    check_tensor,
    check_token_ids,
    check_valid_len,
)
from lstm_gru.device import model_device
from lstm_gru.models import make_rnn

CELLS = ("gru", "lstm")  # the cells an encoder or decoder runs


class Encoder(nn.Module):
    """The base encoder interface: ``forward(X, *args)`` -> the encoder's outputs."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)

    def forward(self, X, *args):
        raise NotImplementedError


class Decoder(nn.Module):
    """The base decoder interface.

    ``init_state(enc_outputs, *args)`` turns the encoder's outputs (and extra inputs such as
    the valid lengths) into the decoder's state; ``forward(X, state)`` -> (outputs, state).
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)

    def init_state(self, enc_outputs, *args):
        raise NotImplementedError

    def forward(self, X, state):
        raise NotImplementedError


class EncoderDecoder(nn.Module):
    """An encoder and a decoder: encoder outputs -> ``decoder.init_state`` -> decoder.

    ``forward(enc_X, dec_X, *args)`` returns what the decoder returns, ``(outputs, state)``,
    as in the course notes (d2l v1.0's class returns only ``outputs``). ``args`` (e.g. the
    source valid lengths) go to both the encoder and ``init_state``.
    """

    def __init__(self, encoder: nn.Module, decoder: nn.Module, **kwargs):
        super().__init__(**kwargs)
        self.encoder = encoder
        self.decoder = decoder

    def forward(self, enc_X, dec_X, *args):
        if (
            isinstance(enc_X, torch.Tensor)
            and isinstance(dec_X, torch.Tensor)
            and enc_X.dim() > 0
            and dec_X.dim() > 0
            and enc_X.shape[0] != dec_X.shape[0]
        ):
            raise ValueError(
                f"enc_X and dec_X must hold the same number of sequences (dimension 0), "
                f"got enc_X of shape {tuple(enc_X.shape)} and dec_X of shape {tuple(dec_X.shape)}"
            )
        enc_outputs = self.encoder(enc_X, *args)
        dec_state = self.decoder.init_state(enc_outputs, *args)
        return self.decoder(dec_X, dec_state)


def _make_rnn(cell, input_size, num_hiddens, num_layers, dropout, bidirectional=False):
    """``models.make_rnn`` for a cell in ``CELLS``: a time-major ``nn.GRU`` or ``nn.LSTM``."""
    if cell not in CELLS:
        raise ValueError(f"cell must be one of {sorted(CELLS)}, got {cell!r}")
    return make_rnn(
        cell, input_size, num_hiddens, num_layers, dropout=dropout, bidirectional=bidirectional
    )


def _check_same_cell(hidden, cell: str) -> None:
    """The encoder's final state must be what a decoder with ``cell`` carries: a tuple (h, c)
    for "lstm", one tensor for "gru"."""
    if (cell == "lstm") != isinstance(hidden, tuple):
        kind = "a tuple (h, c)" if isinstance(hidden, tuple) else "one tensor"
        raise ValueError(
            f"the encoder's state is {kind}, but this decoder's cell is {cell!r}: "
            "use the same cell in encoder and decoder"
        )


def _check_ids(X, name: str, vocab_size: int) -> torch.Tensor:
    check_tensor(X, name, ndim=2, floating=False, nonempty_dim=1)
    return check_token_ids(X, name, vocab_size)


class Seq2SeqEncoder(Encoder):
    """RNN encoder: embedding, then ``nn.GRU`` or ``nn.LSTM`` over the source tokens.

    ``forward(X, valid_len=None)``: X (batch_size, num_steps) token ids; valid_len (batch_size,)
    the real lengths, each in [1, num_steps]. With valid lengths the padded batch is packed, so
    the final state is taken at each sequence's last real token and padding changes nothing.
    Returns ``(outputs, state)``: outputs (num_steps, batch_size, output_size), zero at padded
    positions; state (num_layers, batch_size, output_size), a tuple (h, c) for an LSTM.
    ``output_size`` is ``num_hiddens``, or ``2 * num_hiddens`` when bidirectional: the state
    holds each layer's forward and backward final states concatenated.
    Same computation as ``d2l.Seq2SeqEncoder`` (GRU, unidirectional, no valid lengths).
    """

    def __init__(
        self,
        vocab_size: int,
        embed_size: int,
        num_hiddens: int,
        num_layers: int = 1,
        cell: str = "gru",
        dropout: float = 0.0,
        bidirectional: bool = False,
    ):
        super().__init__()
        self.vocab_size = check_positive_int(vocab_size, "vocab_size")
        self.embedding = nn.Embedding(vocab_size, check_positive_int(embed_size, "embed_size"))
        self.rnn = _make_rnn(cell, embed_size, num_hiddens, num_layers, dropout, bidirectional)
        self.cell, self.bidirectional = cell, bidirectional
        self.output_size = num_hiddens * (2 if bidirectional else 1)

    def _merge_directions(self, h: torch.Tensor) -> torch.Tensor:
        # (num_layers * 2, batch_size, num_hiddens) -> (num_layers, batch_size, 2 * num_hiddens)
        h = h.view(self.rnn.num_layers, 2, *h.shape[1:])
        return torch.cat((h[:, 0], h[:, 1]), dim=-1)

    def forward(self, X, valid_len=None):
        _check_ids(X, "X", self.vocab_size)
        batch_size, num_steps = X.shape
        embs = self.embedding(X.t())  # (num_steps, batch_size, embed_size)
        if valid_len is None:
            outputs, state = self.rnn(embs)
        else:
            if isinstance(valid_len, torch.Tensor):  # packing needs the lengths on the CPU
                valid_len = valid_len.cpu()  # anyway, so their values are checked there
            valid_len = check_valid_len(
                valid_len, "valid_len", batch_size=batch_size, num_steps=num_steps
            )
            packed = pack_padded_sequence(embs, valid_len, enforce_sorted=False)
            outputs, state = self.rnn(packed)
            outputs, _ = pad_packed_sequence(outputs, total_length=num_steps)
        # outputs: (num_steps, batch_size, output_size)
        if self.bidirectional:
            if isinstance(state, tuple):
                state = tuple(self._merge_directions(s) for s in state)
            else:
                state = self._merge_directions(state)
        return outputs, state


class Seq2SeqDecoder(Decoder):
    """RNN decoder fed the encoder's context at every step.

    ``init_state((enc_outputs, enc_state), *args)`` -> ``(context, hidden)``: context
    (1, batch_size, num_hiddens) is the encoder's final top-layer hidden state, hidden the
    encoder's final state, which starts the decoder (so the encoder's ``output_size`` must equal
    ``num_hiddens``, with the same ``num_layers`` and ``cell``). ``args`` (the source valid
    lengths, passed by ``EncoderDecoder``) are accepted and not used: the encoder already
    stopped each sequence at its last real token, and this decoder reads nothing else of the
    source (``lstm_gru.attention.Seq2SeqAttentionDecoder.init_state`` does use them).
    ``forward(X, state)``: X (batch_size, num_steps) token ids -> (logits (batch_size, num_steps,
    vocab_size), new state). Each step's input is the token's embedding concatenated with the
    context. In training X is the target shifted right (``<bos>`` first): teacher forcing.
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
        self.embedding = nn.Embedding(vocab_size, check_positive_int(embed_size, "embed_size"))
        self.rnn = _make_rnn(cell, embed_size + num_hiddens, num_hiddens, num_layers, dropout)
        self.dense = nn.Linear(num_hiddens, vocab_size)
        self.cell = cell

    def init_state(self, enc_outputs, *args):
        _, hidden = enc_outputs
        want = (self.rnn.num_layers, self.rnn.hidden_size)
        _check_same_cell(hidden, self.cell)
        h = hidden[0] if isinstance(hidden, tuple) else hidden  # (num_layers, batch, hiddens)
        if h.dim() != 3 or (h.shape[0], h.shape[-1]) != want:
            raise ValueError(
                f"the encoder's state must have shape (num_layers={want[0]}, batch_size, "
                f"num_hiddens={want[1]}) to start this decoder, got {tuple(h.shape)}; "
                "a bidirectional encoder with num_hiddens=H needs a decoder with num_hiddens=2*H"
            )
        context = h[-1:]  # (1, batch_size, num_hiddens): top layer, last step
        return context, hidden

    def forward(self, X, state):
        _check_ids(X, "X", self.vocab_size)
        context, hidden = state
        if context.shape[1] != X.shape[0]:
            raise ValueError(
                f"X holds {X.shape[0]} sequences but the state was built for {context.shape[1]}"
            )
        embs = self.embedding(X.t())  # (num_steps, batch_size, embed_size)
        context_steps = context.expand(embs.shape[0], -1, -1)  # (num_steps, batch, hiddens)
        outputs, hidden = self.rnn(torch.cat((embs, context_steps), dim=-1), hidden)
        # outputs: (num_steps, batch_size, num_hiddens)
        logits = self.dense(outputs).swapaxes(0, 1)  # (batch_size, num_steps, vocab_size)
        return logits, (context, hidden)


def masked_cross_entropy(logits, targets, valid_len, reduction: str = "mean"):
    """Cross-entropy that ignores the padding after each sequence's ``valid_len`` tokens.

    logits (batch_size, num_steps, vocab_size); targets (batch_size, num_steps) ids;
    valid_len (batch_size,) in [0, num_steps]. ``reduction``: "mean" (default) divides the
    summed loss by the number of real tokens; "sum" returns the sum; "none" returns the
    (batch_size, num_steps) token losses with zeros at padding. The d2l book's
    ``MaskedSoftmaxCELoss`` is ``reduction="none"`` followed by ``.mean(dim=1)``, which divides
    by ``num_steps`` and so counts padding in the average (d2l-en issue 2076).
    """
    check_tensor(logits, "logits", ndim=3, floating=True)
    batch_size, num_steps, vocab_size = logits.shape
    check_tensor(targets, "targets", ndim=2, floating=False)
    if tuple(targets.shape) != (batch_size, num_steps):
        raise ValueError(
            f"targets must have shape (batch_size, num_steps) = {(batch_size, num_steps)} "
            f"to match logits {tuple(logits.shape)}, got {tuple(targets.shape)}"
        )
    check_token_ids(targets, "targets", vocab_size)
    valid_len = check_valid_len(
        valid_len, "valid_len", batch_size=batch_size, num_steps=num_steps, minimum=0
    ).to(logits.device)
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"reduction must be 'mean', 'sum' or 'none', got {reduction!r}")
    mask = torch.arange(num_steps, device=logits.device)[None, :] < valid_len[:, None]
    token_losses = F.cross_entropy(logits.permute(0, 2, 1), targets, reduction="none")
    token_losses = token_losses * mask  # (batch_size, num_steps)
    if reduction == "none":
        return token_losses
    if reduction == "sum":
        return token_losses.sum()
    return token_losses.sum() / mask.sum().clamp(min=1)


def _select_state(state, index: torch.Tensor):
    """Pick batch entries ``index`` from every tensor of a decoder state (batch in dim 1)."""
    if isinstance(state, torch.Tensor):
        return state.index_select(1, index)
    return type(state)(_select_state(s, index) for s in state)


def _start(model, src_ids, src_valid_len, max_len, bos, eos):
    """Check the decoding arguments, run the encoder, return (device, decoder state)."""
    check_tensor(src_ids, "src_ids", ndim=2, floating=False, nonempty_dim=1)
    check_positive_int(max_len, "max_len")
    check_positive_int(bos, "bos", minimum=0)
    check_positive_int(eos, "eos", minimum=0)
    device = model_device(model)
    src_ids = src_ids.to(device)
    args = ()
    if src_valid_len is not None:
        batch_size, num_steps = src_ids.shape
        valid_len = check_valid_len(
            src_valid_len, "src_valid_len", batch_size=batch_size, num_steps=num_steps
        )
        args = (valid_len.to(device),)
    enc_outputs = model.encoder(src_ids, *args)
    return device, model.decoder.init_state(enc_outputs, *args)


def _cut_at_eos(ids: list[int], eos: int) -> list[int]:
    return ids[: ids.index(eos)] if eos in ids else ids


def greedy_steps(model, src_ids, max_len: int, *, bos: int, eos: int, src_valid_len=None):
    """Greedy decoding of a batch, one step at a time: the loop ``greedy_decode`` runs.

    src_ids (batch_size, num_steps), src_valid_len (batch_size,) optional. Yields, per step,
    ``(log_probs, best, tokens, done)``: log_probs (batch_size, vocab_size) of the next token
    given the source and the greedy prefix; best, tokens (batch_size,) the largest of them and
    its token, which is fed back; done (batch_size,) bool: chose ``<eos>`` at an earlier step.
    Stops after ``max_len`` steps or once every sequence has chosen ``<eos>``. Run it without
    gradients and with the model in eval mode.
    """
    device, state = _start(model, src_ids, src_valid_len, max_len, bos, eos)
    batch_size = src_ids.shape[0]
    Y = torch.full((batch_size, 1), bos, dtype=torch.long, device=device)
    done = torch.zeros(batch_size, dtype=torch.bool, device=device)
    for _ in range(max_len):
        logits, state = model.decoder(Y, state)  # (batch_size, 1, vocab_size)
        log_probs = F.log_softmax(logits[:, -1], dim=-1)  # (batch_size, vocab_size)
        best, Y = log_probs.max(dim=-1)  # (batch_size,)
        yield log_probs, best, Y, done
        done = done | (Y == eos)
        Y = Y[:, None]  # (batch_size, 1)
        if bool(done.all()):
            return


@torch.no_grad()
def greedy_decode(model, src_ids, max_len: int, *, bos: int, eos: int, src_valid_len=None):
    """Greedy decoding of a batch: at each step feed back the most probable token.

    src_ids (batch_size, num_steps) source ids, src_valid_len (batch_size,) optional.
    Returns ``(tokens, log_probs)``: ``tokens[i]`` the ids generated for sequence i, without
    ``<bos>`` and ``<eos>`` (at most ``max_len`` ids; a sequence stops at its ``<eos>``);
    ``log_probs`` (batch_size,) the sum of the chosen tokens' log-probabilities, ``<eos>``
    included. The model runs in eval mode (no dropout) and is put back as it was.
    """
    was_training = model.training
    model.eval()
    try:
        steps, log_probs = [], 0.0
        for _, best, Y, done in greedy_steps(
            model, src_ids, max_len, bos=bos, eos=eos, src_valid_len=src_valid_len
        ):
            log_probs = log_probs + best.masked_fill(done, 0.0)  # nothing after <eos>
            steps.append(Y)
        ids = torch.stack(steps, dim=1).tolist()  # (batch_size, steps)
    finally:
        model.train(was_training)
    return [_cut_at_eos(seq, eos) for seq in ids], log_probs.cpu()


@dataclass
class Hypothesis:
    """One beam-search result: ``tokens`` without ``<bos>``/``<eos>``; ``log_prob`` their
    summed log-probability (``<eos>`` included); ``score = log_prob / length ** alpha`` with
    ``length`` the number of generated tokens, ``<eos>`` included; ``finished``: ended with
    ``<eos>`` (False: cut at ``max_len``)."""

    tokens: list[int]
    log_prob: float
    score: float
    finished: bool


@torch.no_grad()
def beam_search(
    model,
    src_ids,
    beam_size: int,
    max_len: int,
    *,
    bos: int,
    eos: int,
    src_valid_len=None,
    alpha: float = 0.0,
    return_steps: bool = False,
):
    """Beam search for a batch of sources; returns the best hypotheses of each, best first.

    src_ids (batch_size, num_steps). At each step every live hypothesis is extended by every
    token and the ``beam_size`` highest summed log-probabilities survive; one that picks
    ``<eos>`` is finished and ranked by ``log_prob / length ** alpha`` (``alpha`` = 0: no length
    normalisation; the d2l book suggests 0.75). A source is done when no live hypothesis can
    still beat its ``beam_size``-th best finished one (exact, since log-probabilities only fall),
    or after ``max_len`` tokens. ``beam_size=1`` is greedy decoding.

    Returns ``results``: ``results[i]`` is a list of up to ``beam_size`` ``Hypothesis`` for
    source i, best score first. With ``return_steps=True`` returns ``(results, steps)``:
    ``steps[t][i]`` lists the ``(tokens, log_prob, ends_with_eos)`` chosen at step t+1 for
    source i (for drawing the search tree).
    """
    check_positive_int(beam_size, "beam_size")
    if not alpha >= 0:
        raise ValueError(f"alpha must be >= 0, got {alpha!r}")
    was_training = model.training
    model.eval()
    try:
        device, state = _start(model, src_ids, src_valid_len, max_len, bos, eos)
        batch_size, k = src_ids.shape[0], beam_size
        rows = torch.arange(batch_size, device=device)
        state = _select_state(state, rows.repeat_interleave(k))  # batch_size * k hypotheses
        # Summed log-probability of each live hypothesis; only one live one to start with.
        beam_lp = torch.full((batch_size, k), float("-inf"), device=device)
        beam_lp[:, 0] = 0.0
        prefixes = torch.full((batch_size * k, 1), bos, dtype=torch.long, device=device)
        finished = [[] for _ in range(batch_size)]
        done = [False] * batch_size
        steps = []
        for t in range(1, max_len + 1):
            logits, state = model.decoder(prefixes[:, -1:], state)  # (batch * k, 1, vocab)
            vocab_size = logits.shape[-1]
            log_probs = F.log_softmax(logits[:, -1], dim=-1).view(batch_size, k, vocab_size)
            candidates = (beam_lp[:, :, None] + log_probs).view(batch_size, k * vocab_size)
            top_lp, top = candidates.topk(k, dim=1)  # (batch_size, k)
            parent = (rows[:, None] * k + top // vocab_size).view(-1)  # (batch_size * k,)
            tokens = top % vocab_size
            prefixes = torch.cat((prefixes[parent], tokens.view(-1, 1)), dim=1)
            state = _select_state(state, parent)
            ended = (tokens == eos) & torch.isfinite(top_lp)
            beam_lp = top_lp.masked_fill(ended, float("-inf"))  # finished: no longer live
            if return_steps:
                steps.append(_step_record(prefixes, top_lp, tokens == eos, batch_size, k))
            for i, j in ended.nonzero().tolist():
                lp = float(top_lp[i, j])
                if not done[i]:
                    ids = prefixes[i * k + j, 1:-1].tolist()
                    finished[i].append(Hypothesis(ids, lp, lp / t**alpha, True))
            best_live = beam_lp.max(dim=1).values.tolist()
            for i in range(batch_size):
                if done[i]:
                    continue
                scores = sorted((h.score for h in finished[i]), reverse=True)
                bound = best_live[i] / max_len**alpha  # best score a live one can still reach
                if best_live[i] == float("-inf") or (len(scores) >= k and scores[k - 1] >= bound):
                    done[i] = True
            beam_lp[torch.tensor(done, device=device)] = float("-inf")
            if all(done):
                break
        for i in range(batch_size):  # sources cut at max_len keep their live hypotheses
            if not done[i]:
                for j in range(k):
                    lp = float(beam_lp[i, j])
                    if lp > float("-inf"):
                        ids = prefixes[i * k + j, 1:].tolist()
                        finished[i].append(Hypothesis(ids, lp, lp / max_len**alpha, False))
    finally:
        model.train(was_training)
    results = [sorted(hyps, key=lambda h: h.score, reverse=True)[:k] for hyps in finished]
    return (results, steps) if return_steps else results


def _step_record(prefixes, top_lp, is_eos, batch_size, k):
    """The hypotheses chosen at one step, per source: (tokens, log_prob, ends_with_eos)."""
    ids, lps, eos = prefixes[:, 1:].tolist(), top_lp.tolist(), is_eos.tolist()
    return [
        [(ids[i * k + j], lps[i][j], eos[i][j]) for j in range(k) if lps[i][j] > float("-inf")]
        for i in range(batch_size)
    ]
