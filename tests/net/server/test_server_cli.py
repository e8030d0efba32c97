"""The flags of ``python main.py server`` and the configuration made from them."""

from __future__ import annotations

import argparse
import os
import socket
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from net.bench.engines.postgres import free_port
from net.server.cli import add_server_arguments, config_from_args, default_data_dir, run_server
from net.server.limits import Limits
from net.server.server import STORE_FILE, RunningServer
from net.server.tls import KEY_FILE
from net.server.verification import FileChannel, SmtpChannel
from storage.server.pg_store import PostgresServerStore
from storage.server.store import SqliteServerStore


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_server_arguments(parser)
    return parser.parse_args(list(argv))


def test_the_defaults(tmp_path: Path) -> None:
    args = parse()
    assert (args.host, args.port, args.verification, args.dev_codes) == ("127.0.0.1", 5000, "console", False)
    config = config_from_args(args)
    assert config.data_dir == default_data_dir()
    assert config.limits == Limits()
    assert config.synchronous == "FULL"
    assert config.channel.name == "console"
    assert (config.max_store_bytes, config.space_reserve) == (None, 4 * 1024 * 1024)


def test_the_store_quota_and_the_reserve_have_flags_in_mib(tmp_path: Path) -> None:
    args = parse("--data-dir", str(tmp_path), "--max-store-mib", "64", "--reserve-mib", "0")
    config = config_from_args(args)
    assert (config.max_store_bytes, config.space_reserve) == (64 * 1024 * 1024, 0)


def test_every_limit_has_a_flag(tmp_path: Path) -> None:
    args = parse(
        "--data-dir", str(tmp_path), "--max-frame", "4096", "--idle-timeout", "30", "--codes-per-hour", "2",
        "--code-attempts", "3", "--logins-per-minute", "4", "--bundles-per-hour", "6", "--queue-cap", "7",
        "--codes-per-address", "17", "--codes-waiting", "18", "--lock-attempts", "2",
        "--address-logins-per-minute", "8", "--prekeys-per-target", "9", "--prekeys-per-address", "11",
        "--prekeys-low", "12", "--queue-cap-per-sender", "13", "--queue-bytes", "14",
        "--unknown-per-account", "15", "--unknown-per-address", "16", "--sync", "normal",
    )  # fmt: skip
    config = config_from_args(args)
    assert config.limits == Limits(
        max_frame=4096,
        idle_timeout=30,
        codes_per_hour=2,
        codes_per_address=17,
        codes_waiting=18,
        code_attempts=3,
        lock_attempts=2,
        logins_per_minute=4,
        bundles_per_hour=6,
        queue_cap=7,
        address_logins_per_minute=8,
        prekeys_per_target=9,
        prekeys_per_address=11,
        prekeys_low=12,
        queue_cap_per_sender=13,
        queue_bytes=14,
        unknown_per_account=15,
        unknown_per_address=16,
    )
    assert config.synchronous == "NORMAL"


def test_the_blob_limits_have_flags_with_units(tmp_path: Path) -> None:
    defaults = config_from_args(parse("--data-dir", str(tmp_path))).limits
    assert (defaults.blob_max_size, defaults.blob_quota) == (100 * 1024 * 1024, 1024**3)
    assert (defaults.blob_lifetime, defaults.blob_starts_per_hour) == (30 * 24 * 3600.0, 300)
    args = parse(
        "--data-dir", str(tmp_path), "--blob-max-size", "10MiB", "--blob-quota", "2GiB",
        "--blob-lifetime", "2h", "--blob-starts-per-hour", "7",
    )  # fmt: skip
    limits = config_from_args(args).limits
    assert (limits.blob_max_size, limits.blob_quota) == (10 * 1024 * 1024, 2 * 1024**3)
    assert (limits.blob_lifetime, limits.blob_starts_per_hour) == (7200.0, 7)


@pytest.mark.parametrize(
    "flags",
    [
        ("--blob-max-size", "ten"),
        ("--blob-max-size", "0"),
        ("--blob-quota", "5TB"),
        ("--blob-lifetime", "soon"),
        ("--blob-lifetime", "0"),
        ("--blob-starts-per-hour", "0"),
        ("--blob-max-size", "2GiB"),  # larger than the quota: nothing could be stored
    ],
)
def test_blob_limits_that_do_not_fit_are_refused_in_words(flags: tuple[str, str]) -> None:
    with pytest.raises(ValueError, match="--blob"):
        config_from_args(parse(*flags))


