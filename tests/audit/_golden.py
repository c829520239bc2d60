"""A small run's results.json figures, kept to show that speed-ups change no figure.

``python -m tests.audit._golden`` runs the golden run below and writes its
figures to ``tests/audit/golden_results.json.gz``, the reference
``tests/audit/test_golden_results.py`` compares every later run with. It is
recomputed only by a change meant to move figures (a new spec version, a new
audit), which says which and why in its commit.

Why a reference document and a tolerance, not digests: digests of the
exact bits, computed on one machine, failed on another (an Intel Xeon with
AVX-512) for the four disparity sections, while every other section agreed,
and on that machine two runs, one chunk or three, one worker or two, all
agreed exactly. Turning off numpy's AVX-512 paths, numba's host CPU target and
OpenBLAS's kernel choice did not bring the old digests back, so the cause is
still unknown; a digest could not say which figure moved, and this comparison
does. Counts, labels and every other non-float value must be equal; floats
must agree to :data:`REL_TOL` relative (far below any digit a report shows).
"""

from __future__ import annotations

import gzip
import json
import math
from pathlib import Path
from typing import Any

#: The run: three chunks in a pool of two supervised workers, and a ground-truth
#: sample smaller than the population, so the sampled re-score path runs.
SIZE = 150_000
CHUNK_SIZE = 65_536
SEED = 7
TRUTH_SAMPLE = 40_000

#: Keys of results.json that are not figures: they differ between two runs of the same inputs.
NOT_FIGURES = ("created", "seconds")

#: Where the reference figures are kept.
REFERENCE = Path(__file__).with_name("golden_results.json.gz")

#: Largest relative difference between two floats that still counts as the same figure.
REL_TOL = 1e-9
#: Largest absolute difference for floats at or near zero.
ABS_TOL = 1e-12


def figures(document: dict[str, Any]) -> dict[str, Any]:
    """``results.json`` without its timings and creation date."""
    return {k: v for k, v in document.items() if k not in NOT_FIGURES}


def load_reference() -> dict[str, Any]:
    """The reference figures (:data:`REFERENCE`)."""
    with gzip.open(REFERENCE, "rt", encoding="utf-8") as fh:
        return json.load(fh)


def write_reference(document: dict[str, Any]) -> None:
    """Write ``document``'s figures as the new reference (sorted keys, exact float repr, compressed)."""
    text = json.dumps(figures(document), sort_keys=True, separators=(",", ":"), allow_nan=True)
    with gzip.GzipFile(REFERENCE, "wb", mtime=0) as fh:  # mtime 0: the same figures give the same bytes
        fh.write(text.encode("utf-8"))


def differences(expected: Any, actual: Any, path: str = "") -> list[str]:
    """Every place where ``actual`` differs from ``expected``: ``path: expected -> actual``, as JSON pointers.

    Floats compare within :data:`REL_TOL` (or :data:`ABS_TOL` near zero), NaN
    equals NaN; an int and a float are different figures; everything else must be equal.
    """
    if isinstance(expected, dict) and isinstance(actual, dict):
        out: list[str] = []
        for key in sorted(set(expected) | set(actual), key=str):
            if key not in actual:
                out.append(f"{path}/{key}: missing now")
            elif key not in expected:
                out.append(f"{path}/{key}: new key")
            else:
                out += differences(expected[key], actual[key], f"{path}/{key}")
        return out
    if isinstance(expected, list) and isinstance(actual, list):
        if len(expected) != len(actual):
            return [f"{path}: {len(expected)} items -> {len(actual)}"]
        return [d for i, (e, a) in enumerate(zip(expected, actual)) for d in differences(e, a, f"{path}/{i}")]
    if isinstance(expected, float) and isinstance(actual, float):
        e, a = float(expected), float(actual)
        if (math.isnan(e) and math.isnan(a)) or math.isclose(e, a, rel_tol=REL_TOL, abs_tol=ABS_TOL):
            return []
        return [f"{path}: {expected!r} -> {actual!r}"]
    if type(expected) is not type(actual) or expected != actual:
        return [f"{path}: {expected!r} -> {actual!r}"]
    return []


def golden_run() -> dict[str, Any]:
    """results.json of the golden run (library call, supervised pool of two workers)."""
    from audit.disparity.audit import DisparityAudit
    from audit.engine.contract import AuditOptions
    from audit.results.document import results_document
    from audit.runner import RunConfig, default_audits, run

    options = AuditOptions(seed=SEED)
    audits = [DisparityAudit(truth_sample=TRUTH_SAMPLE), *default_audits(options)[1:]]
    config = RunConfig(size=SIZE, seed=SEED, chunk_size=CHUNK_SIZE, workers=2, isolate=True, options=options)
    return results_document(run(None, config, audits=audits))


if __name__ == "__main__":
    write_reference(golden_run())
    print(f"wrote {REFERENCE}")
