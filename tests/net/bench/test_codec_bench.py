"""codec_bench: every frame of a message's path is measured, and the frames are ones the protocol takes."""

from __future__ import annotations

import pytest

from net.bench import codec_bench
from net.protocol.connection import Connection, Request, Role, encode_json
from net.protocol.frames import encode_frame


def test_every_frame_is_measured(capsys: pytest.CaptureFixture[str]) -> None:
    assert codec_bench.main(["--repeat", "20", "--runs", "2"]) == 0
    out = capsys.readouterr().out
    for frame in codec_bench.frames(560):
        assert frame.name in out
    assert "µs per frame" in out


def test_the_requests_are_valid_and_the_body_has_a_sealed_messages_size() -> None:
    for frame in codec_bench.frames(560):
        if frame.server_reads:
            server = Connection(Role.SERVER)
            server.logged_in = True
            server.receive_data(encode_frame(encode_json(frame.obj)))
            assert isinstance(server.next_event(), Request)
    send = codec_bench.frames(560)[0].obj
    assert len(send["body"]) == 560 and len(encode_json({"b": send["body"]})) == len('{"b":""}') + 748


def test_nonsense_figures_are_refused() -> None:
    with pytest.raises(SystemExit):
        codec_bench.main(["--repeat", "0"])
