"""The client engine's decisions, sans-IO: no socket, no thread, no clock, no database."""
