"""Encoder-decoder interfaces, the GRU/LSTM seq2seq model, the masked loss and decoding."""

import copy
import functools
import itertools
import math

import pytest
import torch
import torch.nn.functional as F
from d2l import torch as d2l
from torch import nn

from lstm_gru.encoder_decoder import (
    Decoder,
    Encoder,
    EncoderDecoder,
    Hypothesis,
    Seq2SeqDecoder,
    Seq2SeqEncoder,
    beam_search,
    greedy_decode,
    masked_cross_entropy,
)

VOCAB, EMBED, HIDDENS = 10, 8, 16
BOS, EOS = 1, 2


pytestmark = pytest.mark.usefixtures("one_thread")


def make_model(cell="gru", bidirectional=False, num_layers=1, seed=0):
    """A seeded, untrained model."""
    torch.manual_seed(seed)
    enc = Seq2SeqEncoder(VOCAB, EMBED, HIDDENS, num_layers, cell=cell, bidirectional=bidirectional)
    dec = Seq2SeqDecoder(VOCAB, EMBED, enc.output_size, num_layers, cell=cell)
    return EncoderDecoder(enc, dec)


def reverse_batch(batch_size, max_steps=5, seed=0):
    """Sources of 1..max_steps tokens (ids 3..9, padded with 0), targets reversed + <eos>."""
    gen = torch.Generator().manual_seed(seed)
    valid_len = torch.randint(1, max_steps + 1, (batch_size,), generator=gen)
    src = torch.randint(3, VOCAB, (batch_size, max_steps), generator=gen)
    src[torch.arange(max_steps)[None, :] >= valid_len[:, None]] = 0
    tgt = torch.zeros(batch_size, max_steps + 1, dtype=torch.long)
    for i, n in enumerate(valid_len.tolist()):
        tgt[i, : n + 1] = torch.tensor([*src[i, :n].flip(0).tolist(), EOS])
    dec_in = torch.cat([torch.full((batch_size, 1), BOS), tgt[:, :-1]], 1)  # teacher forcing
    return src, valid_len, dec_in, tgt, valid_len + 1


def train_reverser(cell="gru", bidirectional=False, num_updates=60, seed=0):
    """A model trained briefly to reverse sequences: right often, not always, and its outputs
    end at various lengths, so decoding has something to get right. A fresh copy each call."""
    return copy.deepcopy(_train_reverser(cell, bidirectional, num_updates, seed))


