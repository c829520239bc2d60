"""Command-line number types: what they accept, what they refuse, and what the refusal names."""

from __future__ import annotations

import argparse

import pytest

from audit.cli.argtypes import number


@pytest.mark.parametrize(
    ("kind", "bounds", "text", "value"),
    [
        (int, {"lo": 1}, "1", 1),
        (int, {"lo": 1}, "200_000", 200_000),
        (int, {"lo": 0}, "0", 0),
        (float, {"lo": 0, "lo_inclusive": False}, "1e-3", 0.001),
        (float, {"lo": 0, "hi": 1, "hi_inclusive": False}, "0", 0.0),
        (float, {"lo": 0, "hi": 1, "hi_inclusive": False}, "0.999", 0.999),
        (float, {"hi": 1}, "1", 1.0),
    ],
)
def test_accepts(kind, bounds, text, value):
    assert number(kind, **bounds)(text) == value


@pytest.mark.parametrize(
    ("kind", "bounds", "text", "fragments"),
    [
        (int, {"lo": 1}, "0", ["'0'", ">= 1"]),
        (int, {"lo": 1}, "1.5", ["'1.5'", "not a whole number"]),
        (int, {"lo": 0}, "-1", ["'-1'", ">= 0"]),
        (float, {"lo": 0, "lo_inclusive": False}, "0", ["'0'", "> 0", "finite"]),
        (float, {"lo": 0, "lo_inclusive": False}, "inf", ["'inf'", "finite"]),
        (float, {"lo": 0, "lo_inclusive": False}, "nan", ["'nan'"]),
        (float, {"lo": 0, "hi": 1, "hi_inclusive": False}, "1", ["'1'", "[0, 1)"]),
        (float, {"lo": 0, "hi": 1, "hi_inclusive": False}, "nan", ["'nan'", "[0, 1)"]),
        (float, {"lo": 0, "hi": 1, "lo_inclusive": False}, "0", ["(0, 1]"]),
        (float, {"lo": 0, "hi": 1, "hi_inclusive": False, "example": "0.02"}, "-1", ["e.g. 0.02"]),
        (float, {"lo": 0, "lo_inclusive": False, "what": "number of seconds"}, "soon", ["'soon'", "number of seconds"]),
    ],
)
def test_refuses_naming_value_and_bound(kind, bounds, text, fragments):
    with pytest.raises(argparse.ArgumentTypeError) as info:
        number(kind, **bounds)(text)
    for fragment in fragments:
        assert fragment in str(info.value)


def test_an_option_reports_a_refusal_as_a_usage_error(capsys):
    parser = argparse.ArgumentParser(prog="prog")
    parser.add_argument("--size", type=number(int, lo=1))
    with pytest.raises(SystemExit) as info:
        parser.parse_args(["--size", "0"])
    assert info.value.code == 2
    assert "argument --size: '0' must be a whole number >= 1" in capsys.readouterr().err


def test_kind_must_be_int_or_float():
    with pytest.raises(TypeError):
        number(complex)


@pytest.mark.parametrize(("text", "value"), [("1e12", 10**12), ("2.5e3", 2500), ("1E6", 10**6), ("1_000e3", 10**6)])
def test_whole_numbers_in_exponent_form_are_read_exactly(text, value):
    assert number(int, lo=1)(text) == value


@pytest.mark.parametrize("text", ["1.5e0", "1e-3", "1e400", "nan", "inf"])
def test_exponent_forms_that_are_not_whole_or_too_large_are_refused(text):
    with pytest.raises(argparse.ArgumentTypeError, match="not a whole number"):
        number(int, lo=1)(text)
