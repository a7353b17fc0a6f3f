import pytest
import torch
from torch import nn

from lstm_gru.bidirectional import BidirectionalScratch
from lstm_gru.cells import GRUScratch, LSTMScratch

TOLERANCE = 1e-5  # float32 arithmetic in another order differs around 1e-7


@pytest.mark.parametrize("torch_class", [nn.LSTM, nn.GRU, nn.RNN])
def test_equals_torch_bidirectional_with_copied_weights(torch_class):
    torch.manual_seed(0)
    module = torch_class(3, 5, bidirectional=True)
    X = torch.randn(7, 2, 3)  # (num_steps, batch_size, num_inputs)
    if torch_class is nn.LSTM:
        state = (torch.randn(2, 2, 5), torch.randn(2, 2, 5))
    else:
        state = torch.randn(2, 2, 5)
    scratch = BidirectionalScratch.from_torch(module)
    with torch.no_grad():
        expected, expected_state = module(X, state)
        got, got_state = scratch(X, state)
    assert got.shape == (7, 2, 10)
    assert (got - expected).abs().max() < TOLERANCE
    for g, e in zip(
        *(s if isinstance(s, tuple) else (s,) for s in (got_state, expected_state)), strict=True
    ):
        assert g.shape == (2, 2, 5)
        assert (g - e).abs().max() < TOLERANCE


def test_second_layer_of_a_stacked_bidirectional_lstm():
    torch.manual_seed(1)
    module = nn.LSTM(3, 4, num_layers=2, bidirectional=True)
    X = torch.randn(6, 2, 3)
    layers = [BidirectionalScratch.from_torch(module, k) for k in range(2)]
    with torch.no_grad():
        expected, _ = module(X)
        hidden, _ = layers[0](X)
        got, _ = layers[1](hidden)
    assert layers[1].forward_cell.num_inputs == 8  # both directions of layer 0
    assert (got - expected).abs().max() < TOLERANCE


def test_the_backward_half_at_step_0_has_read_the_whole_sequence():
    torch.manual_seed(2)
    scratch = BidirectionalScratch.from_torch(nn.GRU(2, 3, bidirectional=True))
    X = torch.randn(5, 1, 2)
    changed = X.clone()
    changed[-1] += 1.0  # change only the last step
    with torch.no_grad():
        before, _ = scratch(X)
        after, _ = scratch(changed)
    assert torch.equal(before[:-1, :, :3], after[:-1, :, :3])  # forward half: past only
    assert (before[0, :, 3:] - after[0, :, 3:]).abs().max() > 1e-4  # backward half: the future


def test_bad_arguments():
    with pytest.raises(ValueError, match="module must be bidirectional"):
        BidirectionalScratch.from_torch(nn.LSTM(2, 3))
    with pytest.raises(TypeError, match="module must be an nn.LSTM, nn.GRU or nn.RNN, got Linear"):
        BidirectionalScratch.from_torch(nn.Linear(2, 3))
    with pytest.raises(ValueError, match="same kind and size"):
        BidirectionalScratch(LSTMScratch(2, 3), GRUScratch(2, 3))
    with pytest.raises(TypeError, match="forward_cell must be an LSTMScratch"):
        BidirectionalScratch(nn.LSTM(2, 3), LSTMScratch(2, 3))
    scratch = BidirectionalScratch(GRUScratch(2, 3), GRUScratch(2, 3))
    with pytest.raises(
        ValueError,
        match=r"state must have shape \(2, batch_size, num_hiddens\).*got shape \(1, 1, 3\)",
    ):
        scratch(torch.zeros(4, 1, 2), torch.zeros(1, 1, 3))
