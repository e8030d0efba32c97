"""net.protocol.errors: one base class, local versus remote, stable codes."""

from __future__ import annotations

from net.protocol.errors import (
    ErrorCode,
    LocalProtocolError,
    NetError,
    ProtocolError,
    RemoteProtocolError,
    RequestRefused,
)


def test_every_error_shares_one_base_and_carries_code_and_message() -> None:
    for cls in (LocalProtocolError, RemoteProtocolError, RequestRefused):
        error = cls(ErrorCode.BAD_REQUEST, "what went wrong")
        assert isinstance(error, NetError)
        assert error.code == "bad_request"
        assert error.message == str(error) == "what went wrong"


def test_local_and_remote_are_told_apart() -> None:
    remote = RemoteProtocolError(ErrorCode.BAD_FRAME, "x", request_id=7, fatal=True)
    assert isinstance(remote, ProtocolError) and not isinstance(remote, LocalProtocolError)
    assert remote.request_id == 7 and remote.fatal
    assert not LocalProtocolError(ErrorCode.BAD_FRAME, "x").fatal


def test_codes_are_stable_lower_case_strings() -> None:
    values = [code.value for code in ErrorCode]
    assert len(values) == len(set(values))
    assert all(v == v.lower() and " " not in v for v in values)
    assert ErrorCode.QUEUE_FULL == "queue_full" and ErrorCode.RATE_LIMITED == "rate_limited"


def test_every_code_is_documented_in_protocol_md() -> None:
    from pathlib import Path

    text = (Path(__file__).resolve().parents[3] / "net" / "protocol" / "PROTOCOL.md").read_text(
        encoding="utf-8"
    )
    assert [c.value for c in ErrorCode if f"`{c.value}`" not in text] == []
