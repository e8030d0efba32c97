"""``python main.py export``: a readable export of a profile's conversations from the command line.

It finds the profile by id or by name in the profile folder, asks its
passphrase on the terminal (or reads it from ``--passphrase-file``, for
scripts), warns once that the export is not encrypted, prints progress, and
writes the export (:mod:`storage.profile.export`). Every failure is one line
on standard error and exit status 1: an unknown profile, a wrong passphrase,
a folder that is not empty, no such conversation, a full disk.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path
from typing import TextIO

from crypto_core.errors import CryptoError, WrongPassphrase
from storage.profile.directory import ProfileDirectory, ProfileInfo
from storage.profile.errors import ProfileError
from storage.profile.export import PALETTES, ExportResult, check_folder, export_html, export_json

WARNING = (
    "warning: the export is not encrypted: anyone who can read {folder} can read these conversations "
    "and open their pictures and files"
)


def add_export_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--profiles",
        type=Path,
        metavar="DIR",
        default=argparse.SUPPRESS,  # the top-level --profiles stays in force unless given here
        help="the folder of profiles (default: the platform's user data folder)",
    )
    parser.add_argument(
        "--profile", required=True, metavar="ID_OR_NAME", help="the profile, by its id or name"
    )
    parser.add_argument(
        "--format", required=True, choices=("html", "json"), help="HTML pages or one JSON file"
    )
    parser.add_argument(
        "--out", required=True, type=Path, metavar="DIR", help="a new (or empty) folder to write"
    )
    parser.add_argument(
        "--conversation", metavar="PHONE", help="export only the conversation with this number"
    )
    parser.add_argument(
        "--theme", choices=tuple(PALETTES), default="light", help="colours of the HTML pages (default: light)"
    )
    parser.add_argument(
        "--passphrase-file",
        type=Path,
        metavar="FILE",
        help="read the profile's passphrase from FILE (its first line) instead of asking on the terminal",
    )


def find_profile(directory: ProfileDirectory, wanted: str) -> ProfileInfo:
    """The profile whose id is ``wanted``, else the one whose name is (ignoring case)."""
    profiles = directory.list()
    for info in profiles:
        if info.profile_id == wanted:
            return _usable(info)
    named = [info for info in profiles if info.name and info.name.casefold() == wanted.strip().casefold()]
    if len(named) > 1:
        ids = ", ".join(info.profile_id for info in named)
        raise ProfileError(f"{len(named)} profiles are named {wanted!r}; give one of their ids: {ids}")
    if not named:
        raise ProfileError(f"no profile {wanted!r} in {directory.root}")
    return _usable(named[0])


def _usable(info: ProfileInfo) -> ProfileInfo:
    if info.problem is not None:
        raise ProfileError(info.problem)
    return info


def read_passphrase(args: argparse.Namespace, info: ProfileInfo, stdin: TextIO = sys.stdin) -> str:
    return read_secret(args.passphrase_file, f"Passphrase of the profile {info.name!r}: ", stdin=stdin)


def read_secret(
    file: Path | None,
    prompt: str,
    *,
    option: str = "--passphrase-file",
    confirm: bool = False,
    stdin: TextIO = sys.stdin,
) -> str:
    """A passphrase from ``file`` (its first line), else asked on the terminal (twice with ``confirm``).

    ``option`` names the command-line option that gives the file, for the error without a terminal.
    """
    if file is not None:
        try:
            text = Path(file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            reason = getattr(exc, "strerror", None) or "not UTF-8 text"
            raise ProfileError(f"could not read the passphrase file {file}: {reason}") from None
        return text.splitlines()[0] if text else ""
    if not stdin.isatty():
        raise ProfileError(f"there is no terminal to ask the passphrase on; give {option}")
    first = getpass.getpass(prompt)
    if confirm and getpass.getpass("The same again: ") != first:
        raise ProfileError("the two passphrases typed differ; nothing was done")
    return first


def run_export(args: argparse.Namespace, *, out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> int:
    directory = ProfileDirectory(getattr(args, "profiles", None))
    try:
        info = find_profile(directory, args.profile)
        check_folder(args.out)  # before the passphrase: no point typing it for a folder that is refused
        passphrase = read_passphrase(args, info)
        print(WARNING.format(folder=args.out), file=err, flush=True)
        try:
            result = _export(directory, info, passphrase, args, err)
        except WrongPassphrase:
            raise ProfileError(f"wrong passphrase for the profile {info.name!r}") from None
    except (ProfileError, CryptoError) as exc:
        # Both kinds say what happened in words and hold no secret (see their modules).
        print(f"parley export: {exc}", file=err)
        return 1
    noun = "conversation" if result.conversations == 1 else "conversations"
    print(f"exported {result.conversations} {noun}, {result.messages} messages, to {result.folder}", file=out)
    return 0


def _export(
    directory: ProfileDirectory, info: ProfileInfo, passphrase: str, args: argparse.Namespace, err: TextIO
) -> ExportResult:
    def progress(done: int, total: int) -> None:
        print(f"exporting: {done} of {total} conversations", file=err, flush=True)

    # guarded: SQLite's own failures come out as the profile's ProfileDamaged or DiskFull, in words.
    with directory.open(info.profile_id, passphrase) as profile, profile.guarded():
        if args.format == "html":
            return export_html(
                profile, args.out, palette=PALETTES[args.theme], contact=args.conversation, progress=progress
            )
        return export_json(profile, args.out, contact=args.conversation, progress=progress)