@functools.cache
def _train_reverser(cell, bidirectional, num_updates, seed):
    model = make_model(cell, bidirectional, seed=seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    for step in range(num_updates):
        src, src_len, dec_in, tgt, tgt_len = reverse_batch(32, seed=step)
        loss = masked_cross_entropy(model(src, dec_in, src_len)[0], tgt, tgt_len)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return model


def test_base_interfaces_raise_not_implemented():
    with pytest.raises(NotImplementedError):
        Encoder()(torch.zeros(1, 1))
    with pytest.raises(NotImplementedError):
        Decoder().init_state(None)
    with pytest.raises(NotImplementedError):
        Decoder()(torch.zeros(1, 1), None)


def test_encoder_decoder_wires_encoder_to_init_state_to_decoder():
    calls = []

    class Enc(Encoder):
        def forward(self, X, *args):
            calls.append(("encoder", X.tolist(), args))
            return X * 10

    class Dec(Decoder):
        def init_state(self, enc_outputs, *args):
            calls.append(("init_state", enc_outputs.tolist(), args))
            return enc_outputs + 1

        def forward(self, X, state):
            calls.append(("decoder", X.tolist(), state.tolist()))
            return X + state, "new state"

    out = EncoderDecoder(Enc(), Dec())(torch.tensor([[1]]), torch.tensor([[5]]), "valid_len")
    assert out[0].tolist() == [[16]] and out[1] == "new state"  # the decoder's (output, state)
    assert calls == [
        ("encoder", [[1]], ("valid_len",)),
        ("init_state", [[10]], ("valid_len",)),
        ("decoder", [[5]], [[11]]),
    ]


def test_encoder_matches_d2l_with_the_same_weights():
    torch.manual_seed(0)
    theirs = d2l.Seq2SeqEncoder(VOCAB, EMBED, HIDDENS, num_layers=2)
    ours = Seq2SeqEncoder(VOCAB, EMBED, HIDDENS, num_layers=2)
    ours.load_state_dict({k.replace("rnn.rnn.", "rnn."): v for k, v in theirs.state_dict().items()})
    X = torch.randint(0, VOCAB, (4, 7))
    (out_d2l, state_d2l), (out, state) = theirs(X), ours(X)
    assert out.shape == (7, 4, HIDDENS) and state.shape == (2, 4, HIDDENS)
    assert torch.equal(out, out_d2l) and torch.equal(state, state_d2l)


class BookSeq2SeqDecoder(d2l.Decoder):
    """The d2l book's decoder (section 10.7, v1.0), with ``nn.Linear`` for its ``LazyLinear``.

    d2l 1.0.3's package does not ship it; this is the book's code, for comparison."""

    def __init__(self, vocab_size, embed_size, num_hiddens, num_layers, dropout=0):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_size)
        self.rnn = d2l.GRU(embed_size + num_hiddens, num_hiddens, num_layers, dropout)
        self.dense = nn.Linear(num_hiddens, vocab_size)

    def init_state(self, enc_all_outputs, *args):
        return enc_all_outputs

    def forward(self, X, state):
        embs = self.embedding(X.t().type(torch.int32))
        enc_output, hidden_state = state
        context = enc_output[-1]
        context = context.repeat(embs.shape[0], 1, 1)
        embs_and_context = torch.cat((embs, context), -1)
        outputs, hidden_state = self.rnn(embs_and_context, hidden_state)
        outputs = self.dense(outputs).swapaxes(0, 1)
        return outputs, [enc_output, hidden_state]


def test_seq2seq_matches_the_d2l_book_and_runs_d2l_modules_inside_ours():
    torch.manual_seed(1)
    book = EncoderDecoder(
        d2l.Seq2SeqEncoder(VOCAB, EMBED, HIDDENS, 2), BookSeq2SeqDecoder(VOCAB, EMBED, HIDDENS, 2)
    )
    ours = make_model(num_layers=2)
    ours.load_state_dict({k.replace("rnn.rnn.", "rnn."): v for k, v in book.state_dict().items()})
    X, Y = torch.randint(0, VOCAB, (3, 6)), torch.randint(0, VOCAB, (3, 5))
    logits_book, (_, hidden_book) = book(X, Y)
    logits, (context, hidden) = ours(X, Y)
    assert logits.shape == (3, 5, VOCAB) and context.shape == (1, 3, HIDDENS)
    assert torch.allclose(logits, logits_book, atol=1e-6)
    assert torch.allclose(hidden, hidden_book, atol=1e-6)
    # d2l's encoder inside our EncoderDecoder, in front of our decoder: the same again
    mixed = EncoderDecoder(book.encoder, ours.decoder)
    assert torch.allclose(mixed(X, Y)[0], logits, atol=1e-6)
    # and decoding runs d2l's modules too (their state is [enc_outputs, hidden], batch in dim 1)
    assert (
        greedy_decode(book, X, 4, bos=BOS, eos=EOS)[0]
        == greedy_decode(ours, X, 4, bos=BOS, eos=EOS)[0]
    )
    beams = beam_search(book, X, 2, 4, bos=BOS, eos=EOS)
    assert [b[0].tokens for b in beams] == [
        b[0].tokens for b in beam_search(ours, X, 2, 4, bos=BOS, eos=EOS)
    ]


