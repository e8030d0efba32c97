"""When the engine pings, and how long ``poll`` may wait: pure functions of the engine's monotonic time.

Inputs: the server's ``idle_timeout`` (from ``hello``), when the connection last
sent anything, the time now, and what the poll loop knows (time left, whether a
connection is open or wanted, the reconnect backoff left, buffered input).
Outputs: the ping interval, whether a ping is due now and in how long, and how
long ``poll`` waits. :mod:`net.client.link` sends the ping and
:meth:`net.client.messenger.Messenger.poll` does the waiting.
"""

from __future__ import annotations

#: A client with nothing to say pings about every minute, and at least three times per idle timeout.
PING_EVERY = 60.0


def ping_interval(idle_timeout: float) -> float:
    """The ping interval for a server that closes connections idle for ``idle_timeout`` seconds."""
    return min(PING_EVERY, idle_timeout / 3)


def ping_due(last_sent: float, now: float, every: float) -> bool:
    """A ping is due when nothing was sent for ``every`` seconds (monotonic time)."""
    return now - last_sent >= every


def next_ping_in(last_sent: float | None, now: float, every: float) -> float:
    """Seconds until a ping is due (``every`` when no connection is open: nothing to keep alive)."""
    if last_sent is None:
        return every
    return max(0.0, last_sent + every - now)


def poll_wait(remaining: float, *, ping_in: float, reconnect_in: float | None, buffered: bool) -> float:
    """How long one wait of ``poll`` lasts: until its end, the next ping, or the reconnect (seconds).

    ``reconnect_in`` is the backoff left while a connection is wanted and none is open (None
    otherwise); input already buffered (read with a reply) is handled without waiting.
    """
    if buffered:
        return 0.0
    wait = min(remaining, ping_in)
    if reconnect_in is not None:
        wait = min(wait, reconnect_in)
    return max(0.0, wait)
