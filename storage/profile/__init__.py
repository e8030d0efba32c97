"""The client's profile: one encrypted SQLite database per person."""