@pytest.mark.parametrize(
    "flag", ["--queue-cap", "--queue-bytes", "--prekeys-per-target", "--unknown-per-address"]
)
def test_a_limit_below_one_is_refused(flag: str) -> None:
    with pytest.raises(ValueError, match=f"{flag} must be at least 1"):
        config_from_args(parse(flag, "0"))


def test_the_file_channel_writes_into_the_data_dir(tmp_path: Path) -> None:
    config = config_from_args(parse("--data-dir", str(tmp_path), "--verification", "file"))
    assert isinstance(config.channel, FileChannel)
    assert config.channel.outbox_dir == tmp_path / "outbox"


def test_the_smtp_channel_takes_its_flags(tmp_path: Path) -> None:
    args = parse("--data-dir", str(tmp_path), "--verification", "smtp", "--smtp-host", "127.0.0.1")
    assert isinstance(config_from_args(args).channel, SmtpChannel)
    with pytest.raises(ValueError, match="smtp"):
        config_from_args(parse("--verification", "smtp"))


@pytest.mark.parametrize("host", ["0.0.0.0", "192.0.2.7", "example.org"])
def test_dev_codes_only_on_loopback(host: str) -> None:
    with pytest.raises(ValueError, match="loopback"):
        config_from_args(parse("--host", host, "--dev-codes"))


@pytest.mark.parametrize("host", ["127.0.0.1", "::1", "localhost"])
def test_dev_codes_on_loopback_are_fine(host: str, tmp_path: Path) -> None:
    assert config_from_args(parse("--host", host, "--dev-codes", "--data-dir", str(tmp_path))).dev_codes


@pytest.mark.parametrize(
    "flags",
    [
        ("--max-frame", "0"),
        ("--max-frame", str(2**32)),
        ("--code-attempts", "0"),
        ("--codes-per-address", "0"),
        ("--codes-waiting", "0"),
        ("--lock-attempts", "0"),
        ("--queue-cap", "0"),
        ("--idle-timeout", "0"),
        ("--port", "70000"),
        ("--max-store-mib", "0"),
        ("--reserve-mib", "-1"),
    ],
)
def test_impossible_values_are_refused_with_a_sentence(flags: tuple[str, str]) -> None:
    with pytest.raises(ValueError):
        config_from_args(parse(*flags))


def test_main_has_the_server_command() -> None:
    from main import build_parser

    parser, commands = build_parser()
    args = parser.parse_args(["server", "--port", "0", "--verification", "file"])
    assert args.command == "server" and args.port == 0
    assert commands["server"].__name__ == "run_server"


