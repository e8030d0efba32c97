"""Whether a Parley server answers: a TLS handshake with its pinned key and a ``ping``, in bounded time.

A server process that hangs (stopped, deadlocked) still has the kernel accept
TCP connections on its listening socket, so "something listens" says nothing;
only an answer does. :func:`probe` opens a connection through
:mod:`net.client.transport` (the engine's one socket module), checks the key
against the fingerprint given, and sends ``ping``, which a server answers before
any login (with ``not_logged_in``, an answer all the same). The window asks this
of the local server before it trusts or restarts it.
"""

from __future__ import annotations

from enum import StrEnum

from net.client.transport import (
    ConnectionLost,
    ServerConnection,
    ServerKeyMismatch,
    Unreachable,
    check_pin,
)
from net.protocol import replies
from net.protocol.errors import RequestRefused

#: How long a server may take to finish the handshake, and again to answer the ping.
PROBE_SECONDS = 3.0


class Answer(StrEnum):
    ANSWERS = "answers"  # the handshake with the expected key, and the ping answered
    NOBODY = "nobody"  # nothing accepts connections there
    SILENT = "silent"  # a connection is accepted, but no handshake or no answer in time: hung
    OTHER_KEY = "other_key"  # a server answers with another key: not the one asked about


def probe(
    host: str,
    port: int,
    fingerprint: str | None,
    *,
    timeout: float = PROBE_SECONDS,
) -> Answer:
    """Ask the server at ``host:port`` for a sign of life; ``fingerprint`` None takes any key."""
    try:
        conn = ServerConnection.open(host, port, timeout=timeout, on_push=lambda _push: None)
    except Unreachable:
        return Answer.NOBODY
    except ConnectionLost:  # accepted, but the handshake did not finish in time (or broke)
        return Answer.SILENT
    try:
        if fingerprint is not None:
            try:
                check_pin(fingerprint, conn.fingerprint_text)
            except (ServerKeyMismatch, ValueError):  # another key, or no fingerprint to compare
                return Answer.OTHER_KEY
        try:
            conn.request(replies.PING, timeout=timeout)
        except RequestRefused:  # refused (before a login): it read the request and answered
            pass
        except ConnectionLost:
            return Answer.SILENT
        return Answer.ANSWERS
    finally:
        conn.close()
