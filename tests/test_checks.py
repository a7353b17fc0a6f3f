"""Value checks read CPU tensors only; off the CPU (on a GPU) a read would stall training.

The "meta" device stands in for a GPU here: its tensors have shapes and dtypes but no values,
so any read of a value raises.
"""

import pytest
import torch

from lstm_gru.checks import check_token_ids, check_valid_len
from lstm_gru.models import CharRNN


def test_token_ids_are_range_checked_on_the_cpu():
    with pytest.raises(ValueError, match=r"X holds token ids outside .*smallest -1, largest 5"):
        check_token_ids(torch.tensor([[0, -1], [5, 2]]), "X", 5)
    with pytest.raises(ValueError, match=r"valid_len must lie in \[1, 3\].*from 0 to 4"):
        check_valid_len(torch.tensor([0, 4]), "valid_len", batch_size=2, num_steps=3)


def test_values_off_the_cpu_are_not_read_but_dtype_and_shape_are_checked():
    ids = torch.full((2, 3), 99, device="meta")  # out of range, but unreadable
    assert check_token_ids(ids, "X", 5) is ids
    lengths = torch.full((2,), 9, device="meta")
    assert check_valid_len(lengths, "valid_len", batch_size=2, num_steps=3).device.type == "meta"
    with pytest.raises(TypeError, match="X must be an integer tensor"):
        check_token_ids(torch.zeros(2, 3, device="meta"), "X", 5)
    with pytest.raises(ValueError, match="valid_len must have size 2 in dimension 0"):
        check_valid_len(lengths[:1], "valid_len", batch_size=2, num_steps=3)


def test_char_rnn_reads_its_tokens_on_the_cpu_only():
    model = CharRNN(5, 3, embed_dim=2)
    with pytest.raises(ValueError, match=r"tokens must be ids in \[0, 5\), got values in \[0, 7\]"):
        model.inputs(torch.tensor([[0, 7]]))
    tokens = torch.full((2, 4), 7, device="meta")
    assert model.to("meta").inputs(tokens).shape == (4, 2, 2)  # (num_steps, batch, embed_dim)
