"""Which host names are this machine's own: the one loopback check of the server and its code channels.

``--dev-codes`` (codes in the reply) runs only on a loopback address, and an SMTP
relay is given a password without STARTTLS only on one. A name is loopback when
it is ``localhost`` (in any case) or an IPv4 or IPv6 loopback address; other
names are not resolved, so a name that merely points at 127.0.0.1 does not count.
"""

from __future__ import annotations

import ipaddress


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
