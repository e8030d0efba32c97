"""The headless demos: ``python -m net.demo --group 5`` runs a group of five people (net/bench/group_demo.py).

    python -m net.demo --group N [--server HOST:PORT]   N people (5 to 100) in one group, counted
    python -m net.demo --devices N [--server ...]       two people, one on N computers (3 to 5), linked and
                                                         unlinked as they write (net/bench/device_demo.py)
    python -m net.demo [--server HOST:PORT]             two people chatting, as ``python -m net.bench.demo``
    python -m net.demo --attachment PATH [--server ...]  one person sends the file to another, who saves it;
                                                         one line: ``attachment: N bytes, sha256 match yes``

Without ``--server`` the demo starts ``python main.py server --dev-codes`` itself and
stops it at the end; every profile lives in a temporary folder that is removed.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from net.bench import demo, device_demo
from net.bench.attachment_demo import send_file
from net.bench.group_demo import run_demo
from net.client.link import split_address

MIN_GROUP, MAX_GROUP = 5, 100


def _size(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not MIN_GROUP <= value <= MAX_GROUP:
        raise argparse.ArgumentTypeError(f"a group of {MIN_GROUP} to {MAX_GROUP} people, not {value}")
    return value


def _devices(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    low, high = device_demo.MIN_DEVICES, device_demo.MAX_DEVICES
    if not low <= value <= high:
        raise argparse.ArgumentTypeError(
            f"{low} to {high} devices (an account has at most {high}), not {value}"
        )
    return value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m net.demo", description=__doc__.split("\n")[0])
    parser.add_argument("--group", type=_size, metavar="N", help="N people in one group (5 to 100)")
    parser.add_argument(
        "--devices", type=_devices, metavar="N", help="one person on N computers (3 to 5), the other on one"
    )
    parser.add_argument("--server", help="host:port of a server started with --dev-codes")
    parser.add_argument(
        "--attachment", type=Path, metavar="PATH", help="send this file from one person to another"
    )
    args = parser.parse_args(argv)
    if args.attachment is not None:
        return _attachment(args.attachment, args.server)
    if args.devices is not None:
        return _devices_demo(args.devices, args.server)
    if args.group is None:
        return demo.main(["--server", args.server] if args.server else [])
    with tempfile.TemporaryDirectory(prefix="parley-demo-") as folder:
        if args.server:
            host, port = split_address(args.server)
            result = run_demo(host, port, None, Path(folder), args.group)
        else:
            process, host, port, fingerprint = demo.start_server(Path(folder) / "server")
            print(f"server on {host}:{port}, fingerprint {fingerprint}")
            try:
                result = run_demo(host, port, fingerprint, Path(folder), args.group)
            finally:
                process.terminate()
                process.wait(timeout=30)
    if result.leaked:
        print(f"{result.leaked} message(s) reached a member they were not meant for")
    print(result.line(args.group))
    return 0 if result.clean else 1


def _devices_demo(count: int, server: str | None) -> int:
    with tempfile.TemporaryDirectory(prefix="parley-demo-") as folder:
        if server:
            host, port = split_address(server)
            result = device_demo.run_demo(host, port, None, Path(folder), count)
        else:
            process, host, port, fingerprint = demo.start_server(Path(folder) / "server")
            print(f"server on {host}:{port}, fingerprint {fingerprint}")
            try:
                result = device_demo.run_demo(host, port, fingerprint, Path(folder), count)
            finally:
                process.terminate()
                process.wait(timeout=30)
    if result.leaked:
        print(f"{result.leaked} message(s) reached a device they were not meant for")
    if result.undecryptable:
        print(f"{result.undecryptable} message(s) could not be decrypted")
    if not result.refused:
        print("the unlinked device was not refused in words")
    print(result.line(count))
    return 0 if result.clean else 1


def _attachment(path: Path, server: str | None) -> int:
    if not path.is_file():
        print(f"not a file: {path}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="parley-demo-") as folder:
        if server:
            host, port = split_address(server)
            size, match = send_file(host, port, None, Path(folder), path)
        else:
            process, host, port, fingerprint = demo.start_server(Path(folder) / "server")
            try:
                size, match = send_file(host, port, fingerprint, Path(folder), path)
            finally:
                process.terminate()
                process.wait(timeout=30)
    print(f"attachment: {size} bytes, sha256 match {'yes' if match else 'no'}")
    return 0 if match else 1


if __name__ == "__main__":
    sys.exit(main())
