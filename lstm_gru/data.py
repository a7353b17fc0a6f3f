"""Text data for the character language models: corpora, a vocabulary, and LM batches.

Two corpora, both fingerprinted with the SHA-256 of the text they hold:

* ``"stdlib"`` (offline, the default): 26 modules of CPython 3.11.7's standard library
  (``STDLIB_FILES``), frozen inside the package (``lstm_gru.corpora``, PSF License), so the text
  is the same on every Python and machine. Brackets, quotes and indentation give the gates
  something visible to track.
* ``"timemachine"``: H. G. Wells' *The Time Machine*, the d2l book's corpus, from the local
  file named by ``$LSTM_GRU_TIMEMACHINE`` or downloaded once (SHA-1 checked, cached).
"""

import collections
import hashlib
import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import torch

from lstm_gru.checks import check_positive_int, check_tensor
from lstm_gru.corpora import STDLIB_FILES, STDLIB_PYTHON, stdlib_text
from lstm_gru.download import download, sha1_of

UNK = "<unk>"

TIMEMACHINE_URL = "http://d2l-data.s3-accelerate.amazonaws.com/timemachine.txt"
TIMEMACHINE_SHA1 = "090b5e7e70c295757f55df93cb0a180b9691891a"
TIMEMACHINE_ENV = "LSTM_GRU_TIMEMACHINE"  # names a local copy of timemachine.txt


class Vocab:
    """A token vocabulary: ``<unk>`` is id 0, then ``reserved_tokens``, then by frequency.

    ``tokens``: a sequence of tokens (a ``str`` gives characters) or a list of token lists
    (flattened). Tokens seen fewer than ``min_freq`` times map to ``<unk>``. Ties in frequency
    are broken by sorting the tokens, so the same text always gives the same ids.
    """

    def __init__(self, tokens: Sequence = (), min_freq: int = 0, reserved_tokens=None):
        check_positive_int(min_freq, "min_freq", minimum=0)
        if isinstance(reserved_tokens, str):
            raise TypeError(
                f"reserved_tokens must be a list of tokens, got the str {reserved_tokens!r}"
            )
        tokens = list(tokens)
        if tokens and isinstance(tokens[0], (list, tuple)):
            tokens = [token for line in tokens for token in line]
        # (token, count) pairs, most frequent first, ties in token order
        self.token_freqs = sorted(
            collections.Counter(tokens).items(), key=lambda tf: (-tf[1], tf[0])
        )
        specials = list(dict.fromkeys([UNK, *(reserved_tokens or [])]))  # de-duplicated, in order
        self.idx_to_token = specials + [
            token for token, freq in self.token_freqs if freq >= min_freq and token not in specials
        ]
        self.token_to_idx = {token: idx for idx, token in enumerate(self.idx_to_token)}

    def __len__(self) -> int:
        return len(self.idx_to_token)

    def __getitem__(self, tokens):
        """Id of one token, or a list of ids for a list/tuple of tokens; unseen tokens give 0."""
        if isinstance(tokens, (list, tuple)):
            return [self.token_to_idx.get(token, self.unk) for token in tokens]
        return self.token_to_idx.get(tokens, self.unk)

    @property
    def unk(self) -> int:
        """The id of ``<unk>`` (always 0)."""
        return 0

    def to_tokens(self, ids):
        """Token of one id (int or 0-d tensor), or a list of tokens for a list or 1-d tensor."""
        if isinstance(ids, torch.Tensor):
            ids = ids.tolist()
        if isinstance(ids, (list, tuple)):
            return [self.to_tokens(i) for i in ids]
        if isinstance(ids, bool) or not isinstance(ids, int):
            raise TypeError(f"ids must be ints, a list or a tensor, got {type(ids).__name__}")
        if not 0 <= ids < len(self):
            raise ValueError(f"ids must be in [0, {len(self)}) for this vocabulary, got {ids}")
        return self.idx_to_token[ids]

    def encode(self, text) -> torch.Tensor:
        """Ids of the characters of ``text`` (or of a token list): LongTensor (len(text),)."""
        return torch.tensor(self[list(text)], dtype=torch.long)

    def decode(self, ids) -> str:
        """Join the tokens of ``ids`` (list or 1-d tensor) into a string: inverse of ``encode``."""
        tokens = self.to_tokens(ids)
        return tokens if isinstance(tokens, str) else "".join(tokens)

    def __repr__(self) -> str:
        head = ", ".join(repr(t) for t in self.idx_to_token[:8])
        return f"Vocab(size={len(self)}, tokens=[{head}{', ...' if len(self) > 8 else ''}])"


