"""The GLU-family feed-forward layers compute Shazeer's formulas; the plain FFN has no gate."""

import pytest
import torch
import torch.nn.functional as F

from lstm_gru.glu import ACTIVATIONS, FeedForward, GLUFeedForward, glu_d_ff


def count(module):
    return sum(p.numel() for p in module.parameters())


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
@pytest.mark.parametrize("shape", [(8,), (5, 8), (2, 5, 8)])
def test_shapes(activation, shape):
    torch.manual_seed(0)
    layer = GLUFeedForward(8, 12, activation=activation)
    x = torch.randn(shape)
    y, gate = layer(x, return_gate=True)
    assert y.shape == shape
    assert gate.shape == (*shape[:-1], 12)
    assert torch.equal(layer(x), y)
    assert FeedForward(8, 12)(x).shape == shape


def test_sigmoid_glu_is_the_formula_written_out():
    torch.manual_seed(0)
    layer = GLUFeedForward(4, 6, activation="sigmoid")
    x = torch.randn(3, 4)
    W, V, W2 = layer.W.weight.T, layer.V.weight.T, layer.W2.weight.T  # (4, 6), (4, 6), (6, 4)
    expected = (torch.sigmoid(x @ W) * (x @ V)) @ W2
    y, gate = layer(x, return_gate=True)
    assert torch.allclose(y, expected, atol=1e-6)
    assert torch.allclose(gate, torch.sigmoid(x @ W), atol=1e-7)
    assert ((gate > 0) & (gate < 1)).all()  # a sigmoid gate is a soft switch, like a GRU's


def test_swiglu_gates_with_x_times_sigmoid_x():
    torch.manual_seed(0)
    layer = GLUFeedForward(4, 6)  # swish is the default
    x = torch.randn(3, 4)
    a = layer.W(x)
    expected = layer.W2(a * torch.sigmoid(a) * layer.V(x))
    assert torch.allclose(layer(x), expected, atol=1e-6)


def test_other_activations():
    torch.manual_seed(0)
    x = torch.randn(3, 4)
    for activation, act in [("relu", F.relu), ("gelu", F.gelu), ("bilinear", lambda t: t)]:
        layer = GLUFeedForward(4, 6, activation=activation)
        expected = layer.W2(act(layer.W(x)) * layer.V(x))
        assert torch.allclose(layer(x), expected, atol=1e-6), activation


def test_plain_ffn_has_no_gate():
    torch.manual_seed(0)
    layer = FeedForward(4, 6)
    x = torch.randn(3, 4)
    expected = F.relu(x @ layer.W1.weight.T) @ layer.W2.weight.T
    assert torch.allclose(layer(x), expected, atol=1e-6)
    assert [name for name, _ in layer.named_parameters()] == ["W1.weight", "W2.weight"]


def test_parameter_counts():
    """FFN: 2 d_model d_ff; GLU: 3 matrices, so d_ff * 2/3 keeps the count equal (Shazeer 2020)."""
    assert count(FeedForward(768, 3072)) == 2 * 768 * 3072 == 4_718_592
    assert count(GLUFeedForward(768, 3072)) == 3 * 768 * 3072
    assert glu_d_ff(3072) == 2048  # Shazeer's T5 setting
    assert count(GLUFeedForward(768, glu_d_ff(3072))) == count(FeedForward(768, 3072))
    assert count(GLUFeedForward(4, 6, bias=True)) == 3 * 4 * 6 + 2 * 6 + 4
    assert count(FeedForward(4, 6, bias=True)) == 2 * 4 * 6 + 6 + 4


def test_gate_is_detached_and_gradients_flow():
    torch.manual_seed(0)
    layer = GLUFeedForward(4, 6)
    x = torch.randn(3, 4, requires_grad=True)
    y, gate = layer(x, return_gate=True)
    assert not gate.requires_grad
    y.sum().backward()
    assert x.grad is not None and all(p.grad is not None for p in layer.parameters())


def test_rejects_bad_inputs():
    layer = GLUFeedForward(4, 6)
    with pytest.raises(ValueError, match=r"x must have size 4 in dimension -1, got shape \(3, 5\)"):
        layer(torch.randn(3, 5))
    with pytest.raises(ValueError, match=r"x must have 1 or 2 or 3 dimensions, got shape \(\)"):
        layer(torch.tensor(1.0))
    with pytest.raises(TypeError, match="x must be a floating-point tensor"):
        FeedForward(4, 6)(torch.ones(3, 4, dtype=torch.long))
    with pytest.raises(ValueError, match=r"activation must be one of \['bilinear', 'gelu', 're"):
        GLUFeedForward(4, 6, activation="tanh")
    with pytest.raises(ValueError, match="d_ff must be >= 1, got 0"):
        FeedForward(4, 0)
    with pytest.raises(TypeError, match="d_model must be an int"):
        GLUFeedForward(4.5, 6)
    with pytest.raises(ValueError, match="d_ff must be >= 1, got -3"):
        glu_d_ff(-3)
