"""The dashboard page (`levelup report --html`) on the hand-written database, in Chromium.

Every section present, every chart drawing something inside its frame, no
console error, no request leaving the file, scoreboard links that open their
match; a screenshot of each theme is kept in test-artifacts/. Skipped, with
the reason, where Chromium or Playwright is missing.
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest

from levelup.analysis.report import SECTIONS
from tests.dashboard_db import OPP2, OWNER_GT, build_dashboard_db
from tests.helpers import run_cli
from tests.test_report_html import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, needs_browser

# Charts the hand-written database gives data to (each must draw, not show "nothing").
DRAWN = ("chart-accuracy-time", "chart-shots", "chart-by-mode", "chart-by-map", "chart-lobby",
         "chart-csr-0", "chart-csr-change", "chart-mmr", "chart-expectation", "chart-medals",
         "chart-mode-winrate", "chart-map-winrate", "chart-calendar", "chart-heatmap",
         "chart-session")  # fmt: skip
HOSTILE = "<script>alert('x')</script> & Co"


@pytest.fixture(scope="module")
def page_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data_dir = tmp_path_factory.mktemp("dashboard-html")
    path = build_dashboard_db(data_dir)
    with duckdb.connect(str(path)) as conn:
        conn.execute("UPDATE match_participants SET gamertag = ? WHERE xuid = ?", [HOSTILE, OPP2])
    target = data_dir / "dashboard.html"
    result = run_cli("report", "--player", OWNER_GT, "--data-dir", str(data_dir), "--tz", "UTC",
                     "--html", str(target))  # fmt: skip
    assert result.returncode == 0, result.stderr
    return target


def test_page_is_one_offline_file_with_every_section(page_file: Path) -> None:
    html = page_file.read_text(encoding="utf-8")
    assert not re.search(r"https?://", html)
    assert "<script" not in html  # the hostile gamertag is escaped, and no script of ours
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; Co" in html
    assert not re.search(r"""(src|href)\s*=\s*["'](?!#)""", html)
    for section in SECTIONS:
        assert f'id="section-{section.key}"' in html, section.key
    for chart_id in DRAWN:
        assert f'id="{chart_id}"' in html, chart_id
    # Every link on the page leads somewhere on the page.
    ids = set(re.findall(r'id="([^"]+)"', html))
    targets = set(re.findall(r'href="#([^"]+)"', html))
    assert targets and targets <= ids, targets - ids
    # Recent matches and best / worst link to a scoreboard of every player.
    for match_id in ("h1", "h2", "h3", "h4", "h5", "h6"):
        assert f'id="match-{match_id}"' in html
    assert 'href="#match-h3"' in html


@needs_browser
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_dashboard_renders_in_chromium(page_file: Path, scheme: str) -> None:
    from playwright.sync_api import sync_playwright

    blocked: list[str] = []
    errors: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(
                viewport={"width": 1366, "height": 900}, color_scheme=scheme
            )
            page = context.new_page()

            def guard(route, request) -> None:  # type: ignore[no-untyped-def]
                if request.url.startswith("file://"):
                    route.continue_()
                else:
                    blocked.append(request.url)
                    route.abort()

            page.route("**/*", guard)
            page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(page_file.resolve().as_uri(), wait_until="load")
            for section in SECTIONS:
                box = page.locator(f"#section-{section.key}").bounding_box()
                assert box is not None and box["height"] > 60, section.key
            charts = page.evaluate("[...document.querySelectorAll('svg.chart')].map(s => s.id)")
            assert set(DRAWN) <= set(charts)
            for chart_id in charts:
                box = page.locator(f"svg#{chart_id}").bounding_box()
                assert box is not None and box["width"] > 300 and box["height"] > 50, chart_id
                drawn = page.evaluate(
                    "id => [...document.querySelectorAll(`svg#${id} circle, svg#${id} rect, "
                    "svg#${id} polyline`)].filter(e => { const b = e.getBBox(); "
                    "return b.width > 0 || b.height > 0; }).length",
                    chart_id,
                )
                assert drawn > 0, f"{chart_id} draws nothing"
                outside = page.evaluate(
                    "id => { const svg = document.querySelector(`svg#${id}`); "
                    "const v = svg.viewBox.baseVal; "
                    "return [...svg.querySelectorAll('circle, rect, polyline, text')]"
                    ".map(e => e.getBBox()).filter(b => b.x < -1 || b.y < -1 "
                    "|| b.x + b.width > v.width + 1 || b.y + b.height > v.height + 1).length; }",
                    chart_id,
                )
                assert outside == 0, f"{chart_id} draws {outside} element(s) outside its frame"
            # Tooltips name the match's mode and map.
            tips = page.evaluate(
                "[...document.querySelectorAll('#chart-accuracy-time title')].map(t => t.textContent)"
            )
            assert any("Slayer on Aquarius" in tip for tip in tips), tips
            # No chart of this database says it has nothing to show.
            empty = page.evaluate(
                "ids => ids.filter(id => document.querySelector(`svg#${id} rect.frame`))",
                list(DRAWN),
            )
            assert empty == []
            # A best match's link opens its scoreboard.
            assert (
                page.evaluate("document.getElementById('match-h3').closest('details').open")
                is False
            )
            page.locator("#section-expectation a[href='#match-h3']").first.click()
            assert page.evaluate("document.getElementById('match-h3').closest('details').open")
            background = page.evaluate("getComputedStyle(document.body).backgroundColor")
            ARTIFACTS.mkdir(exist_ok=True)
            name = f"dashboard-{scheme}.png"
            page.screenshot(path=str(ARTIFACTS / name), full_page=True)
        finally:
            browser.close()
    assert blocked == [], f"the page tried to fetch {blocked}"
    assert errors == [], errors
    assert (background.replace(" ", "") == "rgb(17,20,24)") == (scheme == "dark"), background
    assert (ARTIFACTS / name).stat().st_size > 20_000


