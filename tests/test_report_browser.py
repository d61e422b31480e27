"""Reports opened in a real browser (issue 9): headless Chromium driven by Selenium.

The system's browser and driver are used, never a downloaded one: Debian's ``chromium`` and
``chromium-driver`` (``/usr/bin/chromium``, ``/usr/bin/chromedriver``), passed to Selenium
explicitly, so Selenium Manager is not asked for a driver; ``SE_OFFLINE=true`` keeps it offline
should it run anyway. Chromium resolves no host name (``--host-resolver-rules``), and the
report's own Content-Security-Policy forbids any fetch, so a report that shows completely is
complete.

Each report (a small one with a figure, a map and a table, and the comparison report of a tiny
real batch) is opened from its ``file://`` URL, unchanged. The checks: every ``<img>`` has a
non-zero natural size, every inline SVG figure a non-zero box, the browser console has no
SEVERE entry, nothing was requested but ``file:`` and ``data:`` URLs (Chromium's network log
and the page's resource timing), the expected headings are there. A full-page screenshot is
saved under ``tests/artifacts/`` (git-ignored) and named in the test's output and its JUnit
properties. A page with a broken image and an empty SVG shows that the checks can fail.

Skipped with the reason when the browser, the driver or the Python package ``selenium`` is
missing, unless ``FOEDSIM_REQUIRE_BROWSER=1`` (CI sets it after installing them): then it fails.
"""

from __future__ import annotations

import base64
import io
import json
import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_batch_fixture import write_batch, write_tiny_scenario

from analysis import geo, maps, style
from analysis.report import CONTENT_SECURITY_POLICY, Report

CHROMIUM = Path("/usr/bin/chromium")  # Debian package chromium
CHROMEDRIVER = Path("/usr/bin/chromedriver")  # Debian package chromium-driver
REQUIRE = "FOEDSIM_REQUIRE_BROWSER"
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
WINDOW = (1280, 1000)  # CSS pixels: a laptop screen
LOAD_TIMEOUT_S = 60
# A bound on the screenshot's height (assumption: keeps the file at a few MB; the tiny batch's
# comparison report is about 13,000 px tall). A longer page is captured from the top down.
MAX_SCREENSHOT_PX = 16_384
ALLOWED_SCHEMES = ("file:", "data:")

# What the page holds, read after it has loaded. WebDriver's scripts run outside the page's
# Content-Security-Policy, so the report is opened as it is (it has no scripts of its own).
INSPECT = """
const top = Array.from(document.querySelectorAll("svg"))
  .filter(s => !s.parentElement.closest("svg"));
return {
  headings: Array.from(document.querySelectorAll("h1, h2, h3"))
    .map(h => [h.tagName.toLowerCase(), h.textContent.trim()]),
  cells: Array.from(document.querySelectorAll("td, th")).map(c => c.textContent.trim()),
  images: Array.from(document.images).map(i => ({
    src: i.currentSrc || i.src, alt: i.alt, complete: i.complete,
    width: i.naturalWidth, height: i.naturalHeight})),
  svgs: top.map(s => { const b = s.getBoundingClientRect();
    return {label: s.getAttribute("aria-label") || "", width: b.width, height: b.height}; }),
  resources: performance.getEntriesByType("resource").map(e => e.name),
};
"""


def require_browser() -> bool:
    return os.environ.get(REQUIRE, "").strip() == "1"


