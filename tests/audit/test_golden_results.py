"""Speed-ups change no figure: a small run's results.json equals the one computed before them.

The digests below are of ``tests/audit/_golden.py``'s run (150,000 people in
three chunks, two supervised workers, a ground-truth sample of 40,000 so the
sampled re-score runs), computed on main before the per-batch offset tables,
the shared worker pool changes and the worker start-up changes of issue 19
(``python -m tests.audit._golden``). Every speed-up must leave them as they
are: populations, scores and every figure bit for bit. A change meant to
move figures recomputes them and says which and why in its commit.
"""

from __future__ import annotations

import pytest

from tests.audit._golden import NOT_FIGURES, figures, golden_run, section_digests

GOLDEN = {
    "joint_punishment/appeal": "08fe754dfc5d99e8",
    "joint_punishment/contagion": "8fbf111294595a8f",
    "joint_punishment/disparity": "8073245349387a4d",
    "joint_punishment/reversibility": "4dc752295f98984a",
    "joint_punishment/spillover": "1af42e8739245fcd",
    "joint_punishment/tier_shares": "e209bdad524eb2c2",
    "rongcheng/appeal": "af25192a530a4197",
    "rongcheng/contagion": "8fbf111294595a8f",
    "rongcheng/disparity": "e9d177ecf57a382b",
    "rongcheng/reversibility": "a70d467fb32806ca",
    "rongcheng/spillover": "0214eb41638b17ac",
    "rongcheng/tier_shares": "d42af7e8d4c69be5",
    "run/audited_attributes": "39315b38e32b8c8e",
    "run/kind": "85ed24932ffdb0fe",
    "run/options": "9c0d86dff65d0683",
    "run/package_version": "8e633b4f41f99d4c",
    "run/population": "b875339f17935f9a",
    "run/private": "b5bea41b6c623f7c",
    "run/schema_version": "6b86b273ff34fce1",
    "sesame/appeal": "7f197d40ae7faed4",
    "sesame/contagion": "010535056170f92d",
    "sesame/disparity": "de32b179372564b6",
    "sesame/reversibility": "bc224992a54fa3c9",
    "sesame/spillover": "bc80145e6cf7b07c",
    "sesame/tier_shares": "f0ad45e26db37e08",
    "suining/appeal": "d0fabe14ed3b8afe",
    "suining/contagion": "8fbf111294595a8f",
    "suining/disparity": "f1918378d368aac3",
    "suining/reversibility": "ab994cabc4542351",
    "suining/spillover": "8f8afd0597c7d847",
    "suining/tier_shares": "5042dbb02b79b249",
}


@pytest.fixture(scope="module")
def document():
    return golden_run()


def test_every_section_of_every_scorer_is_unchanged(document):
    digests = section_digests(document)
    changed = {k: (v, digests.get(k)) for k, v in GOLDEN.items() if digests.get(k) != v}
    assert not changed, f"figures changed (section: golden digest, now): {changed}"


def test_the_golden_run_exercises_the_sampled_ground_truth_and_every_audit(document):
    # a digest of a path the run never took would prove nothing
    for entry in document["scorers"]:
        assert entry["status"] == "ok", entry.get("error")
        truth = entry["disparity"]["ground_truth"]
        assert 0 < truth["sample_share"] < 1
        assert {"appeal", "reversibility", "spillover", "contagion"} <= set(entry)


def test_figures_leave_out_only_the_timings_and_the_date(document):
    assert set(document) - set(figures(document)) == set(NOT_FIGURES)
    assert document["seconds"]  # timings exist, and are left out on purpose
