"""Three-outcome verdicts for the replay audits' assertions and findings.

The replay audits study a sample of people (``--audit-replay-sample``,
``AuditOptions.replay_sample``): a person is sampled with probability
``replay_sample / population size``, so the people an audit is about
(sanctioned people, people with a first penalty, wrongly sanctioned people)
grow in proportion to the replay sample. When a verdict rests on fewer than
:data:`audit.evidence.MIN_OBSERVATIONS` of them it is *not enough evidence*,
and the advice names the replay sample that would give that many in
expectation: ``ceil(sample * needed / observed)``; when that exceeds the
population (everyone is already sampled), a larger population
(``--audit-size``) is what helps.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from audit.assertion_support import Audited, is_number, population_size
from audit.evidence import HOLDS, MIN_OBSERVATIONS, NOT_ENOUGH, VIOLATED, Evidence, clopper_pearson

__all__ = ["replay_remedy", "sample_advice", "not_enough", "share_evidence", "fmt_share", "probe_list"]


def replay_remedy(a: Audited, node: Mapping[str, Any], observed: int, needed: int = MIN_OBSERVATIONS) -> tuple[int | None, str]:
    """``(replay sample, advice)`` that would give ``needed`` observations where ``observed`` were seen.

    ``node`` is the replay section (its ``sample_size`` is the people sampled).
    """
    return sample_advice(node.get("sample_size"), population_size(a), observed, needed)


def sample_advice(
    sample: Any, total: int | None, observed: int, needed: int = MIN_OBSERVATIONS, *, size_flag: str = "--audit-size"
) -> tuple[int | None, str]:
    """``(replay sample, advice)``: the ``--audit-replay-sample`` expected to give ``needed`` observations.

    ``observed`` were seen among ``sample`` sampled people of a population of
    ``total``. The expected count grows in proportion to the sample, so the
    answer is ``ceil(sample * needed / observed)``; none seen, ten times the
    sample. Past the population's size, a larger population (``--audit-size``)
    is what helps (``size_flag``: ``--audit-size`` in pytest, ``--size`` on the command line).
    """
    if not is_number(sample) or int(sample) <= 0:
        return None, "--audit-replay-sample 2000 (the replay audits did not run)"
    sample = int(sample)
    if observed <= 0:
        target = sample * 10
        advice = (f"--audit-replay-sample {target:,} (none among {sample:,} sampled people; a sample ten times as large "
                  f"finds some if they are at least 1 in {target:,})")
    else:
        target = math.ceil(sample * needed / observed)
        advice = f"--audit-replay-sample {target:,}"
    if total and target > total:
        if sample >= total:
            grow = math.ceil(total * needed / observed) if observed > 0 else total * 10
            return None, (f"{size_flag} {grow:,} (every one of the {total:,} people is already sampled; "
                          f"the population holds too few)")
        advice = f"--audit-replay-sample {total:,} {size_flag} {math.ceil(total * target / sample):,}"
    return target, advice


def not_enough(a: Audited, node: Mapping[str, Any], observed: int, what: str, needed: int = MIN_OBSERVATIONS) -> Evidence:
    """Not enough evidence: ``observed`` of ``needed`` ``what``, with the replay sample that gets them."""
    _, remedy = replay_remedy(a, node, observed, needed)
    return Evidence(outcome=NOT_ENOUGH, observed=int(observed), what=what, needed=needed, remedy=remedy)


def share_evidence(a: Audited, node: Mapping[str, Any], k: int, n: int, max_share: float, what: str) -> Evidence:
    """Whether a share ``k / n`` stays at most ``max_share``: exact 95% interval, at least MIN_OBSERVATIONS.

    Violated when ``k > 0`` and ``max_share == 0`` (an observed case proves
    existence), or when the interval lies wholly above ``max_share``; holds
    when ``n >= MIN_OBSERVATIONS`` and the interval lies at or below it (for
    ``max_share == 0``: none of at least ``MIN_OBSERVATIONS``); otherwise not
    enough evidence.
    """
    if max_share == 0 and k > 0:
        return Evidence(outcome=VIOLATED, observed=n, what=what)
    if n < MIN_OBSERVATIONS:
        return not_enough(a, node, n, what)
    lo, hi = clopper_pearson(k, n) or (0.0, 1.0)
    if lo > max_share:
        return Evidence(outcome=VIOLATED, observed=n, what=what)
    if hi <= max_share or (max_share == 0 and k == 0):
        return Evidence(outcome=HOLDS, observed=n, what=what)
    # the exact interval's half-width shrinks as 1/sqrt(n): n (h/d)^2 decides it
    p = k / n
    d = abs(p - max_share)
    need = math.ceil(n * ((hi - p) / d) ** 2) if d > 0 else None
    if need is None:
        return Evidence(outcome=NOT_ENOUGH, observed=n, what=what, needed=None,
                        remedy="no sample decides an estimate that sits on the threshold")
    return not_enough(a, node, n, what, needed=need)


def fmt_share(k: int, n: int) -> str:
    """``"12.5% (3 of 24) [95% CI 2.7%, 32.4%]"``, exact; ``"no observation"`` when ``n == 0``."""
    if n <= 0:
        return "no observation"
    lo, hi = clopper_pearson(k, n) or (0.0, 1.0)
    return f"{100 * k / n:.1f}% ({k:,} of {n:,}) [95% CI {100 * lo:.1f}%, {100 * hi:.1f}%]"


def probe_list(a: Audited, key: str) -> list[Mapping[str, Any]]:
    """The rule probes' ``key`` entries (``spillover.probes``; empty when the probes did not run)."""
    spill = a.sections.get("spillover")
    probes = spill.get("probes") if isinstance(spill, Mapping) else None
    rows = probes.get(key) if isinstance(probes, Mapping) else None
    return [r for r in rows if isinstance(r, Mapping)] if isinstance(rows, (list, tuple)) else []
