"""Design notes: a table whose categories mostly hold one benchmark is warned about."""

from __future__ import annotations

from gapbayes.model.design_notes import design_notes, lone_categories
from gapbayes.model.frontier_design import build_frontier_data
from gapbayes.model.frontier_simulate import frontier_design
from gapbayes.model.spec import load_spec

SPEC = load_spec("default")


def _data(categories: list[str]):
    models, benchmarks, scores = frontier_design(n_models=60, n_benchmarks=len(categories),
                                                 n_linear=0, seed=4)
    benchmarks = benchmarks.assign(category=categories)
    return build_frontier_data(models, benchmarks, scores, SPEC)


def test_mostly_one_benchmark_categories_get_a_note_naming_them():
    data = _data(["math", "knowledge", "reasoning", "reasoning", "coding_agentic"])
    assert sorted(lone_categories(data)) == ["coding_agentic", "knowledge", "math"]
    (note,) = design_notes(data)
    assert note.startswith("3 of 4 categories have one benchmark each (")
    assert "shared category in the metadata" in note
    assert 'category_deviations = "none"' in note


def test_no_note_when_the_deviations_are_off():
    spec = SPEC.with_changes(switches={"category_deviations": "none"})
    models, benchmarks, scores = frontier_design(n_models=60, n_benchmarks=5, n_linear=0,
                                                 seed=4)
    benchmarks = benchmarks.assign(
        category=["math", "knowledge", "reasoning", "reasoning", "coding_agentic"])
    data = build_frontier_data(models, benchmarks, scores, spec)
    assert len(lone_categories(data)) == 3 and design_notes(data) == []


def test_categories_with_several_benchmarks_get_no_note():
    # two of five categories with one benchmark, as in the bundled data's 2 of 8
    data = _data(["math", "math", "reasoning", "reasoning", "knowledge", "knowledge",
                  "coding_agentic", "long_context"])
    assert sorted(lone_categories(data)) == ["coding_agentic", "long_context"]
    assert design_notes(data) == []
