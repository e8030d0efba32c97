"""``python main.py bench --cluster N``: a single SQLite node beside N nodes behind HAProxy, in one run.

Two pools of worker processes: one drives a single node on its SQLite file (exactly
the default bench's server), one drives a cluster (net/bench/cluster.py: PostgreSQL,
Redis, HAProxy and N nodes, all on this machine). Each round measures both, one after
the other, in alternating order, so that a slow drift of the machine favours neither;
only one pool sends at a time. The cluster's "server" figures are its nodes' added
up; beside them, each node's CPU per message and PostgreSQL's (the postmaster and its
backends), Redis's and HAProxy's, read from /proc. The raw relay is left out.
"""

from __future__ import annotations

import contextlib
import functools
from pathlib import Path

from net.bench.cluster import Cluster
from net.bench.flows import (
    SETUP_TIMEOUT,
    SPARE_FILES,
    Options,
    Progress,
    Sampler,
    measure,
    split,
    start_server,
)
from net.bench.results import Report
from net.bench.runner import WorkerPool, raise_file_limit, temporary_data_dir, unique_phones
from net.bench.stats import ProcessSample, combined, read_process, read_process_tree

MOST_NODES = 16
#: Every client of the bench comes from this machine's address: per-address limits are for strangers.
NODE_FLAGS = ("--codes-per-address", "1000000", "--address-logins-per-minute", "1000000")


def _read(pid: int | None) -> ProcessSample | None:
    return None if pid is None else read_process(pid)


def samplers(cluster: Cluster) -> tuple[Sampler, dict[str, Sampler]]:
    """The nodes together (the cluster's "server"), and each process of the cluster on its own."""
    nodes = cluster.nodes

    def all_nodes() -> ProcessSample | None:
        return combined([_read(node.pid) for node in nodes])

    parts: dict[str, Sampler] = {
        f"node{index}": functools.partial(_read, node.pid) for index, node in enumerate(nodes)
    }
    if cluster.postgres is not None and (postmaster := cluster.postgres.pid()) is not None:
        parts["PostgreSQL"] = functools.partial(read_process_tree, postmaster)
    if cluster.redis is not None:
        parts["Redis"] = functools.partial(_read, cluster.redis.pid)
    if cluster.haproxy is not None:
        parts["HAProxy"] = functools.partial(_read, cluster.haproxy.pid)
    return all_nodes, parts


def run_cluster(options: Options, progress: Progress, report: Report) -> Report:
    if options.clients < 2:
        raise ValueError("--clients must be at least 2 (clients talk in pairs)")
    if not 1 <= options.cluster <= MOST_NODES:
        raise ValueError(f"--cluster takes 1 to {MOST_NODES} nodes, not {options.cluster}")
    if options.server is not None:
        raise ValueError("--cluster starts its own nodes; it does not drive a --server")
    people = options.clients - options.clients % 2
    if note := raise_file_limit(4 * people + SPARE_FILES):  # a client's socket, HAProxy's two, a node's
        report.notes.append(note)
    if options.baseline:
        report.notes.append("the raw relay run is left out with --cluster: it is the single node's baseline")
    report.notes.append(
        f"the cluster's server CPU is its {options.cluster} nodes' added up; PostgreSQL, Redis and HAProxy"
        " are listed beside it, all on this machine with the clients"
    )
    with contextlib.ExitStack() as stack:
        address, pid = start_server(options, stack, progress)
        folder = Path(stack.enter_context(temporary_data_dir()))
        progress(f"starting PostgreSQL, Redis, HAProxy and {options.cluster} nodes…")
        cluster = Cluster.start(folder / "cluster", options.cluster, extra=NODE_FLAGS)
        stack.callback(cluster.stop)
        nodes_sample, parts = samplers(cluster)
        phones = unique_phones(2 * people)
        one_chunks = split(phones[:people], options.workers, even=True)
        cluster_chunks = split(phones[people:], options.workers, even=True)
        one_pool, cluster_pool = WorkerPool(len(one_chunks)), WorkerPool(len(cluster_chunks))
        stack.callback(one_pool.stop)
        stack.callback(cluster_pool.stop)
        progress(f"registering {people} clients on the single node and starting their sessions (PQXDH)…")
        one_pool.call(
            "setup",
            [{"address": address, "phones": chunk, "size": options.size} for chunk in one_chunks],
            timeout=SETUP_TIMEOUT,
        )
        progress(f"registering {people} clients through HAProxy and starting their sessions (PQXDH)…")
        cluster_pool.call(
            "setup",
            [{"address": cluster.address, "phones": chunk, "size": options.size} for chunk in cluster_chunks],
            timeout=SETUP_TIMEOUT,
        )
        single = functools.partial(measure, one_pool, "parley", pid, options, people, progress)
        several = functools.partial(
            measure,
            cluster_pool,
            "cluster",
            None,
            options,
            people,
            progress,
            sample=nodes_sample,
            parts=parts,
        )
        for round in range(1, options.rounds + 1):
            for run in (single, several) if round % 2 else (several, single):
                report.phases.append(run(round=round))
        report.notes.append(_spread(cluster))
        progress("stopping…")
    return report


def _spread(cluster: Cluster) -> str:
    """How HAProxy spread the clients' connections over the nodes (what leastconn did)."""
    assert cluster.haproxy is not None
    given = ", ".join(f"{s.name} {s.total}" for s in cluster.haproxy.servers())
    return f"connections HAProxy gave each node over the run: {given}"
