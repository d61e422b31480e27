"""A report opened in a real browser: headless Chromium (Debian package ``chromium``).

The report must open offline and show everything it holds. Chromium runs headless with every
host name resolving to nothing (``--host-resolver-rules``), so any attempt to fetch from the
network fails, and the report's own Content-Security-Policy forbids fetches anyway. A probe
script, added to a copy of the report (the report itself has no scripts, so the copy's policy
allows inline scripts and nothing else), writes into the page how many images loaded and how
many inline SVG figures have a size; ``--dump-dom`` prints the page after that.

Skipped when Chromium is missing, unless the environment variable CI is set: then it fails,
because CI must install Chromium (``apt-get install -y chromium``).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis import geo, maps, style
from analysis.report import CONTENT_SECURITY_POLICY, Report

BROWSER_TIMEOUT_S = 90

PROBE = """<script>
window.addEventListener("load", function () {
  var images = Array.from(document.images);
  var svgs = Array.from(document.querySelectorAll("figure svg"));
  var probe = document.createElement("pre");
  probe.id = "probe";
  probe.textContent = JSON.stringify({
    images: images.length,
    loaded: images.filter(function (i) { return i.complete && i.naturalWidth > 0; }).length,
    svgs: svgs.length,
    svgs_drawn: svgs.filter(function (s) {
      var box = s.getBoundingClientRect(); return box.width > 100 && box.height > 50;
    }).length
  });
  document.body.appendChild(probe);
});
</script>"""


def chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path:
        return path
    if os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no"):
        pytest.fail("CI is set but Chromium is missing: .ci/run must `apt-get install -y chromium`")
    pytest.skip("Chromium is not installed (apt-get install -y chromium); CI installs it")


def with_probe(page: str) -> str:
    """The page with the probe script, and a policy that allows inline scripts (only)."""
    policy = f"{CONTENT_SECURITY_POLICY}; script-src 'unsafe-inline'"
    assert CONTENT_SECURITY_POLICY in page
    page = page.replace(CONTENT_SECURITY_POLICY, policy, 1)
    return page.replace("</head>", PROBE + "\n</head>", 1)


def dump_dom(browser: str, html_file: Path, profile: Path) -> str:
    args = [
        browser,
        "--headless",
        "--disable-gpu",
        "--no-sandbox",  # CI runs as root
        f"--user-data-dir={profile}",
        "--no-first-run",
        "--no-default-browser-check",
        "--disable-extensions",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--host-resolver-rules=MAP * ~NOTFOUND",  # no name resolves: nothing can be fetched
        "--virtual-time-budget=10000",
        "--dump-dom",
        html_file.as_uri(),
    ]
    done = subprocess.run(args, capture_output=True, text=True, timeout=BROWSER_TIMEOUT_S)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


class _Dom(HTMLParser):
    """Headings, table cells, image alt texts and the probe's text from a dumped page."""

    def __init__(self) -> None:
        super().__init__()
        self.headings: list[str] = []
        self.cells: list[str] = []
        self.alts: list[str] = []
        self.probe = ""
        self._open: str | None = None
        self._text = ""

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "img":
            self.alts.append(attrs.get("alt", ""))
        if tag in ("h1", "h2", "h3", "td", "th") or attrs.get("id") == "probe":
            self._open, self._text = ("probe" if attrs.get("id") == "probe" else tag), ""

    def handle_data(self, data):
        if self._open:
            self._text += data

    def handle_endtag(self, tag):
        if self._open and (tag == self._open or (self._open == "probe" and tag == "pre")):
            text = self._text.strip()
            if self._open == "probe":
                self.probe = text
            elif self._open in ("td", "th"):
                self.cells.append(text)
            else:
                self.headings.append(text)
            self._open = None


@pytest.fixture(scope="module")
def report_file(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("browser")
    with style.figure_style():
        fig = style.new_figure(7, 3.5)
        ax = fig.subplots()
        ax.plot([2023, 2030, 2035], [100, 140, 120], label="baseline")
        ax.set_xlabel(style.label("year"))
        ax.legend()
    values = pd.Series(np.linspace(0, 1, 400), index=list(geo.load_kreise().keys)).iloc[5:]
    kreis_map = maps.kreis_map(values, label="Backlog (cases)")
    table = pd.DataFrame(
        {"scenario": ["baseline", "efa <central>"], "backlog_cases": [1234567, 89.5]}
    ).set_index("scenario")
    page = (
        Report("Browser check", subtitle="fixture")
        .section("Backlog over time")
        .text("A line figure, inline SVG.")
        .figure(fig, alt="Backlog per year", format="svg")
        .section("Backlog per Kreis")
        .figure(kreis_map, alt="Map of backlog per Kreis", format="png")
        .section("Table")
        .table(table, caption="KPIs")
        .source("foedsim test fixture")
    )
    return page.write(folder / "report.html")


def test_report_has_no_web_address_outside_the_attribution_text(report_file):
    page = report_file.read_text(encoding="utf-8")
    start = page.index('<section id="sources">')
    end = page.index("</section>", start)
    found = [m.start() for m in re.finditer(r"https?://", page)]
    assert found, "the BKG attribution names its licence's web address"
    for at in found:
        assert start < at < end, page[at - 80 : at + 40]
        assert page.rfind(">", 0, at) > page.rfind("<", 0, at), "address inside a tag"


def test_report_opens_offline_in_chromium(report_file, tmp_path):
    browser = chromium()
    probed = tmp_path / "probed.html"
    probed.write_text(with_probe(report_file.read_text(encoding="utf-8")), encoding="utf-8")
    dom = _Dom()
    dom.feed(dump_dom(browser, probed, tmp_path / "profile"))
    assert dom.headings[:4] == [
        "Browser check",
        "Contents",
        "Backlog over time",
        "Backlog per Kreis",
    ]
    assert {"Table", "Sources and attributions"} <= set(dom.headings)
    cells = ["scenario", "backlog_cases", "baseline", "1,234,567", "efa <central>", "89.5"]
    assert dom.cells == cells
    assert dom.alts == ["Map of backlog per Kreis"]
    assert json.loads(dom.probe) == {"images": 1, "loaded": 1, "svgs": 1, "svgs_drawn": 1}


def test_probe_sees_an_image_that_cannot_load(tmp_path):
    # The check above can fail: an image from the web does not load offline.
    browser = chromium()
    page = (
        Report("Broken")
        .to_html()
        .replace(
            "</main>", '<figure><img src="https://example.invalid/x.png" alt="x"></figure></main>'
        )
    )
    probed = tmp_path / "broken.html"
    probed.write_text(with_probe(page), encoding="utf-8")
    dom = _Dom()
    dom.feed(dump_dom(browser, probed, tmp_path / "profile"))
    assert json.loads(dom.probe) == {"images": 1, "loaded": 0, "svgs": 0, "svgs_drawn": 0}
