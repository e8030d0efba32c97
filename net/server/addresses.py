"""Which host names are this machine's own, and which peers speak the PROXY protocol to the server.

:func:`is_loopback` is the one loopback check of the server and its code channels.

``--dev-codes`` (codes in the reply) runs only on a loopback address, and an SMTP
relay is given a password without STARTTLS only on one. A name is loopback when
it is ``localhost`` (in any case) or an IPv4 or IPv6 loopback address; other
names are not resolved, so a name that merely points at 127.0.0.1 does not count.

:class:`ProxySources` holds ``--proxy-from``: the load balancers' addresses and
networks, whose connections (and only theirs) begin with a PROXY protocol v2 header.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class ProxySources:
    """The peers whose connections start with a PROXY protocol v2 header: addresses or CIDR networks."""

    __slots__ = ("networks",)

    def __init__(self, entries: Iterable[str] = ()) -> None:
        self.networks: tuple[Network, ...] = tuple(_network(entry) for entry in entries)

    def __bool__(self) -> bool:
        return bool(self.networks)

    def send_header(self, host: str) -> bool:
        """Whether a connection from ``host`` (the socket's peer) must start with a PROXY header."""
        if not self.networks:
            return False
        try:
            address = ipaddress.ip_address(host.split("%", 1)[0])  # a link-local scope is not the address
        except ValueError:
            return False
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped  # a dual-stack listener shows IPv4 peers so
        return any(address in network for network in self.networks)


def _network(entry: str) -> Network:
    text = entry.strip()
    try:
        return ipaddress.ip_network(text, strict=True)
    except ValueError:
        pass
    try:
        ipaddress.ip_network(text, strict=False)
    except ValueError:
        raise ValueError(
            f"--proxy-from takes IP addresses and networks (such as 10.0.0.5 or 10.0.0.0/24), not {text!r}"
        ) from None
    network = ipaddress.ip_network(text, strict=False)
    raise ValueError(f"--proxy-from: {text} has bits set past its prefix; the network is {network}")
