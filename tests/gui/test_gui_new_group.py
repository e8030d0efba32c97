"""The new-group form and the members pane at 800x600 and 640x480, by the keyboard: nothing cut off.

Real Tk widgets under Xvfb, in the window's own main view; the form and the
pane are filled the way their controller fills them.
"""

from __future__ import annotations

import tkinter as tk
from collections.abc import Iterator

import pytest
from gui_support import display_for_tests, forget_tk, press  # noqa: F401 - autouse fixture

from gui.view_models.group_form import Choice
from gui.views.main_view import MainView
from gui.views.theme import LIGHT, apply_theme, make_fonts
from net.client.core.events import GroupMemberView, GroupView

PEOPLE = [
    Choice(f"+4420794601{n:02d}", name) for n, name in enumerate(["Bob", "Carol", "Dave", "Erin", "Frank"])
]


@pytest.fixture
def root(display: object) -> Iterator[tk.Tk]:
    root = tk.Tk()
    fonts = make_fonts(root)
    apply_theme(root, LIGHT, fonts, 1.0)
    root.main = MainView(root, LIGHT, fonts)  # type: ignore[attr-defined]
    root.main.pack(fill="both", expand=True)  # type: ignore[attr-defined]
    yield root
    root.destroy()


def _inside(widget: tk.Misc, root: tk.Tk) -> bool:
    """The widget is drawn, and wholly inside the window."""
    widget.update_idletasks()
    x, y = widget.winfo_rootx() - root.winfo_rootx(), widget.winfo_rooty() - root.winfo_rooty()
    return (
        bool(widget.winfo_ismapped())
        and x >= 0
        and y >= 0
        and x + widget.winfo_width() <= root.winfo_width()
        and y + widget.winfo_height() <= root.winfo_height()
    )


def _sized(root: tk.Tk, size: str) -> None:
    root.geometry(size)
    root.update()
    width, height = (int(n) for n in size.split("x"))
    assert (root.winfo_width(), root.winfo_height()) == (width, height)


@pytest.mark.parametrize("size", ["800x600", "640x480"])
def test_the_new_group_form_fits_and_works_by_the_keyboard(root: tk.Tk, size: str) -> None:
    main: MainView = root.main  # type: ignore[attr-defined]
    form = main.new_group
    made: list[tuple[str, list[str], str]] = []
    cancelled: list[bool] = []
    form.on_create = lambda name, ticked, typed: made.append((name, ticked, typed))
    form.on_cancel = lambda: cancelled.append(True)
    main.show_pane(form)
    form.show(PEOPLE)
    _sized(root, size)
    for widget in (form.name.entry, form.filter, form.checklist, form.typed.entry, form.create_button,
                   form.cancel_button):  # fmt: skip
        assert _inside(widget, root), f"{widget} is cut off at {size}: {widget.winfo_geometry()}"
    assert form.checklist.winfo_height() >= 2 * form.checklist.bbox(0)[3]  # two rows of the list at least
    assert root.focus_lastfor() is form.name.entry  # the form opens with the cursor in the name
    form.name.entry.insert(0, "Book club")
    press(form.name.entry, "<Tab>")
    assert root.focus_get() is form.filter
    form.filter.insert(0, "er")
    root.update()
    assert [row.split(maxsplit=1)[1] for row in form.shown_names] == ["Erin"]
    press(form.filter, "<Tab>")
    assert root.focus_get() is form.checklist
    press(form.checklist, "<space>")
    press(form.checklist, "<Return>")
    assert made == [("Book club", ["+442079460103"], "")]
    press(form.checklist, "<Escape>")
    assert cancelled == [True]


@pytest.mark.parametrize("size", ["800x600", "640x480"])
def test_the_members_pane_fits_and_shows_each_member_with_marks_and_actions(root: tk.Tk, size: str) -> None:
    main: MainView = root.main  # type: ignore[attr-defined]
    pane = main.members
    members = tuple(
        GroupMemberView(
            c.phone, c.name, admin=i == 0, verified=i == 1, safety_number_available=True, me=i == 0
        )
        for i, c in enumerate(PEOPLE)
    )
    group = GroupView("gid", "Book club", members, "member", 3, 0.0, created_by=PEOPLE[0].phone, admin=True)
    asked: list[str] = []
    pane.on_pick = asked.append
    main.show_pane(pane)
    pane.show(group, lambda phone: next(c.name for c in PEOPLE if c.phone == phone))
    _sized(root, size)
    assert [row[0].split("  (")[0] for row in pane.rows()] == ["You", "Carol", "Dave", "Erin", "Frank"]
    assert pane.rows()[0][1] == "admin" and pane.rows()[1][1] == "✓ verified"
    assert str(pane.count.cget("text")) == "5 members"
    pane.list.selection_set(PEOPLE[1].phone)
    root.update()
    assert asked == [PEOPLE[1].phone]
    pane.show_safety_number(PEOPLE[1].phone, "1" * 60)
    for widget in (pane.back_button, pane.leave_button, pane.rename_entry, pane.add_button, pane.list,
                   pane.digits, pane.remove_button, pane.admin_button):  # fmt: skip
        assert _inside(widget, root), f"{widget} is cut off at {size}: {widget.winfo_geometry()}"
    assert pane.member_buttons() == ["Remove", "Make admin"]
    escaped: list[bool] = []
    pane.on_back = lambda: escaped.append(True)
    press(pane.list, "<Escape>")
    assert escaped == [True]
