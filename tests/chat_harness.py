"""One person chatting from a process of its own, for tests that kill the server under it. Test-only.

    python tests/chat_harness.py PROFILES_ROOT PROFILE_ID NAME PHONE...

It unlocks the profile (the tests' passphrase and fast key derivation), connects
(or keeps trying, if the server is down), and sends ``NAME #0``, ``NAME #1``, …
to the given phones in turn, one every :data:`INTERVAL` seconds, polling the
engine all the while. It reads commands on standard input, one a line:

``last``
    send nothing more;
``report``
    print one line ``REPORT {json}``: for each contact the outgoing texts with
    their status and the incoming texts, as the profile's history has them, and
    the kinds of trouble the engine reported;
``stop``
    close the engine and exit.
"""

from __future__ import annotations

import contextlib
import json
import queue
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from engine_support import FAST_KDF, PASSPHRASE

from net.client.core.engine_error import EngineError
from net.client.core.events import ErrorReported, Event, UndecryptableMessage
from net.client.messenger import Messenger

INTERVAL = 0.15
MOST = 400  # a bound on what one person sends, whatever the test forgets to say


def _read_commands(commands: queue.Queue[str]) -> None:
    for line in sys.stdin:
        commands.put(line.strip())
    commands.put("stop")  # the test went away


def _report(engine: Messenger, contacts: list[str], trouble: list[str], sending: bool) -> str:
    state: dict[str, object] = {"trouble": trouble, "sending": sending, "contacts": {}}
    for contact in contacts:
        history = engine.history(contact, limit=10 * MOST)
        state["contacts"][contact] = {  # type: ignore[index]
            "out": [[m.text, m.status.value] for m in history if m.outgoing],
            "in": [m.text for m in history if not m.outgoing],
        }
    return "REPORT " + json.dumps(state)


def main(argv: list[str]) -> int:
    root, profile_id, name, contacts = Path(argv[0]), argv[1], argv[2], argv[3:]
    trouble: list[str] = []

    def note(event: Event) -> None:
        if isinstance(event, UndecryptableMessage):
            trouble.append("undecryptable")
        elif isinstance(event, ErrorReported):
            trouble.append(event.code)

    engine = Messenger(root, note, kdf_params=FAST_KDF, timeout=5.0)
    engine.unlock(profile_id, PASSPHRASE)
    with contextlib.suppress(EngineError):  # the server is down just now: the engine keeps trying
        engine.connect()
    commands: queue.Queue[str] = queue.Queue()
    threading.Thread(target=_read_commands, args=(commands,), daemon=True).start()
    print("READY", flush=True)
    sent, sending, next_send = 0, True, time.monotonic()
    while True:
        while not commands.empty():
            command = commands.get()
            if command == "last":
                sending = False
            elif command == "report":
                print(_report(engine, contacts, trouble, sending), flush=True)
            elif command == "stop":
                engine.close()
                return 0
        if sending and sent < MOST and time.monotonic() >= next_send:
            engine.send_text(contacts[sent % len(contacts)], f"{name} #{sent}")
            sent += 1
            next_send += INTERVAL
        engine.poll(0.03)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