@pytest.mark.parametrize("cell", ["gru", "lstm"])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_padding_does_not_change_the_encoder_or_the_decoder(cell, bidirectional):
    model = make_model(cell, bidirectional, num_layers=2)
    X = torch.randint(4, VOCAB, (4, 7))
    valid_len = torch.tensor([7, 3, 5, 1])
    padding = torch.arange(7)[None, :] >= valid_len[:, None]
    Y = torch.randint(0, VOCAB, (4, 5))
    logits_a, state_a = model(X.masked_fill(padding, 0), Y, valid_len)
    logits_b, state_b = model(X.masked_fill(padding, 9), Y, valid_len)  # other padding ids
    assert torch.equal(logits_a, logits_b)
    # each sequence alone, unpadded, gives the same logits as inside the padded batch
    for i, n in enumerate(valid_len.tolist()):
        alone, _ = model(X[i : i + 1, :n], Y[i : i + 1])
        assert torch.allclose(alone[0], logits_a[i], atol=1e-5)
    # without valid lengths, padding does leak into the result
    assert not torch.allclose(model(X.masked_fill(padding, 0), Y)[0], logits_a, atol=1e-3)
    hidden = state_a[1]
    if cell == "lstm":
        assert isinstance(hidden, tuple) and len(hidden) == 2  # (h, c)
        hidden = hidden[0]
    assert hidden.shape == (2, 4, model.encoder.output_size)
    enc_out, _ = model.encoder(X, valid_len)
    assert enc_out.shape == (7, 4, HIDDENS * (2 if bidirectional else 1))
    assert torch.all(enc_out[padding.t()] == 0)  # zero outputs at padded positions


@pytest.mark.parametrize("cell", ["gru", "lstm"])
def test_packed_final_states_equal_each_sequence_run_alone(cell):
    """With valid lengths the encoder packs the batch: every final state is the state after
    the sequence's last real token (both directions), as if it ran alone without padding."""
    encoder = make_model(cell, bidirectional=True, num_layers=2).encoder
    X = torch.randint(4, VOCAB, (3, 6))
    valid_len = torch.tensor([6, 2, 4])
    _, packed = encoder(X, valid_len)
    _, padded = encoder(X)  # the padding read as if it were text
    for i, n in enumerate(valid_len.tolist()):
        _, alone = encoder(X[i : i + 1, :n])
        for got, expected, leaked in zip(*map(_states, (packed, alone, padded)), strict=True):
            assert torch.allclose(got[:, i], expected[:, 0], atol=1e-6)
            if n < 6:
                assert not torch.allclose(leaked[:, i], expected[:, 0], atol=1e-3)


def _states(state):
    """An encoder state as a tuple of tensors (num_layers, batch_size, hiddens): (h,) or (h, c)."""
    return state if isinstance(state, tuple) else (state,)


def test_bidirectional_state_concatenates_forward_and_backward():
    enc = make_model("gru", bidirectional=True).encoder
    X = torch.randint(0, VOCAB, (2, 5))
    outputs, state = enc(X)
    # forward direction ends at the last step, backward direction at the first
    assert torch.allclose(state[0, :, :HIDDENS], outputs[-1, :, :HIDDENS])
    assert torch.allclose(state[0, :, HIDDENS:], outputs[0, :, HIDDENS:])


def test_masked_cross_entropy_reproduces_d2l_example_and_fixes_its_average():
    logits, targets = torch.ones(3, 4, 10), torch.ones((3, 4), dtype=torch.long)
    valid_len = torch.tensor([4, 2, 0])
    per_token = masked_cross_entropy(logits, targets, valid_len, reduction="none")
    d2l_per_sequence = d2l.MaskedSoftmaxCELoss()(logits, targets, valid_len)
    assert torch.allclose(d2l_per_sequence, torch.tensor([2.3026, 1.1513, 0.0000]), atol=1e-4)
    assert torch.allclose(per_token.mean(dim=1), d2l_per_sequence)  # d2l: / num_steps
    # Every real token has loss ln 10; d2l's average counts the padding as zeros.
    assert masked_cross_entropy(logits, targets, valid_len).item() == pytest.approx(math.log(10))
    assert d2l_per_sequence.mean().item() == pytest.approx(math.log(10) / 2)
    assert masked_cross_entropy(logits, targets, valid_len, "sum").item() == pytest.approx(
        6 * math.log(10)
    )


