"""Differentially private publication: OpenDP measurements, a budget ledger, published.json.

Only figures computed from OpenDP measurements leave the harness as
"published"; the exact results.json and scores.parquet stay private.
"""

from audit.privacy.context import (
    count_half_width,
    epsilon_for_half_width,
    half_width_for_epsilon,
    scale_for_half_width,
)
from audit.privacy.ledger import Charge, LedgerEntry, PrivacyLedger, default_ledger_path
from audit.privacy.publish import Release, ReleasePlan, open_ledger, plan_release, publish, release, write_published

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
