"""Test-session settings shared by the whole suite."""

from __future__ import annotations

import os

import pytest
from hypothesis import settings

# On CI, property-based tests run the same examples on every run (derandomized),
# so a submission's result does not depend on the draw; locally they explore anew.
settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

#: Most test processes ``-n auto`` starts (pyproject addopts): each holds the numerical stack (about 0.5 GB),
#: and the end-to-end runs in them start worker processes on every core of their own.
MAX_TEST_PROCESSES = 4


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_auto_num_workers(config: pytest.Config) -> int | None:
    """``-n auto``: one test process per core this process may use, at most :data:`MAX_TEST_PROCESSES`.

    ``PYTEST_XDIST_AUTO_NUM_WORKERS`` still decides when set (pytest-xdist's own
    default then applies); ``-n N`` asks for exactly N, and ``-n 0`` runs the
    tests in this process.
    """
    if os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS"):
        return None
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        cores = os.cpu_count() or 1
    return max(1, min(cores, MAX_TEST_PROCESSES))


#: Modules whose tests share no module- or session-scoped fixture and each take long: ``--dist loadscope`` keeps a
#: module in one test process, so these are spread test by test instead (the documentation's examples, one page
#: each, are the largest module of the default run).
PER_TEST_MODULES = frozenset({"tests/docs/test_examples.py"})


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object | None:
    """``--dist loadscope``, except that the tests of :data:`PER_TEST_MODULES` are scheduled one by one."""
    if config.getvalue("dist") != "loadscope":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class Scheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            if nodeid.split("::", 1)[0] in PER_TEST_MODULES:
                return nodeid
            return super()._split_scope(nodeid)

    return Scheduling(config, log)
