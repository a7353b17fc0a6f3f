"""Vocab, corpora (stdlib, The Time Machine), train/valid split and LM batches."""

import gzip
import hashlib
import os
import platform
import shutil
import subprocess
import sysconfig
from pathlib import Path

import pytest
import torch

from lstm_gru import corpora, data
from lstm_gru.data import (
    CharBatches,
    Vocab,
    char_batches,
    load_corpus,
    preprocess_timemachine,
    train_valid_split,
)
from lstm_gru.download import sha1_of

TIMEMACHINE = Path(__file__).resolve().parents[1].parent / "shared/data/timemachine.txt"
needs_timemachine = pytest.mark.skipif(
    not TIMEMACHINE.is_file(), reason=f"needs the shared copy {TIMEMACHINE} (not in the repo)"
)


# --- Vocab -------------------------------------------------------------------------------


def test_vocab_order_unk_first_then_frequency_then_alphabetical():
    vocab = Vocab("hello world")
    assert vocab.idx_to_token == ["<unk>", "l", "o", " ", "d", "e", "h", "r", "w"]
    assert vocab.token_to_idx["o"] == 2
    assert vocab.token_freqs[:3] == [("l", 3), ("o", 2), (" ", 1)]
    assert len(vocab) == 9
    assert vocab.unk == 0
    assert repr(vocab) == "Vocab(size=9, tokens=['<unk>', 'l', 'o', ' ', 'd', 'e', 'h', 'r', ...])"


def test_vocab_reserved_tokens_and_min_freq():
    vocab = Vocab("hello world", min_freq=2, reserved_tokens=["<pad>", "<eos>", "<unk>"])
    assert vocab.idx_to_token == ["<unk>", "<pad>", "<eos>", "l", "o"]
    assert vocab["h"] == vocab.unk == 0  # seen once: below min_freq
    assert vocab[["<eos>", "l", "z"]] == [2, 3, 0]


def test_vocab_lookup_and_round_trip():
    vocab = Vocab("hello world")
    assert vocab["l"] == 1
    assert vocab["?"] == 0
    assert vocab[["h", "i"]] == [6, 0]
    ids = vocab.encode("hello")
    assert ids.dtype == torch.long
    assert ids.tolist() == [6, 5, 1, 1, 2]
    assert vocab.decode(ids) == "hello"
    assert vocab.decode([6, 0]) == "h<unk>"
    assert vocab.to_tokens(2) == "o"
    assert vocab.to_tokens(torch.tensor(2)) == "o"
    assert vocab.to_tokens([2]) == ["o"]  # a list stays a list, even of length one
    assert vocab.to_tokens(torch.tensor([3, 4])) == [" ", "d"]
    assert vocab.encode("").shape == (0,)


def test_vocab_of_token_lists_is_flattened():
    vocab = Vocab([["go", "."], ["go", "away", "."], ["."]])
    assert vocab.idx_to_token == ["<unk>", ".", "go", "away"]
    assert vocab.encode(["go", "home"]).tolist() == [2, 0]


def test_vocab_bad_inputs():
    vocab = Vocab("abc")
    with pytest.raises(ValueError, match=r"ids must be in \[0, 4\) for this vocabulary, got 4"):
        vocab.to_tokens(4)
    with pytest.raises(ValueError, match=r"got -1"):
        vocab.to_tokens([0, -1])
    with pytest.raises(TypeError, match="ids must be ints, a list or a tensor, got float"):
        vocab.to_tokens(1.0)
    with pytest.raises(TypeError, match="reserved_tokens must be a list of tokens, got the str"):
        Vocab("abc", reserved_tokens="<pad>")
    with pytest.raises(ValueError, match="min_freq must be >= 0, got -1"):
        Vocab("abc", min_freq=-1)


# --- corpora -----------------------------------------------------------------------------


