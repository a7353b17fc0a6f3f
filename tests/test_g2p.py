"""Grapheme-to-phoneme data from cmudict, batching, training and evaluation."""

import dataclasses

import pytest
import torch

from lstm_gru.g2p import (
    CMUDICT_SHA256,
    G2PBatches,
    G2PRun,
    cmudict_path,
    evaluate_g2p,
    g2p_loss,
    g2p_model,
    load_g2p,
    parse_cmudict,
    predict,
    sha256_of,
    split_of,
    train_g2p,
)
from lstm_gru.train import fit

pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module")
def data():
    return load_g2p()


def test_parse_cmudict_rules():
    lines = [
        ";;; a comment line",
        "read R IY1 D",
        "read(2) R EH1 D",
        "read(3) R IY0 D  # same as the first once stress is gone",
        "aalborg AO1 L B AO0 R G # place, danish",
        "don't D OW1 N T",
        "able-bodied EY1 B AH0 L B AA1 D IY0 D",
        "a.m. EY2 EH1 M",
        "nothing",
        "",
    ]
    assert parse_cmudict(lines) == {
        "read": [("R", "IY", "D"), ("R", "EH", "D")],
        "aalborg": [("AO", "L", "B", "AO", "R", "G")],
        "don't": [("D", "OW", "N", "T")],
    }


def test_the_shipped_dictionary_and_its_split(data):
    assert data.sha256 == CMUDICT_SHA256 == sha256_of(cmudict_path())
    assert (len(data.train), len(data.valid), len(data.test)) == (112_655, 6_093, 6_178)
    words = [set(w for w, _ in split) for split in (data.train, data.valid, data.test)]
    assert not (words[0] & words[1] or words[0] & words[2] or words[1] & words[2])
    assert all(split_of(w) == "test" for w in words[2])
    lexicon = dict(data.train + data.valid + data.test)
    assert lexicon["read"] == [("R", "EH", "D"), ("R", "IY", "D")]
    assert lexicon["tomato"] == [
        ("T", "AH", "M", "EY", "T", "OW"),
        ("T", "AH", "M", "AA", "T", "OW"),
    ]
    assert "able-bodied" not in lexicon and "a.m." not in lexicon and "'bout" in lexicon
    assert [split_of(w) for w in ("read", "lead", "tomato")] == ["train", "valid", "test"]
    # 39 phonemes and 27 characters (a-z and the apostrophe), after <unk> <pad> <bos> <eos>
    assert len(data.phonemes) == 43 and len(data.letters) == 31
    assert data.phonemes.idx_to_token[:5] == ["<unk>", "<pad>", "<bos>", "<eos>", "AH"]


def test_batches_pad_teacher_force_and_cover_every_pair(data):
    entries = data.train[1000:1100]  # 100 words, some with two pronunciations
    pairs = sum(len(p) for _, p in entries)
    loader = G2PBatches(entries, data.letters, data.phonemes, 16, shuffle=True, seed=1)
    assert loader.num_pairs == pairs and len(loader) == -(-pairs // 16)
    seen = []
    pad, bos, eos = (data.phonemes[t] for t in ("<pad>", "<bos>", "<eos>"))
    for src, src_len, dec_in, labels, label_len in loader:
        assert src.shape[1] == src_len.max() and labels.shape[1] == label_len.max()
        assert torch.all(dec_in[:, 0] == bos)
        assert torch.equal(dec_in[:, 1:], labels[:, :-1])  # the labels, shifted right
        for i in range(len(src)):
            word = "".join(data.letters.to_tokens(src[i, : src_len[i]].tolist()))
            phones = data.phonemes.to_tokens(labels[i, : label_len[i]].tolist())
            assert phones[-1] == "<eos>" and set(labels[i, label_len[i] :].tolist()) <= {pad}
            seen.append((word, tuple(phones[:-1])))
    assert sorted(seen) == sorted((w, p) for w, ps in entries for p in ps)
    first = [
        b[0].tolist()
        for b in G2PBatches(entries, data.letters, data.phonemes, 16, shuffle=True, seed=1)
    ]
    again = [
        b[0].tolist()
        for b in G2PBatches(entries, data.letters, data.phonemes, 16, shuffle=True, seed=1)
    ]
    assert first == again  # seeded
    assert first != [b[0].tolist() for b in loader]  # a new order each epoch


def test_a_small_model_learns_a_few_words_and_scores_them(data):
    torch.manual_seed(0)
    entries = [e for e in data.train[:4000:250] if len(e[1]) == 1]  # 15 words, one reading each
    model = g2p_model(len(data.letters), len(data.phonemes), embed_size=16, num_hiddens=64)
    loader = G2PBatches(entries, data.letters, data.phonemes, 16, shuffle=True)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.02)
    history = fit(
        model,
        loader,
        num_epochs=80,
        loss_fn=g2p_loss,
        optimizer=optimizer,
        device="cpu",
        progress=False,
    )
    assert history.train_loss[-1] < 0.05
    scores = evaluate_g2p(model, entries, data.letters, data.phonemes)
    assert scores["wer"] == 0.0 and scores["per"] == 0.0 and scores["words"] == len(entries) == 15
    beam = evaluate_g2p(model, entries, data.letters, data.phonemes, beam_size=3, alpha=0.75)
    assert beam["wer"] == 0.0
    word, [pron] = entries[3]
    assert predict(model, [word.upper()], data.letters, data.phonemes) == [list(pron)]
    # a word with two pronunciations is right when it matches either
    two = ("read", [("R", "EH", "D"), ("R", "IY", "D")])
    said = predict(model, ["read"], data.letters, data.phonemes)[0]
    assert evaluate_g2p(model, [two], data.letters, data.phonemes)["wer"] == float(
        tuple(said) not in two[1]
    )


