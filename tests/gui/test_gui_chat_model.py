"""The main window's model without Tk: ordering, unread counts, the bell, typing notices."""

from __future__ import annotations

from gui.view_models.chat_model import TYPING_TIMEOUT, ChatModel
from net.client.core.events import ContactView, ConversationView, MessageStatus, MessageView

BOB, CAROL = "+14155550123", "+442079460958"


def incoming(contact: str, text: str, at: float, mid: str = "") -> MessageView:
    return MessageView(mid or f"{contact}-{at}", contact, False, text, at, MessageStatus.RECEIVED)


def test_conversations_are_newest_first_and_new_ones_last() -> None:
    model = ChatModel()
    model.set_conversations(
        [ConversationView(BOB, "Bob", "hi", 100.0, 0), ConversationView(CAROL, "", "yo", 200.0, 1)]
    )
    model.ensure_conversation("+33612345678", "Dan")
    assert [c.contact for c in model.ordered()] == [CAROL, BOB, "+33612345678"]
    model.message(incoming(BOB, "later", 300.0))
    assert model.ordered()[0].contact == BOB


def test_a_message_in_another_conversation_counts_as_unread_and_rings() -> None:
    model = ChatModel()
    model.open_contact = CAROL
    assert model.message(incoming(BOB, "hello", 10.0)) is True
    assert model.conversations[BOB].unread == 1
    assert model.conversations[BOB].last_text == "hello"
    assert model.total_unread == 1


def test_a_message_in_the_open_conversation_is_read_and_silent() -> None:
    model = ChatModel()
    model.open_contact = BOB
    assert model.message(incoming(BOB, "hello", 10.0)) is False
    assert model.conversations[BOB].unread == 0


def test_an_open_conversation_in_a_minimised_window_still_counts_unread() -> None:
    model = ChatModel()
    model.open_contact = BOB
    model.message(incoming(BOB, "hello", 10.0), window_focused=False)
    assert model.total_unread == 1
    assert model.mark_read(BOB) is True
    assert model.mark_read(BOB) is False
    assert model.total_unread == 0


def test_my_own_messages_never_ring_or_count() -> None:
    model = ChatModel()
    mine = MessageView("m1", BOB, True, "hi", 5.0, MessageStatus.QUEUED)
    assert model.message(mine) is False
    assert model.total_unread == 0


def test_an_older_message_does_not_replace_the_last_line() -> None:
    model = ChatModel()
    model.message(incoming(BOB, "new", 20.0))
    model.message(incoming(BOB, "old", 10.0))
    assert model.conversations[BOB].last_text == "new"
    assert model.conversations[BOB].last_timestamp == 20.0


def test_contact_names_win_over_numbers_and_key_changes_are_tracked() -> None:
    model = ChatModel()
    model.ensure_conversation(BOB)
    assert model.name(BOB) == "+1 415-555-0123"  # no name yet: the number, formatted
    model.set_contact(ContactView(BOB, "Bob", False, True, "1" * 60))
    assert model.name(BOB) == "Bob" and model.conversations[BOB].name == "Bob"
    assert BOB in model.key_changed
    model.set_contact(ContactView(BOB, "Bob", False, False, "1" * 60))
    assert BOB not in model.key_changed


def test_typing_notices_expire_and_a_message_ends_them() -> None:
    model = ChatModel()
    model.typing(BOB, True, now=100.0)
    assert model.is_typing(BOB, 100.0 + TYPING_TIMEOUT - 1)
    assert not model.is_typing(BOB, 100.0 + TYPING_TIMEOUT)
    model.typing(BOB, True, now=200.0)
    model.message(incoming(BOB, "done typing", 201.0))
    assert not model.is_typing(BOB, 201.0)
    model.typing(BOB, True, now=300.0)
    model.typing(BOB, False, now=301.0)
    assert not model.is_typing(BOB, 301.0)
