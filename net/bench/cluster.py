"""Several server nodes behind HAProxy on PostgreSQL and Redis, all on this machine: for tests and the bench.

:meth:`Cluster.start` starts, in a folder of the caller's: PostgreSQL (a role and a
database ``parley`` owned by it, as README's "Running on several machines" says),
Redis, one TLS key made once and given to every node with ``--cert``/``--key`` (so a
client pins one fingerprint whichever node it reaches) and one code key copied into
every node's data directory (a code sent by one node is checked by another), N nodes as real processes
(``python main.py server --store … --bus … --proxy-from 127.0.0.1 …``, each with its
own data directory for its log), and HAProxy in front of them. Every wait is bounded.

A test kills a node (SIGKILL) and starts it again on its port, restarts Redis or
PostgreSQL, and reads the codes the nodes sent from :attr:`Cluster.codes`.
"""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Sequence
from pathlib import Path

from net.bench.cluster_node import CodeBook, NodeProcess
from net.bench.engines.haproxy import HaproxyInstance, free_port
from net.bench.engines.postgres import PostgresInstance
from net.bench.engines.redis_server import RedisInstance
from net.server.codes import CODE_KEY_FILE, load_or_make_code_key
from net.server.tls import ensure_self_signed, fingerprint_of_pem_file

Address = tuple[str, int]
ROLE = DATABASE = "parley"


def node_flags(store: str, bus: str, cert: Path, key: Path, name: str) -> list[str]:
    """The flags that make a server a node of the cluster (README shows the same)."""
    return [
        "--store",
        store,
        "--bus",
        bus,
        "--proxy-from",
        "127.0.0.1",
        "--cert",
        str(cert),
        "--key",
        str(key),
        "--node",
        name,
    ]


class Cluster:
    """PostgreSQL, Redis, HAProxy and ``len(nodes)`` nodes; clients connect to :attr:`address`."""

    def __init__(self, folder: Path, extra: Sequence[str]) -> None:
        self.folder = folder
        self.extra = tuple(extra)
        self.codes = CodeBook()
        self.nodes: list[NodeProcess] = []
        self.ports: list[int] = []
        self.postgres: PostgresInstance | None = None
        self.redis: RedisInstance | None = None
        self.haproxy: HaproxyInstance | None = None
        self.store = ""
        self.cert, self.key = ensure_self_signed(folder / "shared", common_name="Parley cluster")
        self.fingerprint = fingerprint_of_pem_file(self.cert)
        load_or_make_code_key(folder / "shared")  # every node needs the same, as the same TLS key

    @classmethod
    def start(
        cls, folder: Path, nodes: int = 3, *, extra: Sequence[str] = (), fsync: bool = False
    ) -> Cluster:
        """Everything started and listening; ``extra`` are more server flags for every node (limits)."""
        if nodes < 1:
            raise ValueError("a cluster needs at least one node")
        folder.mkdir(parents=True, exist_ok=True)
        cluster = cls(folder, extra)
        try:
            cluster.postgres = PostgresInstance.start(folder / "postgres", fsync=fsync)
            cluster.store = cluster._create_role_and_database(cluster.postgres)
            cluster.redis = RedisInstance.start(folder / "redis")
            cluster.ports = [free_port() for _ in range(nodes)]
            cluster.nodes = [cluster._launch(i) for i in range(nodes)]
            cluster.haproxy = HaproxyInstance.start(folder / "haproxy", [n.address for n in cluster.nodes])
            for index in range(nodes):
                cluster.haproxy.wait_for_status(f"node{index}", "UP")
        except BaseException:
            cluster.stop()
            raise
        return cluster

    @staticmethod
    def _create_role_and_database(postgres: PostgresInstance) -> str:
        """The role and database the nodes use: what an operator makes once (README shows the same SQL)."""
        import psycopg  # here: `python main.py` builds the bench's flags, and one node needs no driver

        with psycopg.connect(postgres.url, autocommit=True, connect_timeout=10) as connection:
            connection.execute(f"CREATE ROLE {ROLE} LOGIN")
            connection.execute(f"CREATE DATABASE {DATABASE} OWNER {ROLE}")
        return f"postgresql://{ROLE}@127.0.0.1:{postgres.port}/{DATABASE}"

    def _launch(self, index: int) -> NodeProcess:
        assert self.redis is not None
        flags = node_flags(self.store, self.redis.url, self.cert, self.key, f"node{index}")
        flags += ["--dev-codes", "--log-level", "WARNING", *self.extra]
        data_dir = self.folder / f"node{index}"
        data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        shutil.copy2(self.folder / "shared" / CODE_KEY_FILE, data_dir / CODE_KEY_FILE)
        return NodeProcess(data_dir, self.ports[index], flags, self.codes)

    @property
    def address(self) -> Address:
        """Where clients connect: HAProxy's frontend."""
        assert self.haproxy is not None
        return self.haproxy.address

    def node_pids(self) -> list[int | None]:
        """Each node's process id, None for a node that is down."""
        return [node.pid if node.running else None for node in self.nodes]

    def route_to(self, index: int | None) -> None:
        """New connections go only to node ``index`` (the others in maintenance; what is open stays
        open), or with None to every node again: how a test puts two people on different nodes."""
        assert self.haproxy is not None
        for other in range(len(self.nodes)):
            if other == index or index is None:
                self.haproxy.set_state(f"node{other}", "ready")
        for other in range(len(self.nodes)):
            if index is not None and other != index:
                self.haproxy.set_state(f"node{other}", "maint")
        if index is not None:
            self.haproxy.wait_for_status(f"node{index}", "UP")

    def kill_node(self, index: int, *, wait_down: bool = True) -> None:
        """SIGKILL node ``index``; with ``wait_down``, until HAProxy's checks have taken it out."""
        self.nodes[index].kill()
        if wait_down and self.haproxy is not None:
            self.haproxy.wait_for_status(f"node{index}", "DOWN")

    def start_node(self, index: int, *, wait_up: bool = True) -> None:
        """Start node ``index`` again on its port (after a kill or a stop)."""
        if self.nodes[index].running:
            return
        self.nodes[index] = self._launch(index)
        if wait_up and self.haproxy is not None:
            self.haproxy.wait_for_status(f"node{index}", "UP")

    def restart_redis(self, *, kill: bool = False) -> None:
        """Redis goes away (SIGTERM, or SIGKILL with ``kill``) and comes back empty on its port."""
        assert self.redis is not None
        if kill:
            self.redis.kill()
        else:
            self.redis.stop()
        self.redis.start_again()

    def stop_postgres(self) -> None:
        """PostgreSQL stops (fast shutdown: its connections are cut); the nodes keep running without it."""
        assert self.postgres is not None
        self.postgres.stop()

    def start_postgres(self) -> None:
        """PostgreSQL again, same folder and port; the nodes find it by themselves."""
        assert self.postgres is not None
        self.postgres.start_again()

    def restart_postgres(self) -> None:
        self.stop_postgres()
        self.start_postgres()

    def stop(self) -> None:
        """Everything stopped, the nodes first (each in order), whatever failed to start."""
        for node in self.nodes:
            with contextlib.suppress(Exception):
                node.stop()
        for engine in (self.haproxy, self.redis, self.postgres):
            if engine is not None:
                with contextlib.suppress(Exception):
                    engine.stop()
