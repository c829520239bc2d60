"""Random plugin faults driven through whole runs: the healthy scorer's results never change.

Each run pairs :class:`tests.audit.faulty_scorers.Plain` with scorers that
commit a randomly drawn fault (:class:`tests.audit.faulty_scorers.Fuzzed`) on
the start-of-run probe, on the main run, on the replays of finalizing, or always. Plain's section of
``results.json`` must equal the one of a run of Plain alone, and its tier
shares the ones worked out with pandas; each faulty scorer must be reported as
failed (or succeed, for the drawn non-faults), whatever the others did.
"""

from __future__ import annotations

import random
from dataclasses import replace

import pytest

from audit.engine.contract import AuditOptions
from audit.results.document import results_document
from audit.runner import RunConfig, run
from tests.audit.faulty_scorers import IN_PROCESS_FAULTS, PROCESS_FAULTS, Fuzzed, Plain, plain_tier_shares

SIZE = 1500  # above the 1,000-person probe, so "main" faults strike after it
WHEN = ("probe", "main", "replay", "always")
OPTIONS = AuditOptions(seed=1, bootstrap=0, replay_sample=60, probe_size=1000)


def config(**kw) -> RunConfig:
    return RunConfig(**{"population": "tiny", "size": SIZE, "seed": 9, "options": OPTIONS, **kw})


def plain_section(result) -> dict:
    doc = results_document(result)
    (plain,) = [s for s in doc["scorers"] if s["label"] == "plain"]
    return plain


@pytest.fixture(scope="module")
def baseline() -> dict:
    return plain_section(run([Plain()], config()))


@pytest.fixture(scope="module")
def expected_shares() -> dict[str, float]:
    from audit.population.model import synthesize

    return plain_tier_shares(synthesize("tiny", size=SIZE, seed=9))


def expected_to_fail(s: Fuzzed) -> bool:
    """Whether the run must report ``s`` as failed."""
    if s.kind in ("keyboard_free", "reorder"):
        return False  # no fault: a control, and rows reordered with their index (aligned by index)
    if s.kind == "mutate":  # the probe sees the write; later it only touches the scorer's own copy
        return s.when in ("probe", "always")
    return True


def draw(seed: int, kinds: tuple[str, ...], n: int | None = None) -> list:
    """Plain and ``n`` scorers with random faults of ``kinds`` (``None``: each kind once), in random order."""
    rng = random.Random(seed)
    chosen = list(kinds) if n is None else [rng.choice(kinds) for _ in range(n)]
    faulty = [Fuzzed(kind, rng.choice(WHEN), tag) for tag, kind in enumerate(chosen)]
    scorers = [*faulty, Plain()]
    rng.shuffle(scorers)
    return scorers


def check(result, scorers, baseline, expected_shares) -> None:
    failed = {r.label for r in result.failed}
    for s in scorers:
        if isinstance(s, Fuzzed):
            assert (s.name in failed) == expected_to_fail(s), (s.name, result.run_for(s.name).error)
            if not expected_to_fail(s):
                assert result.run_for(s.name).sections["tier_shares"] == pytest.approx(expected_shares, abs=1e-12)
    assert "plain" not in failed
    section = plain_section(result)
    assert section == baseline, [k for k in section if section[k] != baseline.get(k)]
    assert section["tier_shares"] == pytest.approx(expected_shares, abs=1e-12)


@pytest.mark.parametrize("seed", range(3))
def test_random_in_process_faults_leave_the_healthy_scorer_unchanged(seed, baseline, expected_shares):
    scorers = draw(seed, IN_PROCESS_FAULTS)  # every kind, each at a random moment
    check(run(scorers, config()), scorers, baseline, expected_shares)


def test_random_process_faults_leave_the_healthy_scorer_unchanged(baseline, expected_shares):
    scorers = draw(100, IN_PROCESS_FAULTS + PROCESS_FAULTS * 2, 4)
    assert any(isinstance(s, Fuzzed) and s.kind in PROCESS_FAULTS for s in scorers)
    result = run(scorers, config(isolate=True, workers=2, worker_memory=900 * 2**20,
                                 options=replace(OPTIONS, scorer_timeout=1.0)))
    check(result, scorers, baseline, expected_shares)


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(101, 109))
def test_many_random_process_faults_leave_the_healthy_scorer_unchanged(seed, baseline, expected_shares):
    scorers = draw(seed, IN_PROCESS_FAULTS + PROCESS_FAULTS, 6)
    result = run(scorers, config(isolate=True, workers=2, worker_memory=900 * 2**20,
                                 options=replace(OPTIONS, scorer_timeout=1.0)))
    check(result, scorers, baseline, expected_shares)