def test_masked_cross_entropy_ignores_logits_at_padding():
    torch.manual_seed(0)
    logits = torch.randn(2, 3, 5, requires_grad=True)
    targets = torch.randint(0, 5, (2, 3))
    loss = masked_cross_entropy(logits, targets, torch.tensor([3, 1]))
    expected = F.cross_entropy(
        torch.cat([logits[0], logits[1, :1]]), torch.cat([targets[0], targets[1, :1]])
    )
    assert loss.item() == pytest.approx(expected.item(), rel=1e-6)
    loss.backward()
    assert torch.all(logits.grad[1, 1:] == 0) and torch.all(logits.grad[0] != 0)


def brute_force_best(model, src, max_len, alpha):
    """Score every possible output by teacher forcing: (best tokens, best score)."""
    best = (None, -math.inf)
    with torch.no_grad():
        for length in range(1, max_len + 1):
            for body in itertools.product([t for t in range(VOCAB) if t != EOS], repeat=length - 1):
                for last in range(VOCAB):  # ends with <eos>, or with anything at max_len
                    if last != EOS and length < max_len:
                        continue
                    seq = [*body, last]
                    logits, _ = model(src, torch.tensor([[BOS, *seq[:-1]]]))
                    lp = F.log_softmax(logits[0], -1)[torch.arange(length), seq].sum().item()
                    score = lp / length**alpha
                    if score > best[1]:
                        best = (seq[:-1] if last == EOS else seq, score)
    return best


@pytest.mark.parametrize("alpha", [0.0, 0.75])
def test_wide_beam_finds_the_best_sequence(alpha):
    model = train_reverser(num_updates=15)
    src = torch.tensor([[5, 6, 7]])
    tokens, score = brute_force_best(model, src, 3, alpha)
    [hyps] = beam_search(model, src, VOCAB**3, 3, bos=BOS, eos=EOS, alpha=alpha)
    assert hyps[0].tokens == tokens
    assert hyps[0].score == pytest.approx(score, abs=1e-5)
    assert [h.score for h in hyps] == sorted((h.score for h in hyps), reverse=True)


@pytest.mark.parametrize("cell", ["gru", "lstm"])
@pytest.mark.parametrize("alpha", [0.0, 0.75])
def test_beam_size_one_is_greedy(cell, alpha):
    model = train_reverser(cell, bidirectional=True)
    src, valid_len, *_ = reverse_batch(16, seed=100)
    tokens, log_probs = greedy_decode(model, src, 8, bos=BOS, eos=EOS, src_valid_len=valid_len)
    assert len({len(t) for t in tokens}) >= 4  # sequences end at different steps
    beams = beam_search(model, src, 1, 8, bos=BOS, eos=EOS, src_valid_len=valid_len, alpha=alpha)
    assert [b[0].tokens for b in beams] == tokens
    assert torch.allclose(torch.tensor([b[0].log_prob for b in beams]), log_probs, atol=1e-5)


def test_greedy_decode_batched_equals_one_at_a_time_and_scores_are_log_probs():
    model = train_reverser("lstm")
    src, valid_len, *_ = reverse_batch(6, max_steps=6, seed=101)
    tokens, log_probs = greedy_decode(model, src, 7, bos=BOS, eos=EOS, src_valid_len=valid_len)
    for i, n in enumerate(valid_len.tolist()):
        [alone], [lp] = greedy_decode(model, src[i : i + 1, :n], 7, bos=BOS, eos=EOS)
        assert alone == tokens[i] and lp.item() == pytest.approx(log_probs[i].item(), abs=1e-5)
        seq = tokens[i] + ([EOS] if len(tokens[i]) < 7 else [])
        logits, _ = model(src[i : i + 1, :n], torch.tensor([[BOS, *seq[:-1]]]))
        expected = F.log_softmax(logits[0], -1)[torch.arange(len(seq)), seq].sum()
        assert expected.item() == pytest.approx(lp.item(), abs=1e-5)