def test_train_g2p_runs_for_its_time_budget(data):
    small = dataclasses.replace(data, train=data.train[:300])
    run = train_g2p(small, seconds=1.0, device="cpu", progress=False, num_hiddens=32, embed_size=8)
    assert isinstance(run, G2PRun) and run.device == torch.device("cpu")
    assert 1.0 <= run.seconds < 10 and run.history.stopped_early
    updates = run.history.num_updates
    assert updates >= 2 and updates <= run.words_seen <= 64 * updates
    assert run.config["num_hiddens"] == 32 and run.config["lr"] == 3e-3
    with pytest.raises(ValueError, match="seconds must be > 0"):
        train_g2p(small, seconds=0)


def test_bad_inputs(data):
    with pytest.raises(ValueError, match="valid_fraction and test_fraction"):
        load_g2p(valid_fraction=0.6, test_fraction=0.5)
    with pytest.raises(ValueError, match="entries must hold at least one"):
        G2PBatches([], data.letters, data.phonemes, 8)
    model = g2p_model(len(data.letters), len(data.phonemes), num_hiddens=8, embed_size=4)
    with pytest.raises(ValueError, match="words must be non-empty strings, got ''"):
        predict(model, ["cat", ""], data.letters, data.phonemes)
    with pytest.raises(ValueError, match="beam_size must be >= 1"):
        predict(model, ["cat"], data.letters, data.phonemes, beam_size=0)
    with pytest.raises(ValueError, match="num_hiddens must be even"):
        g2p_model(31, 43, num_hiddens=33)


def test_train_g2p_for_a_number_of_updates_repeats_exactly(data):
    small = dataclasses.replace(data, train=data.train[:300])  # 5 batches of 64 per pass
    kwargs = {"device": "cpu", "progress": False, "num_hiddens": 16, "embed_size": 8}
    run = train_g2p(small, num_updates=7, seed=3, **kwargs)
    assert run.history.num_updates == 7 and not run.history.stopped_early
    assert len(run.history.train_loss) == 2  # one full pass of 5 batches, then 2 more
    pairs = sum(len(p) for _, p in small.train)
    assert pairs < 7 * 64 and run.words_seen > pairs  # the second pass has begun
    assert run.config["num_updates"] == 7 and run.config["max_seconds"] is None
    again = train_g2p(small, num_updates=7, seed=3, **kwargs)
    assert again.history.train_loss == run.history.train_loss
    for p, q in zip(run.model.parameters(), again.model.parameters(), strict=True):
        assert torch.equal(p, q)
    with pytest.raises(ValueError, match="give exactly one of seconds and num_updates"):
        train_g2p(small, seconds=1.0, num_updates=7)
    with pytest.raises(ValueError, match="give exactly one of seconds and num_updates"):
        train_g2p(small)
    with pytest.raises(ValueError, match="num_updates must be >= 1"):
        train_g2p(small, num_updates=0)


def test_train_g2p_sets_cpu_threads_only_while_training(data):
    small = dataclasses.replace(data, train=data.train[:100])
    kwargs = {"device": "cpu", "progress": False, "num_hiddens": 8, "embed_size": 4}
    assert torch.get_num_threads() == 1  # the module fixture's setting
    two = train_g2p(small, num_updates=2, num_threads=2, **kwargs)
    assert torch.get_num_threads() == 1 and two.config["num_threads"] == 2
    one = train_g2p(small, num_updates=2, num_threads=1, **kwargs)
    same = train_g2p(small, num_updates=2, **kwargs)  # None: the current setting, 1
    assert one.history.train_loss == same.history.train_loss
    with pytest.raises(ValueError, match="num_threads must be >= 1"):
        train_g2p(small, num_updates=2, num_threads=0)
