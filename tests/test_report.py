"""The self-contained HTML report (analysis.report): escaping, number format, embedded
figures, sources, no external references, atomic writing."""

from __future__ import annotations

import base64
import re
from collections import Counter

import numpy as np
import pandas as pd
import pytest

from analysis import geo, maps, report, style
from analysis.report import Report, format_cell


def line_figure():
    with style.figure_style():
        fig = style.new_figure(6, 3)
        ax = fig.subplots()
        ax.plot([2023, 2024, 2025], [10, 12, 9], label="baseline")
        ax.set_xlabel(style.label("year"))
        ax.legend()
    return fig


def land_map():
    values = pd.Series(np.arange(16.0), index=list(geo.load_laender().keys))
    return maps.land_map(values, label="x")


@pytest.mark.parametrize(
    ("value", "en", "de"),
    [
        (1234567, "1,234,567", "1.234.567"),
        (np.int64(-42), "−42", "−42"),
        (2345.5, "2,346", "2.346"),  # from 1,000 up: whole numbers
        (0.012345, "0.01235", "0,01235"),  # below: four significant digits
        (12.5, "12.5", "12,5"),
        (float("nan"), "–", "–"),
        (None, "–", "–"),
        ("a&b", "a&b", "a&b"),
        (True, "True", "True"),
    ],
)
def test_format_cell(value, en, de):
    assert (format_cell(value, "en"), format_cell(value, "de")) == (en, de)


def test_table_cells_and_headers_are_escaped():
    frame = pd.DataFrame(
        {"name <b>": ["<script>alert(1)</script>", 'x" onload="y'], "value": [1.5, 1000]}
    )
    page = Report("T").table(frame, caption="A & B").to_html()
    assert "<script" not in page and "<b>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "x&quot; onload=&quot;y" in page
    assert '<th scope="col">name &lt;b&gt;</th>' in page
    assert "<caption>A &amp; B</caption>" in page
    assert '<td class="num">1,000</td>' in page  # numeric column right-aligned


def test_named_index_is_shown_and_range_index_is_not():
    frame = pd.DataFrame({"v": [1, 2]}, index=pd.Index(["a", "b"], name="scenario"))
    assert ">scenario</th>" in Report("T").table(frame).to_html()
    plain = Report("T").table(frame.reset_index(drop=True)).to_html()
    assert plain.count("<th ") == 1


def test_text_is_escaped_and_split_into_paragraphs():
    page = Report("<T>").text("one <i>\n\ntwo & three").to_html()
    assert "<title>&lt;T&gt;</title>" in page
    assert "<p>one &lt;i&gt;</p>" in page and "<p>two &amp; three</p>" in page


def test_figures_are_embedded_with_unique_ids():
    page = (
        Report("T")
        .figure(line_figure(), alt="first", format="svg")
        .figure(line_figure(), alt="second <x>", format="svg")
        .to_html()
    )
    assert page.count("<svg ") == 2
    assert 'aria-label="second &lt;x&gt;"' in page
    ids = Counter(re.findall(r'\bid="([^"]+)"', page))
    assert [i for i, n in ids.items() if n > 1] == []
    # Every reference points at an id of the page (prefixing kept them consistent).
    refs = set(re.findall(r'(?:url\(#|href="#)([^)"]+)', page))
    assert refs and refs <= set(ids)
    assert "<?xml" not in page and "<!DOCTYPE svg" not in page and "xmlns" not in page


def test_png_figure_is_a_data_uri():
    page = Report("T").figure(line_figure(), alt="a line", format="png").to_html()
    data = re.search(r'<img src="data:image/png;base64,([^"]+)" alt="a line"', page)
    assert data and base64.b64decode(data.group(1))[:8] == b"\x89PNG\r\n\x1a\n"


def test_auto_format_keeps_small_figures_as_svg_and_large_maps_as_png():
    kreis_map = maps.kreis_map(
        pd.Series(1.0, index=list(geo.load_kreise().keys)).iloc[::2], label="x"
    )
    page = Report("T").figure(line_figure(), alt="a").figure(kreis_map, alt="b").to_html()
    assert page.count("<svg ") == 1 and page.count("<img ") == 1
    assert len(style.figure_bytes(kreis_map, "svg")) > report.SVG_INLINE_LIMIT_BYTES


def test_figure_needs_alt_text():
    with pytest.raises(ValueError, match="alt text"):
        Report("T").figure(line_figure(), alt=" ")


def test_map_attribution_reaches_the_sources_section_once():
    page = Report("T").figure(land_map(), alt="a").figure(land_map(), alt="b").to_html()
    sources = page[page.index('<section id="sources">') :]
    assert page.count(geo.ATTRIBUTION) == 1  # maps as inline SVG carry it as glyph paths
    assert geo.ATTRIBUTION in sources


def test_no_external_references_and_a_strict_content_policy():
    page = (
        Report("T", lang="de")
        .section("A")
        .text("x")
        .figure(land_map(), alt="map", format="png")
        .figure(line_figure(), alt="line", format="svg")
        .table(pd.DataFrame({"a": [1]}))
        .to_html()
    )
    assert "default-src 'none'" in page and '<html lang="de">' in page
    assert "Quellen und Namensnennungen" in page
    for pattern in (r'(?:src|href)="(?!data:|#)', r"url\((?!#)", r"@import", r"<script", r"<link"):
        assert not re.search(pattern, page), pattern
    # Web addresses only as visible text in the sources section.
    start = page.index('<section id="sources">')
    end = page.index("</section>", start)
    for match in re.finditer(r"https?://", page):
        assert start < match.start() < end
        assert page.rfind(">", 0, match.start()) > page.rfind("<", 0, match.start())


def test_contents_list_from_three_sections():
    two = Report("T").section("A").section("B").to_html()
    three = Report("T").section("A").section("B").section("C", level=3).section("D").to_html()
    assert "<nav>" not in two
    assert '<li><a href="#s4">D</a></li>' in three and 'href="#s3"' not in three


def test_write_is_atomic(tmp_path, monkeypatch):
    target = tmp_path / "out" / "report.html"
    Report("first").write(target)
    assert "<title>first</title>" in target.read_text()

    def failing_fsync(fd):
        raise OSError("disk full")

    monkeypatch.setattr(style.os, "fsync", failing_fsync)
    with pytest.raises(OSError, match="disk full"):
        Report("second").write(target)
    assert "<title>first</title>" in target.read_text()  # old file intact
    assert [p.name for p in target.parent.iterdir()] == ["report.html"]  # no temp file left
    monkeypatch.undo()
    Report("third").write(target)
    assert "<title>third</title>" in target.read_text()


def test_nothing_is_written_when_rendering_fails(tmp_path):
    target = tmp_path / "report.html"
    bad = Report("T")
    bad._sources.append(None)  # a broken entry: rendering raises before the file is opened
    with pytest.raises(AttributeError):
        bad.write(target)
    assert not target.exists() and list(tmp_path.iterdir()) == []
