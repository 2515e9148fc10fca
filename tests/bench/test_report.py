"""Every figure README.md and docs/ quote comes from docs/figures.json, and none is typed by hand."""

from __future__ import annotations

import pytest

from bench import report

pytestmark = pytest.mark.unit


def test_every_quoted_figure_is_the_figures_files_and_figures_md_is_generated():
    assert list(report.problems()) == []


def test_every_registered_benchmarks_figures_are_in_the_file_with_where_and_how_they_were_measured():
    figures = report.load()["figures"]
    assert set(report.BENCHMARKS) <= set(figures)
    for entry in figures.values():
        assert entry["command"].startswith(".venv/bin/python bench/") and entry["date"] and len(entry["git"]["commit"]) == 40
        assert entry["machine"]["cores"] and entry["machine"]["cpu_model"] and len(entry["machine"]["load_average"]) == 3


def test_a_stale_an_unknown_and_a_hand_typed_figure_are_each_found(tmp_path, monkeypatch):
    figures = {"figures": {"send": {"result": {"sizes": [{"ratio": 0.42, "flow": {"per_second": 31106}}]}}}}
    doc = tmp_path / "doc.md"
    doc.write_text("ratio <!-- fig:send.sizes.0.ratio -->0.5<!-- /fig -->\n"
                   "rate <!-- fig:send.sizes.0.flow.per_second -->31,106<!-- /fig --> people per second\n"
                   "<!-- fig:send.sizes.3.ratio -->1<!-- /fig -->\n"
                   "measured 32,120 people/s, a slowdown 1.49 and 5× faster; the goal is a slowdown under 2\n", encoding="utf-8")
    monkeypatch.setattr(report, "REPO", tmp_path)
    found = list(report.quote_problems(figures, [doc]))
    assert [p.split(": ", 1)[0] for p in found] == ["doc.md:1", "doc.md:3", "doc.md:4", "doc.md:4", "doc.md:4"]
    assert "says '0.5', the figures file '0.42'" in found[0] and "no figure send.sizes.3.ratio" in found[1]
    first, _, unknown, _ = doc.read_text(encoding="utf-8").splitlines()
    assert report.fill(first, figures) == "ratio <!-- fig:send.sizes.0.ratio -->0.42<!-- /fig -->"
    with pytest.raises(ValueError, match="no figure send.sizes.3.ratio"):
        report.fill(unknown, figures)


def test_figures_are_shown_as_the_docs_print_them():
    assert [report.show(v) for v in (1000000, 0.836, True, [1.5, 2])] == ["1,000,000", "0.836", "yes", "1.5 / 2"]
