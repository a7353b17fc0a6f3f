"""`make lab` serves the course: JupyterLab answers with its token and opens a chapter."""

import shutil
import urllib.error
import urllib.request

import pytest

from tests.lab_server import free_port, lab_server


@pytest.mark.skipif(shutil.which("make") is None, reason="needs GNU make")
def test_make_lab_serves_the_notebooks(tmp_path):
    port = free_port()
    # As a student runs it, but without opening a browser; JupyterLab makes up the token.
    command = [
        "make",
        "-s",
        "lab",
        f"PORT={port}",
        "LAB_ARGS=--no-browser --ServerApp.ip=127.0.0.1",
    ]
    with lab_server(command, tmp_path, port, token=None) as server:
        assert server.token, "JupyterLab printed its URL with a token"
        status = server.api("/api/status")
        assert "started" in status
        notebook = server.api("/api/contents/notebooks/00_start_here.ipynb?content=1")
        assert notebook["type"] == "notebook"
        assert notebook["content"]["cells"], "the notebook has cells"
        # The server refuses requests without the token.
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(f"{server.base_url}/api/contents", timeout=10)
        assert refused.value.code == 403
    assert server.process.poll() is not None, "the server was stopped"
