"""Parley beside Prosody and ejabberd: ``python -m net.bench.peers`` (see net/bench/PERFORMANCE.md)."""
