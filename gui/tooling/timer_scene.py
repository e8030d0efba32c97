"""The disappearing-timer scene of ``python -m gui.tooling.screenshots``: a timer set from the header.

Alice opens her conversation with Bob in a wide window, chooses "1 hour" in the header's
"Disappearing messages" button, writes a message under it, and Bob answers under the same
timer: the timeline says who set what, and both bubbles carry the small timer mark. Afterwards
the timer is turned off again, so that the later scenes' messages do not disappear.
"""

from __future__ import annotations

import tkinter as tk
from typing import Any

from gui.tooling.peer import HeadlessPeer
from gui.view_models.timer_text import choice_words
from net.client.core import events as ev

#: The timer the scene sets (seconds).
SCENE_TIMER = 3600


def _choose(menu: tk.Menu, seconds: int) -> None:
    label = choice_words(seconds)
    last = menu.index("end") or 0
    [index] = [
        i for i in range(last + 1) if menu.type(i) == "radiobutton" and menu.entrycget(i, "label") == label
    ]
    menu.invoke(index)


def timer_scene(d: Any, bob: HeadlessPeer, *, alice: str, bob_phone: str) -> None:
    """``d`` is the screenshots' Director (its app, wait, send and shot)."""
    app, m = d.app, d.app.main
    size = app.root.geometry().split("+")[0]
    app.root.geometry("1120x740")
    app.chat.open(bob_phone)
    pane, messages = m.conversation, m.conversation.messages
    d.wait(lambda: m.pane is pane and not app.busy and not pane.narrow, "the conversation in a wide window")
    _choose(pane.timer.menu, SCENE_TIMER)
    d.wait(lambda: pane.timer.seconds == SCENE_TIMER, "the timer set")
    bob.wait_for(lambda e: isinstance(e, ev.TimerChanged) and e.seconds == SCENE_TIMER)
    d.send("The door code is 4711 — it changes tonight.")
    d.wait(lambda: any(x.timer and x.outgoing for x in messages.shown()), "Alice's message under the timer")
    bob.call(lambda engine: engine.send_text(alice, "Got it, thanks. I'll be there at seven."))
    d.wait(lambda: any(x.timer and not x.outgoing for x in messages.shown()), "Bob's answer under the timer")
    messages.jump_to_bottom()
    d.shot("19-disappearing-timer")

    _choose(pane.timer.menu, 0)
    d.wait(lambda: pane.timer.seconds == 0, "the timer off again")
    bob.wait_for(lambda e: isinstance(e, ev.TimerChanged) and e.seconds == 0)
    app.root.geometry(size)
    d.wait(lambda: app.root.geometry().split("+")[0] == size, f"the window at {size} again")
