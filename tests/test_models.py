import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from lstm_gru import seed_everything
from lstm_gru.data import Vocab
from lstm_gru.models import CharRNN, SequenceModel, make_rnn


@pytest.mark.parametrize("cell, cls", [("rnn", nn.RNN), ("lstm", nn.LSTM), ("gru", nn.GRU)])
def test_make_rnn_builds_time_major_torch_module(cell, cls):
    rnn = make_rnn(cell, 3, 4, num_layers=2)
    assert type(rnn) is cls and not rnn.batch_first
    assert (rnn.input_size, rnn.hidden_size, rnn.num_layers) == (3, 4, 2)


def test_make_rnn_rejects_unknown_cell():
    with pytest.raises(
        ValueError, match=r"cell must be one of \['gru', 'lstm', 'rnn'\], got 'LSTM'"
    ):
        make_rnn("LSTM", 3, 4)


def test_forget_bias_sets_the_sum_of_both_biases_and_nothing_else():
    seed_everything(0)
    plain = make_rnn("lstm", 3, 4, num_layers=2)
    seed_everything(0)
    biased = make_rnn("lstm", 3, 4, num_layers=2, forget_bias=1.0)
    forget = slice(4, 8)  # gate order i, f, g, o
    for k in range(2):
        b_ih, b_hh = getattr(biased, f"bias_ih_l{k}"), getattr(biased, f"bias_hh_l{k}")
        assert torch.equal(b_ih[forget] + b_hh[forget], torch.ones(4))
        for name in (f"bias_ih_l{k}", f"bias_hh_l{k}"):
            a, b = getattr(plain, name), getattr(biased, name)
            assert torch.equal(a[:4], b[:4]) and torch.equal(a[8:], b[8:])
        assert torch.equal(getattr(plain, f"weight_hh_l{k}"), getattr(biased, f"weight_hh_l{k}"))


def test_forget_bias_only_for_lstm():
    with pytest.raises(ValueError, match="forget_bias applies to cell='lstm' only, got cell='gru'"):
        make_rnn("gru", 3, 4, forget_bias=1.0)


def test_chrono_init_lstm_and_gru():
    seed_everything(0)
    lstm = make_rnn("lstm", 3, 16, chrono_init=100)
    forget = lstm.bias_ih_l0[16:32] + lstm.bias_hh_l0[16:32]
    inputs = lstm.bias_ih_l0[:16] + lstm.bias_hh_l0[:16]
    assert forget.min() >= 0 and forget.max() <= math.log(99)
    assert torch.equal(inputs, -forget)
    assert forget.std() > 0.3  # spread time scales, not one constant
    gru = make_rnn("gru", 3, 16, chrono_init=100)
    update = gru.bias_ih_l0[16:32] + gru.bias_hh_l0[16:32]  # gate order r, z, n
    assert update.min() >= 0 and update.max() <= math.log(99)


def test_chrono_init_errors():
    with pytest.raises(ValueError, match="chrono_init applies to cell='lstm' or 'gru'"):
        make_rnn("rnn", 3, 4, chrono_init=100)
    with pytest.raises(ValueError, match="not both"):
        make_rnn("lstm", 3, 4, forget_bias=1.0, chrono_init=100)
    with pytest.raises(ValueError, match="chrono_init must be >= 3, got 2"):
        make_rnn("gru", 3, 4, chrono_init=2)


def test_make_rnn_checks_sizes():
    with pytest.raises(ValueError, match="num_hiddens must be >= 1, got 0"):
        make_rnn("gru", 3, 0)
    with pytest.raises(TypeError, match="num_inputs must be an int"):
        make_rnn("gru", 3.0, 4)


@pytest.mark.parametrize("embed_dim", [None, 5])
@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_char_rnn_shapes(cell, embed_dim):
    model = CharRNN(7, 6, cell=cell, num_layers=2, embed_dim=embed_dim)
    tokens = torch.randint(0, 7, (3, 5))  # (batch_size, num_steps)
    logits, state = model(tokens)
    assert logits.shape == (3, 5, 7)
    h = state[0] if cell == "lstm" else state
    assert h.shape == (2, 3, 6)
    assert model.inputs(tokens).shape == (5, 3, 7 if embed_dim is None else 5)


def test_char_rnn_one_hot_inputs_are_time_major():
    model = CharRNN(4, 3)
    tokens = torch.tensor([[0, 3], [2, 1]])  # (batch_size=2, num_steps=2)
    X = model.inputs(tokens)
    assert torch.equal(X[:, 0], torch.tensor([[1.0, 0, 0, 0], [0, 0, 0, 1]]))
    assert torch.equal(X[1], torch.tensor([[0.0, 0, 0, 1], [0, 1, 0, 0]]))


