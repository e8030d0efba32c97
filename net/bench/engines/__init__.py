"""Real engines (PostgreSQL, Redis, HAProxy) started as processes on 127.0.0.1 for tests and the bench."""
