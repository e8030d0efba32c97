"""A person's second computer for the engine's end-to-end tests: linked the way the app links one.

:func:`link` makes a new profile on the same server, asks for a link code on it, joins the code on
the person's logged-in device, says yes to the comparison on both screens and waits until the new
device has registered and logged in as itself (``LinkFinished`` on both).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from engine_support import Person, run_until

from net.client.core.device_events import LinkCodeShown, LinkComparison, LinkFinished


def link(
    root: Path, address: tuple[str, int], existing: Person, name: str, others: Iterable[Person] = ()
) -> Person:
    """A new device of ``existing``'s account, in its own profile ``name``, logged in."""
    new = Person(root, name)
    new.create(address)
    new.first_connect()  # the server's key, accepted as on any first contact
    everyone = [existing, new, *others]
    new.engine.link_start()
    run_until(lambda: bool(new.of(LinkCodeShown)), everyone)
    existing.engine.link_join(new.of(LinkCodeShown)[-1].code)
    run_until(lambda: bool(new.of(LinkComparison)) and bool(existing.of(LinkComparison)), everyone)
    new.engine.link_confirm(True)
    existing.engine.link_confirm(True)
    run_until(lambda: bool(new.of(LinkFinished)) and bool(existing.of(LinkFinished)), everyone, timeout=60.0)
    new.phone = existing.phone
    return new
