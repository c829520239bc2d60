"""Scorer discovery: the one module that finds and loads scorers.

A scorer is found in one of three ways:

- by **name**, from the entry-point group ``scs_audit.scorers`` of any
  installed distribution (Hypothesis ``entry_points.py`` and pluggy
  ``load_setuptools_entrypoints`` do the same for their plugins). Entry
  points are listed lazily and a scorer's module is imported only when that
  scorer is loaded;
- by **import path**, ``module:attr`` (``mypkg.scoring:MyScorer``), for a
  scorer that is importable but not registered;
- by **file path**, ``path/to/file.py:attr``, for a scorer in a loose file.

Any of these may carry parameters after a further colon:
``suining:penalty_expiry_months=24,penalty_scale=0.5``. The attribute may be
a class (instantiated with no arguments) or an instance.
"""

from __future__ import annotations

import copyreg
import functools
import hashlib
import importlib
import importlib.util
import inspect
import re
import sys
from collections.abc import Iterable
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path
from typing import Any

from audit.errors import InvalidScorerSpec, ScorerContractError, ScorerNotFound
from scorers.adapter import built_by_plugin, printable, variant_of

__all__ = [
    "ENTRY_POINT_GROUP",
    "available_scorers",
    "clear_cache",
    "load_scorer",
    "parse_scorer_spec",
    "parse_value",
]

#: Entry-point group third-party distributions register scorers under.
ENTRY_POINT_GROUP = "scs_audit.scorers"

_WINDOWS_DRIVE = re.compile(r"^[A-Za-z]:[\\/]")
#: What the contract requires of a scorer; ``description``, ``params`` and ``with_params`` are
#: optional and given defaults where a run takes the scorer in (:mod:`scorers.adapter`).
_REQUIRED = ("name", "version", "tiers", "favourable_tiers", "sanctions", "score")


# ----------------------------------------------------------------------------- parsing


def parse_value(text: str) -> Any:
    """Parse one command-line parameter value.

    ``true``/``false`` (any case) give a bool, ``none``/``null`` give ``None``,
    whole numbers an int, other numbers a float; anything else stays a string
    (surrounding quotes removed).
    """
    t = text.strip()
    low = t.lower()
    if low in ("true", "false"):
        return low == "true"
    if low in ("none", "null"):
        return None
    try:
        return int(t)
    except ValueError:
        pass
    try:
        return float(t)
    except ValueError:
        pass
    if len(t) >= 2 and t[0] == t[-1] and t[0] in "'\"":
        return t[1:-1]
    return t


def parse_scorer_spec(spec: str) -> tuple[str, dict[str, Any]]:
    """Split a scorer spec into its target and its parameters.

    ``"suining"`` -> ``("suining", {})``;
    ``"suining:penalty_expiry_months=24"`` -> ``("suining", {"penalty_expiry_months": 24})``;
    ``"pkg.mod:Cls:k=1"`` -> ``("pkg.mod:Cls", {"k": 1})``. The parameters
    start at the first colon-separated segment that contains ``=``.
    """
    if not isinstance(spec, str) or not spec.strip():
        raise InvalidScorerSpec(
            f"scorer spec {spec!r} is empty; give a name such as 'suining', 'name:key=value' or 'module:attr'"
        )
    spec = spec.strip()
    drive = ""
    if _WINDOWS_DRIVE.match(spec):
        drive, spec = spec[:2], spec[2:]
    segments = spec.split(":")
    cut = next((i for i, seg in enumerate(segments) if i > 0 and "=" in seg), len(segments))
    target = drive + ":".join(seg.strip() for seg in segments[:cut])
    if not target or any(not seg.strip() for seg in segments[:cut]) or "=" in segments[0]:
        raise InvalidScorerSpec(
            f"scorer spec {drive + spec!r} has no scorer before its parameters; write e.g. 'suining:key=value'"
        )
    params: dict[str, Any] = {}
    rest = ":".join(segments[cut:])
    if rest:
        for item in rest.split(","):
            key, sep, value = item.partition("=")
            key = key.strip()
            if not sep or not key.isidentifier():
                raise InvalidScorerSpec(
                    f"scorer spec {drive + spec!r}: parameter {item!r} is not key=value; "
                    "write parameters as key=value,key=value"
                )
            if key in params:
                raise InvalidScorerSpec(f"scorer spec {drive + spec!r} sets parameter {key!r} twice; keep one")
            params[key] = parse_value(value)
    return target, params


