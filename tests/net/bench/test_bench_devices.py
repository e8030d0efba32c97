"""net.bench.devices: every message goes to every device of the partner and of the sender's others."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from net.bench.device_setup import setup_devices
from net.bench.devices import BenchDevice
from net.bench.runner import unique_phones
from net.bench.worker import ROUND_TIMEOUT, LoadSpec, Worker
from net.protocol.connection import Push
from net.server.server import RunningServer, ServerConfig
from net.server.verification import make_channel


@pytest.fixture
def server(tmp_path: Path) -> Iterator[RunningServer]:
    channel = make_channel("console", data_dir=tmp_path)
    with RunningServer(ServerConfig(data_dir=tmp_path, channel=channel, port=0, dev_codes=True)) as running:
        yield running


@pytest.fixture
def worker() -> Iterator[Worker]:
    w = Worker()
    yield w
    w.close()


def _spec(rate: float | None = None) -> LoadSpec:
    start = time.monotonic() + 0.05
    return LoadSpec(rate=rate, window=2, size=100, start_at=start, warmup=0.1, duration=0.8, drain_timeout=20)


def _received_from(device: BenchDevice, sender: BenchDevice) -> set[int]:
    return {seq for key, seq in device.seen if key == sender.key}


def test_each_message_reaches_every_device_once_each_copy_on_its_own_session(
    server: RunningServer, worker: Worker
) -> None:
    devices = setup_devices(worker, server.address, unique_phones(4), 100, 2, ROUND_TIMEOUT)
    worker.clients = list(devices)
    answer = worker.load(_spec())
    assert answer["lost"] == answer["duplicated"] == answer["undecryptable"] == answer["refused"] == 0
    assert answer["drained"] is True and answer["errors"] == []
    sent = int(answer["sent"])  # type: ignore[call-overload]
    assert sent > 0 and answer["accepted"] == answer["received"] == sent
    # one copy per device of the partner (2) and one sync copy to the sender's other device (1)
    assert answer["copies_accepted"] == answer["copies_received"] == 3 * sent
    for device in devices:
        assert len(device.targets) == 3 and device.outstanding == {}
        for target in device.targets:  # everything it ever sent (the setup's first message too), once
            assert _received_from(target, device) == set(range(device.next_seq))
        sessions = {id(device.sessions[t.key]) for t in device.targets}
        assert len(sessions) == 3  # a ratchet of its own per pair of devices
    opened = worker.load(_spec(rate=100.0))  # the open loop: the rate over every device
    assert opened["lost"] == opened["duplicated"] == opened["undecryptable"] == 0
    assert opened["copies_received"] == 3 * int(opened["sent"])  # type: ignore[call-overload]


def test_a_copy_from_a_device_it_does_not_know_is_undecryptable_not_received(
    server: RunningServer, worker: Worker
) -> None:
    devices = setup_devices(worker, server.address, unique_phones(2), 100, 2, ROUND_TIMEOUT)
    device = devices[0]
    body = {"id": 10**9, "from": device.targets[0].phone, "from_device": 7, "body": "AAAA", "ts": 0}
    device.receive(Push("message", body), time.monotonic_ns())
    assert (device.tally.undecryptable, device.tally.received, device.tally.copies_received) == (1, 0, 0)
    device.receive(Push("message", body), time.monotonic_ns())  # the same id again
    assert device.tally.duplicated == 1
