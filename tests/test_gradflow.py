"""Gradient flow: pinned, seeded values for the toy paths and for nn.RNN / nn.LSTM / nn.GRU."""

import pytest
import torch
from torch import nn

from lstm_gru.cells import LSTMScratch
from lstm_gru.gradflow import gradient_vs_distance, path_gradients

RTOL = 1e-6  # float64 throughout; the values only depend on the seed


# ---------------------------------------------------------------- toy paths


def test_path_gradients_pinned_values():
    tanh, cell, residual = (path_gradients(kind, 50) for kind in ("tanh", "cell", "residual"))
    assert tanh.shape == cell.shape == residual.shape == (51,)
    assert tanh.dtype == torch.float64
    for g in (tanh, cell, residual):
        assert g[0].item() == pytest.approx(1.0)  # the unit vector u itself
    assert tanh[10].item() == pytest.approx(0.014813202390727661, rel=RTOL)
    assert tanh[50].item() == pytest.approx(1.5974253677466847e-10, rel=RTOL)
    assert cell[10].item() == pytest.approx(0.5452980510158643, rel=RTOL)
    assert cell[50].item() == pytest.approx(0.027206303247652715, rel=RTOL)
    assert residual[50].item() == pytest.approx(4.994352249752898, rel=RTOL)


def test_path_gradients_qualitative():
    tanh, cell, residual = (path_gradients(kind, 50) for kind in ("tanh", "cell", "residual"))
    assert tanh[50] < 1e-9 < cell[50]  # multiplicative dies; gated-additive with f ~ 0.95 lives
    assert (cell[1:] < cell[:-1]).all()  # every f_t < 1: the cell path shrinks at every step
    assert residual.min() > 0.99  # the identity path never lets it vanish
    # the forget gate sets the decay: f = sigmoid(10) ~ 1 - 4.5e-5 keeps almost everything
    assert path_gradients("cell", 50, forget_bias=10.0)[50] > 0.99
    assert path_gradients("cell", 50, forget_bias=0.0)[50] < 1e-12
    # a smaller recurrent matrix vanishes faster
    assert path_gradients("tanh", 50, weight_scale=0.5)[10] < tanh[10] / 100


def test_path_gradients_deterministic_and_seeded():
    assert torch.equal(path_gradients("tanh", 20, seed=3), path_gradients("tanh", 20, seed=3))
    assert not torch.equal(path_gradients("tanh", 20, seed=3), path_gradients("tanh", 20, seed=4))


def test_path_gradients_rejects_bad_arguments():
    with pytest.raises(ValueError, match=r"kind must be one of \('tanh', 'cell', 'residual'\)"):
        path_gradients("lstm", 10)
    with pytest.raises(ValueError, match="num_steps must be >= 1, got 0"):
        path_gradients("tanh", 0)
    with pytest.raises(TypeError, match="num_hiddens must be an int"):
        path_gradients("tanh", 10, num_hiddens=3.0)


# ---------------------------------------------------------------- nn.RNN / nn.LSTM / nn.GRU


@pytest.fixture(scope="module")
def curves():
    """Relative gradient g[k] / g[0] over 60 steps, PyTorch's default initialisation, seed 0."""
    runs = {"rnn": {}, "lstm": {}, "gru": {}, "lstm_forget_bias_1": {"forget_bias": 1.0}}
    out = {}
    for name, kwargs in runs.items():
        g = gradient_vs_distance(name.split("_")[0], 60, **kwargs)
        out[name] = g / g[0]
    return out


def test_gradient_vs_distance_pinned_values(curves):
    assert curves["rnn"][50].item() == pytest.approx(1.991e-11, rel=1e-3)
    assert curves["lstm"][50].item() == pytest.approx(1.388e-10, rel=1e-3)
    assert curves["gru"][50].item() == pytest.approx(8.738e-10, rel=1e-3)
    assert curves["lstm_forget_bias_1"][50].item() == pytest.approx(4.394e-4, rel=1e-3)
    assert gradient_vs_distance("rnn", 60)[0].item() == pytest.approx(1.53449050361089, rel=RTOL)


def test_vanilla_rnn_vanishes_and_gates_only_help_when_open(curves):
    """What is true at initialisation (checked on seeds 0-9 when written).

    The RNN's gradient 50 steps back is < 1e-10 of the newest one. LSTM and GRU keep more
    (every seed: > 5x the RNN's) but at PyTorch's default init their gates sit near 0.5, so they
    vanish too (< 1e-8). A forget-gate bias of 1 (f ~ 0.73) keeps > 1e-5: the cell path only
    carries gradient when the forget gate is open.
    """
    assert curves["rnn"][50] < 1e-10
    assert curves["lstm"][50] > 5 * curves["rnn"][50]
    assert curves["gru"][50] > 5 * curves["rnn"][50]
    assert curves["lstm"][50] < 1e-8 and curves["gru"][50] < 1e-8
    assert curves["lstm_forget_bias_1"][50] > 1e-5
    assert curves["lstm_forget_bias_1"][50] > 1e5 * curves["lstm"][50]


def test_gradient_vs_distance_accepts_modules():
    torch.manual_seed(0)
    lstm = nn.LSTM(8, 16).double()
    from_module = gradient_vs_distance(lstm, 30)
    from_scratch = gradient_vs_distance(LSTMScratch.from_torch(lstm), 30)
    assert from_module.shape == (30,)
    assert torch.allclose(from_module, from_scratch, rtol=1e-9, atol=0)


def test_gradient_vs_distance_leaves_global_rng_alone():
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    gradient_vs_distance("gru", 10)
    assert torch.equal(torch.rand(3), expected)


def test_gradient_vs_distance_rejects_bad_arguments():
    with pytest.raises(ValueError, match="module_or_kind must be one of"):
        gradient_vs_distance("transformer", 10)
    with pytest.raises(TypeError, match="module_or_kind must be a str or an nn.Module, got int"):
        gradient_vs_distance(3, 10)
    with pytest.raises(ValueError, match="forget_bias applies to kind='lstm' only"):
        gradient_vs_distance("gru", 10, forget_bias=1.0)
    with pytest.raises(ValueError, match="batch_first=False"):
        gradient_vs_distance(nn.GRU(4, 4, batch_first=True), 10)
    with pytest.raises(ValueError, match="input size"):
        gradient_vs_distance(nn.Linear(4, 4), 10)
    with pytest.raises(ValueError, match="num_steps must be >= 1"):
        gradient_vs_distance("rnn", 0)
