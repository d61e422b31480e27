"""One self-contained HTML report that opens offline: headings, text, tables, figures, sources.

The report is a single ``.html`` file with everything inside it: the style sheet is inline,
figures are inline SVG or PNG data URIs, and there are no scripts, web fonts or links to other
files. A Content-Security-Policy in the page forbids the browser to load anything from
anywhere (``default-src 'none'``), so a report that opens correctly is provably complete.
Web addresses appear only as visible text in the sources section, never as links.

Every text is HTML-escaped; table cells are formatted for the report's language (``en``:
12,345.6; ``de``: 12.345,6). Attributions that a figure needs (for example the BKG note on
every map, see :func:`analysis.style.figure_sources`) are collected into the sources section
automatically.

Example::

    from analysis.report import Report
    report = Report("Scenario comparison", lang="en")
    report.section("Backlog").text("Open applications at the end of 2035.")
    report.table(kpi_frame, caption="KPIs, median of 20 runs")
    report.figure(fig, alt="Backlog per Kreis, three scenarios")
    report.source("foedsim runs: runs/batch-2025-06 (see manifest.json)")
    report.write("out/report.html")
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import math
import numbers
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from analysis import style
from model.storage import atomic_write_bytes

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

SVG_INLINE_LIMIT_BYTES = 1_000_000
"""With ``format="auto"``, figures whose SVG is larger than this (Kreis maps: about 1.3 MB a
panel) are embedded as PNG instead, which keeps a report with many maps a few MB."""

PNG_DPI = 150
"""PNG resolution in reports: sharp on screens and projectors, a quarter of print size."""

CSS_PX_PER_INCH = 96

CONTENT_SECURITY_POLICY = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"
"""Nothing may be fetched; images only from data URIs; only the inline style sheet."""

CSS = """
:root { color-scheme: light; }
body { font-family: system-ui, "Segoe UI", "DejaVu Sans", Arial, sans-serif; color: #222;
       max-width: 66rem; margin: 2rem auto; padding: 0 1.5rem; line-height: 1.5; }
