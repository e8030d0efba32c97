"""The client engine: the transport, the messenger that drives it, and the engine's parts."""
