"""``python main.py server``: its flags, and running the server until Ctrl+C or SIGTERM."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from pathlib import Path

import platformdirs

from crypto_core.stream import sealed_size
from net.protocol.frames import DEFAULT_MAX_FRAME
from net.server import local_port
from net.server.addresses import ProxySources, is_loopback
from net.server.amounts import parse_duration, parse_size
from net.server.cluster_presence import SWEEP_INTERVAL
from net.server.limits import Limits
from net.server.loop import COMMIT_WAIT
from net.server.server import DEFAULT_PORT, RunningServer, ServerConfig
from net.server.verification import CHANNEL_KINDS, add_smtp_arguments, make_channel, smtp_settings_from_args
from storage.server.open_store import check_target
from storage.server.records import StoreError
from storage.server.space_guard import DEFAULT_RESERVE

MIB = 1024 * 1024

log = logging.getLogger("parley.server")


def default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir("Parley", appauthor=False)) / "server"


_D = Limits()
#: The whole-number limits that must be at least 1: (field of Limits, default, what it counts).
_COUNTED_LIMITS = (
    ("codes_per_hour", _D.codes_per_hour, "codes per phone and source address per hour"),
    ("codes_per_address", _D.codes_per_address, "codes per source address per hour, all phones"),
    ("codes_waiting", _D.codes_waiting, "live codes waiting per phone"),
    ("code_attempts", _D.code_attempts, "tries per code"),
    ("lock_attempts", _D.lock_attempts, "wrong registration-lock passphrases per account, then 24 h refused"),
    ("logins_per_minute", _D.logins_per_minute, "failed logins per phone per minute"),
    (
        "address_logins_per_minute",
        _D.address_logins_per_minute,
        "failed logins per source address per minute",
    ),
    ("bundles_per_hour", _D.bundles_per_hour, "bundles per fetching account per hour"),
    (
        "prekeys_per_target",
        _D.prekeys_per_target,
        "bundles with one-time prekeys per account per hour, all fetchers",
    ),
    (
        "prekeys_per_address",
        _D.prekeys_per_address,
        "bundles with one-time prekeys per fetching source address per hour",
    ),
    ("prekeys_low", _D.prekeys_low, "push prekeys_low as a kind of one-time prekeys falls below this"),
    ("queue_cap", _D.queue_cap, "messages waiting per recipient"),
    (
        "queue_cap_per_sender",
        _D.queue_cap_per_sender,
        "messages one sender may have waiting for one recipient",
    ),
    ("queue_bytes", _D.queue_bytes, "body bytes waiting per recipient"),
    ("unknown_per_account", _D.unknown_per_account, "unknown_account answers per account per hour"),
    ("unknown_per_address", _D.unknown_per_address, "unknown_account answers per source address per hour"),
    ("link_opens_per_address", _D.link_opens_per_address, "link codes asked for per source address per hour"),
    ("link_joins_per_account", _D.link_joins_per_account, "link codes tried per account per hour"),
    ("link_joins_per_address", _D.link_joins_per_address, "link codes tried per source address per hour"),
)


def add_server_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"TCP port (default: {DEFAULT_PORT})")
    parser.add_argument(
        "--keep-port",
        type=int,
        metavar="FIRST",
        help="instead of --port: the port remembered in the data directory, or the first free one from "
        "FIRST up, remembered there (the app's local server uses this to keep one address for good)",
    )
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help=f"where the database and keys live (default: {default_data_dir()})",
    )
    parser.add_argument(
        "--verification",
        choices=CHANNEL_KINDS,
        default="console",
        help="how codes are sent (default: console)",
    )
    parser.add_argument(
        "--dev-codes",
        action="store_true",
        help="also return codes in the reply, for trying things out; loopback addresses only",
    )
    parser.add_argument("--cert", type=Path, help="TLS certificate (PEM) to use instead of the self-made one")
    parser.add_argument("--key", type=Path, help="the private key (PEM) of --cert")
    parser.add_argument(
        "--proxy-from",
        default="",
        metavar="ADDR[,ADDR...]",
        help="load balancers (IP addresses or CIDR networks) whose connections start with a PROXY protocol"
        " v2 header naming the real client; only they may send one (default: none)",
    )
    limits = parser.add_argument_group("limits")
    limits.add_argument(
        "--max-frame", type=int, default=DEFAULT_MAX_FRAME, help="largest frame, bytes (1 MiB)"
    )
    limits.add_argument("--idle-timeout", type=float, default=_D.idle_timeout, help="seconds (300)")
    for name, default, words in _COUNTED_LIMITS:
        limits.add_argument(
            f"--{name.replace('_', '-')}", type=int, default=default, help=f"{words} ({default})"
        )
    limits.add_argument(
        "--blob-max-size",
        default="100MiB",
        help="largest file (a blob holds its sealed form, a little larger): bytes, or KiB, MiB, GiB (100MiB)",
    )
    limits.add_argument(
        "--blob-quota",
        default="1GiB",
        help="bytes of unexpired blobs per account, finished or not, as --blob-max-size (1GiB)",
    )
    limits.add_argument(
        "--blob-lifetime",
        default="30d",
        help="how long a blob is kept from its start: seconds, or with s, m, h, d (30d)",
    )
    limits.add_argument(
        "--blob-starts-per-hour",
        type=int,
        default=_D.blob_starts_per_hour,
        help=f"uploads started per account per hour ({_D.blob_starts_per_hour})",
    )
    storage = parser.add_argument_group("storage")
    storage.add_argument(
        "--store",
        default=None,
        metavar="URL",
        help="a PostgreSQL database (postgresql://USER@HOST:PORT/DATABASE) that several servers share"
        " (default: the SQLite file in the data directory)",
    )
    storage.add_argument(
        "--max-store-mib",
        type=int,
        default=None,
        help="largest size of the database file, MiB; past it, writes are refused with storage_full"
        " (default: no limit but the disk)",
    )
    storage.add_argument(
        "--reserve-mib",
        type=int,
        default=DEFAULT_RESERVE // MIB,
        help="room kept in a reserve file and given back on a full disk, so fetch and ack still work;"
        f" 0 keeps none (default: {DEFAULT_RESERVE // MIB})",
    )
    parser.add_argument(
        "--sync",
        choices=("full", "normal"),
        default="full",
        help="SQLite synchronous mode: full survives power cuts, normal only process crashes (default: full)",
    )
    parser.add_argument(
        "--commit-wait",
        type=commit_wait_ms,
        metavar="MS",
        default=COMMIT_WAIT * 1000,
        help="under steady traffic, how long a turn with a send to sync may wait for more requests to share"
        f" its sync (milliseconds, up to {MOST_COMMIT_WAIT_MS:g}; 0: never; default: {COMMIT_WAIT * 1000:g})",
    )
    parser.add_argument("--log-level", default="INFO", choices=("DEBUG", "INFO", "WARNING", "ERROR"))
    cluster = parser.add_argument_group("several nodes")
    cluster.add_argument(
        "--bus",
        metavar="redis://HOST:PORT/0",
        help="Redis that carries the wake-ups between nodes sharing one PostgreSQL --store (default: none,"
        " one node)",
    )
    cluster.add_argument(
        "--sweep",
        type=float,
        default=SWEEP_INTERVAL,
        metavar="SECONDS",
        help="with --bus: how often the node re-reads its devices' queues for what a lost wake-up missed"
        f" (default: {SWEEP_INTERVAL:.0f})",
    )
    cluster.add_argument("--node", help="this node's name in logs and wake-ups (default: HOSTNAME-PID)")
    add_smtp_arguments(parser)


def config_from_args(args: argparse.Namespace) -> ServerConfig:
    """The server's configuration; ValueError with a sentence for the operator when flags do not fit."""
    for name in ("max_frame", "blob_starts_per_hour", *(counted[0] for counted in _COUNTED_LIMITS)):
        if getattr(args, name) < 1:
            raise ValueError(f"--{name.replace('_', '-')} must be at least 1")
    if not 0 < args.max_frame < 2**32:
        raise ValueError("--max-frame must be below 4 GiB")
    if args.idle_timeout <= 0:
        raise ValueError("--idle-timeout must be positive")
    blob_max_size, blob_quota, blob_lifetime = _blob_limits(args)
    if args.max_store_mib is not None and args.max_store_mib < 1:
        raise ValueError("--max-store-mib must be at least 1")
    if args.reserve_mib < 0:
        raise ValueError("--reserve-mib cannot be negative")
    if not 0 <= args.port < 65536:
        raise ValueError("--port must be between 0 and 65535")
    if args.dev_codes and not is_loopback(args.host):
        raise ValueError(
            "--dev-codes hands every code to whoever asks, so it runs only on a loopback address"
            f" (127.0.0.1, ::1 or localhost), not {args.host}"
        )
    store = None if args.store is None else check_target(args.store)
    _check_cluster_flags(args, store)
    if store is not None and args.max_store_mib is not None:
        raise ValueError(
            "--max-store-mib caps the SQLite file; with --store the room is the PostgreSQL server's to limit"
        )
    proxy_from = _proxy_from(args)
    data_dir = args.data_dir or default_data_dir()
    if args.keep_port is not None:
        if not 0 < args.keep_port < 65536:
            raise ValueError(f"--keep-port takes a port from 1 to 65535, not {args.keep_port}")
        args.port = local_port.choose(data_dir, args.host, args.keep_port)
    channel = make_channel(args.verification, data_dir=data_dir, smtp=smtp_settings_from_args(args))
    limits = Limits(
        max_frame=args.max_frame,
        idle_timeout=args.idle_timeout,
        blob_max_size=blob_max_size,
        blob_quota=blob_quota,
        blob_lifetime=blob_lifetime,
        blob_starts_per_hour=args.blob_starts_per_hour,
        **{name: getattr(args, name) for name, _default, _words in _COUNTED_LIMITS},
    )
    return ServerConfig(
        data_dir=data_dir,
        channel=channel,
        host=args.host,
        port=args.port,
        cert=args.cert,
        key=args.key,
        dev_codes=args.dev_codes,
        limits=limits,
        synchronous=args.sync.upper(),
        commit_wait=args.commit_wait / 1000,
        max_store_bytes=None if args.max_store_mib is None else args.max_store_mib * MIB,
        space_reserve=args.reserve_mib * MIB,
        bus=args.bus,
        sweep=args.sweep,
        **({"node": args.node} if args.node else {}),
        proxy_from=proxy_from,
        store=store,
    )