def test_stdlib_corpus_is_deterministic_code():
    first, second = load_corpus(), load_corpus("stdlib")
    assert first.sha256 == second.sha256 == hashlib.sha256(first.text.encode()).hexdigest()
    assert first.text == second.text
    assert 300_000 < len(first) < 1_000_000
    for snippet in ("(", ")", "[", "]", "{", "}", '"""', "'", "\n    return ", "def ", "class "):
        assert snippet in first.text
    assert first.name == "stdlib"
    assert first.source == (
        "26 modules of CPython 3.11.7's standard library, frozen in lstm_gru/corpora (PSF License)"
    )
    assert len(Vocab(first.text)) <= 110  # printable ASCII, newline, a few stray characters
    assert repr(first).startswith(f"Corpus(name='stdlib', chars={len(first)}, sha256='")


def test_shipped_stdlib_corpus_matches_its_fingerprint():
    raw = gzip.decompress(corpora.STDLIB_PATH.read_bytes())
    assert hashlib.sha256(raw).hexdigest() == corpora.STDLIB_SHA256
    assert corpora.STDLIB_SHA256 == (
        "82406ee49ff1496b63eca61a1b433c680f785bcc120b3601465376846873433f"
    )  # the text chapter 02's stored outputs were made from
    text = corpora.stdlib_text()
    assert text == raw.decode("utf-8")
    assert len(text) == 527_295
    assert text.startswith("# Copyright 2007 Google, Inc. All Rights Reserved.")
    assert load_corpus("stdlib").text == text
    assert load_corpus("stdlib").sha256 == corpora.STDLIB_SHA256
    assert len(corpora.STDLIB_FILES) == 26 and data.STDLIB_FILES is corpora.STDLIB_FILES
    for name in ("LICENSE-PSF.txt", "README.md"):
        assert (corpora.HERE / name).is_file()
    assert "PYTHON SOFTWARE FOUNDATION LICENSE VERSION 2" in (
        corpora.HERE / "LICENSE-PSF.txt"
    ).read_text(encoding="utf-8")


def test_damaged_stdlib_corpus_fails_clearly(tmp_path, monkeypatch):
    damaged = tmp_path / "python_stdlib.txt.gz"
    damaged.write_bytes(gzip.compress(b"def f(): pass\n", mtime=0))
    monkeypatch.setattr(corpora, "STDLIB_PATH", damaged)
    got = hashlib.sha256(b"def f(): pass\n").hexdigest()
    with pytest.raises(
        ValueError, match=f"whose SHA-256 is {got}, expected {corpora.STDLIB_SHA256}; the file"
    ):
        load_corpus("stdlib")
    damaged.write_bytes(b"not gzip")
    with pytest.raises(ValueError, match="python_stdlib.txt.gz is not a valid gzip file"):
        load_corpus("stdlib")


@pytest.mark.skipif(
    platform.python_version() != corpora.STDLIB_PYTHON,
    reason=f"refreezing needs CPython {corpora.STDLIB_PYTHON}'s standard library",
)
def test_freeze_stdlib_reproduces_the_shipped_file(tmp_path):
    path = corpora.freeze_stdlib(sysconfig.get_paths()["stdlib"], tmp_path / "stdlib.txt.gz")
    raw = gzip.decompress(path.read_bytes())
    assert hashlib.sha256(raw).hexdigest() == corpora.STDLIB_SHA256
    assert path.read_bytes() == corpora.STDLIB_PATH.read_bytes()  # mtime 0: same bytes
    with pytest.raises(FileNotFoundError, match="lacks 26 of the STDLIB_FILES: \\['abc.py', "):
        corpora.freeze_stdlib(tmp_path, tmp_path / "out.txt.gz")


OTHER_PYTHONS = ("3.10", "3.12", "3.13")
READ_BY_PATH = """
import hashlib, importlib.util, sys
spec = importlib.util.spec_from_file_location("corpora", sys.argv[1])
corpora = importlib.util.module_from_spec(spec)
spec.loader.exec_module(corpora)
print(hashlib.sha256(corpora.stdlib_text().encode("utf-8")).hexdigest())
print("torch" in sys.modules, "lstm_gru" in sys.modules)
"""


def find_python(version: str) -> str | None:
    """An interpreter ``pythonX.Y``: pyenv's install first, else one on PATH (not a pyenv shim)."""
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    installed = sorted(pyenv.glob(f"versions/{version}.*/bin/python{version}"))
    if installed:
        return str(installed[-1])
    found = shutil.which(f"python{version}")
    return found if found and "shims" not in Path(found).parts else None


