"""The wire protocol, sans-IO: frames, the connection, schemas, errors, login statement."""
