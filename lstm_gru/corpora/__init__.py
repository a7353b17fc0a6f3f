"""Corpora frozen inside the package, so their bytes are the same on every Python and machine.

``python_stdlib.txt.gz`` holds 26 pure-Python modules of CPython 3.11.7's standard library
(``STDLIB_FILES``), joined by blank lines, under the PSF License (``LICENSE-PSF.txt``); see
``README.md`` in this folder. This module imports only the standard library, so any Python can
load it by file path, without torch or the rest of ``lstm_gru``.
"""

import gzip
import hashlib
from pathlib import Path

HERE = Path(__file__).resolve().parent
STDLIB_PATH = HERE / "python_stdlib.txt.gz"
STDLIB_PYTHON = "3.11.7"  # the CPython release the files were copied from
STDLIB_SHA256 = "82406ee49ff1496b63eca61a1b433c680f785bcc120b3601465376846873433f"

# Pure-Python modules of the standard library, sorted, paths relative to its folder (Lib/);
# about 527,000 characters together, 100 distinct characters.
STDLIB_FILES = (
    "abc.py",
    "bisect.py",
    "cmd.py",
    "collections/__init__.py",
    "colorsys.py",
    "contextlib.py",
    "copy.py",
    "csv.py",
    "difflib.py",
    "fractions.py",
    "functools.py",
    "graphlib.py",
    "heapq.py",
    "json/decoder.py",
    "json/encoder.py",
    "json/scanner.py",
    "numbers.py",
    "operator.py",
    "pprint.py",
    "queue.py",
    "random.py",
    "reprlib.py",
    "sched.py",
    "statistics.py",
    "string.py",
    "textwrap.py",
)


def stdlib_text() -> str:
    """The frozen standard-library corpus, after checking its SHA-256 against ``STDLIB_SHA256``."""
    compressed = STDLIB_PATH.read_bytes()
    try:
        raw = gzip.decompress(compressed)
    except (OSError, EOFError) as error:  # gzip.BadGzipFile is an OSError
        raise ValueError(
            f"{STDLIB_PATH} is not a valid gzip file ({error}); reinstall the lstm_gru package"
        ) from error
    got = hashlib.sha256(raw).hexdigest()
    if got != STDLIB_SHA256:
        raise ValueError(
            f"{STDLIB_PATH} holds text whose SHA-256 is {got}, expected {STDLIB_SHA256}; "
            f"the file is damaged: reinstall the lstm_gru package"
        )
    return raw.decode("utf-8")


def freeze_stdlib(stdlib_dir, path) -> Path:
    """Write ``STDLIB_FILES`` from the folder ``stdlib_dir`` to ``path``, gzipped, and return it.

    How ``STDLIB_PATH`` was made, from CPython 3.11.7's ``lib/python3.11``: the files joined by
    blank lines, UTF-8, gzip level 9 with mtime 0 (so a rerun with the same zlib gives the same
    bytes).
    """
    stdlib_dir = Path(stdlib_dir)
    missing = [name for name in STDLIB_FILES if not (stdlib_dir / name).is_file()]
    if missing:
        raise FileNotFoundError(
            f"stdlib_dir {str(stdlib_dir)!r} lacks {len(missing)} of the STDLIB_FILES: {missing}"
        )
    text = "\n\n".join((stdlib_dir / name).read_text(encoding="utf-8") for name in STDLIB_FILES)
    path = Path(path)
    path.write_bytes(gzip.compress(text.encode("utf-8"), compresslevel=9, mtime=0))
    return path