@pytest.mark.parametrize("version", OTHER_PYTHONS)
def test_stdlib_corpus_is_the_same_under_other_pythons(version):
    python = find_python(version)
    if python is None:
        pytest.skip(f"python{version} is not installed on this machine")
    result = subprocess.run(
        [python, "-I", "-c", READ_BY_PATH, str(Path(corpora.__file__))],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert result.stdout.split("\n") == [corpora.STDLIB_SHA256, "False False", ""]
    assert load_corpus("stdlib").sha256 == corpora.STDLIB_SHA256


def test_max_chars_keeps_the_start_and_refingerprints():
    full = load_corpus("stdlib")
    short = load_corpus("stdlib", max_chars=1000)
    assert short.text == full.text[:1000]
    assert short.sha256 == hashlib.sha256(short.text.encode()).hexdigest() != full.sha256
    with pytest.raises(ValueError, match="max_chars must be >= 1, got 0"):
        load_corpus("stdlib", max_chars=0)


def test_unknown_corpus_lists_known_names():
    with pytest.raises(
        ValueError, match="unknown corpus 'shakespeare'; known corpora: 'stdlib', 'timemachine'"
    ):
        load_corpus("shakespeare")


@needs_timemachine
def test_timemachine_from_environment_variable(monkeypatch):
    assert sha1_of(TIMEMACHINE) == data.TIMEMACHINE_SHA1
    monkeypatch.setenv("LSTM_GRU_TIMEMACHINE", str(TIMEMACHINE))
    corpus = load_corpus("timemachine")
    assert len(corpus) == 178_979
    assert corpus.text.startswith("The Time Machine, by H. G. Wells [1898]\n")
    assert corpus.text.endswith("still lived on in the heart\nof man.\n")
    assert corpus.sha256 == "8424dbd9532ac81f7e5f0b6add90e6952baea29158309d7d1bf3884f4e12c516"
    assert corpus.source == f"{TIMEMACHINE} (from $LSTM_GRU_TIMEMACHINE)"
    assert len(preprocess_timemachine(corpus.text)) == 173_428


def test_timemachine_environment_variable_is_checked(tmp_path, monkeypatch):
    wrong = tmp_path / "timemachine.txt"
    wrong.write_text("not the book")
    monkeypatch.setenv("LSTM_GRU_TIMEMACHINE", str(wrong))
    with pytest.raises(
        ValueError, match=f"whose SHA-1 is {sha1_of(wrong)}, expected {data.TIMEMACHINE_SHA1}"
    ):
        load_corpus("timemachine")
    monkeypatch.setenv("LSTM_GRU_TIMEMACHINE", str(tmp_path / "missing.txt"))
    with pytest.raises(FileNotFoundError, match="LSTM_GRU_TIMEMACHINE names .*missing.txt'"):
        load_corpus("timemachine")


@needs_timemachine
def test_timemachine_from_cache_needs_no_network(tmp_path, monkeypatch):
    # conftest blocks the network, so this passes only if the cached copy is used
    monkeypatch.delenv("LSTM_GRU_TIMEMACHINE", raising=False)
    monkeypatch.setenv("LSTM_GRU_DATA", str(tmp_path))
    shutil.copy(TIMEMACHINE, tmp_path / "timemachine.txt")
    corpus = load_corpus("timemachine", max_chars=39)
    assert corpus.text == "The Time Machine, by H. G. Wells [1898]"
    assert corpus.source == data.TIMEMACHINE_URL


def test_timemachine_offline_without_cache_fails_clearly(tmp_path, monkeypatch):
    monkeypatch.delenv("LSTM_GRU_TIMEMACHINE", raising=False)
    monkeypatch.setenv("LSTM_GRU_DATA", str(tmp_path))
    with pytest.raises(OSError, match=f"download of {data.TIMEMACHINE_URL} failed"):
        load_corpus("timemachine")
    assert list(tmp_path.iterdir()) == []


def test_preprocess_timemachine_exact():
    assert preprocess_timemachine("The Time-Machine, by H. G. Wells [1898]\n\nI") == (
        "the time machine by h g wells i"
    )


@needs_timemachine
def test_preprocess_matches_d2l():
    d2l = pytest.importorskip("d2l.torch")  # imports torchvision and more: a few seconds
    raw = TIMEMACHINE.read_text()
    assert preprocess_timemachine(raw) == d2l.TimeMachine._preprocess(None, raw)


# --- train/valid split -------------------------------------------------------------------


def test_train_valid_split_is_contiguous():
    train, valid = train_valid_split(torch.arange(20))
    assert train.tolist() == list(range(18))
    assert valid.tolist() == [18, 19]
    assert train_valid_split("abcdefghij", valid_fraction=0.3) == ("abcdefg", "hij")
    assert train_valid_split(list(range(4)), valid_fraction=0.5) == ([0, 1], [2, 3])


def test_train_valid_split_bad_inputs():
    with pytest.raises(ValueError, match="valid_fraction must be between 0 and 1 .*got 1.0"):
        train_valid_split(torch.arange(20), valid_fraction=1.0)
    with pytest.raises(ValueError, match="ids of length 4 is too short .* got 4 train and 0 valid"):
        train_valid_split(torch.arange(4))
    with pytest.raises(ValueError, match="ids must have 1 dimensions, got shape \\(2, 5\\)"):
        train_valid_split(torch.zeros(2, 5, dtype=torch.long))


# --- LM batches --------------------------------------------------------------------------


def test_char_batches_sequential_partitioning():
    batches = char_batches(torch.arange(50), batch_size=2, num_steps=4)
    assert isinstance(batches, CharBatches)
    assert len(batches) == 6  # (50 - 1) // (2 * 4)
    epoch = list(batches)
    assert len(epoch) == 6
    X, Y = epoch[0]
    assert X.tolist() == [[0, 1, 2, 3], [24, 25, 26, 27]]
    assert Y.tolist() == [[1, 2, 3, 4], [25, 26, 27, 28]]
    for X, Y in epoch:
        assert X.shape == Y.shape == (2, 4)
        assert X.dtype == Y.dtype == torch.long
        assert torch.equal(Y, X + 1)
    # row b of consecutive batches reads one contiguous stream: the state can be carried
    rows = torch.cat([X for X, _ in epoch], dim=1)
    assert rows.tolist() == [list(range(24)), list(range(24, 48))]
    # re-iterable: the next epoch is the same without shuffling
    assert all(torch.equal(a[0], b[0]) for a, b in zip(epoch, batches, strict=True))


def test_char_batches_shuffle_offsets_are_seeded():
    ids = list(range(50))  # a list works too

    def first_tokens(batches, num_epochs=8):
        return [next(iter(batches))[0][0, 0].item() for _ in range(num_epochs)]

    one = char_batches(ids, 2, 4, shuffle=True, seed=0, device="cpu")
    two = char_batches(ids, 2, 4, shuffle=True, seed=0)
    assert len(one) == 5  # (50 - 1 - 3) // 8: the same for every offset
    offsets = first_tokens(one)
    assert offsets == first_tokens(two)
    assert set(offsets) <= {0, 1, 2, 3}
    assert len(set(offsets)) > 1
    for X, Y in one:
        assert X.shape == (2, 4)
        assert torch.equal(Y, X + 1)
    assert sum(1 for _ in one) == len(one)


def test_char_batches_bad_inputs():
    ids = torch.arange(50)
    with pytest.raises(ValueError, match="num_steps must be >= 1, got 0"):
        char_batches(ids, 2, 0)
    with pytest.raises(ValueError, match="batch_size must be >= 1, got 0"):
        char_batches(ids, 0, 4)
    with pytest.raises(
        ValueError,
        match="ids has 8 tokens, too few for batch_size=2 and num_steps=4: need at least 9",
    ):
        char_batches(torch.arange(8), 2, 4)
    with pytest.raises(ValueError, match="ids has 11 tokens, .* need at least 12"):
        char_batches(torch.arange(11), 2, 4, shuffle=True)
    with pytest.raises(TypeError, match="ids must be an integer tensor"):
        char_batches(torch.zeros(50), 2, 4)
    with pytest.raises(ValueError, match="ids must have 1 dimensions, got shape \\(5, 10\\)"):
        char_batches(ids.reshape(5, 10), 2, 4)
