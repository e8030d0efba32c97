#!/usr/bin/env python3
"""Parley: a desktop messenger with end-to-end encryption.

python main.py            the desktop app (a double-click does the same)
python main.py server     the standalone server
python main.py bench      the load generator for a server
python main.py export     a readable (not encrypted) export of a profile's conversations
python main.py backup     a whole profile, sealed under a backup passphrase, to one file
python main.py restore    a backup into a new profile
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

Subcommand = Callable[[argparse.Namespace], int]


def _run_app(args: argparse.Namespace) -> int:
    # Imported here so that the server and the bench run on machines without Tk.
    from gui.app import run

    return run(args.profiles)


def build_parser() -> tuple[argparse.ArgumentParser, dict[str, Subcommand]]:
    parser = argparse.ArgumentParser(prog="parley", description="Parley, an end-to-end encrypted messenger.")
    parser.add_argument(
        "--profiles",
        type=Path,
        metavar="DIR",
        help="the app keeps its profiles in DIR (default: the platform's user data folder)",
    )
    sub = parser.add_subparsers(dest="command", metavar="{server,bench,export,backup,restore}")
    commands: dict[str, Subcommand] = {"app": _run_app}

    server = sub.add_parser("server", help="run the Parley server")
    commands["server"] = _add_server(server)

    bench = sub.add_parser("bench", help="run the load generator against a server")
    commands["bench"] = _add_bench(bench)

    export = sub.add_parser("export", help="export a profile's conversations as HTML or JSON (not encrypted)")
    commands["export"] = _add_export(export)

    backup = sub.add_parser("backup", help="back a whole profile up to one file, sealed under a passphrase")
    restore = sub.add_parser("restore", help="restore a backup into a new profile")
    commands["backup"], commands["restore"] = _add_archive(backup, restore)
    return parser, commands


def _add_server(parser: argparse.ArgumentParser) -> Subcommand:
    from net.server.cli import add_server_arguments, run_server

    add_server_arguments(parser)
    return run_server


def _add_bench(parser: argparse.ArgumentParser) -> Subcommand:
    from net.bench.cli import add_bench_arguments, run_bench

    add_bench_arguments(parser)
    return run_bench


def _add_export(parser: argparse.ArgumentParser) -> Subcommand:
    from storage.profile.export_cli import add_export_arguments, run_export

    add_export_arguments(parser)
    return run_export


def _add_archive(backup: argparse.ArgumentParser, restore: argparse.ArgumentParser) -> tuple[Subcommand, ...]:
    from net.client.archive_cli import add_backup_arguments, add_restore_arguments, run_backup, run_restore

    add_backup_arguments(backup)
    add_restore_arguments(restore)
    return run_backup, run_restore


def main(argv: Sequence[str] | None = None) -> int:
    parser, commands = build_parser()
    args = parser.parse_args(argv)
    command = commands[args.command or "app"]
    try:
        return command(args)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