@needs_browser
def test_readme_screenshot_regenerates_from_demo_data(tmp_path: Path) -> None:
    """scripts/report_screenshot.py: `levelup demo`, the page, a photograph (kept as an artifact)."""
    import subprocess
    import sys

    from tests.helpers import REPO

    out = ARTIFACTS / "report-screenshot-demo.png"
    result = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "report_screenshot.py"), "--out", str(out),
         "--matches", "60"],
        capture_output=True, text=True, timeout=600, cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    png = out.read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 50_000


@pytest.fixture(scope="module")
def demo_page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The page of `levelup demo`'s 150 matches: long mode and medal names, every kind of
    match, as a new user first sees it."""
    data_dir = tmp_path_factory.mktemp("demo-html")
    result = run_cli("demo", "--data-dir", str(data_dir))
    assert result.returncode == 0, result.stderr
    target = data_dir / "demo.html"
    result = run_cli("report", "--player", "DemoSpartan", "--data-dir", str(data_dir), "--tz",
                     "UTC", "--html", str(target))  # fmt: skip
    assert result.returncode == 0, result.stderr
    return target


# Each table box whose table is wider than the box: [id, table width, box width, cue].
# The cue: the box paints shadows that scroll with it (`background-attachment: local`).
CUT_TABLES = """() => [...document.querySelectorAll('.tablebox')]
  .filter(box => box.offsetParent !== null)
  .map(box => [box.id, box.scrollWidth, box.clientWidth,
               getComputedStyle(box).backgroundAttachment.includes('local')])
  .filter(([id, table, width]) => table > width + 1)"""


@needs_browser
def test_demo_tables_fit_a_1280_px_window_or_scroll_with_a_cue(demo_page: Path) -> None:
    """A table wider than a half-width box takes a line of its own instead of losing its
    last columns at the box's edge (the trial's "By kind of match", "Trend", "Medals
    earned most", "Medals by mode" were cut at 1280 px); in a window too narrow for a
    table, its box scrolls and shows a shadow on the hidden side."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
            page.goto(demo_page.resolve().as_uri(), wait_until="load")
            cut = page.evaluate(CUT_TABLES)
            ARTIFACTS.mkdir(exist_ok=True)
            page.locator("#section-medal_stats").screenshot(
                path=str(ARTIFACTS / "demo-medals-1280.png")
            )
            page.set_viewport_size({"width": 700, "height": 900})
            narrow = page.evaluate(CUT_TABLES)
        finally:
            browser.close()
    assert cut == [], f"tables cut at 1280 px: {cut}"
    assert narrow, "at 700 px some table must be wider than the window"
    assert all(cue for *_, cue in narrow), narrow


def _marks(html: str, chart_id: str) -> tuple[list[str], list[str]]:
    """A chart's bar rectangles and dots, as the page has them."""
    svg = re.search(rf'<svg class="chart" id="{chart_id}".*?</svg>', html, re.S)
    assert svg, chart_id
    return re.findall(r'<rect class="bar[^"]*"', svg[0]), re.findall(r'<circle class="dot', svg[0])


def test_bars_start_at_zero_and_zoomed_axes_draw_dots(demo_page: Path) -> None:
    """A bar's length is read as its value: on an axis from 45% a 47.9% bar looked three
    times a 45.7% one ("You against the lobby"), and accuracy by mode or map and win rate
    by match number in a session started at 40%. A zoomed axis draws dots; a chart whose
    axis starts at zero (medal counts) keeps its bars."""
    html = demo_page.read_text(encoding="utf-8")
    for chart_id, rows in (("chart-lobby", 4), ("chart-by-mode", None), ("chart-by-map", None),
                           ("chart-session", 5)):  # fmt: skip
        bars, dots = _marks(html, chart_id)
        assert bars == [], f"{chart_id} draws bars on a zoomed axis"
        assert dots and (rows is None or len(dots) == rows), (chart_id, len(dots))
    bars, dots = _marks(html, "chart-medals")
    assert len(bars) == 15 and dots == []
    assert re.search(r'<svg class="chart" id="chart-medals".*?>0</text>', html, re.S)