h1 { font-size: 1.9rem; margin-bottom: 0.2rem; }
h2 { font-size: 1.45rem; margin-top: 2.2rem; border-bottom: 1px solid #ccc; }
h3 { font-size: 1.15rem; margin-top: 1.6rem; }
p.subtitle { color: #555; margin-top: 0; }
nav ol { padding-left: 1.4rem; }
table { border-collapse: collapse; margin: 1rem 0; font-size: 0.92rem; }
caption { caption-side: top; text-align: left; font-weight: bold; padding-bottom: 0.3rem; }
th, td { padding: 0.25rem 0.7rem; border-bottom: 1px solid #ddd; vertical-align: top; }
thead th { border-bottom: 2px solid #555; text-align: left; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
figure { margin: 1.2rem 0; }
figure img, figure svg { max-width: 100%; height: auto; display: block; }
figure svg * { stroke-linejoin: round; stroke-linecap: butt; }
figcaption { color: #444; font-size: 0.92rem; margin-top: 0.3rem; }
section#sources li { font-size: 0.9rem; }
footer { color: #777; font-size: 0.85rem; margin-top: 3rem; }
@media print {
  body { max-width: none; margin: 0; }
  figure, table { break-inside: avoid; }
  h2, h3 { break-after: avoid; }
}
"""

MISSING_CELL = "–"


def format_cell(value: Any, lang: str = style.DEFAULT_LANG) -> str:
    """Format one table value for reading (not yet escaped).

    Integers get thousands separators; floats from 1,000 up are rounded to whole numbers,
    smaller ones keep four significant digits; missing values become an en dash. ``de`` uses
    the German separators (12.345,6).

    Args:
        value: A table cell.
        lang: ``en`` or ``de``.

    Returns:
        The text of the cell.
    """
    style.check_lang(lang)
    if value is None or value is pd.NA or value is pd.NaT:
        return MISSING_CELL
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, numbers.Integral):
        text = f"{int(value):,}"
    elif isinstance(value, numbers.Real):
        number = float(value)
        if math.isnan(number):
            return MISSING_CELL
        if math.isinf(number):
            return "∞" if number > 0 else "−∞"
        text = f"{number:,.0f}" if abs(number) >= 1000 else f"{number:.4g}"
    elif isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    else:
        return str(value)
    if lang == "de":
        text = text.replace(",", "\0").replace(".", ",").replace("\0", ".")
    return text.replace("-", "−", 1) if text.startswith("-") else text


_SVG_PROLOG = re.compile(r"<\?xml[^>]*\?>|<!DOCTYPE[^>]*>|<!--.*?-->|<metadata>.*?</metadata>",
                         re.S)  # fmt: skip
_SVG_STYLE = re.compile(r"<style[^>]*>.*?</style>", re.S)
_SVG_XMLNS = re.compile(r'\s+xmlns(:\w+)?="[^"]*"')
_SVG_ID = re.compile(r'\bid="([^"]+)"')
_SVG_REF = re.compile(r'(url\(#|href="#)([^)"]+)')


def inline_svg(svg: str, prefix: str, alt: str) -> str:
    """Make matplotlib's SVG fit for inlining into HTML.

    Drops the XML prolog, comments and metadata (they hold web addresses and labels twice),
    the namespace declarations (HTML knows SVG's), and the ``*`` style rule (it would apply to
    the whole page; the report's style sheet sets it for figures). Prefixes every id and
    reference, so two figures' glyph and clip-path ids cannot collide. Adds ``role="img"`` and
    ``aria-label``.

    Args:
        svg: SVG text as matplotlib writes it.
        prefix: Prefix for ids, unique within the page.
        alt: Text alternative.

    Returns:
        An ``<svg>`` element as text.
    """
    text = _SVG_STYLE.sub("", _SVG_PROLOG.sub("", svg))
    text = _SVG_XMLNS.sub("", text)
    text = _SVG_ID.sub(lambda m: f'id="{prefix}{m.group(1)}"', text)
    text = _SVG_REF.sub(lambda m: f"{m.group(1)}{prefix}{m.group(2)}", text)
    text = text.replace("<defs>\n  \n </defs>", "")
    attrs = f'role="img" aria-label="{html.escape(alt)}"'
    return text.strip().replace("<svg ", f"<svg {attrs} ", 1)


@dataclass
class _Section:
    heading: str
    level: int
    anchor: str
    blocks: list[str] = field(default_factory=list)


class Report:
    """Builder of one self-contained HTML report.

    Methods add content in reading order and return the report, so calls can be chained.
    Content added before the first :meth:`section` goes under the title.

    Args:
        title: Page title and first heading.
        lang: ``en`` or ``de``: the page language, number format and the report's own words
            ("Contents", "Sources and attributions").
        subtitle: A line under the title (e.g. the batch and its date).
        contents: List the sections at the top when there are at least three.
    """

    def __init__(self, title: str, *, lang: str = style.DEFAULT_LANG,
                 subtitle: str | None = None, contents: bool = True) -> None:  # fmt: skip
        self.title = title
        self.lang = style.check_lang(lang)
        self.subtitle = subtitle
        self.contents = contents
        self._intro = _Section("", 1, "top")
        self._sections: list[_Section] = []
        self._sources: list[str] = []
        self._figures = 0

    @property
    def _current(self) -> _Section:
        return self._sections[-1] if self._sections else self._intro

    def section(self, heading: str, level: int = 2) -> Report:
        """Start a section with a heading (``level`` 2, or 3 for a subsection)."""
        if level not in (2, 3):
            raise ValueError(f"section level {level}; allowed: 2, 3")
        anchor = f"s{len(self._sections) + 1}"
        self._sections.append(_Section(heading, level, anchor))
        return self

    def text(self, paragraph: str) -> Report:
        """Add a paragraph of plain text (escaped; blank lines start new paragraphs)."""
        for part in re.split(r"\n\s*\n", paragraph.strip()):
            self._current.blocks.append(f"<p>{html.escape(part)}</p>")
        return self

    def bullets(self, items: list[str]) -> Report:
        """Add a bulleted list of plain-text items."""
        lines = "".join(f"<li>{html.escape(str(item))}</li>" for item in items)
        self._current.blocks.append(f"<ul>{lines}</ul>")
        return self

    def table(self, frame: pd.DataFrame, *, caption: str | None = None,
              index: bool = True) -> Report:  # fmt: skip
        """Add a table; every header and cell is formatted (:func:`format_cell`) and escaped.

        Args:
            frame: The table. A named or non-default index is shown as the first column(s)
                unless ``index`` is False.
            caption: Title above the table.
            index: Show the index.
        """
        if not isinstance(frame, pd.DataFrame):
            raise TypeError(f"table: got {type(frame).__name__}; allowed: a pandas DataFrame")
        shown = frame.reset_index() if index and _index_is_informative(frame.index) else frame
        numeric = [pd.api.types.is_numeric_dtype(shown[c]) and not pd.api.types.is_bool_dtype(
            shown[c]) for c in shown.columns]  # fmt: skip

        def cls(is_num: bool) -> str:
            return ' class="num"' if is_num else ""

        head = "".join(
            f'<th scope="col"{cls(num)}>{html.escape(str(c))}</th>'
            for c, num in zip(shown.columns, numeric, strict=True)
        )
        rows = []
        for values in shown.itertuples(index=False, name=None):
            cells = "".join(
                f"<td{cls(num)}>{html.escape(format_cell(v, self.lang))}</td>"
                for v, num in zip(values, numeric, strict=True)
            )
            rows.append(f"<tr>{cells}</tr>")
        cap = f"<caption>{html.escape(caption)}</caption>" if caption else ""
        self._current.blocks.append(
            f"<table>{cap}<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
        )
        return self

    def figure(self, fig: Figure, *, alt: str, caption: str | None = None,
               format: str = "auto") -> Report:  # fmt: skip
        """Add a matplotlib figure, embedded in the page.

        Args:
            fig: The figure (built with :mod:`analysis.style`).
            alt: Text alternative: what the figure shows, for screen readers and when
                images are off. Required.
            caption: Caption under the figure.
            format: ``svg`` (inline, sharp at any zoom), ``png`` (data URI) or ``auto``
                (SVG unless larger than :data:`SVG_INLINE_LIMIT_BYTES`).
        """
        if format not in ("auto", "svg", "png"):
            raise ValueError(f"figure format {format!r}; allowed: auto, svg, png")
        if not alt.strip():
            raise ValueError("figure: alt text is required (what the figure shows)")
        self._figures += 1
        body = None
        if format in ("auto", "svg"):
            svg = style.figure_bytes(fig, "svg")
            if format == "svg" or len(svg) <= SVG_INLINE_LIMIT_BYTES:
                body = inline_svg(svg.decode("utf-8"), f"f{self._figures}-", alt)
        if body is None:
            png = base64.b64encode(style.figure_bytes(fig, "png", dpi=PNG_DPI)).decode("ascii")
            width_px = round(fig.get_figwidth() * CSS_PX_PER_INCH)
            body = (f'<img src="data:image/png;base64,{png}" alt="{html.escape(alt)}" '
                    f'width="{width_px}">')  # fmt: skip
        cap = f"<figcaption>{html.escape(caption)}</figcaption>" if caption else ""
        self._current.blocks.append(f'<figure id="figure-{self._figures}">{body}{cap}</figure>')
        for text in style.figure_sources(fig):
            self.source(text)
        return self

    def source(self, text: str) -> Report:
        """Add an entry to the sources and attributions section (once, in order given)."""
        if text not in self._sources:
            self._sources.append(text)
        return self

    def to_html(self) -> str:
        """The complete page as text."""
        from model import __version__

        esc = html.escape
        parts = [
            "<!DOCTYPE html>",
            f'<html lang="{self.lang}">',
            "<head>",
            '<meta charset="utf-8">',
            f'<meta http-equiv="Content-Security-Policy" content="{CONTENT_SECURITY_POLICY}">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f'<meta name="generator" content="foedsim {esc(__version__)}">',
            f"<title>{esc(self.title)}</title>",
            f"<style>{CSS}</style>",
            "</head>",
            "<body>",
            "<main>",
            f'<header id="top"><h1>{esc(self.title)}</h1>',
        ]
        if self.subtitle:
            parts.append(f'<p class="subtitle">{esc(self.subtitle)}</p>')
        parts.append("</header>")
        parts.extend(self._intro.blocks)
        main_sections = [s for s in self._sections if s.level == 2]
        if self.contents and len(main_sections) >= 3:
            items = "".join(f'<li><a href="#{s.anchor}">{esc(s.heading)}</a></li>'
                            for s in main_sections)  # fmt: skip
            parts.append(f"<nav><h2>{esc(style.label('contents', self.lang))}</h2>"
                         f"<ol>{items}</ol></nav>")  # fmt: skip
        for sec in self._sections:
            tag = f"h{sec.level}"
            parts.append(f'<section id="{sec.anchor}"><{tag}>{esc(sec.heading)}</{tag}>')
            parts.extend(sec.blocks)
            parts.append("</section>")
        if self._sources:
            items = "".join(f"<li>{esc(text)}</li>" for text in self._sources)
            parts.append(f'<section id="sources"><h2>{esc(style.label("sources", self.lang))}'
                         f"</h2><ul>{items}</ul></section>")  # fmt: skip
        parts += ["</main>", f"<footer>foedsim {esc(__version__)}</footer>", "</body>", "</html>"]
        return "\n".join(parts) + "\n"

    def write(self, path: str | os.PathLike[str]) -> Path:
        """Write the page atomically (all or nothing); creates the folder if needed.

        Returns:
            The path written.
        """
        target = Path(path)
        page = self.to_html().encode("utf-8")  # render fully before touching the disk
        target.parent.mkdir(parents=True, exist_ok=True)
        return atomic_write_bytes(target, page)


def _index_is_informative(index: pd.Index) -> bool:
    """True unless the index is an unnamed 0, 1, 2, … range."""
    if index.nlevels > 1 or any(name is not None for name in index.names):
        return True
    return not (isinstance(index, pd.RangeIndex) and index.start == 0 and index.step == 1)
