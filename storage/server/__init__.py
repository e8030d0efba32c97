"""The server's store: one SQLite file, its schema versions and upgrades."""
