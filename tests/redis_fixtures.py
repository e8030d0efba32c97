"""Redis for tests: one real ``redis-server`` per test run on a loopback port, stopped at the end."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from net.bench.engines.redis_server import RedisInstance


@pytest.fixture(scope="session")
def redis_instance(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisInstance]:
    instance = RedisInstance.start(tmp_path_factory.mktemp("redis"))
    yield instance
    instance.stop()


@pytest.fixture
def redis_url(redis_instance: RedisInstance) -> str:
    """The instance's url, running (a test before may have stopped or killed it); its data flushed."""
    redis_instance.start_again()
    import redis

    client = redis.Redis.from_url(redis_instance.url, socket_timeout=5)
    try:
        client.flushall()
    finally:
        client.close()
    return redis_instance.url