def test_a_busy_port_is_reported_in_a_sentence(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert run_server(parse("--port", str(port), "--data-dir", str(tmp_path))) == 2
    err = capsys.readouterr().err
    assert f"127.0.0.1:{port}" in err and "another" in err and "Traceback" not in err


def test_a_store_from_a_newer_server_is_reported_in_a_sentence(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    SqliteServerStore(tmp_path / STORE_FILE).close()
    with closing(sqlite3.connect(tmp_path / STORE_FILE)) as db, db:
        db.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    assert run_server(parse("--port", "0", "--data-dir", str(tmp_path))) == 2
    err = capsys.readouterr().err
    assert "schema version 99" in err and "Traceback" not in err


def test_keep_port_takes_the_remembered_port_or_the_first_free_one(tmp_path: Path) -> None:
    with closing(socket.socket()) as probe:
        probe.bind(("127.0.0.1", 0))
        first = probe.getsockname()[1]
    config = config_from_args(parse("--data-dir", str(tmp_path), "--keep-port", str(first)))
    assert config.port >= first
    assert (tmp_path / "port").read_text(encoding="ascii").strip() == str(config.port)
    again = config_from_args(parse("--data-dir", str(tmp_path), "--keep-port", "1"))
    assert again.port == config.port
    with pytest.raises(ValueError, match="--keep-port"):
        config_from_args(parse("--data-dir", str(tmp_path / "other"), "--keep-port", "0"))


def test_proxy_from_takes_addresses_and_networks_separated_by_commas() -> None:
    assert config_from_args(parse()).proxy_from == ()
    config = config_from_args(parse("--proxy-from", "127.0.0.1, 10.0.0.0/24,2001:db8::/64"))
    assert config.proxy_from == ("127.0.0.1", "10.0.0.0/24", "2001:db8::/64")
    with pytest.raises(ValueError, match="--proxy-from takes IP addresses"):
        config_from_args(parse("--proxy-from", "127.0.0.1,lb.example.org"))
    with pytest.raises(ValueError, match="bits set past its prefix"):
        config_from_args(parse("--proxy-from", "10.0.0.1/8"))


def test_the_store_flag_takes_a_postgresql_url(tmp_path: Path) -> None:
    assert config_from_args(parse("--data-dir", str(tmp_path))).store is None
    url = "postgresql://parley@db.example.org:5432/parley"
    assert config_from_args(parse("--data-dir", str(tmp_path), "--store", url)).store == url


def test_a_quota_for_the_sqlite_file_is_refused_with_a_postgresql_store(tmp_path: Path) -> None:
    url = "postgresql://parley@db.example.org:5432/parley"
    with pytest.raises(ValueError, match="caps the SQLite file"):
        config_from_args(parse("--data-dir", str(tmp_path), "--store", url, "--max-store-mib", "64"))


def test_a_store_that_is_not_postgresql_is_refused_in_a_sentence(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_server(parse("--port", "0", "--data-dir", str(tmp_path), "--store", "mysql://db/x")) == 2
    err = capsys.readouterr().err
    assert "--store takes a PostgreSQL url" in err and "Traceback" not in err


def test_a_postgresql_store_out_of_reach_is_reported_in_a_sentence(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"postgresql://postgres@127.0.0.1:{free_port()}/parley"
    assert run_server(parse("--port", "0", "--data-dir", str(tmp_path), "--store", url)) == 2
    err = capsys.readouterr().err
    assert "cannot open the PostgreSQL store" in err and "Traceback" not in err


def test_a_server_on_the_postgresql_store_keeps_no_database_file(tmp_path: Path, postgres_url: str) -> None:
    config = config_from_args(parse("--port", "0", "--data-dir", str(tmp_path), "--store", postgres_url))
    with RunningServer(config) as server:
        assert isinstance(server.store, PostgresServerStore)
        with socket.create_connection(server.address, timeout=5):
            pass
    assert not (tmp_path / STORE_FILE).exists()
    assert (tmp_path / KEY_FILE).exists()  # the TLS key stays in the data directory


def test_a_bus_without_a_postgresql_store_is_refused_in_words(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="a bus joins nodes that share a PostgreSQL store"):
        config_from_args(parse("--data-dir", str(tmp_path), "--bus", "redis://127.0.0.1:6379/0"))


def test_the_bus_the_sweep_and_the_node_have_flags(tmp_path: Path) -> None:
    default = config_from_args(parse("--data-dir", str(tmp_path)))
    assert (default.bus, default.sweep) == (None, 30.0)
    assert default.node.endswith(f"-{os.getpid()}") and default.node.startswith(socket.gethostname())
    config = config_from_args(
        parse(
            "--data-dir",
            str(tmp_path),
            "--store",
            "postgresql://parley@127.0.0.1:5432/parley",
            "--bus",
            "redis://127.0.0.1:6379/0",
            "--sweep",
            "5",
            "--node",
            "node-2",
        )
    )
    assert (config.bus, config.sweep, config.node) == ("redis://127.0.0.1:6379/0", 5.0, "node-2")


def test_a_refused_bus_url_is_not_repeated_with_its_password() -> None:
    store = ("--store", "postgresql://parley@127.0.0.1:5432/parley")
    with pytest.raises(ValueError, match="its scheme is 'http'") as refused:
        config_from_args(parse(*store, "--bus", "http://:s3cret-word@10.0.0.5:6379/0"))
    assert "s3cret-word" not in str(refused.value) and "10.0.0.5" not in str(refused.value)


@pytest.mark.parametrize(
    ("flags", "words"),
    [
        (("--bus", "http://127.0.0.1:6379"), "--bus takes a Redis url"),
        (("--sweep", "0"), "--sweep must be a positive number"),
        (("--node", " "), "--node needs a name"),
    ],
)
def test_bus_flags_that_do_not_fit_are_refused_in_words(flags: tuple[str, str], words: str) -> None:
    store = ("--store", "postgresql://parley@127.0.0.1:5432/parley")
    with pytest.raises(ValueError, match=words):
        config_from_args(parse(*store, *flags))
