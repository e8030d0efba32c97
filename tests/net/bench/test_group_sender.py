"""The group bench sender's texts: kind, sample and number first, read back by the members."""

from __future__ import annotations

from net.bench.group_sender import bench_text, parse_text


def test_a_bench_text_is_padded_and_reads_back() -> None:
    text = bench_text("group", 7, 42, 64)
    assert len(text) == 64
    assert parse_text(text) == ("group", 7, 42)
    assert parse_text(bench_text("1:1", 0, 3, 10)) == ("1:1", 0, 3)


def test_other_texts_are_not_bench_texts() -> None:
    assert parse_text("hello there") is None
    assert parse_text("group x 1") is None
    assert parse_text("group 1") is None
