"""The ledger's values: a charge a release asks for, an entry the ledger accepted, and checked budgets.

Kept apart from :class:`audit.privacy.ledger.PrivacyLedger` so the records
of spending read on their own (published.json lists the entries).
"""

from __future__ import annotations

import datetime as _dt
import math
from dataclasses import asdict, dataclass
from typing import Any

from audit.errors import InvalidArgument

__all__ = ["Charge", "LedgerEntry", "check_budget", "now"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Charge:
    """One measurement a release asks the ledger to pay for."""

    query: str
    """What is measured, e.g. ``tiers_by_cell``."""
    scorer: str
    """Label of the scorer whose output is measured."""
    mechanism: str
    """The OpenDP measurement."""
    scale: float
    """Noise scale."""
    sensitivity: float
    """``d_in``: a person's contribution bound (L1)."""
    epsilon: float
    """ε the measurement's privacy map reports for ``sensitivity``."""
    delta: float = 0.0
    """δ it reports (0 for pure ε-DP mechanisms)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class LedgerEntry:
    """A charge the ledger accepted."""

    id: str
    """``e<n>``: unique within the ledger; figures in published.json cite it."""
    release: str
    """Id shared by every entry of one release."""
    query: str
    """What is measured."""
    scorer: str
    """Scorer label."""
    mechanism: str
    """The OpenDP measurement."""
    scale: float
    """Noise scale."""
    sensitivity: float
    """``d_in``: a person's contribution bound (L1)."""
    epsilon: float
    """ε spent."""
    delta: float
    """δ spent."""
    created: str
    """UTC time the charge was accepted."""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)



def now() -> str:
    """The current UTC time, to the second, as ISO 8601."""
    return _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")


def check_budget(name: str, value: float, *, positive: bool) -> float:
    """``value`` as a finite float (``> 0`` when ``positive``, else ``>= 0``), or an error naming ``name``."""
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise InvalidArgument(f"{name}={value!r}: give a number") from None
    if not math.isfinite(value) or value < 0 or (positive and value == 0):
        bound = "> 0" if positive else ">= 0"
        raise InvalidArgument(f"{name}={value!r}: give a finite number {bound}")
    return value