def test_char_rnn_forward_carries_state():
    seed_everything(0)
    model = CharRNN(5, 4, cell="lstm")
    tokens = torch.randint(0, 5, (2, 6))
    whole, _ = model(tokens)
    first, state = model(tokens[:, :4])
    rest, _ = model(tokens[:, 4:], state)
    torch.testing.assert_close(torch.cat([first, rest], dim=1), whole, rtol=0, atol=1e-6)


def test_char_rnn_input_errors():
    model = CharRNN(5, 4)
    with pytest.raises(TypeError, match="tokens must be an integer tensor"):
        model(torch.zeros(2, 3))
    with pytest.raises(ValueError, match="tokens must have 2 dimensions, got shape \\(3,\\)"):
        model(torch.zeros(3, dtype=torch.long))
    with pytest.raises(ValueError, match=r"tokens must be ids in \[0, 5\), got values in \[0, 5\]"):
        model(torch.tensor([[0, 5]]))
    with pytest.raises(ValueError, match="cell must be one of"):
        CharRNN(5, 4, cell="transformer")


@pytest.fixture
def tiny_lm():
    vocab = Vocab("hello world")
    seed_everything(0)
    return CharRNN(len(vocab), 8, cell="gru"), vocab


def test_generate_greedy_is_the_argmax_of_forward(tiny_lm):
    model, vocab = tiny_lm
    text = model.generate("he", 10, vocab)
    assert text.startswith("he") and len(text) == 12
    assert text == model.generate("he", 10, vocab)  # deterministic
    logits, _ = model(vocab.encode(text[:-1])[None])  # (1, 11, vocab_size)
    predicted = vocab.decode(logits[0, 1:].argmax(-1))
    assert predicted == text[2:]


def test_generate_exact_output_of_a_seeded_model(tiny_lm):
    model, vocab = tiny_lm
    assert model.generate("hello", 8, vocab) == "hellooooooooo"
    assert model.generate("hello", 8, vocab, temperature=1.0, seed=0) == "hellohoooeodo"


def test_generate_sampling_is_seeded(tiny_lm):
    model, vocab = tiny_lm
    a = model.generate("h", 30, vocab, temperature=1.0, seed=1)
    assert a == model.generate("h", 30, vocab, temperature=1.0, seed=1)
    assert a != model.generate("h", 30, vocab, temperature=1.0, seed=2)
    assert model.training  # generate switches to eval mode and back


def test_generate_errors(tiny_lm):
    model, vocab = tiny_lm
    with pytest.raises(ValueError, match="prefix must be a non-empty str"):
        model.generate("", 5, vocab)
    with pytest.raises(ValueError, match="vocab must have vocab_size=9 tokens, got len"):
        model.generate("h", 5, Vocab("ab"))
    with pytest.raises(ValueError, match="temperature must be a number >= 0, got -1"):
        model.generate("h", 5, vocab, temperature=-1)
    with pytest.raises(ValueError, match="num_chars must be >= 0, got -1"):
        model.generate("h", -1, vocab)


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_sequence_model_last_step_and_per_step(cell):
    seed_everything(0)
    model = SequenceModel(3, 4, 2, cell=cell)
    X = torch.randn(6, 5, 3)  # (num_steps, batch_size, num_inputs)
    out = model(X)
    assert out.shape == (5, 2)
    outputs, _ = model.rnn(X)
    torch.testing.assert_close(out, model.head(outputs[-1]), rtol=0, atol=0)
    model.per_step = True
    assert model(X).shape == (6, 5, 2)
    torch.testing.assert_close(model(X)[-1], out, rtol=0, atol=1e-6)


def test_sequence_model_input_errors():
    model = SequenceModel(3, 4, 2)
    with pytest.raises(
        ValueError, match=r"X must have size 3 in dimension 2, got shape \(6, 5, 4\)"
    ):
        model(torch.randn(6, 5, 4))
    with pytest.raises(TypeError, match="X must be a floating-point tensor"):
        model(torch.zeros(6, 5, 3, dtype=torch.long))
    with pytest.raises(ValueError, match="X must have 3 dimensions"):
        model(torch.randn(5, 3))


def test_uniform_one_hot_matches_f_one_hot():
    model = CharRNN(6, 2)
    tokens = torch.tensor([[5, 0, 2]])
    assert torch.equal(model.inputs(tokens), F.one_hot(tokens.T, 6).float())


def test_char_rnn_dropout_is_active_in_training_only():
    seed_everything(0)
    model = CharRNN(5, 16, num_layers=2, dropout=0.5)
    assert model.rnn.dropout == 0.5 and model.dropout.p == 0.5
    tokens = torch.randint(0, 5, (2, 4))
    assert not torch.equal(model(tokens)[0], model(tokens)[0])  # random masks
    model.eval()
    assert torch.equal(model(tokens)[0], model(tokens)[0])
    assert CharRNN(5, 4, dropout=0.5).rnn.dropout == 0.0  # one layer: nothing to drop between
    with pytest.raises(ValueError, match="dropout must be in \\[0, 1\\), got 1.0"):
        CharRNN(5, 4, dropout=1.0)
