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


def test_split_is_contiguous_80_10_10():
    train, valid, test = lm.split_80_10_10(torch.arange(100))
    assert (len(train), len(valid), len(test)) == (80, 10, 10)
    assert torch.equal(torch.cat([train, valid, test]), torch.arange(100))


def tiny_corpus(tmp_path):
    corpus = tmp_path / "tiny.txt"
    corpus.write_text("The Time Traveller (for so it will be convenient to speak of him)\n" * 150)
    return corpus


def test_main_prints_the_recipes_then_one_line_per_ablation(tmp_path, capsys):
    corpus = tiny_corpus(tmp_path)
    lm.main(["--corpus", str(corpus), "--seconds", "0.3", "--device", "cpu"])
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    record = records[0]
    assert record["benchmark"] == "lm" and record["device"] == "cpu"
    assert record["vocab_size"] == 20  # <unk>, space and 18 distinct lower-case letters
    assert record["train_chars"] + record["valid_chars"] + record["test_chars"] == len(
        lm.preprocess_timemachine(corpus.read_text())
    )
    assert record["ratio"] == pytest.approx(
        record["ours_val_ppl"] / record["d2l_val_ppl"], rel=1e-3
    )
    assert record["test_ratio"] == pytest.approx(
        record["ours_test_ppl"] / record["d2l_test_ppl"], rel=1e-3
    )
    assert record["d2l_steps"] >= 1 and record["ours_steps"] >= 1
    assert record["d2l_num_hiddens"] == 32 and record["d2l_lr"] == 4.0
    assert record["ours_test_ppl_stream"] > 1
    ablations = {r["ablation"]: r for r in records[1:]}
    assert sorted(ablations) == ["d2l_model_our_optimizer", "our_model_d2l_sgd"]
    swapped = ablations["d2l_model_our_optimizer"]
    assert (swapped["num_hiddens"], swapped["optimizer"]) == (32, lm.OURS["optimizer"])
    swapped = ablations["our_model_d2l_sgd"]
    assert (swapped["num_hiddens"], swapped["optimizer"], swapped["lr"]) == (128, "sgd", 4.0)
    assert swapped["test_ppl"] > 1 and swapped["steps"] >= 1


def test_a_carried_state_recipe_trains_on_sequential_batches(tmp_path):
    text = lm.preprocess_timemachine(tiny_corpus(tmp_path).read_text())
    vocab = lm.Vocab(text)
    parts = lm.split_80_10_10(vocab.encode(text))
    recipe = dict(lm.OURS, num_hiddens=8, num_layers=1, carry_state=True)
    result = lm.run_recipe(recipe, *parts, len(vocab), 0.3, torch.device("cpu"), seed=0)
    assert result["carry_state"] is True and result["steps"] >= 1
    assert 1 < result["test_ppl_stream"] < len(vocab) * 2


def test_main_rejects_a_bad_budget(tmp_path):
    with pytest.raises(SystemExit):
        lm.main(["--corpus", str(tmp_path / "x.txt"), "--seconds", "0"])
