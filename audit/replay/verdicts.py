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

from audit.audited import Audited, is_number, population_size
from audit.evidence import HOLDS, MIN_OBSERVATIONS, NOT_ENOUGH, VIOLATED, Evidence, clopper_pearson

__all__ = ["replay_remedy", "sample_advice", "not_enough", "share_evidence", "fmt_share", "probe_list", "probes_of"]


def replay_remedy(
    a: Audited, node: Mapping[str, Any], observed: int, needed: int = MIN_OBSERVATIONS, *, stratum: str | None = None
) -> tuple[int | None, str]:
    """``(replay sample, advice)`` that would give ``needed`` observations where ``observed`` were seen.

    ``node`` is the replay section (its ``sample_size`` and ``sample``);
    ``stratum`` the stratum the observations come from (``"sanctioned"``), or
    ``None`` for any.
    """
    return sample_advice(node.get("sample_size"), population_size(a), observed, needed,
                         info=node.get("sample"), stratum=stratum)


def sample_advice(
    sample: Any,
    total: int | None,
    observed: int,
    needed: int = MIN_OBSERVATIONS,
    *,
    size_flag: str = "--audit-size",
    info: Any = None,
    stratum: str | None = None,
) -> tuple[int | None, str]:
    """``(replay sample, advice)``: the option expected to give ``needed`` observations.

    ``observed`` were seen among ``sample`` sampled people of a population of
    ``total``. People of a stratum are drawn up to the replay sample's size
    (``info``: the section's ``sample`` entry, :mod:`audit.replay.strata`), so
    their number grows in proportion to it — ``ceil(per_stratum * needed /
    observed)``; none seen, ten times as many — until the stratum is taken
    whole. When the strata the observations come from (``stratum``, or all)
    are already whole, only a larger population helps (``size_flag``:
    ``--audit-size`` in pytest, ``--size`` on the command line).
    """
    if not is_number(sample) or int(sample) <= 0:
        return None, "--audit-replay-sample 2000 (the replay audits did not run)"
    sample = int(sample)
    strata = info.get("strata") if isinstance(info, Mapping) else None
    per = info.get("per_stratum") if isinstance(info, Mapping) else None
    if isinstance(strata, list) and strata:
        total = total or sum(int(s.get("population", 0)) for s in strata if isinstance(s, Mapping)) or None
        relevant = [s for s in strata if isinstance(s, Mapping) and (stratum is None or s.get("stratum") == stratum)]
        who = f"{stratum} people" if stratum else "people of every stratum"
        if relevant and all(int(s.get("sampled", 0)) >= int(s.get("population", 0)) for s in relevant):
            grow = math.ceil(total * needed / observed) if total and observed > 0 else (total or sample) * 10
            none = "none seen; " if observed <= 0 else ""
            return None, (f"{size_flag} {grow:,} ({none}every one of the population's {who} is already replayed; "
                          "a larger population holds more)")
        base = int(per) if is_number(per) and int(per) > 0 else sample
        most = max(int(s.get("population", 0)) for s in relevant) if relevant else 0
        target = math.ceil(base * needed / observed) if observed > 0 else base * 10
        if total and most and target > most:
            # the stratum runs out before the sample reaches the target: the population must grow too
            return target, (f"--audit-replay-sample {target:,} {size_flag} {math.ceil(total * target / most):,} "
                            f"(the population holds {most:,} {who}{'; none seen' if observed <= 0 else ''})")
    else:
        base = sample
    if observed <= 0:
        target = base * 10
        advice = (f"--audit-replay-sample {target:,} (none seen with {base:,}; ten times as many finds some if they are "
                  f"at least 1 in {target:,})")
    else:
        target = math.ceil(base * needed / observed)
        advice = f"--audit-replay-sample {target:,}"
    if total and not isinstance(strata, list) and target > total:
        if sample >= total:
            grow = math.ceil(total * needed / observed) if observed > 0 else total * 10
            return None, (f"{size_flag} {grow:,} (every one of the {total:,} people is already sampled; "
                          f"the population holds too few)")
        advice = f"--audit-replay-sample {total:,} {size_flag} {math.ceil(total * target / sample):,}"
    return target, advice


def not_enough(
    a: Audited, node: Mapping[str, Any], observed: int, what: str, needed: int = MIN_OBSERVATIONS, *, stratum: str | None = None
) -> Evidence:
    """Not enough evidence: ``observed`` of ``needed`` ``what``, with the option that gets them."""
    _, remedy = replay_remedy(a, node, observed, needed, stratum=stratum)
    return Evidence(outcome=NOT_ENOUGH, observed=int(observed), what=what, needed=needed, remedy=remedy)


def share_evidence(
    a: Audited, node: Mapping[str, Any], k: int, n: int, max_share: float, what: str, *, stratum: str | None = None
) -> Evidence:
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
        return not_enough(a, node, n, what, stratum=stratum)
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
    return not_enough(a, node, n, what, needed=need, stratum=stratum)


def fmt_share(k: int, n: int) -> str:
    """``"12.5% (3 of 24) [95% CI 2.7%, 32.4%]"``, exact; ``"no observation"`` when ``n == 0``."""
    if n <= 0:
        return "no observation"
    lo, hi = clopper_pearson(k, n) or (0.0, 1.0)
    return f"{100 * k / n:.1f}% ({k:,} of {n:,}) [95% CI {100 * lo:.1f}%, {100 * hi:.1f}%]"


def probes_of(a: Audited) -> Mapping[str, Any] | None:
    """The rule probes of the scorer (``spillover.probes``); ``None`` when they did not run or could not."""
    spill = a.sections.get("spillover")
    probes = spill.get("probes") if isinstance(spill, Mapping) else None
    if not isinstance(probes, Mapping) or probes.get("available") is False:
        return None
    return probes


def probe_list(a: Audited, key: str) -> list[Mapping[str, Any]]:
    """The rule probes' ``key`` entries (``spillover.probes``; empty when the probes did not run)."""
    probes = probes_of(a)
    rows = probes.get(key) if probes is not None else None
    return [r for r in rows if isinstance(r, Mapping)] if isinstance(rows, (list, tuple)) else []
