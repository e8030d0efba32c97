"""The export's folder on a real file system: new or empty only, hidden until complete, owner-only, and
gone without a trace when the export does not finish."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from disk_support import SmallDisk

from storage.profile.errors import DiskFull
from storage.profile.export_folder import ExportDiskFull, ExportError, ExportFolder, check_folder


def _random(n: int) -> bytes:
    return bytes(range(n))


def test_files_appear_only_when_the_folder_is_finished_and_are_owner_only(tmp_path: Path) -> None:
    folder = ExportFolder(tmp_path / "out", _random)
    folder.write("a.json", ["{", '"text": "Grüße 👋"', "}"])
    folder.write("b.html", ["x" * 70_000, "y"])  # past the write buffer
    assert [p.name for p in tmp_path.iterdir()] == [".out.0001020304050607.partial"]
    folder.finish()
    out = tmp_path / "out"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    assert folder.files == ["a.json", "b.html"]
    assert (out / "a.json").read_text(encoding="utf-8") == '{"text": "Grüße 👋"}'
    assert (out / "b.html").stat().st_size == 70_001
    assert stat.S_IMODE(out.stat().st_mode) == 0o700
    assert {stat.S_IMODE(p.stat().st_mode) for p in out.iterdir()} == {0o600}


def test_a_folder_that_is_not_empty_or_a_file_is_refused_and_left_alone(tmp_path: Path) -> None:
    full = tmp_path / "full"
    full.mkdir()
    (full / "mine.txt").write_text("keep me")
    with pytest.raises(ExportError, match="the folder full is not empty") as refused:
        ExportFolder(full, _random)
    assert refused.value.code == "folder_not_empty"
    assert [p.name for p in full.iterdir()] == ["mine.txt"]
    a_file = tmp_path / "a-file"
    a_file.write_text("x")
    with pytest.raises(ExportError, match="not a folder") as refused:
        check_folder(a_file)
    assert refused.value.code == "not_a_folder"
    empty = tmp_path / "empty"
    empty.mkdir()
    folder = ExportFolder(empty, _random)
    folder.write("a", ["x"])
    folder.finish()
    assert folder.target == empty.absolute() and [p.name for p in empty.iterdir()] == ["a"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file", "empty", "full"]


def test_a_discarded_export_leaves_nothing(tmp_path: Path) -> None:
    folder = ExportFolder(tmp_path / "out", _random)
    folder.write("a", ["half of it"])
    folder.discard()
    assert list(tmp_path.iterdir()) == []


def test_a_full_disk_is_told_in_words_and_nothing_of_it_stays(tmp_path: Path) -> None:
    with SmallDisk(tmp_path / "disk") as disk:
        assert disk.mounted, "this test needs a tmpfs (root)"
        folder = ExportFolder(disk.root / "out", _random)
        with pytest.raises(OSError) as failed:
            folder.write("big", ["x" * (1 << 20)] * 16)  # 16 MiB onto the 8 MiB disk
        error = folder.error(failed.value)
        assert isinstance(error, ExportDiskFull) and isinstance(error, DiskFull)
        assert str(error) == "there is no room on the disk for the export out: nothing of it was kept"
        folder.discard()
        assert list(disk.root.iterdir()) == []
