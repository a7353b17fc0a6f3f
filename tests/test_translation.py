"""The fra-eng loader, downloading from a local HTTP server (no network needed)."""

import hashlib
import http.server
import threading
import zipfile

import pytest
from d2l import torch as d2l

from lstm_gru.translation import load_fra_eng, preprocess_nmt, tokenize_nmt

TEXT = (
    "Go.\tVa !\n"
    "Hi.\tSalut !\n"
    "I'm OK.\tJe vais bien.\n"
    "Who?\u202f\tQui\u00a0?\n"
    "Wait!\tAttends\u202f!\n"
    "No tab on this line\n"
    "Stop,  now!\tArrête,  maintenant!\n"
)


@pytest.fixture
def server(tmp_path):
    """Serve a small fra-eng.zip on 127.0.0.1; yields (url, sha1, served file)."""
    root = tmp_path / "www"
    root.mkdir()
    with zipfile.ZipFile(root / "fra-eng.zip", "w") as archive:
        archive.writestr("fra-eng/fra.txt", TEXT)
    sha1 = hashlib.sha1((root / "fra-eng.zip").read_bytes()).hexdigest()

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(root), **kwargs)

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/fra-eng.zip", sha1, root / "fra-eng.zip"
    httpd.shutdown()
    httpd.server_close()


def test_preprocessing_matches_d2l():
    assert preprocess_nmt(TEXT) == d2l.preprocess_nmt(TEXT)
    source, target = tokenize_nmt(preprocess_nmt(TEXT))
    d2l_source, d2l_target = d2l.tokenize_nmt(d2l.preprocess_nmt(TEXT))
    assert source == [[t for t in s if t] for s in d2l_source]  # d2l 1.0 drops empty tokens
    assert target == [[t for t in s if t] for s in d2l_target]
    assert source[0] == ["go", "."] and target[3] == ["qui", "?"]
    assert source[-1] == ["stop", ",", "now", "!"]


def test_load_fra_eng_downloads_once_and_checks_the_sha1(server, tmp_path):
    url, sha1, served = server
    cache = tmp_path / "cache"
    source, target = load_fra_eng(url=url, sha1=sha1, cache_dir=cache)
    assert len(source) == len(target) == 6  # the line without a tab is skipped
    assert (source[2], target[2]) == (["i'm", "ok", "."], ["je", "vais", "bien", "."])
    assert (cache / "fra-eng.zip").is_file()
    served.unlink()  # the second call reads the cache, not the server
    assert load_fra_eng(2, url=url, sha1=sha1, cache_dir=cache) == (source[:2], target[:2])
    with pytest.raises(OSError, match="404"):
        load_fra_eng(url=url, sha1=sha1, cache_dir=tmp_path / "other")
    served.write_bytes((cache / "fra-eng.zip").read_bytes())
    with pytest.raises(ValueError, match="SHA-1 mismatch"):
        load_fra_eng(url=url, sha1="0" * 40, cache_dir=tmp_path / "other")
    assert not list((tmp_path / "other").iterdir())  # nothing left behind


def test_max_examples_must_be_positive():
    with pytest.raises(ValueError, match="max_examples must be >= 1"):
        tokenize_nmt("a\tb", 0)
