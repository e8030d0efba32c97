"""The XMPP worker against a real Prosody: in processes of the runner's pool, and its refusals in words."""

from __future__ import annotations

import ssl
import tempfile
import time
from array import array
from collections.abc import Iterator
from pathlib import Path

import pytest

from net.bench.client import SetupError
from net.bench.peers import xmpp_worker
from net.bench.peers.instance import DOMAIN
from net.bench.peers.prosody import ProsodyInstance
from net.bench.peers.xmpp_worker import XmppWorker, client_context
from net.bench.runner import BenchError, WorkerPool
from net.bench.worker import LoadSpec


@pytest.fixture
def server() -> Iterator[ProsodyInstance]:
    with tempfile.TemporaryDirectory(prefix="parley-peers-test-") as name:
        instance = ProsodyInstance.start(Path(name))
        try:
            yield instance
        finally:
            instance.stop()


def _spec(rate: float | None = 200.0) -> LoadSpec:
    return LoadSpec(
        rate=rate, window=1, size=64, start_at=time.monotonic() + 0.2, warmup=0.3, duration=1.0,
        drain_timeout=10,
    )  # fmt: skip


def test_worker_processes_register_pair_and_carry_every_message(server: ProsodyInstance) -> None:
    accounts = server.accounts(8)
    pool = WorkerPool(2, serve=xmpp_worker.serve)
    try:
        common = {"address": server.address, "domain": DOMAIN, "register": True, "size": 64}
        setup = pool.call(
            "setup",
            [
                {**common, "cafile": str(server.cafile), "accounts": half}
                for half in (accounts[:4], accounts[4:])
            ],
            timeout=60,
        )
        assert [s["clients"] for s in setup] == [4, 4]
        answers = pool.call("load", [{"spec": _spec(100.0)}] * 2, timeout=60)
    finally:
        pool.stop()
    for answer in answers:
        assert answer["sent"] >= 100 and answer["received"] == answer["sent"] == answer["accepted"]
        assert answer["lost"] == answer["duplicated"] == answer["undecryptable"] == answer["refused"] == 0
        assert answer["drained"] and not answer["errors"]
        assert 0 < answer["delivered_in_window"] < answer["received"]  # warm-up and lead-in fall outside
        latencies = array("d")
        latencies.frombytes(answer["latencies"])
        assert len(latencies) > 50 and all(0 < ms < 5000 for ms in latencies)


def test_a_login_refused_by_the_server_fails_setup_in_words(server: ProsodyInstance) -> None:
    worker = XmppWorker()
    try:
        # Never registered, so Prosody refuses the password.
        with pytest.raises(SetupError, match=r"2 of 2 logins failed.*authentication refused: not-authorized"):
            worker.setup(server.address, DOMAIN, server.accounts(2), False, str(server.cafile), 64)
    finally:
        worker.close()


def test_the_worker_runs_an_open_loop_only_and_a_pool_says_why_it_failed(server: ProsodyInstance) -> None:
    worker = XmppWorker()
    try:
        worker.setup(server.address, DOMAIN, server.accounts(2), True, str(server.cafile), 64)
        with pytest.raises(SetupError, match="open loop only"):
            worker.load(_spec(None))
    finally:
        worker.close()
    pool = WorkerPool(1, serve=xmpp_worker.serve)
    try:
        with pytest.raises(BenchError, match="setup failed: SetupError: 1 of 1 logins failed"):
            pool.call(
                "setup",
                [
                    {
                        "address": server.address,
                        "domain": DOMAIN,
                        "accounts": [("u99999", "wrong")],
                        "register": False,
                        "cafile": str(server.cafile),
                        "size": 64,
                    }
                ],
                timeout=60,
            )
    finally:
        pool.stop()


def test_the_clients_trust_only_the_servers_certificate_over_tls_13(server: ProsodyInstance) -> None:
    context = client_context(str(server.cafile))
    assert context.minimum_version is ssl.TLSVersion.TLSv1_3
    assert context.verify_mode is ssl.CERT_REQUIRED and context.check_hostname
