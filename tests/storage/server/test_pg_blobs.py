"""pg_blobs: a blob's bytes as pieces in PostgreSQL: a put writes its piece, a get a range, seal hashes."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from psycopg_pool import ConnectionPool

from storage.server import pg_schema
from storage.server.pg_blobs import BlobPieces
from storage.server.records import BlobGone


@pytest.fixture
def pieces(postgres_url: str) -> Iterator[BlobPieces]:
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        pg_schema.upgrade(conn, "test")
        for number in (1, 2):  # the rows the pieces belong to
            add_blob(conn, number)
    with ConnectionPool(postgres_url, min_size=1, kwargs={"autocommit": True}) as pool:
        yield BlobPieces(pool.connection)


def add_blob(conn: psycopg.Connection[Any], number: int) -> None:
    conn.execute(
        "INSERT INTO blobs VALUES (%s, %s, 'owner', 100, 0, NULL, 0, 10, 10)", (number, bytes([number]) * 32)
    )


def test_pieces_in_order_are_held_read_in_ranges_and_hashed(pieces: BlobPieces) -> None:
    assert pieces.held(1) == 0
    pieces.write(1, 0, b"hello ")
    pieces.write(1, 6, memoryview(b"world"))
    assert pieces.held(1) == 11
    assert pieces.read(1, 3, 5) == b"lo wo"  # across two pieces
    assert pieces.read(1, 0, 0) == b""
    assert pieces.seal(1) == hashlib.sha256(b"hello world").digest()
    assert pieces.held(2) == 0  # another blob's pieces are its own


def test_a_piece_sent_again_replaces_only_what_it_overlaps(pieces: BlobPieces) -> None:
    pieces.write(1, 0, b"abcdefgh")
    pieces.write(1, 2, b"XY")  # inside one piece: its start and end stay
    pieces.write(1, 6, b"PQRS")  # over its end: the blob grows
    assert pieces.held(1) == 10
    assert pieces.read(1, 0, 10) == b"abXYefPQRS"
    assert pieces.seal(1) == hashlib.sha256(b"abXYefPQRS").digest()


def test_missing_bytes_are_blob_gone_and_delete_takes_every_piece(pieces: BlobPieces) -> None:
    pieces.write(1, 0, b"abc")
    with pytest.raises(BlobGone):
        pieces.read(1, 0, 5)  # past what it holds
    pieces.delete(1)
    assert pieces.held(1) == 0
    with pytest.raises(BlobGone):
        pieces.read(1, 0, 1)


def test_a_removed_blob_takes_its_pieces_and_takes_no_new_one(postgres_url: str, pieces: BlobPieces) -> None:
    pieces.write(1, 0, b"abc")
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute("DELETE FROM blobs WHERE number = 1")  # the sweep removes its row
        assert conn.execute("SELECT COUNT(*) FROM blob_pieces WHERE number = 1").fetchone() == (0,)
        conn.execute("UPDATE blobs SET deadline = 0 WHERE number = 2")  # a deleted blob, not yet swept
    with pytest.raises(BlobGone):
        pieces.write(1, 3, b"late")  # a put that raced the sweep leaves nothing behind
    with pytest.raises(BlobGone):
        pieces.write(2, 0, b"late")
    assert pieces.held(1) == 0 and pieces.held(2) == 0
