"""RedisInstance: a real redis-server that answers, stops, is killed and comes back on the same port."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import redis

from net.bench.engines.redis_server import RedisInstance


def _ping(url: str) -> bool:
    client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
    try:
        return bool(client.ping())
    except redis.ConnectionError:
        return False
    finally:
        client.close()


def test_start_kill_and_start_again_on_the_same_port(tmp_path: Path) -> None:
    instance = RedisInstance.start(tmp_path / "redis")
    try:
        url = instance.url
        assert url == f"redis://127.0.0.1:{instance.port}/0"
        assert _ping(url)
        pid = instance.pid
        assert pid is not None
        instance.kill()
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
        assert not _ping(url)
        instance.start_again()
        assert instance.url == url and _ping(url)
        instance.stop()
        assert not _ping(url)
    finally:
        instance.stop()


def test_the_fixture_gives_a_running_empty_redis(redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url, socket_timeout=2)
    try:
        assert client.dbsize() == 0
        client.set("k", "v")
    finally:
        client.close()
