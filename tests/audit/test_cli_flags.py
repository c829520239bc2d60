"""Library errors name parameters; the command line shows the flags (audit/cli/flags.py)."""

from __future__ import annotations

import argparse

import pytest

from audit.cli.commands import build_parser
from audit.cli.flags import PARAMETER_FLAGS, as_flags
from audit.engine.executors import make_executor
from audit.errors import InvalidArgument
from audit.population.source import open_source


def _all_flags(parser: argparse.ArgumentParser) -> set[str]:
    flags = {s for a in parser._actions for s in a.option_strings}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                flags |= _all_flags(sub)
    return flags


def test_every_mapped_flag_is_a_flag_of_the_command_line():
    assert set(PARAMETER_FLAGS.values()) <= _all_flags(build_parser())


@pytest.mark.parametrize(("message", "shown"), [
    ("horizon_months=40: give a month count", "--horizon-months 40: give a month count"),
    ("scheduler=ADDRESS goes with engine=dask; add engine=dask or drop scheduler=",
     "--scheduler ADDRESS goes with --engine dask; add --engine dask or drop --scheduler"),
    ("grid='x': write key=v1,v2 (e.g. grid=penalty_expiry_months=12,24)",
     "--grid 'x': write key=v1,v2 (e.g. --grid penalty_expiry_months=12,24)"),
    ("events=, ties= and horizon_months= go with a table", "--events, --ties and --horizon-months go with a table"),
    # not parameters: a longer name, a dotted path, a spaced assignment
    ("pop_size=3, spec.size=4, size = 5", "pop_size=3, spec.size=4, size = 5"),
])
def test_parameters_become_flags_and_nothing_else_changes(message, shown):
    assert as_flags(message) == shown


def test_library_errors_name_the_parameter_not_the_flag():
    with pytest.raises(InvalidArgument) as caught:
        open_source("tiny", size=0, seed=1)
    assert str(caught.value).startswith("size=0: ") and "--" not in str(caught.value)
    with pytest.raises(InvalidArgument) as caught:
        make_executor("threads")
    assert str(caught.value).startswith("engine='threads': ") and "--" not in str(caught.value)
    assert as_flags(str(caught.value)).startswith("--engine 'threads': use one of")
