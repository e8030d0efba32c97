"""The system's openers: a link's address goes to the browser on a thread of its own."""

from __future__ import annotations

import threading
import webbrowser

import pytest

from gui.system_open import open_address


class RecordingBrowser(webbrowser.BaseBrowser):
    """Stands in for the system's browser: records what it was asked to open, and on which thread."""

    def __init__(self) -> None:
        super().__init__("recording")
        self.opened: list[tuple[str, str]] = []
        self.done = threading.Event()

    def open(self, url: str, new: int = 0, autoraise: bool = True) -> bool:
        self.opened.append((url, threading.current_thread().name))
        self.done.set()
        return True


def test_an_address_is_opened_by_the_browser_off_the_calling_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    browser = RecordingBrowser()
    monkeypatch.setattr(webbrowser, "_tryorder", ["recording"])
    monkeypatch.setattr(webbrowser, "_browsers", {"recording": [None, browser]})
    open_address("https://example.org/plan")
    assert browser.done.wait(10), "the browser was not asked"
    [(url, thread)] = browser.opened
    assert url == "https://example.org/plan"
    assert thread != threading.current_thread().name and thread == "parley-link"
