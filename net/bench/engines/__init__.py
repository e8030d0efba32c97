"""Real database, bus and proxy engines started as processes on loopback, for tests and the bench."""
