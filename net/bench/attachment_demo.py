"""One headless person sends a file to another through a server; the receiver saves it and compares.

    python -m net.demo --attachment PATH                          starts `python main.py server --dev-codes`
    python -m net.demo --attachment PATH --server 127.0.0.1:5000  uses a server started with --dev-codes

Both people are Messengers on profiles of their own in a temporary folder, the engine the app
uses: Alice sends the file (sealed, uploaded in pieces, announced end to end), Bob's engine
downloads and checks it, and Bob saves it. The demo prints one line and nothing else:

    attachment: N bytes, sha256 match yes

``yes`` when the saved file's SHA-256 is the original's; the exit status is 0 only then.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
from pathlib import Path

from net.bench.demo import Person, run_until
from net.client.core.engine_error import EngineError
from net.client.core.events import TransferState

#: How long the demo waits for the file to cross (a 100 MiB file on a slow machine included).
TIMEOUT = 600.0


def _digest(path: Path) -> bytes:
    digest = hashlib.sha256()
    with path.open("rb") as source:
        for block in iter(lambda: source.read(1 << 20), b""):
            digest.update(block)
    return digest.digest()


def send_file(host: str, port: int, fingerprint: str | None, folder: Path, path: Path) -> tuple[int, bool]:
    """Send ``path`` from Alice to Bob and save it on Bob's side: (its size, whether the digests match)."""
    alice = Person(folder, "Alice", "+442079460101")
    bob = Person(folder, "Bob", "+442079460102")
    people = [alice, bob]
    try:
        with contextlib.redirect_stdout(io.StringIO()):  # the demo says one line: its result
            for person in people:
                person.join(host, port, fingerprint)
            alice.engine.add_contact(bob.phone, "Bob")
            bob.engine.add_contact(alice.phone, "Alice")
            sent = alice.engine.send_file(path, contact=bob.phone)

            def refused() -> bool:
                for message in alice.engine.history(bob.phone):
                    if message.message_id == sent.message_id and message.attachment is not None:
                        return message.attachment.state is TransferState.FAILED
                return False

            def received() -> str | None:
                for message in bob.engine.history(alice.phone):
                    if message.attachment is not None and message.attachment.state in (
                        TransferState.DONE,
                        TransferState.FAILED,
                    ):
                        return message.message_id
                return None

            run_until(lambda: refused() or received() is not None, people, timeout=TIMEOUT)
        message_id = received()
        if message_id is None:  # the server refused the upload (too large for it, its quota)
            return path.stat().st_size, False
        saved = folder / "saved"
        try:
            bob.engine.save_file(message_id, saved)
        except EngineError:  # a failed download is a "no", said in the one line
            return path.stat().st_size, False
        return saved.stat().st_size, _digest(saved) == _digest(path)
    finally:
        for person in people:
            person.engine.close()
