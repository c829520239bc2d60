"""Files the tool writes: atomic artefacts and output directories it owns.

Names are imported lazily, so importing one module of this package loads no other.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from audit.lazy import lazy_exports

if TYPE_CHECKING:
    from audit.output.artefacts import atomic_write_json, atomic_write_text, deferred_writes
    from audit.output.filenames import safe_filename
    from audit.output.jsonable import to_jsonable
    from audit.output.outdir import OutputClaim, claim_output_dir

_EXPORTS = {
    "atomic_write_json": "audit.output.artefacts",
    "atomic_write_text": "audit.output.artefacts",
    "deferred_writes": "audit.output.artefacts",
    "safe_filename": "audit.output.filenames",
    "to_jsonable": "audit.output.jsonable",
    "OutputClaim": "audit.output.outdir",
    "claim_output_dir": "audit.output.outdir",
}

__all__ = [
    "OutputClaim",
    "atomic_write_json",
    "atomic_write_text",
    "claim_output_dir",
    "deferred_writes",
    "safe_filename",
    "to_jsonable",
]

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
