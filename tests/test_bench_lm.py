import json

import pytest
import torch

from lstm_gru.bench import lm


def test_window_loader_yields_every_window_once_per_pass():
    ids = torch.arange(10)
    loader = lm.WindowLoader(ids, batch_size=4, num_steps=3, seed=0)
    assert len(loader) == 2  # 10 - 3 = 7 windows
    batches = list(loader)
    X = torch.cat([x for x, _ in batches])
    Y = torch.cat([y for _, y in batches])
    assert X.shape == (7, 3) and sorted(X[:, 0].tolist()) == list(range(7))
    assert torch.equal(Y, X + 1)  # Y is X shifted one token ahead
    assert [x.tolist() for x, _ in loader] != [x.tolist() for x, _ in batches]  # reshuffled


def test_valid_batches_are_consecutive_windows():
    batches = lm.valid_batches(torch.arange(12), num_steps=3, batch_size=2)
    assert [tuple(x.shape) for x, _ in batches] == [(2, 3), (1, 3)]
    assert batches[0][0].tolist() == [[0, 1, 2], [3, 4, 5]]
    assert batches[1][1].tolist() == [[7, 8, 9]]


def test_main_prints_one_json_line(tmp_path, capsys):
    corpus = tmp_path / "tiny.txt"
    corpus.write_text("The Time Traveller (for so it will be convenient to speak of him)\n" * 150)
    lm.main(["--corpus", str(corpus), "--seconds", "0.3", "--device", "cpu"])
    record = json.loads(capsys.readouterr().out)
    assert record["benchmark"] == "lm" and record["device"] == "cpu"
    assert record["vocab_size"] == 20  # <unk>, space and 18 distinct lower-case letters
    assert record["train_chars"] + record["valid_chars"] == len(
        lm.preprocess_timemachine(corpus.read_text())
    )
    assert record["ratio"] == pytest.approx(
        record["ours_val_ppl"] / record["d2l_val_ppl"], rel=1e-3
    )
    assert record["d2l_steps"] >= 1 and record["ours_steps"] >= 1
    assert record["d2l_num_hiddens"] == 32 and record["d2l_lr"] == 4.0


def test_main_rejects_a_bad_budget(tmp_path):
    with pytest.raises(SystemExit):
        lm.main(["--corpus", str(tmp_path / "x.txt"), "--seconds", "0"])