MOST_COMMIT_WAIT_MS = 10.0


def commit_wait_ms(text: str) -> float:
    """``--commit-wait``: milliseconds from 0 to MOST_COMMIT_WAIT_MS, or an argparse error in words."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected milliseconds, such as 0.5, not {text!r}") from None
    if not 0 <= value <= MOST_COMMIT_WAIT_MS:  # also refuses nan
        raise argparse.ArgumentTypeError(f"expected 0 to {MOST_COMMIT_WAIT_MS:g} milliseconds, not {text}")
    return value


def _check_cluster_flags(args: argparse.Namespace, store: str | None) -> None:
    """``--bus``, ``--sweep`` and ``--node``: a refused url is not repeated (it may hold a password)."""
    if args.bus is not None and store is None:
        raise ValueError(
            "a bus joins nodes that share a PostgreSQL store: --bus needs --store postgresql://…"
            " (one node on its SQLite file needs no bus)"
        )
    if args.bus is not None and not args.bus.startswith(("redis://", "rediss://", "unix://")):
        scheme = args.bus.partition("://")[0] if "://" in args.bus else ""
        what = f"its scheme is {scheme!r}" if scheme.isalnum() else "it does not start with a scheme"
        raise ValueError(f"--bus takes a Redis url, redis://HOST:PORT/0 or rediss://…; {what}")
    if not args.sweep > 0:
        raise ValueError("--sweep must be a positive number of seconds")
    if args.node is not None and not args.node.strip():
        raise ValueError("--node needs a name")


def _proxy_from(args: argparse.Namespace) -> tuple[str, ...]:
    """``--proxy-from``'s addresses and networks, checked."""
    proxy_from = tuple(entry.strip() for entry in args.proxy_from.split(",") if entry.strip())
    ProxySources(proxy_from)  # ValueError in words for anything that is not an address or a network
    return proxy_from


