"""Differentially private publication: OpenDP measurements, a budget ledger, published.json.

Only figures computed from OpenDP measurements leave the harness as
"published"; the exact results.json and scores.parquet stay private.

Names are imported lazily, so importing the ledger alone does not load OpenDP.
"""

from __future__ import annotations

from audit.lazy import lazy_exports

_EXPORTS = {
    "count_half_width": "audit.privacy.context",
    "epsilon_for_half_width": "audit.privacy.context",
    "half_width_for_epsilon": "audit.privacy.context",
    "scale_for_half_width": "audit.privacy.context",
    "Charge": "audit.privacy.ledger",
    "LedgerEntry": "audit.privacy.ledger",
    "PrivacyLedger": "audit.privacy.ledger",
    "default_ledger_path": "audit.privacy.ledger",
    "Release": "audit.privacy.publish",
    "ReleasePlan": "audit.privacy.publish",
    "open_ledger": "audit.privacy.publish",
    "plan_release": "audit.privacy.publish",
    "publish": "audit.privacy.publish",
    "release": "audit.privacy.publish",
    "write_published": "audit.privacy.publish",
}

__all__ = [
    "Charge",
    "LedgerEntry",
    "PrivacyLedger",
    "Release",
    "ReleasePlan",
    "count_half_width",
    "default_ledger_path",
    "epsilon_for_half_width",
    "half_width_for_epsilon",
    "open_ledger",
    "plan_release",
    "publish",
    "release",
    "scale_for_half_width",
    "write_published",
]

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
