"""The d2l book's English-French translation pairs (``fra-eng``), an opt-in download.

Nothing in the course needs it offline (the chapter's task is grapheme-to-phoneme, see
``lstm_gru.g2p``); it is here so a student can run the book's translation example. The zip is
fetched once through ``lstm_gru.download`` (SHA-1 checked, cached, atomic) and preprocessed
exactly as the book does: non-breaking spaces become spaces, text is lowercased, and a space
is put before ``, . ! ?`` where there is none.
"""

import zipfile

from lstm_gru.checks import check_positive_int
from lstm_gru.download import download

FRA_ENG_URL = "http://d2l-data.s3-accelerate.amazonaws.com/fra-eng.zip"
FRA_ENG_SHA1 = "94646ad1522d915e7b0f9296181140edcf86a4f5"
FRA_ENG_MEMBER = "fra-eng/fra.txt"  # the text file inside the zip: "english<TAB>french" lines


def preprocess_nmt(text: str) -> str:
    """The book's preprocessing: spaces for non-breaking spaces, lowercase, and a space
    inserted before each ``, . ! ?`` that does not follow one (``"Go."`` -> ``"go ."``)."""
    text = text.replace("\u202f", " ").replace("\xa0", " ").lower()
    return "".join(
        " " + char if i > 0 and char in ",.!?" and text[i - 1] != " " else char
        for i, char in enumerate(text)
    )


def tokenize_nmt(text: str, max_examples: int | None = None):
    """Split preprocessed ``english<TAB>french`` lines into ``(source, target)`` token lists.

    Tokens are separated by spaces, empty tokens dropped (as d2l v1.0 does; ``<eos>`` is left
    to the batching code). Lines without exactly one tab are skipped. ``max_examples``: keep
    the first that many pairs (d2l's loop keeps one more).
    """
    if max_examples is not None:
        check_positive_int(max_examples, "max_examples")
    source, target = [], []
    for line in text.split("\n"):
        if max_examples is not None and len(source) >= max_examples:
            break
        parts = line.split("\t")
        if len(parts) == 2:
            source.append([t for t in parts[0].split(" ") if t])
            target.append([t for t in parts[1].split(" ") if t])
    return source, target


def load_fra_eng(
    max_examples: int | None = None,
    *,
    url: str = FRA_ENG_URL,
    sha1: str = FRA_ENG_SHA1,
    cache_dir=None,
):
    """Download (once) and tokenize the fra-eng pairs: ``(source, target)`` lists of token lists.

    ``source[i]`` is an English sentence, ``target[i]`` its French translation. Needs the
    network the first time (about 3 MB); ``url``/``sha1``/``cache_dir`` let a mirror or a test
    server stand in. Raises ValueError when the download's SHA-1 does not match.
    """
    path = download(url, sha1=sha1, cache_dir=cache_dir)
    with zipfile.ZipFile(path) as archive:
        if FRA_ENG_MEMBER not in archive.namelist():
            raise ValueError(f"{path} has no member {FRA_ENG_MEMBER!r}: not d2l's fra-eng.zip")
        text = archive.read(FRA_ENG_MEMBER).decode("utf-8")
    return tokenize_nmt(preprocess_nmt(text), max_examples)
