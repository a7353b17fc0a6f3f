"""Attention: masked softmax, additive and dot-product scoring, the attention decoder."""

import functools

import pytest
import torch
import torch.nn.functional as F
from d2l import torch as d2l

from lstm_gru.attention import (
    AdditiveAttention,
    DotProductAttention,
    Seq2SeqAttentionDecoder,
    alignment,
    masked_softmax,
)
from lstm_gru.encoder_decoder import (
    EncoderDecoder,
    Seq2SeqEncoder,
    beam_search,
    greedy_decode,
    masked_cross_entropy,
)
from tests.test_encoder_decoder import (
    BOS,
    EMBED,
    EOS,
    HIDDENS,
    VOCAB,
    brute_force_best,
    reverse_batch,
)

TOLERANCE = 1e-6  # float32, the same operations in another order


def attention_model(cell="gru", bidirectional=True, num_layers=1, seed=0):
    """A seeded, untrained encoder-decoder with attention."""
    torch.manual_seed(seed)
    enc = Seq2SeqEncoder(VOCAB, EMBED, HIDDENS, num_layers, cell=cell, bidirectional=bidirectional)
    dec = Seq2SeqAttentionDecoder(VOCAB, EMBED, enc.output_size, num_layers, cell=cell)
    return EncoderDecoder(enc, dec)


@pytest.mark.parametrize(
    "valid_len", [torch.tensor([2, 5, 1]), torch.tensor([[1, 2], [5, 3], [4, 4]])]
)
def test_masked_softmax_sums_to_one_over_real_keys_and_is_exactly_zero_on_padding(valid_len):
    torch.manual_seed(0)
    scores = torch.randn(3, 2, 5) * 10  # (batch_size, num_queries, num_keys)
    weights = masked_softmax(scores, valid_len)
    lengths = valid_len[:, None].expand(3, 2) if valid_len.dim() == 1 else valid_len
    for b in range(3):
        for q in range(2):
            n = int(lengths[b, q])
            assert weights[b, q, :n].sum().item() == pytest.approx(1.0, abs=TOLERANCE)
            assert torch.all(weights[b, q, n:] == 0)
            assert torch.all(weights[b, q, :n] > 0)
    expected = d2l.masked_softmax(scores.clone(), valid_len)  # d2l writes into its input
    assert (weights - expected).abs().max() < TOLERANCE
    assert torch.allclose(masked_softmax(scores), torch.softmax(scores, dim=-1))


def test_additive_attention_equals_d2l_with_copied_weights():
    torch.manual_seed(0)
    queries, keys = torch.randn(2, 3, 4), torch.randn(2, 5, 6)  # query and key sizes differ
    values = torch.randn(2, 5, 7)
    valid_len = torch.tensor([2, 5])
    ours = AdditiveAttention(key_size=6, query_size=4, num_hiddens=8)
    book = d2l.AdditiveAttention(num_hiddens=8, dropout=0.0)
    book(queries, keys, values, valid_len)  # materialise d2l's lazy layers
    with torch.no_grad():
        for name in ("W_q", "W_k", "w_v"):
            getattr(book, name).weight.copy_(getattr(ours, name).weight)
    got, expected = ours(queries, keys, values, valid_len), book(queries, keys, values, valid_len)
    assert got.shape == (2, 3, 7) and ours.attention_weights.shape == (2, 3, 5)
    assert (got - expected).abs().max() < TOLERANCE
    assert (ours.attention_weights - book.attention_weights).abs().max() < TOLERANCE
    assert torch.all(ours.attention_weights[0, :, 2:] == 0)


def test_dot_product_attention_equals_d2l_and_is_scaled():
    torch.manual_seed(1)
    queries, keys, values = torch.randn(2, 3, 4), torch.randn(2, 5, 4), torch.randn(2, 5, 3)
    valid_len = torch.tensor([[1, 2, 3], [5, 5, 4]])
    ours = DotProductAttention()
    got = ours(queries, keys, values, valid_len)
    expected = d2l.DotProductAttention(dropout=0.0)(queries, keys, values, valid_len)
    assert (got - expected).abs().max() < TOLERANCE
    scores = queries[1, 0] @ keys[1].T / 2  # sqrt(4) = 2, all 5 keys valid for this query
    assert torch.allclose(
        ours.attention_weights[1, 0], torch.softmax(scores, dim=0), atol=TOLERANCE
    )


