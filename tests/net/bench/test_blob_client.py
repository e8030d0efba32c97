"""The attachment bench's client against a real server over TLS: sealed pieces up, checked pieces down."""

from __future__ import annotations

import os
from collections.abc import Callable

import pytest
from conftest import InProcessServer, fresh_phone

from crypto_core.stream import StreamDecryptor, sealed_size
from net.bench.blob_client import BENCH_STREAM_LABEL, BlobBenchError, BlobClient, sealed_pieces
from net.protocol.blobs import BLOB_PIECE


@pytest.mark.parametrize("size", [1, BLOB_PIECE - 8, 3 * BLOB_PIECE + 77])
def test_the_sealed_stream_comes_in_whole_pieces_and_opens_to_the_file(size: int) -> None:
    key, data = os.urandom(32), os.urandom(size)
    pieces = list(sealed_pieces(key, data))
    assert all(len(piece) == BLOB_PIECE for piece in pieces[:-1]) and 0 < len(pieces[-1]) <= BLOB_PIECE
    assert sum(map(len, pieces)) == sealed_size(size)
    decryptor = StreamDecryptor(key, BENCH_STREAM_LABEL)
    assert b"".join(decryptor.update(piece) for piece in pieces) + decryptor.finalize() == data


def test_a_file_goes_up_and_comes_down_whole_and_checked(
    server_factory: Callable[..., InProcessServer],
) -> None:
    server = server_factory(dev_codes=True)
    uploader, downloader = BlobClient(server.address), BlobClient(server.address)
    try:
        uploader.register_and_login(fresh_phone())
        downloader.register_and_login(fresh_phone())
        data = os.urandom(2 * BLOB_PIECE + 5)
        sent = uploader.upload(data, window=3)
        assert sent.sealed == sealed_size(len(data)) and sent.seconds > 0 and sent.mb_per_second > 0
        assert sent.key.hex() not in repr(sent)
        got = downloader.download(sent.blob, sent.key, data, window=3)
        assert got.plaintext == len(data)
        with pytest.raises(BlobBenchError, match="does not match"):
            downloader.download(sent.blob, sent.key, data[:-1] + bytes([data[-1] ^ 1]))
        with pytest.raises(BlobBenchError, match="blob_not_found"):
            downloader.call("blob_delete", blob=sent.blob)
    finally:
        uploader.close()
        downloader.close()


def test_a_server_without_dev_codes_is_refused_in_words(
    server_factory: Callable[..., InProcessServer],
) -> None:
    server = server_factory()
    client = BlobClient(server.address)
    try:
        with pytest.raises(BlobBenchError, match="--dev-codes"):
            client.register_and_login(fresh_phone())
    finally:
        client.close()