def test_beam_search_records_steps_and_restores_training_mode():
    model = train_reverser(num_updates=30)
    model.train()
    results, steps = beam_search(
        model, torch.tensor([[4, 5, 6]]), 3, 4, bos=BOS, eos=EOS, alpha=0.75, return_steps=True
    )
    assert model.training
    assert all(isinstance(h, Hypothesis) for h in results[0]) and 1 <= len(results[0]) <= 3
    assert [len(step[0]) for step in steps][0] == 3  # three hypotheses chosen at step 1
    assert all(len(tokens) == t + 1 for t, step in enumerate(steps) for tokens, _, _ in step[0])
    best = results[0][0]
    assert best.score == pytest.approx(best.log_prob / (len(best.tokens) + best.finished) ** 0.75)


def test_teacher_forced_training_learns_to_reverse():
    model = train_reverser("gru", bidirectional=True, num_updates=150)
    src, valid_len, *_ = reverse_batch(64, seed=102)  # unseen sequences
    truth = [src[i, :n].flip(0).tolist() for i, n in enumerate(valid_len.tolist())]
    greedy, _ = greedy_decode(model, src, 8, bos=BOS, eos=EOS, src_valid_len=valid_len)
    beams = beam_search(model, src, 4, 8, bos=BOS, eos=EOS, src_valid_len=valid_len)
    greedy_right = sum(g == t for g, t in zip(greedy, truth, strict=True))
    beam_right = sum(b[0].tokens == t for b, t in zip(beams, truth, strict=True))
    # measured 49 and 48 of 64 unseen sequences (chance: well under 1)
    assert greedy_right >= 44 and beam_right >= 44


def test_bad_inputs_raise_clear_errors():
    model = make_model()
    X, Y = torch.randint(0, VOCAB, (3, 5)), torch.randint(0, VOCAB, (3, 4))
    with pytest.raises(ValueError, match="enc_X and dec_X must hold the same number"):
        model(X, Y[:2])
    with pytest.raises(ValueError, match=r"valid_len must lie in \[1, 5\].*to 6"):
        model(X, Y, torch.tensor([5, 6, 1]))
    with pytest.raises(ValueError, match=r"valid_len must lie in \[1, 5\].*from 0"):
        model(X, Y, torch.tensor([0, 2, 1]))
    with pytest.raises(ValueError, match="valid_len must have size 3"):
        model(X, Y, torch.tensor([2, 2]))
    with pytest.raises(ValueError, match=r"X holds token ids outside the vocabulary \[0, 10\)"):
        model(X + 5, Y)
    with pytest.raises(ValueError, match="X holds token ids outside"):
        model(X, Y - 5)
    with pytest.raises(TypeError, match="X must be an integer tensor"):
        model(X.float(), Y)
    with pytest.raises(ValueError, match="beam_size must be >= 1, got 0"):
        beam_search(model, X, 0, 5, bos=BOS, eos=EOS)
    with pytest.raises(ValueError, match="max_len must be >= 1, got 0"):
        beam_search(model, X, 2, 0, bos=BOS, eos=EOS)
    with pytest.raises(ValueError, match="max_len must be >= 1, got 0"):
        greedy_decode(model, X, 0, bos=BOS, eos=EOS)
    with pytest.raises(ValueError, match="src_valid_len must lie in"):
        greedy_decode(model, X, 3, bos=BOS, eos=EOS, src_valid_len=torch.tensor([1, 9, 1]))
    with pytest.raises(ValueError, match="alpha must be >= 0"):
        beam_search(model, X, 2, 3, bos=BOS, eos=EOS, alpha=-1.0)
    with pytest.raises(ValueError, match="cell must be one of"):
        Seq2SeqEncoder(VOCAB, EMBED, HIDDENS, cell="rnn")
    lstm_decoder = Seq2SeqDecoder(VOCAB, EMBED, HIDDENS, cell="lstm")
    with pytest.raises(ValueError, match="use the same cell"):
        lstm_decoder.init_state(model.encoder(X))
    bi_encoder = Seq2SeqEncoder(VOCAB, EMBED, HIDDENS, bidirectional=True)
    with pytest.raises(ValueError, match="needs a decoder with num_hiddens=2"):
        model.decoder.init_state(bi_encoder(X))
    logits = torch.zeros(3, 4, VOCAB)
    with pytest.raises(ValueError, match=r"valid_len must lie in \[0, 4\]"):
        masked_cross_entropy(logits, Y, torch.tensor([5, 1, 1]))
    with pytest.raises(ValueError, match="targets holds token ids outside"):
        masked_cross_entropy(logits, Y + VOCAB, torch.tensor([4, 1, 1]))
    with pytest.raises(ValueError, match="targets must have shape"):
        masked_cross_entropy(logits, X, torch.tensor([4, 1, 1]))