# ----------------------------------------------------------------------------- entry points


def _group_entry_points() -> Iterable[EntryPoint]:
    """Every entry point in :data:`ENTRY_POINT_GROUP` (a seam for tests)."""
    return entry_points(group=ENTRY_POINT_GROUP)


def _source(ep: EntryPoint) -> str:
    dist = getattr(ep, "dist", None)
    where = f" from {dist.name} {dist.version}" if dist is not None else ""
    return f"entry point {ep.name} = {ep.value}{where}"


@functools.cache
def _registry() -> dict[str, EntryPoint | str]:
    """Name -> entry point, or -> an error message for a name registered twice.

    Listing does not import anything. The same name pointing at the same
    object twice (a distribution seen through two paths) is not a conflict.
    """
    found: dict[str, EntryPoint] = {}
    conflicts: dict[str, list[EntryPoint]] = {}
    for ep in _group_entry_points():
        prior = found.get(ep.name)
        if prior is None:
            found[ep.name] = ep
        elif prior.value != ep.value:
            conflicts.setdefault(ep.name, [prior]).append(ep)
    out: dict[str, EntryPoint | str] = dict(found)
    for name, eps in conflicts.items():
        sources = " and ".join(_source(ep) for ep in eps)
        out[name] = (
            f"scorer name {name!r} is registered twice: {sources}; uninstall one of the distributions, "
            f"or load the one you mean by import path ('{eps[0].value}')"
        )
    return out


def clear_cache() -> None:
    """Forget the entry points listed so far (after installing a plugin in-process)."""
    _registry.cache_clear()


def available_scorers() -> dict[str, str]:
    """Registered scorer names -> where each comes from, sorted by name.

    Raises :class:`~audit.errors.ScorerNotFound` naming both sources when two
    distributions register the same name for different objects.
    """
    reg = _registry()
    for entry in reg.values():
        if isinstance(entry, str):
            raise ScorerNotFound(entry)
    return {name: _source(reg[name]) for name in sorted(reg)}  # type: ignore[arg-type]


# ----------------------------------------------------------------------------- loading


def load_scorer(spec: Any) -> Any:
    """The scorer a spec names, with any parameters applied.

    Parameters
    ----------
    spec : str
        ``name``, ``name:key=value,...``, ``module:attr[:key=value,...]`` or
        ``path/to/file.py:attr[:key=value,...]``. A scorer object is returned
        unchanged.

    Raises
    ------
    ScorerNotFound
        The name is not registered (the message lists the registered names),
        or the module cannot be imported (the message gives the import error),
        or the attribute does not exist.
    InvalidScorerSpec
        The spec cannot be parsed or sets a parameter the scorer does not have
        (the message lists its parameters).
    ScorerContractError
        The object found is not a scorer.
    ScorerFailed
        The scorer's class raised when constructed, or its ``with_params`` raised
        (a run reports that scorer as failed and runs the others).
    """
    if not isinstance(spec, str):
        _check_is_scorer(spec, repr(spec))
        return spec
    target, params = parse_scorer_spec(spec)
    body = target[2:] if _WINDOWS_DRIVE.match(target) else target
    if ":" in body:
        obj, where = _load_import_path(target)
    else:
        obj, where = _load_registered(target)
    scorer = built_by_plugin(where, f"constructing {obj.__name__}()", obj) if inspect.isclass(obj) else obj
    _check_is_scorer(scorer, where)
    _picklable_by_spec(scorer, target)
    if params:
        scorer = _apply_params(scorer, params, where)
    return scorer


def _load_registered(name: str) -> tuple[Any, str]:
    reg = _registry()
    entry = reg.get(name)
    if entry is None:
        names = ", ".join(sorted(reg)) or "(none installed)"
        hint = "" if "." not in name else "; to load by import path write 'module:attr'"
        raise ScorerNotFound(f"no scorer named {name!r}; registered scorers: {names}{hint}")
    if isinstance(entry, str):
        raise ScorerNotFound(entry)
    try:
        return entry.load(), _source(entry)
    except Exception as exc:  # an import error inside a plugin must not look like our bug
        raise ScorerNotFound(
            f"scorer {name!r} ({_source(entry)}) could not be loaded: {type(exc).__name__}: {exc}"
        ) from exc