def decoder_by_the_equations(decoder, enc_outputs, hidden, valid_len, X):
    """The attention GRU decoder's equations, one step at a time, from its own weights:
    a_t = softmax_k(w_v . tanh(W_q h_{t-1} + W_k k_k)) over real k; c_t = sum_k a_tk k_k;
    h_t = GRU([c_t; e(x_t)], h_{t-1}); logits_t = W_o h_t + b_o."""
    att, rnn = decoder.attention, decoder.rnn
    W_ih, W_hh, b_ih, b_hh = rnn.weight_ih_l0, rnn.weight_hh_l0, rnn.bias_ih_l0, rnn.bias_hh_l0
    keys = enc_outputs.transpose(0, 1)  # (batch, num_keys, hiddens)
    h = hidden[0]  # (batch, hiddens)
    logits = []
    for t in range(X.shape[1]):
        scores = torch.tanh(att.W_q(h)[:, None, :] + att.W_k(keys)) @ att.w_v.weight[0]  # (B, K)
        positions = torch.arange(keys.shape[1])[None, :]
        scores = scores.masked_fill(positions >= valid_len[:, None], float("-inf"))
        context = (torch.softmax(scores, dim=1)[:, :, None] * keys).sum(dim=1)  # (B, hiddens)
        x = torch.cat([context, decoder.embedding(X[:, t])], dim=1)
        r_x, z_x, n_x = (x @ W_ih.T + b_ih).chunk(3, dim=1)
        r_h, z_h, n_h = (h @ W_hh.T + b_hh).chunk(3, dim=1)
        r, z = torch.sigmoid(r_x + r_h), torch.sigmoid(z_x + z_h)
        h = z * h + (1 - z) * torch.tanh(n_x + r * n_h)
        logits.append(decoder.dense(h))
    return torch.stack(logits, dim=1)


def test_decoder_follows_its_equations():
    model = attention_model("gru", bidirectional=True)
    X = torch.randint(3, VOCAB, (3, 6))
    valid_len = torch.tensor([6, 2, 4])
    Y = torch.randint(0, VOCAB, (3, 4))
    with torch.no_grad():
        logits, _ = model(X, Y, valid_len)
        enc_outputs, hidden = model.encoder(X, valid_len)
        expected = decoder_by_the_equations(model.decoder, enc_outputs, hidden, valid_len, Y)
    assert logits.shape == (3, 4, VOCAB)
    assert (logits - expected).abs().max() < 1e-5
    weights = model.decoder.attention_weights  # (batch, decoder steps, source steps)
    assert weights.shape == (3, 4, 6)
    assert torch.allclose(weights.sum(dim=2), torch.ones(3, 4), atol=TOLERANCE)
    assert torch.all(weights[1, :, 2:] == 0) and torch.all(weights[2, :, 4:] == 0)


@pytest.mark.parametrize("cell", ["gru", "lstm"])
def test_padding_does_not_change_any_output(cell):
    model = attention_model(cell, num_layers=2)
    X = torch.randint(3, VOCAB, (4, 7))
    valid_len = torch.tensor([7, 3, 5, 1])
    padding = torch.arange(7)[None, :] >= valid_len[:, None]
    Y = torch.randint(0, VOCAB, (4, 5))
    with torch.no_grad():
        logits_a, _ = model(X.masked_fill(padding, 0), Y, valid_len)
        logits_b, _ = model(X.masked_fill(padding, 9), Y, valid_len)  # other padding ids
        assert torch.equal(logits_a, logits_b)
        for i, n in enumerate(valid_len.tolist()):  # each alone, unpadded: the same logits
            alone, _ = model(X[i : i + 1, :n], Y[i : i + 1])
            assert (alone[0] - logits_a[i]).abs().max() < 1e-5
        # without valid lengths the decoder attends to the padding too
        assert not torch.allclose(model(X.masked_fill(padding, 0), Y)[0], logits_a, atol=1e-3)


@functools.cache
def trained_reverser():
    """Trained briefly to reverse sequences (as tests/test_encoder_decoder.py's models); shared
    by the tests below, which only decode with it."""
    model = attention_model("gru")
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    for step in range(120):
        src, src_len, dec_in, tgt, tgt_len = reverse_batch(32, seed=step)
        loss = masked_cross_entropy(model(src, dec_in, src_len)[0], tgt, tgt_len)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return model.eval()


def test_beam_of_one_is_greedy_and_a_wide_beam_is_exhaustive():
    model = trained_reverser()
    src, valid_len, *_ = reverse_batch(8, seed=100)
    tokens, log_probs = greedy_decode(model, src, 7, bos=BOS, eos=EOS, src_valid_len=valid_len)
    beams = beam_search(model, src, 1, 7, bos=BOS, eos=EOS, src_valid_len=valid_len)
    assert [b[0].tokens for b in beams] == tokens
    assert [b[0].log_prob for b in beams] == pytest.approx(log_probs.tolist(), abs=1e-5)
    for alpha in (0.0, 0.75):
        one = torch.tensor([[5, 6]])
        best, score = brute_force_best(model, one, 2, alpha)
        [hyps] = beam_search(model, one, VOCAB**2, 2, bos=BOS, eos=EOS, alpha=alpha)
        assert hyps[0].tokens == best and hyps[0].score == pytest.approx(score, abs=1e-5)