def _blob_limits(args: argparse.Namespace) -> tuple[int, int, float]:
    """``--blob-max-size``, ``--blob-quota`` and ``--blob-lifetime``, checked."""
    try:
        max_size, quota = parse_size(args.blob_max_size), parse_size(args.blob_quota)
        lifetime = parse_duration(args.blob_lifetime)
    except ValueError as exc:
        raise ValueError(f"--blob-max-size, --blob-quota, --blob-lifetime: {exc}") from None
    if max_size < 1 or quota < 1 or lifetime <= 0:
        raise ValueError("--blob-max-size, --blob-quota and --blob-lifetime must be positive")
    if sealed_size(max_size) > quota:
        raise ValueError(
            "--blob-max-size (sealed) cannot be larger than --blob-quota: no such file would fit"
        )
    return max_size, quota, lifetime


def run_server(args: argparse.Namespace) -> int:
    logging.basicConfig(
        level=args.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr
    )
    try:
        config = config_from_args(args)
        server = RunningServer(config)
    except ValueError as exc:
        print(f"parley server: {exc}", file=sys.stderr)
        return 2
    except StoreError as exc:
        where = "the PostgreSQL store" if config.store else f"the store in {config.data_dir}"
        print(f"parley server: cannot open {where}: {exc}.", file=sys.stderr)
        return 2
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        print(
            f"parley server: cannot start on {args.host}:{args.port} (data in {config.data_dir}): {reason}."
            " Is another server running? Choose another --port or --data-dir.",
            file=sys.stderr,
        )
        return 2
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    host, port = server.address
    if config.dev_codes:
        banner = "WARNING: --dev-codes is on: codes are returned to whoever asks. Never use it in production."
        print("!" * len(banner), banner, "!" * len(banner), sep="\n", file=sys.stderr, flush=True)
    print(f"Parley server listening on {host}:{port}", flush=True)
    print(f"Server key fingerprint (SHA-256): {server.fingerprint_text}", flush=True)
    print(f"Data directory: {config.data_dir}; codes by {config.channel.name}. Ctrl+C stops.", flush=True)
    try:
        while not stop.wait(1.0) and server.loop.failure is None:
            pass
    except KeyboardInterrupt:
        pass
    print("Stopping…", flush=True)
    server.stop()
    if server.loop.failure is not None:
        print(
            f"parley server: stopped: {server.loop.failure}. Every reply it sent before holds; start it"
            " again once the disk is sound (a service manager restarts it by itself): it serves what the"
            " disk holds.",
            file=sys.stderr,
            flush=True,
        )
        return 1
    print("Stopped.", flush=True)
    return 0
