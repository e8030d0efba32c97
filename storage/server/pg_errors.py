"""What a PostgreSQL error means to the server: no room, out of reach, or a conflict worth a retry.

Told by SQLSTATE (psycopg's ``sqlstate``), walking an error's causes as
:func:`~storage.server.space_guard.is_storage_full` does for SQLite:

* no room: class 53 (insufficient resources; 53100 is ``disk_full``);
* out of reach: a connection error without a SQLSTATE (refused, lost, timed out, the
  pool found none), an administrator's or the server's shutdown (57P01, 57P02, 57P03),
  or class 08 (connection exceptions);
* busy: a deadlock (40P01) or a serialization failure (40001) between two nodes' writes, or a lock
  another node held past the write connection's ``lock_timeout`` (55P03, lock_not_available).
"""

from __future__ import annotations

import psycopg
import psycopg_pool

_CAUSES_LOOKED_AT = 8
_SHUTDOWN = frozenset({"57P01", "57P02", "57P03"})
_BUSY = frozenset({"40P01", "40001", "55P03"})


def _chain(error: BaseException | None) -> list[BaseException]:
    found: list[BaseException] = []
    while error is not None and len(found) < _CAUSES_LOOKED_AT:
        found.append(error)
        error = error.__cause__ or error.__context__
    return found


def lacks_room(error: BaseException | None) -> bool:
    return any(isinstance(e, psycopg.Error) and (e.sqlstate or "").startswith("53") for e in _chain(error))


def unreachable(error: BaseException | None) -> bool:
    for e in _chain(error):
        if isinstance(e, psycopg_pool.PoolTimeout):
            return True
        if isinstance(e, psycopg.Error):
            state = e.sqlstate
            if state is None and isinstance(e, psycopg.OperationalError | psycopg.InterfaceError):
                return True
            if state is not None and (state in _SHUTDOWN or state.startswith("08")):
                return True
    return False


def busy(error: BaseException) -> bool:
    return isinstance(error, psycopg.Error) and error.sqlstate in _BUSY
