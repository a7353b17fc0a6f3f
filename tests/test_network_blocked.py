import socket
import urllib.error
import urllib.request

import pytest

from tests.conftest import NetworkBlocked


def test_host_names_are_not_resolved():
    with pytest.raises(urllib.error.URLError) as info:
        urllib.request.urlopen("http://example.com/", timeout=2)
    assert isinstance(info.value.reason, NetworkBlocked)
    assert "must not use the network" in str(info.value.reason)


def test_non_loopback_addresses_are_refused():
    with pytest.raises(NetworkBlocked, match="93.184.216.34"):
        socket.create_connection(("93.184.216.34", 80), timeout=2)


def test_loopback_is_allowed():
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    client = socket.socket()
    client.connect(server.getsockname())
    client.close()
    server.close()
