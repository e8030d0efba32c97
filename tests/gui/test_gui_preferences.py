"""The app's small settings file: defaults when missing or damaged, and a round trip."""

from __future__ import annotations

from pathlib import Path

from gui import preferences
from gui.view_models.forms import DEFAULT_SERVER


def test_no_folder_or_no_file_means_defaults(tmp_path: Path) -> None:
    assert preferences.load(None) == preferences.Preferences()
    assert preferences.load(tmp_path) == preferences.Preferences("light", DEFAULT_SERVER)


def test_preferences_round_trip(tmp_path: Path) -> None:
    preferences.save(tmp_path / "config", preferences.Preferences("dark", "example.org:443"))
    assert preferences.load(tmp_path / "config") == preferences.Preferences("dark", "example.org:443")


def test_a_damaged_or_strange_file_gives_defaults_for_what_is_wrong(tmp_path: Path) -> None:
    (tmp_path / preferences.FILE_NAME).write_text("{not json", encoding="utf-8")
    assert preferences.load(tmp_path) == preferences.Preferences()
    (tmp_path / preferences.FILE_NAME).write_text('{"theme": "purple", "server": 5}', encoding="utf-8")
    assert preferences.load(tmp_path) == preferences.Preferences()
    (tmp_path / preferences.FILE_NAME).write_text('["a list"]', encoding="utf-8")
    assert preferences.load(tmp_path) == preferences.Preferences()


def test_saving_where_it_cannot_write_is_not_an_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    preferences.save(blocker / "config", preferences.Preferences("dark"))
    assert preferences.load(blocker / "config") == preferences.Preferences()


def test_zoom_and_window_geometry_round_trip_and_strange_values_are_ignored(tmp_path: Path) -> None:
    prefs = preferences.Preferences("dark", "example.org:443", zoom=1.25, geometry="900x650+30+40")
    preferences.save(tmp_path, prefs)
    assert preferences.load(tmp_path) == prefs
    strange = '{"zoom": 40, "geometry": 7}'
    (tmp_path / preferences.FILE_NAME).write_text(strange, encoding="utf-8")
    assert preferences.load(tmp_path) == preferences.Preferences()
    (tmp_path / preferences.FILE_NAME).write_text('{"zoom": true}', encoding="utf-8")
    assert preferences.load(tmp_path).zoom == 1.0


def test_the_last_profile_unlocked_is_kept_and_a_strange_one_is_not(tmp_path: Path) -> None:
    kept = preferences.Preferences("light", DEFAULT_SERVER, last_profile="0123456789abcdef")
    preferences.save(tmp_path, kept)
    assert preferences.load(tmp_path).last_profile == "0123456789abcdef"
    (tmp_path / preferences.FILE_NAME).write_text('{"last_profile": ["x"]}', encoding="utf-8")
    assert preferences.load(tmp_path).last_profile == ""
