"""The profile's errors: one base, clear messages, damage that is also a DecryptionError, and the
mapping of both drivers' errors (stdlib sqlite3 and sqlcipher3), provoked for real."""

from __future__ import annotations

import sqlite3

import damage_support as damage
import pytest
import sqlcipher3.dbapi2 as sqlcipher  # type: ignore[import-untyped]
from disk_support import SmallDisk

from crypto_core.errors import CryptoError, DecryptionError
from storage.profile import database
from storage.profile.errors import (
    DamagedValue,
    DiskFull,
    DuplicateEntry,
    MigrationFailed,
    NotAProfile,
    ProfileDamaged,
    ProfileError,
    ProfileNotFound,
    ProfileTooNew,
    from_sqlite,
)


@pytest.mark.parametrize("kind", [DuplicateEntry, MigrationFailed, NotAProfile])
def test_every_error_is_a_profile_error(kind: type[ProfileError]) -> None:
    assert issubclass(kind, ProfileError)


def test_damage_is_caught_as_a_decryption_error_and_names_only_the_kind() -> None:
    error = DamagedValue("session")
    assert (
        isinstance(error, ProfileError)
        and isinstance(error, DecryptionError)
        and isinstance(error, CryptoError)
    )
    assert str(error) == "the stored session could not be opened: the profile file is damaged or was altered"
    assert error.what == "session"
    assert error.code == "profile_damaged"  # and words a person can read, as the engine's errors have
    assert error.message == (
        "The stored session could not be opened: the profile file is damaged or was altered."
    )
    assert ProfileNotFound("0123").code == "profile_error"


def test_not_found_and_too_new_say_what_to_do() -> None:
    assert "0123" in str(ProfileNotFound("0123"))
    too_new = ProfileTooNew(3, 2)
    assert (too_new.found, too_new.supported) == (3, 2)
    assert "update Parley" in str(too_new) and "not changed" in str(too_new)


def _full_disk_error(tmp_path) -> sqlite3.Error:  # type: ignore[no-untyped-def]
    conn = sqlite3.connect(tmp_path / "capped.sqlite", isolation_level=None)
    try:
        conn.execute("CREATE TABLE t (x BLOB)")
        (pages,) = conn.execute("PRAGMA page_count").fetchone()
        conn.execute(f"PRAGMA max_page_count = {pages}").fetchall()
        with pytest.raises(sqlite3.Error) as caught:
            conn.execute("INSERT INTO t VALUES (zeroblob(100000))")
        return caught.value
    finally:
        conn.close()


def test_sqlites_full_disk_is_disk_full_in_words_without_sqlites_own(tmp_path) -> None:
    mapped = from_sqlite(_full_disk_error(tmp_path))
    assert isinstance(mapped, DiskFull) and mapped.code == "disk_full"
    assert "full" in mapped.message and "database" not in mapped.message


def test_a_malformed_file_and_text_that_is_not_utf8_are_damage(tmp_path) -> None:
    path = tmp_path / "damaged.sqlite"
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("CREATE TABLE t (x TEXT)")
    conn.execute("INSERT INTO t VALUES (CAST(X'fffe' AS TEXT))")
    with pytest.raises(sqlite3.Error) as bad_text:
        conn.execute("SELECT x FROM t").fetchall()
    conn.close()
    with path.open("r+b") as file:  # the table's page: not a page any more
        file.seek(4096)
        file.write(b"\x0d" * 4096)
    conn = sqlite3.connect(path, isolation_level=None)
    with pytest.raises(sqlite3.DatabaseError) as malformed:
        conn.execute("SELECT count(*) FROM t").fetchall()
    conn.close()
    for error in (malformed.value, bad_text.value):
        mapped = from_sqlite(error)
        assert isinstance(mapped, ProfileDamaged) and mapped.code == "profile_damaged"
        assert "damaged" in mapped.message and "malformed" not in mapped.message
    try:
        b"\xff".decode()
    except UnicodeDecodeError as exc:
        assert isinstance(from_sqlite(exc), ProfileDamaged)
    assert isinstance(DamagedValue("session"), ProfileDamaged)


def test_other_sqlite_errors_are_not_mapped() -> None:
    conn = sqlite3.connect(":memory:")
    with pytest.raises(sqlite3.Error) as caught:
        conn.execute("SELECT nothing FROM nowhere")
    conn.close()
    assert from_sqlite(caught.value) is None
    assert from_sqlite(ValueError("x")) is None


KEY = bytes(range(32))


def _sqlcipher_error(error: BaseException) -> BaseException:
    """``error`` is sqlcipher3's own exception, not the standard module's (the mapping must know both)."""
    assert isinstance(error, sqlcipher.DatabaseError) and not isinstance(error, sqlite3.Error)
    return error


def test_sqlciphers_full_disk_is_disk_full(tmp_path) -> None:
    with SmallDisk(tmp_path / "disk") as disk:  # a real full tmpfs where mounting is allowed
        conn = database.connect(disk.root / "profile.db", KEY, create=True)
        try:
            conn.execute("CREATE TABLE t (x BLOB)")
            disk.fill(conn)
            with pytest.raises(sqlcipher.DatabaseError) as caught:
                conn.execute("INSERT INTO t VALUES (randomblob(200000))")
            disk.free(conn)
        finally:
            conn.close()
    mapped = from_sqlite(_sqlcipher_error(caught.value))
    assert isinstance(mapped, DiskFull) and "database" not in mapped.message


def test_sqlciphers_malformed_page_and_wrong_key_are_damage(tmp_path) -> None:
    path = tmp_path / "profile.db"
    conn = database.connect(path, KEY, create=True)
    conn.execute("CREATE TABLE t (x TEXT)")
    conn.execute("INSERT INTO t VALUES ('kept')")
    conn.close()
    damage.overwrite_table(path, "t", KEY)  # its page fails SQLCipher's HMAC

    conn = database.connect(path, KEY)
    try:
        with pytest.raises(sqlcipher.DatabaseError) as malformed:
            conn.execute("SELECT x FROM t").fetchall()
    finally:
        conn.close()
    raw = sqlcipher.connect(str(path), isolation_level=None)  # the driver itself, with another key
    try:
        raw.execute("PRAGMA cipher_log_level = NONE")
        raw.execute(f"PRAGMA key = \"x'{bytes(32).hex()}'\"")
        with pytest.raises(sqlcipher.DatabaseError) as not_a_database:
            raw.execute("SELECT count(*) FROM sqlite_master").fetchall()
    finally:
        raw.close()
    for error in (malformed.value, not_a_database.value):
        mapped = from_sqlite(_sqlcipher_error(error))
        assert isinstance(mapped, ProfileDamaged) and mapped.code == "profile_damaged"
        assert "malformed" not in mapped.message and "not a database" not in mapped.message
