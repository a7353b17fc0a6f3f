"""GRU vs LSTM counted exactly: parameters 3/4, MACs 3/4; timing records for both families."""

import json

import pytest
import torch
from torch import nn

from lstm_gru.cells import GRUScratch, LSTMScratch
from lstm_gru.compare import (
    compare_gru_lstm,
    count_parameters,
    macs_per_step,
    time_training_step,
    time_training_steps,
)


@pytest.mark.parametrize("num_inputs, num_hiddens", [(1, 1), (28, 256), (64, 64), (300, 17)])
def test_gru_has_exactly_three_quarters_of_the_lstm_parameters(num_inputs, num_hiddens):
    lstm, gru = nn.LSTM(num_inputs, num_hiddens), nn.GRU(num_inputs, num_hiddens)
    per_gate = num_inputs * num_hiddens + num_hiddens**2 + 2 * num_hiddens
    assert count_parameters(lstm) == 4 * per_gate
    assert count_parameters(gru) == 3 * per_gate
    assert count_parameters(gru) / count_parameters(lstm) == 0.75  # 25 % fewer, not "1/3 fewer"
    assert count_parameters(GRUScratch(num_inputs, num_hiddens)) == count_parameters(gru)
    assert count_parameters(LSTMScratch(num_inputs, num_hiddens)) == count_parameters(lstm)


def test_count_parameters_skips_frozen():
    lstm = nn.LSTM(3, 4)
    lstm.weight_ih_l0.requires_grad_(False)
    assert count_parameters(lstm) == 4 * (4 * 4 + 2 * 4)


def test_macs_per_step():
    assert macs_per_step("lstm", 28, 256) == {
        "macs": 4 * (28 * 256 + 256 * 256),
        "elementwise": 16 * 256,
        "activations": 5 * 256,
    }
    assert macs_per_step("gru", 28, 256) == {
        "macs": 3 * (28 * 256 + 256 * 256),
        "elementwise": 14 * 256,
        "activations": 3 * 256,
    }
    assert macs_per_step("rnn", 2, 3)["macs"] == 2 * 3 + 3 * 3
    with pytest.raises(ValueError, match=r"kind must be one of \['gru', 'lstm', 'rnn'\]"):
        macs_per_step("transformer", 2, 3)
    with pytest.raises(ValueError, match="num_hiddens must be >= 1"):
        macs_per_step("gru", 2, 0)


def test_time_training_step_runs_forward_and_backward():
    torch.manual_seed(0)
    gru = nn.GRU(3, 4)
    X = torch.randn(5, 2, 3)
    seconds = time_training_step(gru, X, repeats=2)
    assert 0 < seconds < 1
    assert all(p.grad is not None for p in gru.parameters())  # the backward pass ran
    times = time_training_steps({"gru": gru, "lstm": nn.LSTM(3, 4)}, X, repeats=2, warmup=0)
    assert set(times) == {"gru", "lstm"}
    with pytest.raises(ValueError, match="X must have 3 dimensions"):
        time_training_step(gru, torch.randn(5, 3))


def test_compare_gru_lstm_records():
    records = compare_gru_lstm(4, 8, 5, batch_size=2, repeats=2)
    assert [r["model"] for r in records] == ["nn.LSTM", "nn.GRU", "LSTMScratch", "GRUScratch"]
    by_name = {r["model"]: r for r in records}
    for gru in ("nn.GRU", "GRUScratch"):
        assert by_name[gru]["param_ratio_vs_lstm"] == 0.75
        assert by_name[gru]["mac_ratio_vs_lstm"] == 0.75
        lstm = by_name[gru.replace("GRU", "LSTM")]
        ratio = by_name[gru]["step_s"] / lstm["step_s"]
        assert by_name[gru]["time_ratio_vs_lstm"] == pytest.approx(ratio)
    assert by_name["nn.LSTM"]["parameters"] == 4 * (4 * 8 + 8 * 8 + 16)
    assert len(compare_gru_lstm(4, 8, 5, batch_size=2, repeats=1, scratch=False)) == 2


def test_bench_prints_one_record_per_model_and_size(capsys):
    from lstm_gru.bench.compare import main

    main("--hiddens 4 8 --lengths 3 --num-inputs 2 --batch-size 2 --repeats 1 --device cpu".split())
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(records) == 2 * 4  # two hidden sizes, four models
    assert {(r["model"], r["num_hiddens"]) for r in records} == {
        (m, h) for m in ("nn.LSTM", "nn.GRU", "LSTMScratch", "GRUScratch") for h in (4, 8)
    }
    assert all(r["benchmark"] == "compare" and r["device"] == "cpu" for r in records)
    assert all(r["param_ratio_vs_lstm"] == 0.75 for r in records if "GRU" in r["model"])


def test_bench_rejects_bad_sizes():
    from lstm_gru.bench.compare import main

    with pytest.raises(SystemExit):
        main(["--hiddens", "0"])


def test_compare_gru_lstm_leaves_global_rng_alone():
    torch.manual_seed(7)
    expected = torch.rand(2)
    torch.manual_seed(7)
    compare_gru_lstm(2, 3, 2, batch_size=1, repeats=1, scratch=False)
    assert torch.equal(torch.rand(2), expected)
