"""net.bench.device_setup: bench people link their devices through a real server over TLS."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from net.bench.client import SetupError
from net.bench.device_setup import setup_devices
from net.bench.runner import unique_phones
from net.bench.worker import ROUND_TIMEOUT, Worker
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


def test_every_device_is_linked_logged_in_and_has_a_session_with_each_of_its_targets(
    server: RunningServer, worker: Worker
) -> None:
    phones = unique_phones(4)
    devices = setup_devices(worker, server.address, phones, 64, 3, ROUND_TIMEOUT)
    assert len(devices) == 12
    for phone in phones:
        assert server.store.device_ids(phone) == [1, 2, 3]  # made by link_device, each with the next id
        mine = [d for d in devices if d.phone == phone]
        assert [d.number for d in mine] == [1, 2, 3]
        assert all(d.login_key is not None for d in mine)  # device 1 too, before its first link
        # device 2 and 3 logged in with their own keys: the server has them online, each apart
        assert all(server.service.presence.get(phone, d.number) is not None for d in mine)
    for device in devices:
        assert len(device.targets) == 3 + 2  # the partner's three, and its own person's two others
        assert {t.phone for t in device.targets} == {device.phone, device.targets[0].phone}
        assert device.can_send  # a session with every target, started with that device's own bundle
    assert all(server.store.queued_count(d.phone, d.number) == 0 for d in devices)  # all acknowledged


def test_more_devices_than_an_account_may_have_are_refused_in_words(
    server: RunningServer, worker: Worker
) -> None:
    with pytest.raises(SetupError, match="1 to 5 devices, not 6"):
        setup_devices(worker, server.address, unique_phones(2), 64, 6, ROUND_TIMEOUT)
