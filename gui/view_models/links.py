"""The web and mail addresses in a message's text: where they are, and what a click opens.

Only ``http://``, ``https://`` and ``mailto:`` addresses are links (a ``javascript:``, ``file:``
or any other scheme stays plain text). An address runs to the next space or ``<``, ``>``,
``"``; punctuation that ends a sentence (``.`` ``,`` ``;`` ``:`` ``!`` ``?`` quotes) is not
part of it, nor is a closing bracket that has no opening one inside the address, so
"(see https://example.org/a_(b))." links ``https://example.org/a_(b)``. Letters of any script
may be in it (an internationalised name); :func:`hover_text` shows the name a browser will
actually look up as well, so that a look-alike name gives itself away. The search is one
pass of regular expressions without nested repetition, each address looked at up to
:data:`LONGEST` characters (a longer run is no link, rather than a link to the start of it):
linear in the length of the text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

#: Where an address may start: a scheme we open, not glued to a word before it.
_START = re.compile(r"(?<![\w@.+-])(?:https?://|mailto:)", re.IGNORECASE)
#: The longest address looked at, so that a text of junk costs a bounded amount per scheme in it.
LONGEST = 4096
#: What an address may hold, up to the first character that ends it.
_BODY = re.compile(rf"[^\s<>\"]{{1,{LONGEST}}}")
_TRAILING = ".,;:!?'\"‘’“”…»«›‹"
_PAIRS = {")": "(", "]": "[", "}": "{"}


@dataclass(frozen=True)
class Link:
    #: Where it is in the text: ``text[start:end] == address``.
    start: int
    end: int
    address: str


def _trimmed(address: str) -> str:
    """The address without the punctuation after it and without closing brackets it did not open."""
    while address:
        last = address[-1]
        unopened = last in _PAIRS and address.count(last) > address.count(_PAIRS[last])
        if last in _TRAILING or unopened:
            address = address[:-1]
        else:
            break
    return address


def _has_place(address: str) -> bool:
    """Something follows the scheme: a host for http(s), a mailbox for mailto."""
    lowered = address.lower()
    if lowered.startswith("mailto:"):
        return "@" in address[7:].split("?")[0].strip("@")
    rest = address.split("//", 1)[1]
    host = re.split(r"[/?#]", rest, maxsplit=1)[0].rsplit("@", 1)[-1]
    return bool(host.strip(".:"))


def find_links(text: str) -> list[Link]:
    """Every address in ``text`` that a click may open, in order."""
    links: list[Link] = []
    at = 0
    while True:
        start = _START.search(text, at)
        if start is None:
            return links
        body = _BODY.match(text, start.start())
        rest = _BODY.match(text, body.end()) if body is not None and len(body.group(0)) == LONGEST else None
        if rest is not None:  # longer than any address we would open: no link (not a cut one)
            while rest is not None:
                at = rest.end()
                rest = _BODY.match(text, at)
            continue
        address = _trimmed(body.group(0)) if body is not None else ""
        if len(address) > len(start.group(0)) and _has_place(address):
            links.append(Link(start.start(), start.start() + len(address), address))
            at = start.start() + len(address)
        else:
            at = start.end()


def looked_up(address: str) -> str:
    """The address with an internationalised host name in the form the network looks up (punycode)."""
    if address.lower().startswith("mailto:") or address.isascii():
        return address
    parts = urlsplit(address)
    host = parts.hostname or ""
    if host.isascii():
        return address
    try:
        ascii_host = host.encode("idna").decode("ascii")
    except UnicodeError:
        return address
    at = parts.netloc.lower().rfind(host)
    if at < 0:
        return address
    netloc = parts.netloc[:at] + ascii_host + parts.netloc[at + len(host) :]
    return parts._replace(netloc=netloc).geturl()


def hover_text(address: str) -> str:
    """What shows while the pointer is on a link: the whole address (and the looked-up name if it differs)."""
    shown = looked_up(address)
    return address if shown == address else f"{address}\n{shown}"