def test_attention_learns_to_reverse_far_above_chance():
    src, valid_len, _, tgt, tgt_len = reverse_batch(64, seed=999)
    tokens, _ = greedy_decode(trained_reverser(), src, 7, bos=BOS, eos=EOS, src_valid_len=valid_len)
    right = sum(t == tgt[i, : tgt_len[i] - 1].tolist() for i, t in enumerate(tokens))
    assert right >= 32  # a sequence of up to 5 tokens from 7 ids: chance is far below 1%


def test_bad_inputs_raise_clear_errors():
    model = attention_model("gru", bidirectional=True)
    enc_outputs = model.encoder(torch.randint(3, VOCAB, (2, 4)))
    with pytest.raises(ValueError, match=r"num_hiddens=16 features, got shape \(4, 2, 32\)"):
        Seq2SeqAttentionDecoder(VOCAB, EMBED, HIDDENS).init_state(enc_outputs)
    with pytest.raises(ValueError, match=r"enc_valid_len must lie in \[1, 4\].*from 0 to 5"):
        model.decoder.init_state(enc_outputs, torch.tensor([0, 5]))
    with pytest.raises(
        ValueError, match=r"enc_valid_len must have size 2 in dimension 0, got shape \(3,\)"
    ):
        model.decoder.init_state(enc_outputs, torch.tensor([1, 2, 3]))
    state = model.decoder.init_state(enc_outputs)
    with pytest.raises(ValueError, match="X holds 3 sequences but the state was built for 2"):
        model.decoder(torch.ones(3, 1, dtype=torch.long), state)
    with pytest.raises(ValueError, match="must agree in batch_size and num_keys"):
        DotProductAttention()(torch.ones(2, 1, 4), torch.ones(3, 5, 4), torch.ones(3, 5, 2))
    with pytest.raises(ValueError, match=r"queries must have 4 features \(dimension 2\)"):
        AdditiveAttention(6, 4, 8)(torch.ones(2, 1, 3), torch.ones(2, 5, 6), torch.ones(2, 5, 2))
    with pytest.raises(ValueError, match=r"valid_len must have shape \(batch_size=2,\)"):
        masked_softmax(torch.ones(2, 3, 4), torch.ones(2, 2, dtype=torch.long))
    with pytest.raises(ValueError, match=r"valid_len must lie in \[1, 4\]"):
        masked_softmax(torch.ones(2, 3, 4), torch.tensor([0, 4]))
    with pytest.raises(ValueError, match="alpha must be >= 0, got -0.5"):
        beam_search(model, torch.ones(1, 3, dtype=torch.long), 2, 4, bos=BOS, eos=EOS, alpha=-0.5)


def test_gradient_reaches_every_real_source_position():
    model = attention_model("gru")
    X = torch.randint(3, VOCAB, (2, 5))
    valid_len = torch.tensor([5, 3])
    enc_outputs, hidden = model.encoder(X, valid_len)
    enc_outputs.retain_grad()
    logits, _ = model.decoder(
        torch.ones(2, 1, dtype=torch.long),
        model.decoder.init_state((enc_outputs, hidden), valid_len),
    )
    F.log_softmax(logits, -1)[:, 0, 4].sum().backward()
    grad = enc_outputs.grad.norm(dim=2)  # (num_steps, batch)
    assert torch.all(grad[:5, 0] > 0) and torch.all(grad[:3, 1] > 0)
    assert torch.all(grad[3:, 1] == 0)  # padding gets no weight, hence no gradient


def test_alignment_is_the_decoders_weights_while_writing_the_outputs():
    model = attention_model("gru")
    src = torch.tensor([[5, 6, 7, 8]])
    weights = alignment(model, src, [4, 3, EOS], bos=BOS)
    assert weights.shape == (3, 4)
    assert torch.allclose(weights.sum(dim=1), torch.ones(3), atol=TOLERANCE)
    model(src, torch.tensor([[BOS, 4, 3]]))
    assert torch.equal(weights, model.decoder.attention_weights[0])
    with pytest.raises(TypeError, match="must be a Seq2SeqAttentionDecoder, got Seq2SeqDecoder"):
        from tests.test_encoder_decoder import make_model

        alignment(make_model(), src, [4], bos=BOS)
