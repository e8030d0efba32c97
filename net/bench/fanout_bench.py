"""Benchmark: the server's CPU per recipient copy, one ``send_many`` to N people against N ``send``s.

    python -m net.bench.fanout_bench [--recipients 50] [--rounds 9] [--messages 200] [--body 300]

Starts ``python main.py server`` as a child process (its CPU read from /proc, apart
from this one's), registers one sender and ``--recipients`` people (who stay offline:
every copy is stored, none is pushed), and logs the sender in. Then, in the same
run, rounds of two samples, A and B, in alternating order (AB, BA, AB, ...): A sends
``--messages`` messages as one ``send_many`` each; B sends as many messages as one
``send`` per copy, the sends of each message pipelined on the connection as the
outbox pipelines them. Either way a message's replies are awaited before the next
message goes. Each sample is the server's CPU time over its copies; the
figures are the medians over the rounds, in µs per recipient copy. The bodies are
random bytes of ``--body`` bytes (about a sealed group text); nothing is encrypted,
since only the server's side is measured.

:func:`server_cpu_per_copy` is the measurement alone, on a connection and a server
process that the caller has (``main.py bench --group-size`` may call it).
"""

from __future__ import annotations

import argparse
import base64
import os
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from net.bench.client import BenchAccount
from net.bench.runner import ServerProcess, temporary_data_dir, unique_phones
from net.bench.stats import read_process
from net.client.transport import ServerConnection
from net.protocol import replies
from net.protocol.client_ids import time_ordered_id
from net.protocol.login import sign_login
from net.protocol.schema import MAX_COPIES


@dataclass(frozen=True)
class FanoutFigures:
    """Server CPU in µs per recipient copy: medians over the rounds, and each round's sample."""

    recipients: int
    copies_per_sample: int
    send_many_us: float
    sends_us: float
    send_many_samples: tuple[float, ...]
    sends_samples: tuple[float, ...]

    @property
    def ratio(self) -> float:
        """How many times as much CPU a copy costs sent alone as in a ``send_many``."""
        return self.sends_us / self.send_many_us if self.send_many_us else float("nan")


def _cpu_seconds(pid: int) -> float:
    sample = read_process(pid)
    if sample is None:
        raise RuntimeError(f"cannot read the CPU time of process {pid} from /proc")
    return sample.cpu_seconds


def server_cpu_per_copy(
    conn: ServerConnection,
    server_pid: int,
    recipients: Sequence[str],
    *,
    rounds: int = 9,
    messages: int = 200,
    body: int = 300,
) -> FanoutFigures:
    """Alternating samples of ``messages`` messages to every recipient, by ``send_many`` and by ``send``.

    ``conn`` is logged in as the sender; the recipients are registered and (for a clean figure)
    offline. Every copy must be stored: anything else raises. The server's CPU is read from /proc in
    clock ticks (10 ms), so a sample must take many: with the defaults a ``send_many`` sample takes
    some 200 ms of it.
    """
    copies = len(recipients) * messages

    def by_send_many() -> None:
        for _ in range(messages):
            items = [(to, os.urandom(body)) for to in recipients]
            if not all(result.stored for result in conn.send_many(_client_id(), items).results):
                raise RuntimeError("a copy of a send_many was not stored")

    def by_send() -> None:
        for _ in range(messages):
            client_id = _client_id()
            sent = [conn.send("send", to=to, client_id=client_id, body=os.urandom(body)) for to in recipients]
            for request_id in sent:
                conn.wait_typed(replies.SEND, request_id)

    def sample(run: Callable[[], None]) -> float:
        before = _cpu_seconds(server_pid)
        run()
        return (_cpu_seconds(server_pid) - before) / copies * 1e6

    by_send_many()  # warm up both paths (and the store's pages) before anything counts
    by_send()
    many: list[float] = []
    single: list[float] = []
    for round_number in range(rounds):
        if round_number % 2 == 0:
            many.append(sample(by_send_many))
            single.append(sample(by_send))
        else:
            single.append(sample(by_send))
            many.append(sample(by_send_many))
    return FanoutFigures(
        len(recipients),
        copies,
        statistics.median(many),
        statistics.median(single),
        tuple(many),
        tuple(single),
    )


def _client_id() -> str:
    return time_ordered_id("m-", int(time.time() * 1000), os.urandom)


def _register(conn: ServerConnection, account: BenchAccount) -> None:
    started = conn.call("register_start", phone=account.phone, email=account.email)
    if "code" not in started:
        raise RuntimeError("the server does not return codes: it must run with --dev-codes")
    conn.call(
        "register_finish",
        phone=account.phone,
        token=started["token"],
        code=started["code"],
        **account.registration(),
    )


def _login(conn: ServerConnection, account: BenchAccount) -> None:
    nonce = base64.b64decode(conn.call("challenge", phone=account.phone)["nonce"])
    signature = sign_login(account.identity, nonce, account.phone, conn.fingerprint)
    conn.call("login", phone=account.phone, signature=signature)


def run(folder: Path, recipients: int, rounds: int, messages: int, body: int) -> FanoutFigures:
    """A server of its own in ``folder``, the accounts, and the measurement."""
    # Every round leaves 2 x ``messages`` waiting for each recipient: far past the per-sender cap that
    # keeps a stranger from filling someone's queue, which this benchmark is not about.
    waiting = str((rounds + 1) * 2 * messages + 10)
    server = ServerProcess(folder, extra=("--queue-cap", waiting, "--queue-cap-per-sender", waiting))
    conn: ServerConnection | None = None
    try:
        sender, *people = (BenchAccount(phone) for phone in unique_phones(recipients + 1))
        conn = ServerConnection.open(*server.address, on_push=lambda _push: None, timeout=60.0)
        for account in (sender, *people):
            _register(conn, account)
        _login(conn, sender)
        return server_cpu_per_copy(
            conn, server.pid, [p.phone for p in people], rounds=rounds, messages=messages, body=body
        )
    finally:
        if conn is not None:
            conn.close()
        server.stop()


def _count(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, not {text}")
    return value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m net.bench.fanout_bench", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--recipients", type=_count, default=50, help="people each message goes to (50)")
    parser.add_argument("--rounds", type=_count, default=9, help="rounds of one sample each way (9)")
    parser.add_argument("--messages", type=_count, default=200, help="messages in each sample (200)")
    parser.add_argument("--body", type=_count, default=300, help="bytes of each copy's body (300)")
    args = parser.parse_args(argv)
    if args.recipients > MAX_COPIES:
        parser.error(f"a send_many takes at most {MAX_COPIES} items")
    with temporary_data_dir() as folder:
        figures = run(Path(folder), args.recipients, args.rounds, args.messages, args.body)
    rounds = len(figures.sends_samples)
    print(
        f"server CPU per recipient copy, {figures.recipients} recipients, median of {rounds}"
        f" alternating rounds of {figures.copies_per_sample} copies each way:"
        f" send_many {figures.send_many_us:.1f} µs, one send per copy {figures.sends_us:.1f} µs"
        f" ({figures.ratio:.2f} times as much)"
    )
    print("  send_many samples, µs:", " ".join(f"{v:.1f}" for v in figures.send_many_samples))
    print("  send samples, µs:     ", " ".join(f"{v:.1f}" for v in figures.sends_samples))
    return 0


if __name__ == "__main__":
    sys.exit(main())
