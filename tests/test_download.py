"""download(): checksum, cache, atomic write, and failures, against a local HTTP server."""

import functools
import hashlib
import http.server
import shutil
import threading
import zipfile
from pathlib import Path

import pytest

from lstm_gru import data
from lstm_gru.download import download, download_and_extract, sha1_of

PAYLOAD = b"It was the best of times, it was the worst of times.\n" * 100
PAYLOAD_SHA1 = hashlib.sha1(PAYLOAD).hexdigest()
TIMEMACHINE = Path(__file__).resolve().parents[1].parent / "shared/data/timemachine.txt"


class _Handler(http.server.SimpleHTTPRequestHandler):
    """Serves a folder; ``/truncated`` promises 1000 bytes, sends 100 and hangs up."""

    def do_GET(self):
        if self.path == "/truncated":
            self.send_response(200)
            self.send_header("Content-Length", "1000")
            self.end_headers()
            self.wfile.write(b"x" * 100)
            self.wfile.flush()
            self.close_connection = True
            return
        super().do_GET()

    def log_message(self, *args):  # keep the test output clean
        pass


class Server:
    """A threaded HTTP server on 127.0.0.1 serving ``root``; ``stop()`` shuts it down."""

    def __init__(self, root: Path):
        handler = functools.partial(_Handler, directory=str(root))
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()
        self.running = True

    def stop(self):
        if self.running:
            self.httpd.shutdown()
            self.httpd.server_close()
            self.thread.join()
            self.running = False


@pytest.fixture
def server(tmp_path):
    root = tmp_path / "www"
    root.mkdir()
    (root / "book.txt").write_bytes(PAYLOAD)
    srv = Server(root)
    srv.root = root
    yield srv
    srv.stop()


@pytest.fixture
def cache(tmp_path):
    path = tmp_path / "cache"
    path.mkdir()
    return path


def test_sha1_of_known_value(tmp_path):
    (tmp_path / "abc").write_bytes(b"abc")
    assert sha1_of(tmp_path / "abc") == "a9993e364706816aba3e25717850c26c9cd0d89d"


def test_download_then_cache_hit_without_network(server, cache, capsys):
    path = download(f"{server.url}/book.txt", sha1=PAYLOAD_SHA1, cache_dir=cache)
    assert path == cache / "book.txt"
    assert path.read_bytes() == PAYLOAD
    assert sorted(p.name for p in cache.iterdir()) == ["book.txt"]  # no temporary file left
    assert "Downloading" in capsys.readouterr().out
    server.stop()
    again = download(f"{server.url}/book.txt", sha1=PAYLOAD_SHA1.upper(), cache_dir=cache)
    assert again == path
    assert capsys.readouterr().out == ""  # served from the cache


def test_default_cache_dir_and_filename(server, tmp_path, monkeypatch):
    monkeypatch.setenv("LSTM_GRU_DATA", str(tmp_path / "env-cache"))
    path = download(f"{server.url}/book.txt", sha1=PAYLOAD_SHA1, filename="renamed.txt")
    assert path == tmp_path / "env-cache" / "renamed.txt"
    assert sha1_of(path) == PAYLOAD_SHA1


def test_stale_cached_file_is_replaced(server, cache):
    (cache / "book.txt").write_bytes(b"corrupted")
    path = download(f"{server.url}/book.txt", sha1=PAYLOAD_SHA1, cache_dir=cache)
    assert path.read_bytes() == PAYLOAD


def test_checksum_mismatch_leaves_nothing(server, cache):
    wrong = "0" * 40
    url = f"{server.url}/book.txt"
    with pytest.raises(
        ValueError, match=f"SHA-1 mismatch for {url}: expected {wrong}, received {PAYLOAD_SHA1}"
    ):
        download(url, sha1=wrong, cache_dir=cache)
    assert list(cache.iterdir()) == []


def test_interrupted_download_leaves_nothing(server, cache):
    url = f"{server.url}/truncated"
    with pytest.raises(
        OSError, match=f"download of {url} was interrupted: received 100 of 1000 bytes"
    ):
        download(url, sha1="0" * 40, cache_dir=cache)
    assert list(cache.iterdir()) == []


def test_http_error_names_url_and_status(server, cache):
    url = f"{server.url}/missing.txt"
    with pytest.raises(OSError, match=f"download of {url} failed: HTTP Error 404"):
        download(url, sha1=PAYLOAD_SHA1, cache_dir=cache)
    assert list(cache.iterdir()) == []


def test_unreachable_server_names_url(server, cache):
    server.stop()
    url = f"{server.url}/book.txt"
    with pytest.raises(OSError, match=f"download of {url} failed"):
        download(url, sha1=PAYLOAD_SHA1, cache_dir=cache, timeout=5)
    assert list(cache.iterdir()) == []


def test_bad_arguments(cache):
    with pytest.raises(ValueError, match="sha1 must be 40 hexadecimal digits, got 'abc'"):
        download("http://127.0.0.1/x.txt", sha1="abc", cache_dir=cache)
    with pytest.raises(ValueError, match="cannot infer a file name from url"):
        download("http://127.0.0.1/", sha1="0" * 40, cache_dir=cache)


def test_download_and_extract(server, cache):
    archive = server.root / "fra-eng.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("fra-eng/fra.txt", "Go.\tVa !\n")
    sha1 = sha1_of(archive)
    stale = cache / "fra-eng"
    stale.mkdir()
    (stale / "partial.txt").write_text("left by an interrupted extraction")
    folder = download_and_extract(f"{server.url}/fra-eng.zip", sha1=sha1, cache_dir=cache)
    assert folder == stale
    assert (folder / "fra-eng" / "fra.txt").read_text() == "Go.\tVa !\n"
    assert not (folder / "partial.txt").exists()  # the stale folder was replaced
    assert sorted(p.name for p in cache.iterdir()) == ["fra-eng", "fra-eng.zip"]
    server.stop()
    assert download_and_extract(f"{server.url}/fra-eng.zip", sha1=sha1, cache_dir=cache) == folder


@pytest.mark.skipif(not TIMEMACHINE.is_file(), reason=f"needs the shared copy {TIMEMACHINE}")
def test_timemachine_corpus_downloads_once(server, tmp_path, monkeypatch):
    shutil.copy(TIMEMACHINE, server.root / "timemachine.txt")
    monkeypatch.setattr(data, "TIMEMACHINE_URL", f"{server.url}/timemachine.txt")
    monkeypatch.delenv(data.TIMEMACHINE_ENV, raising=False)
    monkeypatch.setenv("LSTM_GRU_DATA", str(tmp_path / "cache"))
    corpus = data.load_corpus("timemachine")
    assert corpus.source == f"{server.url}/timemachine.txt"
    assert sha1_of(tmp_path / "cache" / "timemachine.txt") == data.TIMEMACHINE_SHA1
    server.stop()
    assert data.load_corpus("timemachine").text == corpus.text
