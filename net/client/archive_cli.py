"""``python main.py backup`` and ``python main.py restore``: a whole profile to one sealed file and back.

Both drive the engine's own commands (:mod:`net.client.archive`, through
:class:`~net.client.messenger.Messenger`, which connects to no server here), so
their errors are the app's, in the same words. They find the profile and read
passphrases as ``export`` does (:mod:`storage.profile.export_cli`): from files
given on the command line (for scripts), or asked on the terminal, a new
passphrase twice. Progress goes to standard error, one line per tenth; every
failure is one line on standard error and exit status 1.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TextIO

from net.client.core.engine_error import EngineError
from net.client.messenger import Messenger
from storage.profile.directory import ProfileDirectory
from storage.profile.errors import ProfileError
from storage.profile.export_cli import find_profile, read_passphrase, read_secret

_BACKUP_OPTION = "--backup-passphrase-file"


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--profiles",
        type=Path,
        metavar="DIR",
        default=argparse.SUPPRESS,  # the top-level --profiles stays in force unless given here
        help="the folder of profiles (default: the platform's user data folder)",
    )
    parser.add_argument(
        "--passphrase-file",
        type=Path,
        metavar="FILE",
        help="read the profile's passphrase from FILE (its first line) instead of asking on the terminal",
    )
    parser.add_argument(
        _BACKUP_OPTION,
        type=Path,
        metavar="FILE",
        help="read the backup's passphrase from FILE (its first line) instead of asking on the terminal",
    )


def add_backup_arguments(parser: argparse.ArgumentParser) -> None:
    _common(parser)
    parser.add_argument(
        "--profile", required=True, metavar="ID_OR_NAME", help="the profile, by its id or name"
    )
    parser.add_argument("--out", required=True, type=Path, metavar="FILE", help="the backup file to write")


def add_restore_arguments(parser: argparse.ArgumentParser) -> None:
    _common(parser)
    parser.add_argument("backup", type=Path, metavar="FILE", help="the backup file to restore")
    parser.add_argument(
        "--label", required=True, metavar="NAME", help="the name the restored profile is listed by here"
    )


class _Tenths:
    """Progress as lines on standard error, one each time another tenth is done."""

    def __init__(self, verb: str, err: TextIO) -> None:
        self._verb, self._err, self._said = verb, err, -1

    def __call__(self, done: int, total: int) -> None:
        tenth = 10 if total <= 0 else min(10, done * 10 // total)
        if tenth != self._said:
            self._said = tenth
            print(f"{self._verb}: {tenth * 10}%", file=self._err, flush=True)


def run_backup(args: argparse.Namespace, *, out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> int:
    root = getattr(args, "profiles", None)
    engine = Messenger(root, lambda event: None)
    try:
        info = find_profile(ProfileDirectory(root), args.profile)
        passphrase = read_passphrase(args, info)
        backup_passphrase = read_secret(
            args.backup_passphrase_file, "A passphrase for the backup: ", option=_BACKUP_OPTION, confirm=True
        )
        engine.unlock(info.profile_id, passphrase)
        done = engine.backup(args.out, backup_passphrase, progress=_Tenths("backing up", err))
    except (EngineError, ProfileError) as exc:
        print(f"parley backup: {_words(exc)}", file=err)
        return 1
    finally:
        engine.close()
    print(
        f"backed up {done.conversations} conversations, {done.messages} messages, to {done.path} "
        f"({done.size} bytes)",
        file=out,
    )
    return 0


def run_restore(args: argparse.Namespace, *, out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> int:
    engine = Messenger(getattr(args, "profiles", None), lambda event: None)
    try:
        backup_passphrase = read_secret(
            args.backup_passphrase_file, "The backup's passphrase: ", option=_BACKUP_OPTION
        )
        passphrase = read_secret(
            args.passphrase_file, "A new passphrase for the restored profile: ", confirm=True
        )
        profile_id = engine.restore_profile(
            args.backup,
            backup_passphrase,
            label=args.label,
            passphrase=passphrase,
            progress=_Tenths("restoring", err),
        )
    except (EngineError, ProfileError) as exc:
        print(f"parley restore: {_words(exc)}", file=err)
        return 1
    finally:
        engine.close()
    print(f"restored the profile {args.label!r} as {profile_id}", file=out)
    return 0


def _words(exc: EngineError | ProfileError) -> str:
    return exc.message  # both say what happened in words for a person, and hold no secret
