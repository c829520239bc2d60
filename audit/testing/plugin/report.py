"""What the plugin records and says: each audit test's outcome, the session report, the terminal summary."""

from __future__ import annotations

from typing import Any

import pytest

from audit.testing.plugin.collect import MarkerError, item_spec, population_key, spec_name
from audit.testing.plugin.state import STATE, Session

__all__ = ["pytest_runtest_makereport", "pytest_sessionfinish", "pytest_terminal_summary"]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    state = item.config.stash.get(STATE, None)
    if state is None or item.nodeid not in state.audit_nodes:
        return report
    if report.when == "call" or (report.when == "setup" and not report.passed):
        entry = {"nodeid": item.nodeid, "outcome": "error" if report.when == "setup" and report.failed else report.outcome}
        spec = item_spec(item)
        if spec is not None:
            entry["scorer"] = spec_name(spec[0])
        try:
            entry["population"] = population_key(item.config, item).describe()
        except MarkerError:
            pass
        if report.failed:
            crash = getattr(report.longrepr, "reprcrash", None)
            entry["message"] = str(getattr(crash, "message", None) or report.longreprtext)[:4000]
        state.outcomes[item.nodeid] = entry
    return report


def pytest_sessionfinish(session: pytest.Session) -> None:
    config = session.config
    out = config.getoption("--audit-report")
    state = config.stash.get(STATE, None)
    if out is None or state is None:
        return
    try:
        _write_report(state, out)
    except Exception as exc:  # noqa: BLE001 - a report failure must not hide the tests' outcome
        state.report_error = f"{type(exc).__name__}: {exc}"


def _write_report(state: Session, out: str) -> None:
    import dataclasses
    from pathlib import Path

    from audit.output.artefacts import atomic_write_json
    from audit.results.document import SCHEMA_VERSION, package_version, write_results

    root = Path(out)
    root.mkdir(parents=True, exist_ok=True)
    several = len(state.results) > 1
    index = []
    for key, results in state.results.items():
        combined = dataclasses.replace(results[0], runs=tuple(r for res in results for r in res.runs))
        where = root / key.slug() if several else root
        where.mkdir(parents=True, exist_ok=True)
        path = write_results(combined, where)
        state.report_paths.append(str(path))
        entry = {"population": key.name, "size": key.size, "seed": key.seed,
                 "results": str(path.relative_to(root)), "scorers": [r.label for r in combined.runs]}
        try:
            from audit.report import write_report

            html, _ = write_report(where)
            entry["report"] = str(Path(html).relative_to(root))
            state.report_paths.append(str(html))
        except ImportError:
            pass
        index.append(entry)
    doc = {
        "schema_version": SCHEMA_VERSION,
        "kind": "scs-audit test session",
        "package_version": package_version(),
        "populations": index,
        "tests": list(state.outcomes.values()),
    }
    state.report_paths.insert(0, str(atomic_write_json(root / "audit-tests.json", doc)))


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    state = config.stash.get(STATE, None)
    if state is None or not (state.results or state.failures or config.getoption("--audit-report")):
        return
    tr = terminalreporter
    tr.write_sep("-", "scs-audit")
    for key, results in state.results.items():
        labels = [r.label for res in results for r in res.runs]
        tr.write_line(f"audited {', '.join(labels)} on {key.describe()} in {state.seconds.get(key, 0.0):.1f} s")
    for key, why in state.failures.items():
        tr.write_line(f"not audited ({key.describe()}): {why}")
    counts: dict[str, int] = {}
    for o in state.outcomes.values():
        counts[o["outcome"]] = counts.get(o["outcome"], 0) + 1
    if counts:
        tr.write_line("audit tests: " + ", ".join(f"{n} {k}" for k, n in sorted(counts.items())))
    if state.report_error:
        tr.write_line(f"audit report NOT written: {state.report_error}", red=True)
    elif state.report_paths:
        tr.write_line("audit report: " + ", ".join(state.report_paths))
