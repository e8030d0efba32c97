"""net.client.device_words: every way a link ends, and an unlinked device, in words."""

from __future__ import annotations

from net.client.core.link_plan import LinkInput
from net.client.device_words import failure_words, refusal_words


def test_each_ending_of_the_table_has_its_words() -> None:
    for cause, code in (
        (LinkInput.SAY_DIFFERENT, "different"),
        (LinkInput.CANCEL, "cancelled"),
        (LinkInput.PEER_CANCELLED, "cancelled"),
        (LinkInput.EXPIRED, "expired"),
        (LinkInput.DROPPED, "offline"),
    ):
        found, words = failure_words(cause.value)
        assert found == code and "nothing was linked" in words
    assert failure_words("anything else")[0] == "bad_link"


def test_the_servers_refusals_we_know_are_said_our_way() -> None:
    assert refusal_words("too_many_devices", "5 already")[1].startswith("This account has five computers")
    assert refusal_words("link_not_found", "no such link")[1].startswith("No computer is waiting")
    assert refusal_words("rate_limited", "try later") == (
        "rate_limited",
        "The server refused the link: try later.",
    )
    assert "unlinked from the account" in failure_words("device_unlinked")[1]