def browser_or_skip() -> None:
    """Skip (or, with FOEDSIM_REQUIRE_BROWSER=1, fail) when the browser test cannot run."""
    missing = [f"{p} (apt-get install -y {pkg})"
               for p, pkg in ((CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver"))
               if not os.access(p, os.X_OK)]  # fmt: skip
    try:
        import selenium  # noqa: F401
    except ImportError:
        missing.append("the Python package selenium (pip install -c constraints.txt -e '.[dev]')")
    if not missing:
        return
    why = "the browser test needs " + "; ".join(missing)
    if require_browser():
        pytest.fail(f"{REQUIRE}=1 but {why}", pytrace=False)
    pytest.skip(f"{why}; set {REQUIRE}=1 to make this a failure")


@pytest.fixture(scope="module")
def driver(tmp_path_factory):
    """One headless Chromium for this module, with its console and network logs."""
    browser_or_skip()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    folder = tmp_path_factory.mktemp("chromium")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for arg in (
        "--headless=new",
        "--no-sandbox",  # CI runs as root
        "--disable-gpu",
        "--disable-dev-shm-usage",  # containers have a small /dev/shm
        f"--user-data-dir={folder / 'profile'}",
        f"--window-size={WINDOW[0]},{WINDOW[1]}",
        "--hide-scrollbars",  # the page uses the window's full width
        "--no-first-run",
        "--no-default-browser-check",
        "--disable-extensions",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--host-resolver-rules=MAP * ~NOTFOUND",  # no name resolves: nothing can be fetched
    ):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    service = Service(executable_path=str(CHROMEDRIVER), log_output=str(folder / "driver.log"))
    with pytest.MonkeyPatch.context() as env:
        env.setenv("SE_OFFLINE", "true")  # Selenium Manager must download nothing
        browser = webdriver.Chrome(service=service, options=options)
    browser.set_page_load_timeout(LOAD_TIMEOUT_S)
    # Debian's Chromium starts on its new-tab page, which loads chrome:// resources: leave it
    # and forget its log entries before any report is opened.
    browser.get("about:blank")
    browser.get_log("browser")
    browser.get_log("performance")
    try:
        yield browser
    finally:
        browser.quit()


@dataclass
class Page:
    """What the browser showed of one report."""

    headings: list[tuple[str, str]]
    cells: list[str]
    images: list[dict]
    svgs: list[dict]
    severe: list[str]
    network: list[str]  # requests in Chromium's network log
    resources: list[str]  # the page's resource timing entries
    screenshot: Path | None = None
    png_size: tuple[int, int] = (0, 0)
    ink_share: float = 0.0  # share of screenshot pixels that are not white
    problems: list[str] = field(default_factory=list)

    def h(self, tag: str) -> list[str]:
        return [text for t, text in self.headings if t == tag]


def requested_urls(log: list[dict], page_url: str) -> list[str]:
    """URLs of the requests made for a page (the page itself and whatever it loads), from
    Chromium's performance (DevTools) log. Requests of the browser's own pages are left out."""
    urls = []
    for entry in log:
        message = json.loads(entry["message"])["message"]
        params = message.get("params", {})
        if message["method"] == "Network.requestWillBeSent" and (
            params.get("documentURL") == page_url or params["request"]["url"] == page_url
        ):
            urls.append(params["request"]["url"])
    return urls


def problems_of(page: Page) -> list[str]:
    out = []
    for img in page.images:
        if not (img["complete"] and img["width"] > 0 and img["height"] > 0):
            out.append(f"image {img['alt']!r} ({img['src'][:60]}) has natural size "
                       f"{img['width']}x{img['height']}")  # fmt: skip
    for svg in page.svgs:
        if not (svg["width"] > 0 and svg["height"] > 0):
            out.append(f"svg {svg['label']!r} has size {svg['width']}x{svg['height']}")
    out += [f"console: {text[:300]}" for text in page.severe]
    out += [f"request to {url[:100]}" for url in sorted(set(page.network + page.resources))
            if not url.startswith(ALLOWED_SCHEMES)]  # fmt: skip
    return out


def full_page_screenshot(driver, path: Path) -> tuple[tuple[int, int], float]:
    """Save the whole page (up to MAX_SCREENSHOT_PX tall) as PNG; return its size and ink."""
    from PIL import Image

    size = driver.execute_cdp_cmd("Page.getLayoutMetrics", {})["cssContentSize"]
    width, height = math.ceil(size["width"]), min(math.ceil(size["height"]), MAX_SCREENSHOT_PX)
    shot = driver.execute_cdp_cmd("Page.captureScreenshot", {
        "format": "png", "captureBeyondViewport": True,
        "clip": {"x": 0, "y": 0, "width": width, "height": height, "scale": 1}})  # fmt: skip
    data = base64.b64decode(shot["data"])
    path.parent.mkdir(parents=True, exist_ok=True)
    part = path.with_name(path.name + ".part")
    part.write_bytes(data)
    part.replace(path)
    with Image.open(io.BytesIO(data)) as image:
        grey = np.asarray(image.convert("L"))
    return (grey.shape[1], grey.shape[0]), float((grey < 250).mean())


def open_report(driver, html_file: Path, screenshot: str | None = None, record=None) -> Page:
    """Open a report from its file URL, wait until it and its images loaded, inspect it."""
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get_log("browser")  # drop what earlier pages left in the logs
    driver.get_log("performance")
    url = html_file.as_uri()
    driver.get(url)
    WebDriverWait(driver, LOAD_TIMEOUT_S).until(lambda d: d.execute_script(
        "return document.readyState === 'complete'"
        " && Array.from(document.images).every(i => i.complete)"))  # fmt: skip
    seen = driver.execute_script(INSPECT)
    page = Page(
        headings=[tuple(h) for h in seen["headings"]],
        cells=seen["cells"],
        images=seen["images"],
        svgs=seen["svgs"],
        severe=[e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"],
        network=requested_urls(driver.get_log("performance"), url),
        resources=seen["resources"],
    )
    page.problems = problems_of(page)
    if screenshot:
        page.screenshot = ARTIFACTS / f"{screenshot}.png"
        page.png_size, page.ink_share = full_page_screenshot(driver, page.screenshot)
        print(f"screenshot: {page.screenshot}")
        if record is not None:
            record("screenshot", str(page.screenshot))
    return page


def png_header_size(data_uri: str) -> tuple[int, int]:
    """Width and height from a PNG data URI's IHDR chunk (bytes 16-24 of the file)."""
    head = base64.b64decode(data_uri.split(",", 1)[1][:44])
    assert head[:8] == b"\x89PNG\r\n\x1a\n" and head[12:16] == b"IHDR"
    return int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")


def figures_in(html_file: Path) -> int:
    return len(re.findall(r'<figure id="figure-', html_file.read_text(encoding="utf-8")))


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


@pytest.fixture(scope="module")
def comparison_report(tmp_path_factory) -> Path:
    """`foedsim report` of a tiny real batch: 2 scenarios x 1 run, one quarter, all tables."""
    from analysis.comparison_report import write_report
    from model.batch.runner import run_batch
    from model.batch.spec import load_batch

    folder = tmp_path_factory.mktemp("batch")
    write_tiny_scenario(folder, "baseline")
    write_tiny_scenario(folder, "faster", parameters={"fungible_share": 0.3})
    batch = write_batch(
        folder,
        """
        [batch]
        scenarios = ["baseline.toml", "faster.toml"]
        replications = 1
        tables = "full"
    """,
    )  # "full": the agency tables, so that the maps are drawn
    run_batch(load_batch(batch), folder / "out")
    return write_report(folder / "out", kreis="01001")


def test_report_has_no_web_address_outside_the_attribution_text(report_file):
    page = report_file.read_text(encoding="utf-8")
    start = page.index('<section id="sources">')
    end = page.index("</section>", start)
    found = [m.start() for m in re.finditer(r"https?://", page)]
    assert found, "the BKG attribution names its licence's web address"
    for at in found:
        assert start < at < end, page[at - 80 : at + 40]
        assert page.rfind(">", 0, at) > page.rfind("<", 0, at), "address inside a tag"


def test_small_report_shows_completely_offline(driver, report_file, record_property):
    page = open_report(driver, report_file, "report_browser_small", record_property)
    assert page.problems == [], f"{page.problems} (screenshot: {page.screenshot})"
    assert page.headings == [("h1", "Browser check"), ("h2", "Contents"),
                             ("h2", "Backlog over time"), ("h2", "Backlog per Kreis"),
                             ("h2", "Table"), ("h2", "Sources and attributions")]  # fmt: skip
    assert page.cells == ["scenario", "backlog_cases", "baseline", "1,234,567", "efa <central>",
                          "89.5"]  # fmt: skip
    assert [i["alt"] for i in page.images] == ["Map of backlog per Kreis"]
    src = page.images[0]["src"]
    assert src.startswith("data:image/png;base64,")
    assert (page.images[0]["width"], page.images[0]["height"]) == png_header_size(src)
    assert len(page.svgs) == 1 and page.svgs[0]["width"] > 100 and page.svgs[0]["height"] > 50
    assert report_file.as_uri() in page.network  # the log works: it saw the page itself
    width, height = page.png_size
    assert width == WINDOW[0] and height > WINDOW[1] / 2
    assert 0.02 < page.ink_share < 0.9, page.ink_share  # something is drawn, not all black


def test_comparison_report_of_a_tiny_batch_shows_completely_offline(
    driver, comparison_report, record_property
):
    page = open_report(driver, comparison_report, "report_browser_comparison", record_property)
    assert page.problems == [], f"{page.problems} (screenshot: {page.screenshot})"
    assert page.h("h1")[0].startswith("Scenario comparison")
    h2 = page.h("h2")
    for heading in ("Contents", "What was run", "Key results", "KPI tables", "Figures",
                    "Assumptions and uncertainties", "Sources and attributions"):  # fmt: skip
        assert heading in h2, h2
    assert any(h.startswith("Maps") for h in h2) and any("(01001)" in h for h in h2), h2
    assert "Lead time (weeks) per Kreis" in page.h("h3")
    # every figure of the file was shown, as an image or as an SVG, and the Kreis maps are PNG
    assert len(page.images) >= 2 and len(page.svgs) >= 5
    assert len(page.images) + len(page.svgs) == figures_in(comparison_report)
    assert page.png_size[0] == WINDOW[0] and page.png_size[1] > 4 * WINDOW[1]
    assert page.ink_share > 0.02


@pytest.mark.parametrize("policy", [True, False], ids=["with-policy", "without-policy"])
def test_checks_see_a_broken_image_and_an_empty_svg(driver, tmp_path, policy):
    # The checks above can fail: an image from the web does not load offline. With the
    # report's policy the browser refuses it (a SEVERE console entry); without, it tries and
    # fails to resolve the host (the network log sees the request).
    page = (
        Report("Broken")
        .to_html()
        .replace(
            "</main>",
            '<figure><img src="https://example.invalid/x.png" alt="x"></figure>'
            '<figure><svg width="0" height="0" aria-label="empty"></svg></figure>'
            "</main>",
        )  # fmt: skip
    )
    assert CONTENT_SECURITY_POLICY in page
    if not policy:
        page = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", page)
        assert CONTENT_SECURITY_POLICY not in page
    broken = tmp_path / "broken.html"
    broken.write_text(page, encoding="utf-8")
    seen = open_report(driver, broken)
    assert seen.images == [{"src": "https://example.invalid/x.png", "alt": "x", "complete": True,
                            "width": 0, "height": 0}]  # fmt: skip
    problems = seen.problems
    assert "image 'x' (https://example.invalid/x.png) has natural size 0x0" in problems
    assert "svg 'empty' has size 0x0" in problems
    assert "request to https://example.invalid/x.png" in problems
    assert "https://example.invalid/x.png" in seen.network  # each of the two sources sees it
    assert "https://example.invalid/x.png" in seen.resources
    console = [p for p in problems if p.startswith("console: ")]
    assert len(console) == 1 and "example.invalid" in console[0]
    expected = "Content Security Policy" if policy else "ERR_NAME_NOT_RESOLVED"
    assert expected in console[0], console


def test_a_missing_driver_skips_or_fails_as_the_environment_asks(monkeypatch, tmp_path):
    monkeypatch.setitem(globals(), "CHROMEDRIVER", tmp_path / "chromedriver")
    monkeypatch.delenv(REQUIRE, raising=False)
    monkeypatch.setenv("CI", "true")  # no longer decides anything
    with pytest.raises(
        pytest.skip.Exception,
        match=r"chromedriver \(apt-get install -y chromium"
        r"-driver\).*FOEDSIM_REQUIRE_BROWSER=1",
    ):
        browser_or_skip()
    monkeypatch.setenv(REQUIRE, "1")
    with pytest.raises(
        pytest.fail.Exception,
        match=r"^FOEDSIM_REQUIRE_BROWSER=1 but the browser "
        r"test needs .*chromedriver",
    ):
        browser_or_skip()
