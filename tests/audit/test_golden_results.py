"""Speed-ups change no figure: a small run's results.json equals the reference kept in the repository.

The reference (``tests/audit/golden_results.json.gz``) holds the figures of
``tests/audit/_golden.py``'s run (150,000 people in three chunks, two
supervised workers, a ground-truth sample of 40,000 so the sampled re-score
runs). Its figures were first kept as digests before the per-batch offset
tables, the shared worker pool and the worker start-up changes of issue 19,
and every speed-up since left them as they were. Every speed-up must leave
them: populations, scores, every count and label exactly, every float to
1e-9 relative (why not bit for bit: ``_golden.py``). A change meant to move
figures rewrites the reference (``python -m tests.audit._golden``) and says
which and why in its commit.
"""

from __future__ import annotations

import pytest

from tests.audit._golden import NOT_FIGURES, differences, figures, golden_run, load_reference


@pytest.fixture(scope="module")
def document():
    return golden_run()


def test_every_figure_of_every_scorer_is_unchanged(document):
    changed = differences(load_reference(), figures(document))
    shown = "\n".join(changed[:20])
    assert not changed, f"{len(changed)} figures changed (JSON pointer: reference -> now):\n{shown}"


def test_the_golden_run_exercises_the_sampled_ground_truth_and_every_audit(document):
    # a comparison of a path the run never took would prove nothing
    for entry in document["scorers"]:
        assert entry["status"] == "ok", entry.get("error")
        truth = entry["disparity"]["ground_truth"]
        assert 0 < truth["sample_share"] < 1
        assert {"appeal", "reversibility", "spillover", "contagion"} <= set(entry)


def test_figures_leave_out_only_the_timings_and_the_date(document):
    assert set(document) - set(figures(document)) == set(NOT_FIGURES)
    assert document["seconds"]  # timings exist, and are left out on purpose


def test_the_comparison_sees_a_changed_count_a_changed_float_and_a_missing_key():
    reference = {"a": {"n": 3, "x": 0.25, "ci": [0.1, 0.2]}, "b": "suining", "nan": float("nan")}
    assert differences(reference, reference) == []
    assert differences(reference, {**reference, "a": {"n": 3, "x": 0.25 * (1 + 1e-12), "ci": [0.1, 0.2]}}) == []
    assert differences(reference, {**reference, "a": {"n": 4, "x": 0.25, "ci": [0.1, 0.2]}}) == ["/a/n: 3 -> 4"]
    assert differences(reference, {**reference, "a": {"n": 3, "x": 0.2501, "ci": [0.1, 0.2]}}) == ["/a/x: 0.25 -> 0.2501"]
    assert differences(reference, {**reference, "a": {"n": 3, "x": 0.25, "ci": [0.1]}}) == ["/a/ci: 2 items -> 1"]
    assert differences(reference, {k: v for k, v in reference.items() if k != "b"}) == ["/b: missing now"]
    assert differences({"n": 3}, {"n": 3.0}) == ["/n: 3 -> 3.0"]