@dataclass(frozen=True)
class Corpus:
    """A text corpus: ``text``, its ``name``, the SHA-256 of ``text``, and where it came from."""

    text: str = field(repr=False)
    name: str
    sha256: str
    source: str

    def __len__(self) -> int:
        return len(self.text)

    def __repr__(self) -> str:
        return (
            f"Corpus(name={self.name!r}, chars={len(self.text)}, sha256={self.sha256!r}, "
            f"source={self.source!r})"
        )


def _stdlib_text() -> tuple[str, str]:
    """The frozen ``STDLIB_FILES`` (SHA-256 checked), and a description of where they came from."""
    source = (
        f"{len(STDLIB_FILES)} modules of CPython {STDLIB_PYTHON}'s standard library, "
        f"frozen in lstm_gru/corpora (PSF License)"
    )
    return stdlib_text(), source


def _timemachine_text() -> tuple[str, str]:
    """The Time Machine from ``$LSTM_GRU_TIMEMACHINE`` or the d2l download, SHA-1 checked."""
    local = os.environ.get(TIMEMACHINE_ENV)
    if local:
        path = Path(local).expanduser()
        if not path.is_file():
            raise FileNotFoundError(f"${TIMEMACHINE_ENV} names {str(path)!r}, which is not a file")
        got = sha1_of(path)
        if got != TIMEMACHINE_SHA1:
            raise ValueError(
                f"${TIMEMACHINE_ENV} names {str(path)!r} whose SHA-1 is {got}, "
                f"expected {TIMEMACHINE_SHA1} (d2l's timemachine.txt)"
            )
        source = f"{path} (from ${TIMEMACHINE_ENV})"
    else:
        path = download(TIMEMACHINE_URL, sha1=TIMEMACHINE_SHA1)
        source = TIMEMACHINE_URL
    return path.read_text(encoding="utf-8"), source


_CORPORA = {"stdlib": _stdlib_text, "timemachine": _timemachine_text}


def load_corpus(name: str = "stdlib", max_chars: int | None = None) -> Corpus:
    """Load a corpus by name (``"stdlib"`` or ``"timemachine"``), raw text as stored.

    ``max_chars`` keeps only the first characters. ``sha256`` fingerprints the returned text.
    The Time Machine is returned unprocessed; ``preprocess_timemachine`` gives d2l's form.
    """
    if name not in _CORPORA:
        known = ", ".join(repr(n) for n in _CORPORA)
        raise ValueError(f"unknown corpus {name!r}; known corpora: {known}")
    if max_chars is not None:
        check_positive_int(max_chars, "max_chars")
    text, source = _CORPORA[name]()
    text = text[:max_chars]
    sha256 = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return Corpus(text=text, name=name, sha256=sha256, source=source)


def preprocess_timemachine(text: str) -> str:
    """d2l v1.0's preprocessing: every run of non-letters becomes one space, then lowercase."""
    return re.sub("[^A-Za-z]+", " ", text).lower()


