"""Server-drawn SVG charts: well-formed, named and described for assistive technology, escaped, and safe
with no data at all."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest
from markupsafe import Markup

from cop.matching.charts import bar_chart, bar_rows, histogram, histogram_rows

SVG = "{http://www.w3.org/2000/svg}"
BINS = [(0.0, 0.1, 0), (0.1, 0.2, 3), (0.2, 0.3, 12), (0.3, 0.4, 5)]
LOADS = [("0", 33), ("1", 46), ("2", 4921)]


def parsed(chart: Markup) -> ET.Element:
    return ET.fromstring(str(chart))


def bars(root: ET.Element) -> list[ET.Element]:
    return root.findall(f"{SVG}g")


def bar_heights(root: ET.Element) -> list[float]:
    return [float(g.find(f"{SVG}rect").get("height")) for g in bars(root)]


def similarity_chart(bins=BINS, title: str = "How similar the matched pairs are", id: str = "similarity") -> Markup:
    return histogram(bins, title=title, x_label="Similarity", y_label="Pairs", id=id)


def load_chart(loads=LOADS, title: str = "Newcomers per mentor", id: str = "load") -> Markup:
    return bar_chart(loads, title=title, x_label="Newcomers per mentor", y_label="Mentors", id=id)


@pytest.mark.parametrize("chart", [similarity_chart, load_chart])
def test_a_chart_is_one_named_and_described_image(chart):
    markup = chart()
    assert isinstance(markup, Markup)
    root = parsed(markup)
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img" and root.get("focusable") == "false"
    chart_id = root.get("aria-labelledby").split()[0].removesuffix("-title")
    assert root.get("aria-labelledby") == f"{chart_id}-title {chart_id}-desc"
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert title.get("id") == f"{chart_id}-title" and title.text
    assert desc.get("id") == f"{chart_id}-desc" and desc.text


@pytest.mark.parametrize("chart", [similarity_chart, load_chart])
def test_a_chart_scales_to_its_container_and_fetches_nothing(chart):
    root = parsed(chart())
    assert root.get("width") == "100%" and root.get("height") is None
    assert re.fullmatch(r"0 0 \d+ \d+", root.get("viewBox"))
    text = str(chart())
    for forbidden in ("<script", "href", "url(", "style=", "<image", "<foreignObject", "@import"):
        assert forbidden not in text


def test_every_bar_has_a_title_with_its_value_and_heights_follow_the_counts():
    root = parsed(similarity_chart())
    titles = [g.find(f"{SVG}title").text for g in bars(root)]
    assert titles == ["Similarity 0 to 0.1: 0 pairs", "Similarity 0.1 to 0.2: 3 pairs", "Similarity 0.2 to 0.3: 12 pairs",
                      "Similarity 0.3 to 0.4: 5 pairs"]
    heights = bar_heights(root)
    assert heights[0] == 0.0
    assert heights[2] == max(heights) and heights[2] == pytest.approx(heights[1] * 4)


@pytest.mark.parametrize(("chart", "data"), [(similarity_chart, BINS), (load_chart, LOADS)])
def test_one_bar_per_input(chart, data):
    assert len(bars(parsed(chart(data)))) == len(data)
    assert len(bars(parsed(chart(data[:1])))) == 1


def test_axis_and_tick_labels_are_text():
    texts = [t.text for t in parsed(load_chart()).iter(f"{SVG}text")]
    assert "Newcomers per mentor" in texts and "Mentors" in texts
    assert ["0", "1", "2"] == [t for t in texts if t in ("0", "1", "2")][-3:]  # one label under each bar
    assert "5,000" in texts  # the value axis reaches past the largest count
    edges = [t.text for t in parsed(similarity_chart()).iter(f"{SVG}text")]
    assert {"0", "0.1", "0.2", "0.3", "0.4"} <= set(edges)


def test_the_description_says_the_numbers_in_words():
    desc = parsed(load_chart()).find(f"{SVG}desc").text
    assert "5,000 mentors in all" in desc
    assert "0: 33; 1: 46; 2: 4,921" in desc
    assert "The most (4,921) at 2" in desc


def test_text_from_callers_is_escaped():
    attack = '<script>alert("x")</script> & more'
    chart = histogram([(0.0, 1.0, 2)], title=attack, x_label=attack, y_label=attack, id="safe")
    assert "<script>" not in str(chart)
    root = parsed(chart)
    assert root.find(f"{SVG}title").text == attack
    assert not list(root.iter(f"{SVG}script")) and not list(root.iter("script"))
    loaded = bar_chart([(attack, 1)], title="Load", x_label="Newcomers", y_label="Mentors", id="safe")
    assert "<script>" not in str(loaded) and attack in [t.text for t in parsed(loaded).iter(f"{SVG}text")]


@pytest.mark.parametrize("bad_id", ['x" onload="alert(1)', "two words", "", "1chart"])
def test_an_id_must_be_a_plain_token(bad_id):
    with pytest.raises(ValueError, match="id must be"):
        similarity_chart(id=bad_id)


@pytest.mark.parametrize("chart", [similarity_chart, load_chart])
def test_no_data_draws_an_empty_chart_without_dividing_by_zero(chart):
    for data in ([], [(0.0, 0.5, 0), (0.5, 1.0, 0)] if chart is similarity_chart else [("0", 0), ("1", 0)]):
        root = parsed(chart(data))
        assert len(bars(root)) == len(data)
        assert all(height == 0.0 for height in bar_heights(root))
        assert "no mentors to show" in root.find(f"{SVG}desc").text or "no pairs to show" in root.find(f"{SVG}desc").text


def test_the_rows_for_the_table_beside_a_chart():
    assert histogram_rows(BINS)[1] == ("0.1 to 0.2", 3)
    assert bar_rows([(2, 4921)]) == [("2", 4921)]
