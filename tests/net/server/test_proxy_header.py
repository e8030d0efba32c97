"""The PROXY protocol v2 header reader: known answers in the specified layout, bad headers, split reads."""

from __future__ import annotations

import ipaddress
import struct

import pytest

from net.server.proxy_header import (
    FIXED,
    MAX_REST,
    SIGNATURE,
    BadProxyHeader,
    Local,
    Proxied,
    ProxyHeader,
    ProxyHeaderReader,
)

# What HAProxy's send-proxy-v2 wrote for a client 172.19.0.1:42578 forwarded to 172.19.0.3:80.
HAPROXY_TCP4 = bytes.fromhex("0d0a0d0a000d0a515549540a2111000cac130001ac130003a6520050")


def header(ver_cmd: int, family: int, body: bytes, length: int | None = None) -> bytes:
    """A header laid out as HAProxy's proxy-protocol.txt, section 2.2, says."""
    return (
        SIGNATURE
        + bytes([ver_cmd, family])
        + struct.pack("!H", len(body) if length is None else length)
        + body
    )


def tcp4(source: str, source_port: int, tlvs: bytes = b"") -> bytes:
    body = ipaddress.IPv4Address(source).packed + ipaddress.IPv4Address("10.0.0.1").packed
    return header(0x21, 0x11, body + struct.pack("!HH", source_port, 5000) + tlvs)


def tcp6(source: str, source_port: int) -> bytes:
    body = ipaddress.IPv6Address(source).packed + ipaddress.IPv6Address("2001:db8::1").packed
    return header(0x21, 0x21, body + struct.pack("!HH", source_port, 5000))


def read_whole(data: bytes, step: int | None = None) -> ProxyHeader:
    """Feed ``data`` as a socket would give it: ``step`` bytes at most per read, never past ``wanted``."""
    reader = ProxyHeaderReader()
    taken = 0
    while True:
        n = reader.wanted if step is None else min(step, reader.wanted)
        assert n > 0, "the reader wants nothing but has no header"
        found = reader.receive(data[taken : taken + n])
        taken += n
        if found is not None:
            assert reader.wanted == 0 and taken == len(data)
            return found


def test_the_header_haproxy_sends_gives_the_clients_address() -> None:
    assert read_whole(HAPROXY_TCP4) == Proxied("172.19.0.1", 42578)


def test_tcp_over_ipv4_and_ipv6() -> None:
    assert read_whole(tcp4("203.0.113.7", 40001)) == Proxied("203.0.113.7", 40001)
    assert read_whole(tcp6("2001:db8:1::42", 443)) == Proxied("2001:db8:1::42", 443)
    assert read_whole(tcp6("::ffff:198.51.100.9", 7)) == Proxied("198.51.100.9", 7)  # a mapped IPv4 client


def test_tlvs_are_skipped() -> None:
    tlvs = bytes([0x04]) + struct.pack("!H", 4) + b"\x00\x00\x00\x00" + bytes([0x05, 0, 3]) + b"abc"
    assert read_whole(tcp4("192.0.2.10", 1234, tlvs)) == Proxied("192.0.2.10", 1234)


def test_local_is_a_health_check_whatever_follows() -> None:
    assert read_whole(header(0x20, 0x00, b"")) == Local()
    assert read_whole(header(0x20, 0x11, bytes(12) + b"\x03\x00\x01x")) == Local()


def test_proxy_of_an_unspecified_family_is_refused_rather_than_counted_as_the_balancer() -> None:
    with pytest.raises(BadProxyHeader, match="family UNSPEC"):
        read_whole(header(0x21, 0x00, b""))
    with pytest.raises(BadProxyHeader, match="family UNSPEC"):
        read_whole(header(0x21, 0x00, bytes(12)))  # whatever follows
    assert read_whole(header(0x20, 0x00, b"")) == Local()  # LOCAL of family UNSPEC is a health check


@pytest.mark.parametrize("step", [1, 2, 5, 13, 16, 17])
def test_a_header_split_across_reads_is_the_same_header(step: int) -> None:
    assert read_whole(tcp6("2001:db8:1::42", 443), step) == Proxied("2001:db8:1::42", 443)
    assert read_whole(HAPROXY_TCP4, step) == Proxied("172.19.0.1", 42578)


def test_the_reader_wants_exactly_the_header_so_tls_bytes_stay_behind() -> None:
    reader = ProxyHeaderReader()
    assert reader.wanted == FIXED
    assert reader.receive(HAPROXY_TCP4[:FIXED]) is None
    assert reader.wanted == 12
    with pytest.raises(ValueError):
        reader.receive(HAPROXY_TCP4[FIXED:] + b"\x16\x03\x01")  # the ClientHello is not the header's
    assert reader.receive(HAPROXY_TCP4[FIXED:]) == Proxied("172.19.0.1", 42578)


BAD = {
    "a TLS ClientHello": (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + bytes(5), "did not start with"),
    "version 1's text": (b"PROXY TCP4 192.0.2.1 192.0.2.2 1 2\r\n", "did not start with"),
    "version 1 in the binary form": (header(0x11, 0x11, bytes(12)), "version 1"),
    "version 3": (header(0x31, 0x11, bytes(12)), "version 3"),
    "an unknown command": (header(0x22, 0x11, bytes(12)), "unknown PROXY command"),
    "UDP over IPv4": (header(0x21, 0x12, bytes(12)), "not TCP"),
    "a UNIX socket": (header(0x21, 0x31, bytes(216)), "not TCP"),
    "an unknown family": (header(0x21, 0x41, bytes(12)), "not TCP"),
    "IPv4 addresses cut short": (header(0x21, 0x11, bytes(11)), "cannot hold its addresses"),
    "IPv6 addresses cut short": (header(0x21, 0x21, bytes(35)), "cannot hold its addresses"),
    "a length past the bound": (header(0x21, 0x11, b"", length=MAX_REST + 1), "at most"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_a_malformed_header_is_refused_in_words(case: str) -> None:
    data, words = BAD[case]
    reader = ProxyHeaderReader()
    with pytest.raises(BadProxyHeader, match=words):
        taken = 0
        while taken < len(data):  # bounded: every round takes at least one byte
            n = min(reader.wanted, len(data) - taken)
            assert reader.receive(data[taken : taken + n]) is None
            taken += n
        raise AssertionError("the whole of the bad header was taken without an error")


def test_a_wrong_signature_is_refused_at_its_first_wrong_byte() -> None:
    reader = ProxyHeaderReader()
    assert reader.receive(SIGNATURE[:5]) is None
    with pytest.raises(BadProxyHeader):
        reader.receive(b"X")