def train_valid_split(ids, valid_fraction: float = 0.1):
    """Split a sequence (1-d tensor, list or str) into its first part and its last part.

    The validation part is the last ``round(len(ids) * valid_fraction)`` items, contiguous,
    so the model is judged on text it never saw (not on shuffled neighbours of training text).
    Returns ``(train, valid)`` of the same type as ``ids``.
    """
    if isinstance(ids, torch.Tensor):
        check_tensor(ids, "ids", ndim=1)
    if not 0 < valid_fraction < 1:
        raise ValueError(
            f"valid_fraction must be between 0 and 1 (exclusive), got {valid_fraction}"
        )
    num_valid = round(len(ids) * valid_fraction)
    num_train = len(ids) - num_valid
    if num_valid == 0 or num_train == 0:
        raise ValueError(
            f"ids of length {len(ids)} is too short to split with valid_fraction={valid_fraction}: "
            f"got {num_train} train and {num_valid} valid items"
        )
    return ids[:num_train], ids[num_train:]


class CharBatches:
    """Language-model batches by sequential partitioning; see ``char_batches``."""

    def __init__(self, ids, batch_size, num_steps, *, shuffle=False, seed=None, device=None):
        if not isinstance(ids, torch.Tensor):
            ids = torch.as_tensor(ids, dtype=torch.long)
        check_tensor(ids, "ids", ndim=1, floating=False)
        self.batch_size = check_positive_int(batch_size, "batch_size")
        self.num_steps = check_positive_int(num_steps, "num_steps")
        self.shuffle = shuffle
        max_offset = num_steps - 1 if shuffle else 0
        needed = batch_size * num_steps + 1 + max_offset
        if len(ids) < needed:
            raise ValueError(
                f"ids has {len(ids)} tokens, too few for batch_size={batch_size} and "
                f"num_steps={num_steps}: need at least {needed}"
            )
        # the same number of batches whatever the offset, so len() holds for every epoch
        self.num_batches = (len(ids) - 1 - max_offset) // (batch_size * num_steps)
        self.ids = ids.to(device) if device is not None else ids
        self._generator = None
        if seed is not None:
            self._generator = torch.Generator().manual_seed(seed)

    def __len__(self) -> int:
        return self.num_batches

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        offset = 0
        if self.shuffle:
            offset = int(torch.randint(self.num_steps, (1,), generator=self._generator))
        num_tokens = self.num_batches * self.batch_size * self.num_steps
        # row b is one contiguous stretch of text: (batch_size, num_batches * num_steps)
        Xs = self.ids[offset : offset + num_tokens].reshape(self.batch_size, -1)
        Ys = self.ids[offset + 1 : offset + 1 + num_tokens].reshape(self.batch_size, -1)
        for start in range(0, Xs.shape[1], self.num_steps):
            # X, Y: (batch_size, num_steps); Y[b, t] is the token after X[b, t]
            yield Xs[:, start : start + self.num_steps], Ys[:, start : start + self.num_steps]


def char_batches(
    ids, batch_size: int, num_steps: int, *, shuffle: bool = False, seed=None, device=None
) -> CharBatches:
    """Re-iterable language-model batches ``(X, Y)``, each LongTensor (batch_size, num_steps).

    Sequential partitioning (d2l's ``seq_data_iter_sequential``): the stream ``ids`` (1-d,
    token ids) is cut into ``batch_size`` equal contiguous rows, and batch ``k`` holds columns
    ``k * num_steps`` to ``(k + 1) * num_steps`` of every row. Row ``b`` of batch ``k + 1``
    continues row ``b`` of batch ``k``, so a model may carry its hidden state from one batch
    to the next (detached). ``Y`` is ``X`` shifted one token ahead. The tail that does not fill
    a batch is dropped. ``shuffle=True`` starts each epoch at a random offset in
    ``[0, num_steps)`` (from ``seed``, or torch's global generator when ``seed`` is None), so
    epochs see differently cut windows while batches stay sequential. ``len()`` is the number
    of batches per epoch, the same every epoch. ``device``: where the tensors live.
    """
    return CharBatches(ids, batch_size, num_steps, shuffle=shuffle, seed=seed, device=device)