@pytest.mark.gpu
def test_decoding_on_cuda_matches_cpu():
    model = train_reverser("lstm", bidirectional=True)
    src, valid_len, *_ = reverse_batch(8, seed=103)
    cpu = greedy_decode(model, src, 8, bos=BOS, eos=EOS, src_valid_len=valid_len)[0]
    cpu_beam = [
        b[0].tokens
        for b in beam_search(model, src, 3, 8, bos=BOS, eos=EOS, src_valid_len=valid_len)
    ]
    model.to("cuda")
    assert greedy_decode(model, src, 8, bos=BOS, eos=EOS, src_valid_len=valid_len)[0] == cpu
    gpu_beam = beam_search(
        model, src.cuda(), 3, 8, bos=BOS, eos=EOS, src_valid_len=valid_len.cuda()
    )
    assert [b[0].tokens for b in gpu_beam] == cpu_beam


class _StepTable(Decoder):
    """A decoder whose next-token probabilities depend only on the step: P[t] (vocab_size,)."""

    def __init__(self, table):
        super().__init__()
        self.log_table = torch.tensor(table).log()  # (max_len, vocab_size)

    def init_state(self, enc_outputs, *args):
        return torch.zeros(1, enc_outputs.shape[0], dtype=torch.long)  # the step, batch in dim 1

    def forward(self, X, state):
        logits = self.log_table[state[0]][:, None, :]  # (batch_size, 1, vocab_size)
        return logits, state + 1


def test_length_normalisation_changes_the_winner():
    """Stop at once with probability 0.6, or pay 0.39 * 0.99 * 0.99 for two tokens more.
    Summed log-probabilities prefer stopping (-0.51 > -0.96); per token, with alpha = 0.75,
    the longer answer wins (-0.96 / 3**0.75 = -0.42 > -0.51)."""
    eos, a, rest = 2, 3, 0.01 / 8  # vocabulary of 5: pad, bos, eos, a, b
    table = [
        [rest, rest, 0.6, 0.39, 0.01 - 2 * rest],
        [rest, rest, rest, 0.99, 0.01 - 3 * rest],
        [rest, rest, 0.99, rest, 0.01 - 3 * rest],
    ]
    model = EncoderDecoder(nn.Identity(), _StepTable(table))
    src = torch.zeros(1, 2, dtype=torch.long)
    [plain] = beam_search(model, src, 3, 3, bos=1, eos=eos, alpha=0.0)
    [normalised] = beam_search(model, src, 3, 3, bos=1, eos=eos, alpha=0.75)
    assert plain[0].tokens == [] and plain[0].log_prob == pytest.approx(math.log(0.6), rel=1e-5)
    assert normalised[0].tokens == [a, a]
    assert normalised[0].score == pytest.approx(math.log(0.39 * 0.99 * 0.99) / 3**0.75, rel=1e-5)
