"""One error hierarchy for the whole harness.

Every error a user can cause derives from :class:`AuditError` and also from
the builtin a caller would naturally catch (``ValueError``, ``KeyError`` ...),
so ``except ValueError`` keeps working for code that does not know us.
Messages name the input, the bad value and the fix.
"""

from __future__ import annotations

__all__ = [
    "AuditError",
    "InvalidSpec",
    "InvalidTable",
    "InvalidScorerSpec",
    "ScorerNotFound",
    "ScorerFailed",
    "ScorerContractError",
    "BudgetExceeded",
    "InvalidArgument",
    "InvalidDocument",
    "OutputConflict",
]


class AuditError(Exception):
    """Base class of every error the harness raises on purpose."""


class InvalidArgument(AuditError, ValueError):
    """A function or command-line argument is outside its documented domain."""


class InvalidDocument(InvalidArgument):
    """A ``results.json`` or ``published.json`` that is not a document this version reads (version or shape)."""


class InvalidSpec(AuditError, ValueError):
    """A population spec (TOML) is malformed: unknown key, bad share, bad rate."""


class InvalidTable(AuditError, ValueError):
    """A supplied population or event table cannot be used as it is."""


class InvalidScorerSpec(AuditError, ValueError):
    """A ``name:key=value`` scorer spec cannot be parsed or names an unknown parameter."""


class ScorerNotFound(AuditError, LookupError):
    """No scorer is registered under that name and it is not an importable ``module:attr``."""


class ScorerContractError(AuditError, ValueError):
    """A scorer returned output that breaks the scorer contract."""


class ScorerFailed(AuditError, RuntimeError):
    """A scorer raised, timed out or broke its contract during a run."""


class BudgetExceeded(AuditError, RuntimeError):
    """A differentially private release would spend more privacy budget than remains."""


class OutputConflict(AuditError, FileExistsError):
    """An output directory or file is not this tool's to write into, replace or delete."""
