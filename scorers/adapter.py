"""The boundary where a plugin scorer enters the harness.

Everything a run reads of a scorer goes through :class:`PluginScorer`, which a
run puts around each scorer before any other work (:func:`adapt`):

- **defaults for the optional parts of the contract**: ``description`` (empty),
  ``params`` (none) and ``with_params`` (a scorer without one has no variants;
  asking for one is an :class:`~audit.errors.InvalidScorerSpec` saying so);
- **text, never terminal control**: the scorer's name, version, description,
  tier and sanction labels, parameter names and string values, and its reason
  codes (:func:`normalize_reasons`, in the conformance checks: a run does
  not show or store reasons) pass through :func:`printable`, so an escape sequence in a plugin's
  name cannot clear the terminal, retitle the window or hide text in a report;
  the frame ``score`` returns is translated to the cleaned labels;
- **its own view of the input**: each ``score`` call gets shallow copies of the
  view's frames (pandas copy-on-write: no data is copied), so a scorer that
  empties ``view.events`` in place empties only its own copy, and the other
  scorers of the run still see every event;
- **a usable value**: equality and hashing fall back to identity when the
  scorer's own ``__hash__`` fails (a frozen dataclass with a dict field), so
  caches keyed by scorer work for every plugin.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from types import MappingProxyType
from typing import Any, TypeVar

import numpy as np
import pandas as pd

from audit.errors import AuditError, InvalidScorerSpec, ScorerFailed
from audit.population.view import PopulationView

__all__ = ["PluginScorer", "adapt", "built_by_plugin", "normalize_reasons", "printable", "sharing_view", "unwrap", "variant_of"]

T = TypeVar("T")


def printable(text: Any) -> str:
    """``text`` as a string whose every character prints: control and format characters escaped.

    Escape sequences (ESC, BEL, CSI), carriage returns, line and paragraph
    separators and bidirectional overrides become ``\\xNN``/``\\uNNNN`` text, so
    what a plugin names is shown as what it is, and never drives a terminal.
    Ordinary spaces and every printable character, in any script, are kept.
    """
    text = str(text)
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else (f"\\x{ord(c):02x}" if ord(c) < 0x100 else f"\\u{ord(c):04x}") for c in text)


def built_by_plugin(name: Any, what: str, build: Callable[[], T]) -> T:
    """``build()``, where plugin code builds a scorer; what it raises becomes :class:`~audit.errors.ScorerFailed`.

    Our own errors (e.g. :class:`~audit.errors.InvalidScorerSpec` for a bad
    parameter value, which is the user's input) pass through unchanged.
    """
    try:
        return build()
    except AuditError:
        raise
    except Exception as exc:  # noqa: BLE001 - a plugin's constructor or with_params may raise anything
        raise ScorerFailed(
            f"scorer {printable(name)!r}: {what} raised {type(exc).__name__}: {printable(exc)}"
        ) from exc


def variant_of(scorer: Any, params: dict[str, Any], name: Any) -> Any:
    """``scorer.with_params(**params)``, refused for a scorer without ``with_params`` (it has no variants)."""
    if not callable(getattr(scorer, "with_params", None)):
        raise InvalidScorerSpec(
            f"scorer {printable(name)!r} has no variants (it defines no with_params), so parameter(s) "
            f"{', '.join(sorted(params))} cannot be set; drop them, or add with_params to the scorer"
        )
    what = f"with_params({', '.join(f'{k}={v!r}' for k, v in params.items())})"
    return built_by_plugin(name, what, lambda: scorer.with_params(**params))


def _clean_labels(labels: Any) -> tuple[dict[Any, str], bool]:
    """label -> printable label, and whether any changed (labels that are not strings are kept for the checks)."""
    mapping = {x: (printable(x) if isinstance(x, str) else x) for x in labels}
    return mapping, any(k != v for k, v in mapping.items())


class PluginScorer:
    """A scorer as the harness sees it: contract defaults, printable labels, its own view of the input.

    Parameters
    ----------
    scorer : object
        Any object with the required parts of :class:`scorers.protocol.Scorer`.
        Declarations that cannot be read are left for
        :func:`scorers.protocol.validate_declarations` to report.
    own_view : bool
        Give each ``score`` call shallow copies of the view's frames (default).
        The start-of-run probe (:mod:`audit.guard`) turns it off to see whether
        the scorer writes to its input.
    """

    __slots__ = ("scorer", "own_view", "_decl", "_tier_map", "_sanction_map")

    def __init__(self, scorer: Any, *, own_view: bool = True) -> None:
        object.__setattr__(self, "scorer", scorer)
        object.__setattr__(self, "own_view", own_view)
        decl: dict[str, Any] = {}
        tier_map: dict[Any, str] = {}
        sanction_map: dict[Any, str] = {}
        try:
            name = scorer.name
            decl["name"] = printable(name) if isinstance(name, str) else name
        except Exception:  # noqa: BLE001 - a plugin's attribute may raise anything; validation reports it
            pass
        try:
            tiers = scorer.tiers
            if isinstance(tiers, (tuple, list)):
                tier_map, changed = _clean_labels(tiers)
                if changed:
                    decl["tiers"] = tuple(tier_map[t] for t in tiers)
                    fav = scorer.favourable_tiers
                    decl["favourable_tiers"] = frozenset(tier_map.get(t, t) for t in fav)
                else:
                    tier_map = {}
        except Exception:  # noqa: BLE001
            tier_map = {}
        try:
            sanctions = scorer.sanctions
            if isinstance(sanctions, Mapping):
                sanction_map, changed = _clean_labels(list(sanctions))
                if changed:
                    decl["sanctions"] = MappingProxyType({sanction_map[k]: v for k, v in sanctions.items()})
                else:
                    sanction_map = {}
        except Exception:  # noqa: BLE001
            sanction_map = {}
        object.__setattr__(self, "_decl", decl)
        object.__setattr__(self, "_tier_map", tier_map)
        object.__setattr__(self, "_sanction_map", sanction_map)

    # --- declarations

    @property
    def name(self) -> Any:
        return self._decl["name"] if "name" in self._decl else self.scorer.name

    @property
    def tiers(self) -> Any:
        return self._decl["tiers"] if "tiers" in self._decl else self.scorer.tiers

    @property
    def favourable_tiers(self) -> Any:
        return self._decl["favourable_tiers"] if "favourable_tiers" in self._decl else self.scorer.favourable_tiers

    @property
    def sanctions(self) -> Any:
        return self._decl["sanctions"] if "sanctions" in self._decl else self.scorer.sanctions

    @property
    def version(self) -> str:
        return printable(self.scorer.version)

    @property
    def description(self) -> str:
        """The scorer's description, or empty when it has none."""
        return printable(getattr(self.scorer, "description", "") or "")

    @property
    def params(self) -> Mapping[str, Any]:
        """The scorer's parameters (none when it declares none), names and string values printable."""
        raw = getattr(self.scorer, "params", None) or {}
        return MappingProxyType({printable(k): (printable(v) if isinstance(v, str) else v) for k, v in dict(raw).items()})

    @property
    def has_variants(self) -> bool:
        """Whether the scorer defines ``with_params``."""
        return callable(getattr(self.scorer, "with_params", None))

    def with_params(self, **params: Any) -> PluginScorer:
        """A variant; :class:`~audit.errors.InvalidScorerSpec` for a scorer without ``with_params``.

        Anything else the plugin raises becomes :class:`~audit.errors.ScorerFailed` naming the scorer.
        """
        if not params:
            return self
        return adapt(variant_of(self.scorer, params, self.name))

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name in PluginScorer.__slots__:
            raise AttributeError(name)
        return getattr(self.scorer, name)  # tags, default_params, a plugin's own helpers

    # --- scoring

    def score(self, view: PopulationView, *, as_of: int) -> Any:
        """The plugin's frame for its own shallow copy of ``view`` (see ``own_view``), in printable labels."""
        if self.own_view:
            view = PopulationView(
                people=view.people.copy(deep=False),
                events=view.events.copy(deep=False),
                ties=view.ties.copy(deep=False),
                horizon_months=view.horizon_months,
            )
        frame = self.scorer.score(view, as_of=as_of)
        if not isinstance(frame, pd.DataFrame):
            return frame
        if self._sanction_map:
            frame = frame.rename(columns=self._sanction_map)
        if self._tier_map and "tier" in frame.columns:
            tier = frame["tier"]
            if isinstance(tier.dtype, pd.CategoricalDtype):
                cats = [self._tier_map.get(c, printable(c) if isinstance(c, str) else c) for c in tier.cat.categories]
                if len(set(cats)) == len(cats):
                    frame = frame.assign(tier=tier.cat.rename_categories(cats))
            else:
                frame = frame.assign(tier=tier.map(lambda t: self._tier_map.get(t, t) if isinstance(t, str) else t))
        return frame

    # --- a value

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PluginScorer):
            return NotImplemented
        if self.scorer is other.scorer:
            return True
        try:
            return bool(self.scorer == other.scorer)
        except Exception:  # noqa: BLE001 - a plugin's __eq__ may raise anything
            return False

    def __hash__(self) -> int:
        try:
            return hash(("PluginScorer", self.scorer))
        except Exception:  # noqa: BLE001 - unhashable (a frozen dataclass with a dict field): equal only to itself
            return hash(("PluginScorer", id(self.scorer)))

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (self.scorer, self.own_view))

    def __setattr__(self, key: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")

    def __repr__(self) -> str:
        return f"PluginScorer({self.scorer!r})"


def _rebuild(scorer: Any, own_view: bool) -> PluginScorer:
    return PluginScorer(scorer, own_view=own_view)


def unwrap(scorer: Any) -> Any:
    """The plugin's own object behind the boundary (``scorer`` itself if it is not wrapped)."""
    return scorer.scorer if isinstance(scorer, PluginScorer) else scorer


def sharing_view(scorer: Any) -> Any:
    """``scorer`` scoring the caller's view itself (for a check that the scorer leaves its input alone)."""
    return PluginScorer(scorer.scorer, own_view=False) if isinstance(scorer, PluginScorer) else scorer


def adapt(scorer: Any) -> PluginScorer:
    """``scorer`` behind the boundary (unchanged if it already is)."""
    return scorer if isinstance(scorer, PluginScorer) else PluginScorer(scorer)


def normalize_reasons(values: np.ndarray) -> np.ndarray:
    """Each row's reasons as a tuple of printable strings (the same object for rows that shared one).

    Any sequence of strings is accepted (a tuple, a list, a numpy array, any
    other :class:`collections.abc.Sequence`); anything else, a bare string
    included, is kept as it is for the contract check to name.
    """
    out = np.empty(len(values), dtype=object)
    seen: dict[int, Any] = {}
    for i, r in enumerate(values):
        key = id(r)
        done = seen.get(key)
        if done is None:
            if isinstance(r, (str, bytes)) or not isinstance(r, (Sequence, np.ndarray)):
                done = r
            else:
                items = tuple(r.tolist() if isinstance(r, np.ndarray) else r)
                done = tuple(printable(c) if isinstance(c, str) else c for c in items)
            seen[key] = done
        out[i] = done
    return out
