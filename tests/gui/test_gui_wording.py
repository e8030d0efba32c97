"""What the app says, checked without a display."""

from __future__ import annotations

import time

from gui.view_models.wording import (
    FAILED_NOTE,
    TICKS,
    account_not_known,
    connection_text,
    day_heading,
    error_text,
    fingerprint_text,
    key_change_warning,
    local_server_restarted,
    refusal_text,
    safety_number_rows,
    unreachable_offer,
    when,
    window_title,
)
from net.client.core.events import ConnectionState, MessageStatus

NOW = time.mktime((2026, 11, 25, 15, 0, 0, 0, 0, -1))


def test_the_key_change_warning_is_the_plain_sentence() -> None:
    assert key_change_warning("Bob") == (
        "Bob's safety number changed. This can mean Bob reinstalled Parley, or someone is intercepting. "
        "Compare the new number with Bob."
    )


def test_safety_numbers_show_in_groups_of_five() -> None:
    digits = "".join(str(i % 10) for i in range(60))
    rows = safety_number_rows(digits)
    assert len(rows) == 3
    groups = [group for row in rows for group in row.split()]
    assert len(groups) == 12 and all(len(g) == 5 for g in groups)
    assert "".join(groups) == digits


def test_fingerprints_show_in_two_lines_of_groups_of_four() -> None:
    text = fingerprint_text("ABCD " * 16)
    lines = text.split("\n")
    assert len(lines) == 2 and lines[0] == " ".join(["ABCD"] * 8)


def test_the_title_counts_unread_messages() -> None:
    assert window_title(0, None) == "Parley"
    assert window_title(0, "Alice") == "Parley — Alice"
    assert window_title(3, "Alice") == "(3) Parley — Alice"


def test_times_in_the_list_get_shorter_words_when_older() -> None:
    assert when(NOW - 3600, NOW) == "14:00"
    assert when(NOW - 86400, NOW) == "Yesterday"
    assert when(NOW - 3 * 86400, NOW) == time.strftime("%a", time.localtime(NOW - 3 * 86400))
    assert when(NOW - 30 * 86400, NOW) == "26 Oct"
    assert when(0, NOW) == ""
    assert day_heading(NOW - 60, NOW) == "Today"
    assert day_heading(NOW - 86400, NOW) == "Yesterday"


def test_every_status_has_a_tick_and_words() -> None:
    assert set(TICKS) == set(MessageStatus)
    assert TICKS[MessageStatus.SENT] != TICKS[MessageStatus.DELIVERED]
    assert "retry" in FAILED_NOTE


def test_engine_messages_are_shown_as_they_are_and_missing_ones_get_words() -> None:
    assert error_text("wrong_code", "That code is not right.") == "That code is not right."
    assert "passphrase" in error_text("wrong_passphrase", "")
    assert "went wrong" in error_text("never_seen_before", " ")


def test_connection_states_read_well() -> None:
    assert connection_text(ConnectionState.CONNECTED, "127.0.0.1:5000") == "Connected — 127.0.0.1:5000"
    assert connection_text(ConnectionState.RECONNECTING) == "Reconnecting…"


def test_a_servers_refusal_reaches_the_window_as_a_sentence_for_people() -> None:
    assert refusal_text("wrong_code", "wrong code; 4 tries left") == (
        "That code is not right. You can try 4 more times."
    )
    assert (
        refusal_text("wrong_code", "wrong code; 1 try left")
        == "That code is not right. You can try once more."
    )
    assert refusal_text("wrong_lock", "wrong registration lock passphrase; 2 tries left") == (
        "That registration lock passphrase is not right. You can try 2 more times."
    )
    assert refusal_text("code_expired", "the code has expired; ask for a new one") == "That code has expired."
    # a code without words of its own: the server's, as a sentence
    assert refusal_text("bad_phone", "the phone number needs a country code") == (
        "The phone number needs a country code."
    )
    assert refusal_text("odd", "") == "Something went wrong (odd). Please try again."


def test_the_local_server_sentences_name_the_address() -> None:
    assert "127.0.0.1:5000" in local_server_restarted("127.0.0.1:5000")
    assert local_server_restarted("x").endswith("reconnects by itself.")
    hung = local_server_restarted("127.0.0.1:5000", hung=True)
    assert hung.startswith("The local server on this computer had stopped answering, so Parley stopped it")
    assert "started it again at 127.0.0.1:5000" in hung
    offer = unreachable_offer("127.0.0.1:5000")
    assert offer.startswith("Parley could not reach a server at 127.0.0.1:5000.") and "local server" in offer


def test_a_server_that_does_not_know_the_account_is_named_and_what_stays_is_said() -> None:
    text = account_not_known("chat.example.org:7700")
    assert text.startswith("The server at chat.example.org:7700 does not know this profile's account")
    assert "Register your number there" in text and "keys, contacts and messages stay" in text
