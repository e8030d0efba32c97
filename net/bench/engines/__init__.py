"""Real database and network engines started for tests and the bench: on 127.0.0.1, on a free port, in a
folder the caller gives, with every wait bounded."""
