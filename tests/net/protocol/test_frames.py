"""Framing: length prefix, the size limit, and streams cut at any point."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from net.protocol.errors import ErrorCode, LocalProtocolError, RemoteProtocolError
from net.protocol.frames import HEADER_SIZE, FrameDecoder, encode_frame


def test_a_frame_is_a_big_endian_length_and_the_payload() -> None:
    assert encode_frame(b"abc") == b"\x00\x00\x00\x03abc"


def test_encoding_refuses_a_payload_over_the_limit() -> None:
    with pytest.raises(LocalProtocolError) as caught:
        encode_frame(b"x" * 11, max_size=10)
    assert caught.value.code == ErrorCode.FRAME_TOO_LARGE


@given(st.lists(st.binary(max_size=300), max_size=8), st.integers(min_value=1, max_value=50))
def test_frames_come_out_whole_however_the_stream_is_cut(payloads: list[bytes], step: int) -> None:
    stream = b"".join(encode_frame(p) for p in payloads)
    decoder = FrameDecoder()
    out = []
    for i in range(0, len(stream), step):
        decoder.feed(stream[i : i + step])
        while (frame := decoder.next_frame()) is not None:
            out.append(frame)
    assert out == payloads
    assert decoder.buffered == 0


def test_an_oversized_length_is_fatal_before_any_payload_arrives() -> None:
    decoder = FrameDecoder(max_size=100)
    decoder.feed((101).to_bytes(4, "big"))
    with pytest.raises(RemoteProtocolError) as caught:
        decoder.next_frame()
    assert caught.value.code == ErrorCode.FRAME_TOO_LARGE
    assert caught.value.fatal


def test_a_frame_of_exactly_the_limit_is_accepted() -> None:
    decoder = FrameDecoder(max_size=100)
    decoder.feed(encode_frame(b"y" * 100, max_size=100))
    assert decoder.next_frame() == b"y" * 100


def test_end_of_stream_in_the_middle_of_a_frame_is_fatal() -> None:
    decoder = FrameDecoder()
    decoder.feed(encode_frame(b"hello")[:-2])
    assert decoder.next_frame() is None
    decoder.feed(b"")
    with pytest.raises(RemoteProtocolError) as caught:
        decoder.next_frame()
    assert caught.value.fatal and caught.value.code == ErrorCode.BAD_FRAME


def test_end_of_stream_at_a_boundary_is_clean() -> None:
    decoder = FrameDecoder()
    decoder.feed(encode_frame(b"one"))
    decoder.feed(b"")
    assert decoder.next_frame() == b"one"
    assert decoder.next_frame() is None
    assert decoder.eof


def test_half_a_header_waits_for_more() -> None:
    decoder = FrameDecoder()
    decoder.feed(b"\x00\x00")
    assert decoder.next_frame() is None
    assert decoder.buffered == 2 < HEADER_SIZE


def test_the_limit_must_fit_the_length_field() -> None:
    with pytest.raises(ValueError):
        FrameDecoder(max_size=2**32)


@settings(max_examples=300, deadline=1000)
@given(st.lists(st.binary(max_size=80), max_size=12), st.booleans())
def test_any_bytes_cut_anywhere_give_whole_frames_or_a_fatal_error(chunks: list[bytes], close: bool) -> None:
    decoder = FrameDecoder(max_size=64)
    stream = b"".join(chunks)
    frames: list[bytes] = []
    try:
        for chunk in [*chunks, b""] if close else chunks:
            decoder.feed(chunk)
            while (frame := decoder.next_frame()) is not None:  # each frame shortens the buffer: bounded
                frames.append(frame)
    except RemoteProtocolError as exc:
        assert exc.fatal and exc.code in (ErrorCode.FRAME_TOO_LARGE, ErrorCode.BAD_FRAME)
        return
    assert b"".join(encode_frame(f, 64) for f in frames) + stream[len(stream) - decoder.buffered :] == stream
    assert not (close and decoder.buffered)  # a stream that ended mid-frame would have been an error


def test_a_decoder_says_how_much_of_a_begun_frame_is_still_to_come() -> None:
    decoder = FrameDecoder(max_size=100)
    assert decoder.awaiting == 0
    frame = encode_frame(b"x" * 10)
    decoder.feed(frame[:2])
    assert decoder.awaiting == 2  # the rest of the header, at least
    decoder.feed(frame[2:9])
    assert decoder.awaiting == 5
    decoder.feed(frame[9:] + encode_frame(b"y")[:3])
    assert decoder.awaiting == 0  # the frame at the head is whole
    assert decoder.next_frame() == b"x" * 10 and decoder.awaiting == 1
