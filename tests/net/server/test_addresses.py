"""The one loopback check, and the addresses whose connections start with a PROXY header."""

from __future__ import annotations

import pytest

from net.server.addresses import ProxySources, is_loopback


@pytest.mark.parametrize("host", ["localhost", "LocalHost", "127.0.0.1", "127.8.9.10", "::1"])
def test_loopback_names_and_addresses(host: str) -> None:
    assert is_loopback(host)


@pytest.mark.parametrize("host", ["", "0.0.0.0", "::", "192.168.1.2", "example.org", "localhost.example.org"])
def test_other_hosts_are_not_loopback(host: str) -> None:
    assert not is_loopback(host)


def test_proxy_sources_are_addresses_and_networks() -> None:
    sources = ProxySources(["127.0.0.1", "10.0.0.0/24", " 2001:db8::/64 "])
    assert sources.send_header("127.0.0.1") and sources.send_header("10.0.0.200")
    assert sources.send_header("2001:db8::7") and sources.send_header("::ffff:10.0.0.3")  # dual-stack
    assert not sources.send_header("127.0.0.2") and not sources.send_header("10.0.1.1")
    assert not sources.send_header("2001:db8:0:1::7") and not sources.send_header("not an address")
    assert not ProxySources() and not ProxySources().send_header("127.0.0.1")


@pytest.mark.parametrize(
    ("entry", "words"),
    [
        ("haproxy.example.org", "IP addresses and networks"),
        ("10.0.0.0/33", "IP addresses and networks"),
        ("", "IP addresses and networks"),
        ("10.0.0.5/24", "the network is 10.0.0.0/24"),
    ],
)
def test_a_proxy_source_that_is_no_address_or_network_is_refused_in_words(entry: str, words: str) -> None:
    with pytest.raises(ValueError, match=words):
        ProxySources([entry])
