"""Texts between two people in a process of their own: every one arrives, with its latency and send time."""

from __future__ import annotations

import time
from collections.abc import Callable

from conftest import InProcessServer, fresh_phone

from net.bench.text_probe import TextProbe


def test_the_probe_times_every_text_it_sends(server_factory: Callable[..., InProcessServer]) -> None:
    server = server_factory(dev_codes=True)
    began = time.monotonic()
    probe = TextProbe(server.address, (fresh_phone(), fresh_phone()), rate=50.0)
    time.sleep(1.0)
    result = probe.finish()
    texts = result["texts"]
    assert len(texts) >= 20 and result["unanswered"] == 0 and result["refused"] == 0
    assert all(began <= at <= time.monotonic() and 0 < ms < 10_000 for at, ms in texts)
    assert [at for at, _ in texts] == sorted(at for at, _ in texts)
    assert not probe.process.is_alive()