def _load_import_path(target: str) -> tuple[Any, str]:
    module_part, _, attr = target.rpartition(":")
    if not module_part or not attr:
        raise InvalidScorerSpec(f"scorer spec {target!r} must be 'module:attr' or 'path/to/file.py:attr'")
    if module_part.endswith(".py") or "/" in module_part or "\\" in module_part:
        module = _import_file(Path(module_part))
    else:
        try:
            module = importlib.import_module(module_part)
        except Exception as exc:
            hint = (
                f"; to set a parameter of the registered scorer {module_part!r}, write {module_part}:{attr}=VALUE"
                if module_part in _registry() else ""
            )
            raise ScorerNotFound(
                f"cannot import module {module_part!r} for scorer {target!r}: {type(exc).__name__}: {exc}{hint}"
            ) from exc
    obj: Any = module
    for part in attr.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise ScorerNotFound(
                f"module {module_part!r} has no attribute {attr!r}; check the name after the colon in {target!r}"
            ) from None
    return obj, target


def _import_file(path: Path) -> Any:
    path = path.expanduser()
    if not path.is_file():
        raise ScorerNotFound(f"scorer file {str(path)!r} does not exist; check the path")
    resolved = path.resolve()
    digest = hashlib.sha256(str(resolved).encode()).hexdigest()[:12]
    stem = re.sub(r"\W", "_", resolved.stem)
    mod_name = f"_scs_audit_scorer_{stem}_{digest}"
    spec = importlib.util.spec_from_file_location(mod_name, resolved)
    if spec is None or spec.loader is None:
        raise ScorerNotFound(f"cannot load {str(path)!r} as a Python module; give a .py file")
    module = importlib.util.module_from_spec(spec)
    sys.modules[mod_name] = module  # dataclasses and pickling look the module up here
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        sys.modules.pop(mod_name, None)
        raise ScorerNotFound(f"cannot import scorer file {str(path)!r}: {type(exc).__name__}: {exc}") from exc
    return module


def _picklable_by_spec(scorer: Any, target: str) -> None:
    """Let a scorer from a loose file travel to worker processes.

    Its module (``_scs_audit_scorer_*``) exists only in this process, so pickling
    by reference would fail in a worker. Register a reducer for its class that
    pickles the file path, attribute and parameters instead; the worker loads the
    file again (:func:`_load_file_scorer`).
    """
    cls = type(scorer)
    if not cls.__module__.startswith("_scs_audit_scorer_") or cls in copyreg.dispatch_table:
        return
    module_part, _, attr = target.rpartition(":")
    path = str(Path(module_part).expanduser().resolve())
    copyreg.pickle(cls, lambda obj: (_load_file_scorer, (path, attr, dict(getattr(obj, "params", {}) or {}))))


def _load_file_scorer(path: str, attr: str, params: dict[str, Any]) -> Any:
    """Load a file scorer again (in a worker process) with the parameters it had."""
    scorer = load_scorer(f"{path}:{attr}")
    changed = {k: v for k, v in params.items() if dict(getattr(scorer, "params", {}) or {}).get(k, object()) != v}
    return scorer.with_params(**changed) if changed else scorer


def _check_is_scorer(obj: Any, where: str) -> None:
    missing = [a for a in _REQUIRED if not hasattr(obj, a)]
    if missing:
        raise ScorerContractError(
            f"{where} gives {type(obj).__name__} object, which is not a scorer: it lacks {', '.join(missing)} "
            "(see scorers.protocol.Scorer)"
        )


def _apply_params(scorer: Any, params: dict[str, Any], where: str) -> Any:
    name = getattr(scorer, "name", where)
    if callable(getattr(scorer, "with_params", None)):
        known = dict(getattr(scorer, "params", {}) or {})
        unknown = sorted(set(params) - set(known))
        if unknown:
            listed = ", ".join(sorted(known)) or "(none)"
            raise InvalidScorerSpec(
                f"scorer {printable(name)!r} has no parameter(s) {', '.join(map(repr, unknown))}; "
                f"its parameters are: {listed}"
            )
    return variant_of(scorer, params, name)
