"""Population specs: the calibrated description a synthetic population is drawn from.

A spec is a TOML file in ``fixtures/populations/``. Every real-world number in
a shipped spec carries its source beside it in the file. Loading is strict:
an unknown key is an error (a typo must not silently fall back to a default),
shares must sum to one, rates must be non-negative, the horizon positive.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from audit.errors import InvalidSpec
from audit.population.spec_model import AgeSpec, AppealSpec, EventKindSpec, IncomeSpec, PopulationSpec, RecourseSpec
from audit.population.spec_parse import (
    MAX_AGE,
    MAX_EXPECTED_EVENTS,
    MAX_FRIENDS,
    MAX_HORIZON_MONTHS,
    MAX_INCOME,
    MAX_RATE_PER_YEAR,
    MAX_REGIONS,
    MAX_SLOPE,
    income_boundaries,
    parse_spec,
)

__all__ = [
    "MAX_AGE",
    "MAX_EXPECTED_EVENTS",
    "MAX_FRIENDS",
    "MAX_HORIZON_MONTHS",
    "MAX_INCOME",
    "MAX_RATE_PER_YEAR",
    "MAX_REGIONS",
    "MAX_SLOPE",
    "AgeSpec",
    "AppealSpec",
    "EventKindSpec",
    "IncomeSpec",
    "PopulationSpec",
    "RecourseSpec",
    "builtin_spec_names",
    "fixtures_dir",
    "income_boundaries",
    "load_spec",
    "parse_spec",
]


def fixtures_dir() -> Path:
    """The project's ``fixtures/`` folder (population specs, calibration tables, golden cases).

    In a checkout (and an editable install) that is the folder beside the
    package; a built wheel ships the same files as ``audit/fixtures``.
    """
    package = Path(__file__).resolve().parents[1]  # audit/
    checkout = package.parent / "fixtures"
    return checkout if checkout.is_dir() else package / "fixtures"


def builtin_spec_names() -> list[str]:
    """Names of the population specs shipped in ``fixtures/populations``."""
    return sorted(p.stem for p in (fixtures_dir() / "populations").glob("*.toml"))



def load_spec(name_or_path: str | Path) -> PopulationSpec:
    """Load a builtin spec by name (``china-2020``, ``tiny``) or a TOML file by path."""
    path = Path(name_or_path)
    if not path.suffix and not path.exists():
        candidate = fixtures_dir() / "populations" / f"{name_or_path}.toml"
        if not candidate.exists():
            raise InvalidSpec(
                f"population {str(name_or_path)!r} is neither a builtin spec ({', '.join(builtin_spec_names())}) "
                "nor an existing TOML file; give one of those names or a path"
            )
        path = candidate
    if not path.exists():
        raise InvalidSpec(f"population spec file {str(path)!r} does not exist; check the path")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InvalidSpec(f"{path}: not valid TOML ({exc}); fix the syntax") from None
    return parse_spec(data, file=str(path))

