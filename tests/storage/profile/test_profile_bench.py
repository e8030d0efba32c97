"""The profile benchmark runs end to end on both formats and reports every figure (speed is not asserted)."""

from __future__ import annotations

import itertools
import math

from storage.profile.bench import QUERIES, RARE, plan, run, table


def test_the_texts_are_the_same_for_a_seed_and_mix_scripts_lengths_and_late_arrivals() -> None:
    items = plan(3000, 30, seed=1)
    assert items == plan(3000, 30, seed=1) and items != plan(3000, 30, seed=2)
    assert len({item.contact for item in items}) == 30
    texts = [item.text for item in items]
    assert any("встреч" in t for t in texts) and any("\u3040" <= c <= "\u30ff" for t in texts for c in t)
    assert min(len(t.split()) for t in texts) == 1 and max(len(t.split()) for t in texts) >= 40
    late = sum(1 for a, b in itertools.pairwise(items) if b.timestamp < a.timestamp)
    assert 0 < late < len(items) // 10


def test_the_benchmark_reports_every_figure_for_both_formats() -> None:
    figures = run(messages=400, conversations=8, runs=1)
    by_name = {figure.what: figure for figure in figures}
    assert len(by_name) == len(figures) == 10 + len(QUERIES)
    searches = [f for f in figures if f.what.startswith("search all")]
    assert [f.what.rsplit(" ", 1)[1] for f in searches] == [repr(query) for _, query in QUERIES]
    # Across conversations, and by place, only the new format can read; everything else is measured on both.
    by_place = [f for f in figures if f.what.startswith(("place of", "page of 100 at its place"))]
    assert len(by_place) == 2 and all(f.old_ms is None for f in searches + by_place)
    assert all(f.results is not None and 0 < f.results <= 100 for f in by_place)  # real pages, real places
    others = [f for f in figures if f not in searches + by_place]
    assert all(f.old_ms is not None and math.isfinite(f.old_ms) and f.old_ms > 0 for f in others)
    assert all(math.isfinite(f.new_ms) and f.new_ms > 0 for f in figures)
    # The actions did real work: the common word fills a page, the nonsense finds nothing.
    assert searches[0].results == 50 and searches[-1].results == 0
    assert by_name["page of 50, newest"].results == 50
    assert by_name["conversation list"].results == 8
    assert by_name["receive: message + session + processed id, 1 commit"].results == 1
    assert figures[0].what == "store 400 messages (store API, one transaction)"
    lines = table(figures).splitlines()
    assert len(lines) == 2 + len(figures) and "| n/a |" in lines[4] and RARE in table(figures)
