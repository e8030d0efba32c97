"""The registration screen's flow in real windows under Xvfb, with the real engine and real servers over TLS.

Mistakes are said on the field they are about; a number with an account and a
registration lock needs the lock's passphrase; a profile moved in Settings to a
server that does not know its account registers there, keeping what it has.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from conftest import InProcessServer, fresh_phone
from gui_support import (
    PASSPHRASE,
    address,
    create_and_register,
    forget_tk,  # noqa: F401 - autouse: Tk garbage is collected on the Tk thread
    press_return,
    register_peer,
    start_conversation,
    type_into,
    wait_until,
)

from gui.app import App
from gui.tooling.peer import HeadlessPeer
from gui.view_models.forms import Stage
from gui.view_models.wording import account_not_known
from net.server.tls import CERT_FILE, KEY_FILE


@pytest.fixture
def make_app(display: object, tmp_path: Path) -> Iterator[Callable[[str], App]]:
    apps: list[App] = []

    def make(name: str = "alice") -> App:
        app = App(
            profiles_root=tmp_path / name,
            config_dir=tmp_path / f"{name}-config",
            local_server_dir=tmp_path / "ls",
        )
        apps.append(app)
        wait_until(app.root, lambda: not app.busy, "the profile list")
        return app

    yield make
    for app in apps:
        app.close()
    apps.clear()


def test_registration_mistakes_are_explained_where_they_happen(
    make_app: Callable[[str], App], dev_server: InProcessServer
) -> None:
    app = make_app("carol")
    w = app.welcome
    type_into(w.server, address(dev_server))
    type_into(w.display_name.entry, "Carol")
    type_into(w.new_passphrase.entry, "short")
    type_into(w.repeat.entry, "short")
    w.create_button.invoke()
    assert "10 characters" in str(w.new_passphrase.note.cget("text"))
    type_into(w.new_passphrase.entry, PASSPHRASE)
    type_into(w.repeat.entry, PASSPHRASE)
    w.create_button.invoke()
    wait_until(app.root, lambda: app.screen is app.server_key, "the server's fingerprint")
    app.server_key.accept_button.invoke()

    r = app.registration
    wait_until(app.root, lambda: app.screen is r and not app.busy, "the registration form")
    type_into(r.phone.entry, "020 7946 0958")
    r.phone.entry.event_generate("<FocusOut>")
    assert "country code" in str(r.phone.note.cget("text"))
    type_into(r.phone.entry, fresh_phone())
    type_into(r.email.entry, "carol@example.com")
    r.send_button.invoke()
    wait_until(app.root, lambda: r.form.stage == Stage.CODE and not app.busy, "the code field")
    right = r.code.value
    type_into(r.code.entry, "000000" if right != "000000" else "111111")
    r.finish_button.invoke()
    wait_until(app.root, lambda: r.code.note.cget("text") and not app.busy, "the wrong-code message")
    assert app.screen is r
    type_into(r.code.entry, right)
    r.finish_button.invoke()
    wait_until(app.root, lambda: app.screen is app.main and not app.busy, "the main window")


def test_a_registration_lock_set_in_settings_guards_the_number_and_the_owner_is_told(
    make_app: Callable[[str], App], dev_server: InProcessServer
) -> None:
    alice, number, lock = make_app("alice"), fresh_phone(), "correct horse battery"
    create_and_register(alice, dev_server, number)
    settings = alice.main.settings
    alice.main.settings_button.invoke()
    type_into(settings.lock_field.entry, "short")
    settings._set_lock()
    assert "6 characters" in str(settings.lock_field.note.cget("text"))
    type_into(settings.lock_field.entry, lock)
    settings._set_lock()
    wait_until(
        alice.root, lambda: "set" in str(settings.lock_note.cget("text")) and not alice.busy, "the lock"
    )
    assert dev_server.running.store.guard(number).lock_hash is not None  # type: ignore[union-attr]

    other = make_app("other")  # a second computer asks for the same number
    w = other.welcome
    type_into(w.server, address(dev_server))
    type_into(w.display_name.entry, "Other")
    type_into(w.new_passphrase.entry, PASSPHRASE)
    type_into(w.repeat.entry, PASSPHRASE)
    w.create_button.invoke()
    wait_until(other.root, lambda: other.screen is other.server_key, "the server's fingerprint")
    other.server_key.accept_button.invoke()
    r = other.registration
    wait_until(other.root, lambda: other.screen is r and not other.busy, "the registration form")
    type_into(r.phone.entry, number)
    type_into(r.email.entry, "other@example.org")
    r.send_button.invoke()
    wait_until(other.root, lambda: r.form.stage == Stage.CODE and not other.busy, "the code field")
    note = str(r.code_note.cget("text"))
    assert "already has a Parley account" in note and "a\u2022\u2022\u2022@example.com" in note
    assert "registration lock" in note and r.lock.winfo_manager()
    wait_until(alice.root, lambda: "Someone just asked" in alice.main.notice_shown, "the owner's warning")
    assert "a\u2022\u2022\u2022@example.com" in alice.main.notice_shown

    r.finish_button.invoke()
    assert "passphrase" in str(r.lock.note.cget("text"))
    type_into(r.lock.entry, "wrong horse battery")
    r.finish_button.invoke()
    wait_until(
        other.root, lambda: "more times" in str(r.lock.note.cget("text")) and not other.busy, "wrong lock"
    )
    type_into(r.lock.entry, lock)
    r.finish_button.invoke()
    wait_until(other.root, lambda: other.screen is other.main and not other.busy, "the main window")


def test_a_profile_moved_to_a_server_that_does_not_know_it_registers_there_prefilled_and_keeps_its_history(
    make_app: Callable[[str], App], server_factory: Callable[..., InProcessServer], tmp_path: Path
) -> None:
    first = server_factory(dev_codes=True, data_dir=tmp_path / "first")
    # The second server has the first one's key (so no pinning question) but accounts of its own.
    keys = {"cert": tmp_path / "first" / CERT_FILE, "key": tmp_path / "first" / KEY_FILE}
    second = server_factory(dev_codes=True, data_dir=tmp_path / "second", **keys)
    third = server_factory(dev_codes=True, data_dir=tmp_path / "third")  # a key of its own
    alice_phone, bob_phone = fresh_phone(), fresh_phone()
    app = make_app("alice")
    bob = HeadlessPeer.with_profiles(tmp_path / "bob")
    try:
        create_and_register(app, first, alice_phone)
        register_peer(bob, first, bob_phone, "Bob")
        start_conversation(app, bob_phone, "Bob")
        app.main.conversation.text.insert("1.0", "Before the move")
        press_return(app.main.conversation.text)
        wait_until(
            app.root,
            lambda: app.main.conversations.row_text(bob_phone) == ("Bob", "Before the move", 0),
            "the conversation listed",
        )
        identity = first.running.store.account(alice_phone).identity  # type: ignore[union-attr]

        def move_to(server: InProcessServer) -> None:
            app.main.settings_button.invoke()
            section = app.main.settings.server
            type_into(section.field.entry, address(server))
            section.change_button.invoke()

        r = app.registration

        def registration_offered(server: InProcessServer) -> None:
            wait_until(app.root, lambda: app.screen is r and not app.busy, "the registration screen")
            assert str(r.error.cget("text")) == account_not_known(address(server))
            assert str(r.server_line.cget("text")) == f"Server: {address(server)}"
            assert (r.phone.value, r.email.value) == (alice_phone, "alice@example.com")  # filled in
            assert r.form.stage == Stage.DETAILS

        # The same key at a new address: no question; the login is refused, so registration there.
        move_to(second)
        registration_offered(second)
        assert app.session.server == address(second)
        r.send_button.invoke()
        wait_until(app.root, lambda: r.form.stage == Stage.CODE and not app.busy, "the code field")
        assert str(r.error.cget("text")) == ""
        r.finish_button.invoke()
        wait_until(app.root, lambda: app.screen is app.main and not app.busy, "the main window")
        wait_until(app.root, lambda: str(app.main.status.cget("text")).startswith("Connected"), "connected")
        # The profile's own keys are registered there, and its conversations are all still here.
        assert second.running.store.account(alice_phone).identity == identity  # type: ignore[union-attr]
        wait_until(
            app.root,
            lambda: app.main.conversations.row_text(bob_phone) == ("Bob", "Before the move", 0),
            "the conversation kept",
        )

        # A server with another key asks first; once its key is accepted, the same offer.
        move_to(third)
        wait_until(app.root, lambda: app.screen is app.server_key and not app.busy, "the pinning question")
        app.server_key.accept_button.invoke()
        registration_offered(third)
    finally:
        bob.stop()
