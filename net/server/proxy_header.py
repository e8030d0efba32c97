"""The PROXY protocol's version 2 header, sans-IO: bytes in, the real client's address (or LOCAL) out.

A load balancer in TCP mode (HAProxy's ``send-proxy-v2``) opens its connection to a
node with a binary header that says whom it forwards, before the first byte of TLS.
The layout (HAProxy's proxy-protocol.txt, section 2.2), in network byte order:

- 12 bytes of signature, ``\\r\\n\\r\\n\\0\\r\\nQUIT\\n``;
- one byte: the version in the high nibble (2, the only one read here) and the
  command in the low one (0 LOCAL: the balancer's own connection, a health check;
  1 PROXY: a forwarded one);
- one byte: the address family in the high nibble (0 UNSPEC, 1 INET, 2 INET6, 3 UNIX)
  and the transport in the low one (0 UNSPEC, 1 STREAM, 2 DGRAM);
- two bytes: how many bytes follow, addresses and TLVs;
- for TCP over IPv4 (0x11) the source and destination addresses (4 bytes each)
  and ports (2 bytes each); over IPv6 (0x21) the same with 16-byte addresses;
- then TLVs (type, length, value), which are skipped.

:class:`ProxyHeaderReader` takes the bytes as they come and never asks for more than the
header holds (:attr:`ProxyHeaderReader.wanted`), so the caller can read exactly that and
leave the TLS bytes behind it in the socket. Whatever is wrong raises
:class:`BadProxyHeader` in words, as soon as a byte shows it (a TLS ClientHello fails
on its first byte). A PROXY header of family UNSPEC carries no address; the
specification lets a receiver keep the balancer's own, but here it is refused: every
such client would count against the balancer's address in the per-address limits, and
one of them could use those up for all. UNIX sockets and datagrams are refused: nothing
here speaks them.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

SIGNATURE = b"\r\n\r\n\x00\r\nQUIT\n"
FIXED = 16  # the signature, version and command, family and transport, length
MAX_REST = 1024  # address and TLV bytes accepted: HAProxy sends far fewer; a longer header is refused
_LOCAL, _PROXY = 0x0, 0x1
_TCP4, _TCP6, _UNSPEC = 0x11, 0x21, 0x00
_ADDRESS_BYTES = {_TCP4: 12, _TCP6: 36}


class BadProxyHeader(Exception):
    """The bytes are not a PROXY protocol v2 header this server accepts; the message says why."""


@dataclass(frozen=True)
class Proxied:
    """A forwarded connection: the client's own address and port, as the balancer saw them."""

    host: str
    port: int


@dataclass(frozen=True)
class Local:
    """The balancer's own connection (a health check): nobody is forwarded."""


ProxyHeader = Proxied | Local


class ProxyHeaderReader:
    """Feed it bytes with :meth:`receive` until it returns the header; ask :attr:`wanted` how many to read."""

    def __init__(self, max_rest: int = MAX_REST) -> None:
        self._buffer = bytearray()
        self._max_rest = max_rest
        self._total: int | None = None  # the header's whole length, once the fixed part has come
        self._header: ProxyHeader | None = None

    @property
    def received(self) -> int:
        """Bytes of the header taken so far."""
        return len(self._buffer)

    @property
    def wanted(self) -> int:
        """Bytes still to come before the header is whole (0 once it is)."""
        if self._header is not None:
            return 0
        return (self._total if self._total is not None else FIXED) - len(self._buffer)

    def receive(self, data: bytes) -> ProxyHeader | None:
        """Take ``data`` (at most :attr:`wanted` bytes); the header once whole, else None.

        Raises :class:`BadProxyHeader` when the bytes cannot be one.
        """
        if len(data) > self.wanted:
            raise ValueError("more bytes than the header holds; read only what `wanted` says")
        start = len(self._buffer)
        self._buffer += data
        self._check_signature(start)
        if self._total is None and len(self._buffer) >= FIXED:
            self._total = FIXED + self._check_fixed_part()
        if self._total is not None and len(self._buffer) == self._total:
            self._header = self._parse()
        return self._header

    def _check_signature(self, start: int) -> None:
        end = min(len(self._buffer), len(SIGNATURE))
        if start < end and self._buffer[start:end] != SIGNATURE[start:end]:
            raise BadProxyHeader("the connection did not start with a PROXY protocol v2 header")

    def _check_fixed_part(self) -> int:
        version, command = self._buffer[12] >> 4, self._buffer[12] & 0x0F
        if version != 2:
            raise BadProxyHeader(f"PROXY protocol version {version} is not read here, only version 2")
        if command not in (_LOCAL, _PROXY):
            raise BadProxyHeader(f"unknown PROXY command {command:#x}")
        family = self._buffer[13]
        rest = int.from_bytes(self._buffer[14:16], "big")
        if rest > self._max_rest:
            raise BadProxyHeader(f"the PROXY header says {rest} bytes follow; at most {self._max_rest} may")
        if command == _PROXY:
            if family == _UNSPEC:
                raise BadProxyHeader(
                    "a PROXY header without the client's address (family UNSPEC) is refused: the client"
                    " would count as the balancer in the per-address limits"
                )
            if family not in _ADDRESS_BYTES:
                raise BadProxyHeader(f"PROXY family {family:#04x} is not TCP over IPv4 or IPv6")
            if rest < _ADDRESS_BYTES[family]:
                raise BadProxyHeader(f"the PROXY header's {rest} bytes cannot hold its addresses")
        return rest

    def _parse(self) -> ProxyHeader:
        command, family, body = self._buffer[12] & 0x0F, self._buffer[13], bytes(self._buffer[FIXED:])
        if command == _LOCAL:
            return Local()  # its addresses, if any, and TLVs are ignored, as the specification says
        if family == _TCP4:
            return Proxied(str(ipaddress.IPv4Address(body[0:4])), int.from_bytes(body[8:10], "big"))
        if family == _TCP6:
            host = ipaddress.IPv6Address(body[0:16])
            shown = host.ipv4_mapped if host.ipv4_mapped is not None else host
            return Proxied(str(shown), int.from_bytes(body[32:34], "big"))
        raise AssertionError("the fixed part admits only TCP over IPv4 or IPv6")  # checked on arrival
