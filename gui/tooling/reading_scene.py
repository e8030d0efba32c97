"""The message-actions scenes of ``python -m gui.tooling.screenshots``: a reply, reactions, an edit, a menu.

Maya (a new headless profile) and Alice plan a weekend: Maya sends a link, Alice answers one
message through its menu's *Reply*, each reacts to the other (Alice through the menu), Alice
corrects a message through *Edit*, and Maya deletes one for everyone; then the menu is opened on
one of Maya's messages. Everything goes through the real engines, the real server and the app's
own widgets.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

from gui.engine import Engine
from gui.tooling.peer import HeadlessPeer
from gui.view_models.message_actions import REACTIONS
from gui.worker import Command
from net.client.core import events as ev

MAYA_PHONE = "+442079460606"
PASSPHRASE = "a long and happy passphrase"  # noqa: S105 - a throwaway profile in a temporary folder
CABIN = "Found a cabin for the weekend: https://example.org/cabins/larch-lodge"


def _text(engine: Engine, *, contact: str, text: str) -> ev.MessageView:
    return engine.send_text(contact, text)


def _react(engine: Engine, *, message_id: str, emoji: str, contact: str) -> ev.MessageView:
    return engine.react(message_id, emoji, contact=contact)


def _delete(engine: Engine, *, message_id: str, contact: str) -> ev.MessageView:
    return engine.delete_for_everyone(message_id, contact=contact)


def _received(peer: HeadlessPeer, text: str) -> str:
    """The id, in the peer's own profile, of the message with ``text`` that reached it."""
    event = peer.wait_for(lambda e: isinstance(e, ev.MessageReceived) and e.message.text == text)
    assert isinstance(event, ev.MessageReceived)
    return event.message.message_id


def _choose(d: Any, message_id: str, label: str) -> None:
    """Open a message's menu on its bubble and choose the entry that reads ``label``."""
    messages = d.app.main.conversation.messages
    menu = _open_menu(d, message_id)
    last = menu.index("end") or 0
    labels = {str(menu.entrycget(i, "label")): i for i in range(last + 1) if menu.type(i) == "command"}
    index = labels[label]
    menu.invoke(index)
    d.wait(lambda: messages.menu.menu is None, "the menu to close")


def _open_menu(d: Any, message_id: str) -> Any:
    messages = d.app.main.conversation.messages
    c = messages.canvas
    x0, y0, x1, y1 = c.bbox(messages.block.by_id[message_id].bubble_item)
    x = c.winfo_rootx() + int((x0 + x1) / 2)
    y = c.winfo_rooty() + int((y0 + y1) / 2 - c.canvasy(0))
    menu = messages.menu.open(message_id, x, y)
    assert menu is not None
    d.settle()
    return menu


def _reacted(messages: Any, message_id: str) -> bool:
    return any(x.message_id == message_id and x.reactions for x in messages.shown())


def _id_of(messages: Any, text: str) -> str:
    return str(next(x.message_id for x in messages.shown() if x.text == text))


def reading_scene(d: Any, work: Path, server: tuple[str, int], *, alice: str) -> None:
    """``d`` is the screenshots' Director (its app, wait, settle and shot)."""
    app, m = d.app, d.app.main
    maya = HeadlessPeer.with_profiles(work / "maya")
    try:
        maya.register("Maya", PASSPHRASE, *server, MAYA_PHONE, "maya@example.com")
        maya.call(lambda engine: engine.add_contact(alice, "Alice"))
        added: list[ev.ContactView] = []
        app.do(Command("add_contact", lambda engine: engine.add_contact(MAYA_PHONE, "Maya"), added.append))
        d.wait(lambda: bool(added), "Maya in the contacts")
        app.chat.model.set_contact(added[0])
        app.chat.open(MAYA_PHONE)
        messages = m.conversation.messages
        d.wait(lambda: m.pane is m.conversation and not app.busy, "the conversation with Maya")
        composer = m.conversation.composer

        maya.call(partial(_text, contact=alice, text=CABIN))
        d.wait(lambda: any(x.text == CABIN for x in messages.shown()), "Maya's link")
        d.send("Looks lovely! How many beds?")
        maya.call(partial(_text, contact=alice, text="Four, and a wood stove."))
        d.wait(lambda: any(x.text == "Four, and a wood stove." for x in messages.shown()), "Maya's answer")

        _choose(d, _id_of(messages, CABIN), "Reply")  # through the menu, as a person would
        composer.set("Booked it for Friday and Saturday 🎉")
        composer.submit()
        booked = "Booked it for Friday and Saturday 🎉"
        d.wait(lambda: any(x.text == booked and x.reply_to for x in messages.shown()), "Alice's reply")
        maya.call(partial(_react, message_id=_received(maya, booked), emoji=REACTIONS[1], contact=alice))
        d.wait(lambda: any(x.text == booked and x.reactions for x in messages.shown()), "Maya's reaction")
        stove = _id_of(messages, "Four, and a wood stove.")
        _choose(d, stove, messages.fonts.text.show(f"{REACTIONS[0]}  React"))
        reacted = partial(_reacted, messages, stove)
        d.wait(reacted, "Alice's reaction")

        d.send("Train at 6?")
        d.wait(lambda: any(x.text == "Train at 6?" for x in messages.shown()), "Alice's question")
        _choose(d, _id_of(messages, "Train at 6?"), "Edit")
        composer.set("Train at 7, from platform 4?")
        composer.submit()
        d.wait(lambda: any(x.edited for x in messages.shown()), "the edited message")

        oops = "Oops, that was for my sister"
        sent = maya.call(partial(_text, contact=alice, text=oops))
        d.wait(lambda: any(x.text == oops for x in messages.shown()), "Maya's slip")
        maya.call(partial(_delete, message_id=sent.message_id, contact=alice))
        d.wait(lambda: any(x.deleted for x in messages.shown()), "the deleted message")
        messages.jump_to_bottom()
        app.root.event_generate("<Motion>", warp=True, x=1190, y=780)
        d.shot("17-reply-and-reactions")

        _open_menu(d, _id_of(messages, "Four, and a wood stove."))
        d.shot("18-message-menu")
        messages.menu.close()
    finally:
        maya.stop()
