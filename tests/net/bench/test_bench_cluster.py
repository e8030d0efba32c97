"""The cluster harness: the engines and nodes it starts, a node killed and started again, restarts."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from conftest import fresh_phone
from wire_client import Person, WireClient

from net.bench.cluster import Cluster, node_flags
from net.protocol.errors import RequestRefused


def test_the_node_flags_are_those_readme_shows() -> None:
    flags = node_flags("postgresql://parley@db:5432/parley", "redis://bus:6379/0", Path("c"), Path("k"), "n1")
    assert flags == [
        "--store",
        "postgresql://parley@db:5432/parley",
        "--bus",
        "redis://bus:6379/0",
        "--proxy-from",
        "127.0.0.1",
        "--cert",
        "c",
        "--key",
        "k",
        "--node",
        "n1",
    ]


def test_a_cluster_needs_a_node(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="at least one node"):
        Cluster.start(tmp_path, 0)


def _logs_in_again(cluster: Cluster, person: Person, seconds: float = 30.0) -> None:
    """A login through HAProxy, tried again while the node has not found PostgreSQL again yet."""
    deadline = time.monotonic() + seconds
    while True:
        client = WireClient(cluster.address)
        try:
            person.login(client)
            return
        except RequestRefused as exc:
            assert exc.code == "storage_unavailable" and time.monotonic() < deadline, exc
            time.sleep(0.2)
        finally:
            client.close()


def test_two_nodes_share_one_key_and_survive_a_kill_and_engine_restarts(tmp_path: Path) -> None:
    cluster = Cluster.start(tmp_path / "cluster", 2)
    try:
        assert cluster.postgres is not None
        assert cluster.store == f"postgresql://parley@127.0.0.1:{cluster.postgres.port}/parley"
        alice = Person(fresh_phone())
        client = WireClient(cluster.address)
        try:
            assert client.fingerprint == cluster.fingerprint
            alice.register(client, cluster.codes)  # the code came from whichever node sent it
        finally:
            client.close()
        first_pid = cluster.nodes[0].pid
        cluster.kill_node(0)  # returns once HAProxy's checks have taken it out
        assert cluster.node_pids()[0] is None and cluster.nodes[0].process.returncode == -9
        _logs_in_again(cluster, alice)  # node 1 serves alone
        cluster.start_node(0)  # returns once HAProxy's checks call it up
        assert cluster.nodes[0].pid != first_pid and cluster.node_pids()[0] is not None
        cluster.route_to(0)
        _logs_in_again(cluster, alice)
        cluster.route_to(None)
        cluster.restart_redis(kill=True)
        cluster.restart_postgres()
        _logs_in_again(cluster, alice)
        assert all(node.running for node in cluster.nodes)
    finally:
        cluster.stop()
    assert not any(node.running for node in cluster.nodes)
    assert cluster.haproxy is not None and cluster.haproxy.process.poll() is not None
    assert cluster.redis is not None and cluster.redis.pid is None
    assert cluster.postgres is not None and not cluster.postgres.running()
