"""The Parley server: socketserver and the event loop, peer connections, the service, TLS."""
