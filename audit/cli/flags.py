"""Library errors speak of parameters; the command line shows its flags.

A library message names the argument it refuses as ``name=value``
(``horizon_months=40: ...``) or, for a bare mention, ``name=``. When an
:class:`~audit.errors.AuditError` reaches the command line, :func:`as_flags`
rewrites each parameter that has a flag into that flag (``--horizon-months 40: ...``),
so a user reads the flag they typed. This table is the one place where
parameter names meet flag names.
"""

from __future__ import annotations

import re

__all__ = ["PARAMETER_FLAGS", "as_flags"]

#: Library parameter -> command-line flag.
PARAMETER_FLAGS: dict[str, str] = {
    "adverse_from": "--adverse-from",
    "as_of": "--as-of",
    "budget_delta": "--delta",
    "budget_epsilon": "--budget",
    "by": "--by",
    "date_column": "--date-column",
    "default_epsilon": "--epsilon",
    "delta": "--delta",
    "dynamics": "--dynamics",
    "engine": "--engine",
    "epsilon": "--epsilon",
    "events": "--events",
    "favourable_column": "--favourable-column",
    "grid": "--grid",
    "horizon_months": "--horizon-months",
    "lower_is_better": "--lower-is-better",
    "outcome": "--outcome",
    "max_friends": "--max-friends",
    "replay_sample": "--replay-sample",
    "resume": "--resume",
    "save_scores": "--save-scores",
    "scheduler": "--scheduler",
    "score_column": "--score-column",
    "scores": "--scores",
    "scorer_timeout": "--scorer-timeout",
    "seed": "--seed",
    "size": "--size",
    "ties": "--ties",
    "workers": "--workers",
    "years": "--years",
}

# ``name=`` not inside a longer name or a dotted path; the value, if any, follows the ``=`` directly.
_PARAMETER = re.compile(
    r"(?<![\w.\-])(" + "|".join(sorted(PARAMETER_FLAGS, key=len, reverse=True)) + r")=(?P<value>(?=[^\s,;:)=])?)"
)


def as_flags(message: str) -> str:
    """``message`` with every ``name=value`` of a parameter that has a flag written as ``--flag value``.

    Examples
    --------
    >>> as_flags("horizon_months=40: give a month count >= 1")
    '--horizon-months 40: give a month count >= 1'
    >>> as_flags("scheduler=ADDRESS goes with engine=dask; drop scheduler=")
    '--scheduler ADDRESS goes with --engine dask; drop --scheduler'
    """

    def flag(m: re.Match[str]) -> str:
        name = PARAMETER_FLAGS[m.group(1)]
        following = message[m.end():m.end() + 1]
        return f"{name} " if following and following not in " ,;:)=" else name

    return _PARAMETER.sub(flag, message)
