"""Checksummed, cached, atomic downloads (the only module that touches the network).

A file is fetched once into a cache directory and verified by its SHA-1 on every use.
Writes are atomic: bytes go to a temporary file beside the target and are moved into
place (``os.replace``) only after the checksum matches, so an interrupted or corrupted
download never leaves a file in the cache that a later call could mistake for the real one.

The cache directory is ``$LSTM_GRU_DATA`` when that variable is set, else ``~/.cache/lstm_gru``.
"""

import hashlib
import os
import re
import shutil
import tempfile
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from http.client import HTTPException
from pathlib import Path

from lstm_gru.i18n import tr

CHUNK_SIZE = 1 << 20  # bytes read per step while streaming and hashing
_SHA1_PATTERN = re.compile(r"[0-9a-f]{40}")
_MARKER = ".lstm_gru-source.sha1"  # written inside an extracted folder: the archive's SHA-1


def default_cache_dir() -> Path:
    """The cache directory: ``$LSTM_GRU_DATA`` if set, else ``~/.cache/lstm_gru``."""
    return Path(os.environ.get("LSTM_GRU_DATA") or Path.home() / ".cache" / "lstm_gru").expanduser()


def sha1_of(path) -> str:
    """SHA-1 of the file at ``path`` as 40 lowercase hex digits, read in chunks."""
    digest = hashlib.sha1()
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK_SIZE):
            digest.update(chunk)
    return digest.hexdigest()


def _check_sha1(sha1) -> str:
    if not isinstance(sha1, str) or not _SHA1_PATTERN.fullmatch(sha1.lower()):
        raise ValueError(f"sha1 must be 40 hexadecimal digits, got {sha1!r}")
    return sha1.lower()


def _target(url: str, cache_dir, filename) -> Path:
    """The cache path for ``url``: ``cache_dir / filename`` (default: the URL's last part)."""
    if filename is None:
        filename = Path(urllib.parse.urlsplit(url).path).name
        if not filename:
            raise ValueError(f"cannot infer a file name from url {url!r}; pass filename=")
    directory = Path(cache_dir).expanduser() if cache_dir is not None else default_cache_dir()
    directory.mkdir(parents=True, exist_ok=True)
    return directory / filename


def download(url: str, *, sha1: str, cache_dir=None, filename=None, timeout: float = 30) -> Path:
    """Download ``url`` into the cache, verify its SHA-1 and return the local path.

    A cached file whose SHA-1 matches is returned without touching the network.
    Otherwise the file is streamed into a temporary file in the cache directory, checked,
    and moved into place atomically. Raises ValueError on a checksum mismatch (naming the
    url and the expected and received SHA-1) and OSError when the download fails or is cut
    short; in both cases nothing new is left in the cache.
    """
    sha1 = _check_sha1(sha1)
    path = _target(url, cache_dir, filename)
    if path.is_file() and sha1_of(path) == sha1:
        return path
    print(tr("Downloading {url} to {path}").format(url=url, path=path))
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    tmp = Path(tmp_name)
    try:
        digest = hashlib.sha1()
        received = 0
        with os.fdopen(fd, "wb") as out:
            try:
                with urllib.request.urlopen(url, timeout=timeout) as response:
                    length = response.headers.get("Content-Length")
                    while chunk := response.read(CHUNK_SIZE):
                        out.write(chunk)
                        digest.update(chunk)
                        received += len(chunk)
            except (OSError, HTTPException) as exc:  # URLError, HTTPError, timeouts, resets
                raise OSError(f"download of {url} failed: {exc}") from exc
        if length is not None and received != int(length):
            raise OSError(
                f"download of {url} was interrupted: received {received} of {length} bytes"
            )
        got = digest.hexdigest()
        if got != sha1:
            raise ValueError(
                f"SHA-1 mismatch for {url}: expected {sha1}, received {got}; "
                "the file was not saved (wrong URL, or the file changed upstream?)"
            )
        os.replace(tmp, path)
    except BaseException:  # also KeyboardInterrupt: never leave a partial file behind
        tmp.unlink(missing_ok=True)
        raise
    return path


def download_and_extract(url: str, *, sha1: str, cache_dir=None, timeout: float = 30) -> Path:
    """Download a zip archive (see ``download``) and extract it; return the extracted folder.

    The folder is ``cache_dir / <archive name without .zip>`` and holds the archive's members
    with their paths inside the archive (d2l's ``fra-eng.zip`` gives ``<folder>/fra-eng/fra.txt``).
    Extraction goes to a temporary folder that is renamed into place when complete; a marker
    file records the archive's SHA-1, so a later call returns at once and a stale or partial
    folder is replaced.
    """
    archive = download(url, sha1=sha1, cache_dir=cache_dir, timeout=timeout)
    sha1 = _check_sha1(sha1)
    folder = archive.with_suffix("")
    if folder == archive:
        raise ValueError(f"expected a .zip archive, got {archive.name!r} from {url}")

    def is_complete() -> bool:
        marker = folder / _MARKER
        return marker.is_file() and marker.read_text().strip() == sha1

    if is_complete():
        return folder
    tmp = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{folder.name}.", suffix=".part"))
    try:
        with zipfile.ZipFile(archive) as zf:
            zf.extractall(tmp)  # zipfile drops absolute paths and '..' from member names
        (tmp / _MARKER).write_text(sha1 + "\n")
        if folder.exists():  # stale or partial: replace it
            shutil.rmtree(folder)
        try:
            os.replace(tmp, folder)
        except OSError:
            if not is_complete():  # not a concurrent extraction that finished first
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return folder
