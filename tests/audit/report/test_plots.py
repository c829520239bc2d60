"""Figures drawn by matplotlib: categorical axes, nothing drawn for nothing, reproducible, literal text."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from audit.report.model import Paragraph, Plot
from audit.report.plots import Empty, funnel, heatmap, interval_dots, line_chart, plot_block, stacked_bars

NS = "{http://www.w3.org/2000/svg}"
GROUPS = ["Q1 (poorest fifth)", "Q2", "Q3", "Q4", "Q5 (richest fifth)"]


def _texts(svg: str) -> list[str]:
    return [el.text for el in ET.fromstring(svg).iter(f"{NS}text") if el.text]


@pytest.mark.parametrize(("drawn", "words"), [
    (line_chart("p", "t", [{"name": "Q1", "x": [0, 1, 2], "y": [0, 0, 0]}], xlabel="months", ylabel="share recovered"),
     "every value is zero (share recovered is 0 throughout)"),
    (line_chart("p", "t", [{"name": "Q1", "x": [], "y": []}], xlabel="m", ylabel="s"), "no series has a value"),
    (heatmap("p", "t", ["a"], ["b", "c"], [[0, 0]], row_title="r", col_title="c"), "every count is zero"),
    (heatmap("p", "t", ["a"], ["b"], [[None]], row_title="r", col_title="c"), "no cell has a value"),
    (funnel("p", "t", ["g"], ["x", "y"], [[0, 0]]), "every count is zero"),
    (stacked_bars("p", "t", ["g"], ["A"], [[None]]), "no group has a share in any tier"),
    (interval_dots("p", "t", ["g"], [None], [None]), "no group has a value"),
])
def test_nothing_to_draw_is_said_in_words(drawn, words):
    assert isinstance(drawn, Empty) and drawn.reason.startswith(words)
    block = plot_block("p", "Recovery curves", drawn)
    assert isinstance(block, Paragraph) and block.text == f"Recovery curves: no figure — {drawn.reason}."


def test_categories_sit_on_a_categorical_axis_one_tick_each_in_order():
    svg = stacked_bars("p", "t", GROUPS, ["A", "B"], [[0.5, 0.5]] * 5)
    texts = _texts(svg)
    assert [t for t in texts if t in GROUPS] == GROUPS  # each group label once, top to bottom
    assert "1.5" not in texts and "2.5" not in texts  # no numeric ticks between categories
    assert isinstance(plot_block("p", "c", svg), Plot)


def test_interval_dots_colour_by_the_four_fifths_line():
    svg = interval_dots("p", "t", ["under", "straddles", "over"], [0.5, 0.78, 0.95], [[0.4, 0.6], [0.7, 0.85], [0.9, 1.0]])
    root = ET.fromstring(svg)
    fills = {g.get("id").split("-mark-")[1].split("-")[0] for g in root.iter(f"{NS}g") if g.get("class") == "mark"}
    assert fills == {"D55E00", "E69F00", "0072B2"}  # violation, not enough evidence, holds (Okabe-Ito)
    assert "four-fifths line (0.8)" in _texts(svg)


def test_figures_are_reproducible_and_ids_are_their_own():
    a = line_chart("fig-a", "t", [{"name": "n", "x": [0, 1], "y": [0.2, 0.4]}], xlabel="x", ylabel="y")
    assert a == line_chart("fig-a", "t", [{"name": "n", "x": [0, 1], "y": [0.2, 0.4]}], xlabel="x", ylabel="y")
    ids = [el.get("id") for el in ET.fromstring(a).iter() if el.get("id")]
    assert ids and all(i.startswith("fig-a") for i in ids) and len(ids) == len(set(ids))
    assert "<metadata>" not in a and "Date" not in a


def test_text_is_drawn_literally_never_parsed_as_math_or_markup():
    name = r"$\frac{1}{0}$ <b>&"
    svg = stacked_bars("p", name, [name], [name, "B"], [[0.5, 0.5]])
    assert name in _texts(svg)


def test_categorical_x_axis_for_a_swept_parameter_that_is_not_a_number():
    svg = line_chart("p", "t", [{"name": "ratio", "x": [0, 1, 2], "y": [0.9, 0.95, 0.97]}], xlabel="expiry", ylabel="r",
                     xcategories=["none", "12", "24"])
    texts = _texts(svg)
    assert ["none", "12", "24"] == [t for t in texts if t in ("none", "12", "24")]
