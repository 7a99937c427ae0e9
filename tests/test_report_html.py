"""`levelup report --html`: the page opens offline in a real browser and draws every chart.

Runs Debian's Chromium through Playwright with every non-file request aborted,
so a page that needed a CDN or any remote asset would show it here. Skipped,
with the reason, where Chromium or Playwright is not installed
(scripts/install_browser_deps.sh installs both).
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

try:
    from tests.test_report import build_fixture_db, run_report
except ModuleNotFoundError:  # tests/ collected as plain modules, not a package
    from test_report import build_fixture_db, run_report  # type: ignore[no-redef]

CHROMIUM = Path("/usr/bin/chromium")
REPO = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
CHARTS = ("chart-accuracy-time", "chart-shots", "chart-by-mode", "chart-by-map", "chart-lobby")

needs_browser = pytest.mark.skipif(
    not CHROMIUM.exists() or importlib.util.find_spec("playwright") is None,
    reason="needs /usr/bin/chromium and the playwright package "
    "(run scripts/install_browser_deps.sh)",
)


@pytest.fixture(scope="module")
def page_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data_dir = tmp_path_factory.mktemp("report-html")
    build_fixture_db(data_dir)
    target = data_dir / "out" / "report.html"
    result = run_report(data_dir, "--player", "Owner One", "--html", str(target))
    assert result.returncode == 0, result.stderr
    assert f"HTML report written to {target.resolve()}" in result.stdout.replace("\n", "")
    return target


def test_page_is_self_contained(page_file: Path) -> None:
    html = page_file.read_text(encoding="utf-8")
    assert not re.search(r"https?://", html), "the page must not name any remote URL"
    assert "<script" not in html  # charts are inline SVG
    assert not re.search(r"""(src|href)\s*=\s*["'](?!#)""", html)
    assert "prefers-color-scheme: dark" in html
    for chart_id in CHARTS:
        assert f'id="{chart_id}"' in html


def test_json_and_html_together_keep_json_last(page_file: Path) -> None:
    data_dir = page_file.parent.parent
    result = run_report(
        data_dir, "--player", "Owner One", "--json", "--html", str(data_dir / "again.html")
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1].startswith("{")
    assert "HTML report written to" in result.stderr


@needs_browser
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_charts_render_offline_in_chromium(page_file: Path, scheme: str) -> None:
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
            for chart_id in CHARTS:
                chart = page.locator(f"svg#{chart_id}")
                box = chart.bounding_box()
                assert box is not None and box["width"] > 300 and box["height"] > 50, chart_id
                shapes = chart.locator("circle, rect, polyline, path")
                assert shapes.count() > 0, f"{chart_id} draws nothing"
                drawn = page.evaluate(
                    "id => [...document.querySelectorAll(`svg#${id} circle, svg#${id} rect, "
                    "svg#${id} polyline`)].filter(e => { const b = e.getBBox(); "
                    "return b.width > 0 || b.height > 0; }).length",
                    chart_id,
                )
                assert drawn > 0, f"{chart_id} has only empty shapes"
                outside = page.evaluate(
                    "id => { const svg = document.querySelector(`svg#${id}`); "
                    "const v = svg.viewBox.baseVal; "
                    "return [...svg.querySelectorAll('circle, rect, polyline, text')]"
                    ".map(e => e.getBBox()).filter(b => b.x < -1 || b.y < -1 "
                    "|| b.x + b.width > v.width + 1 || b.y + b.height > v.height + 1).length; }",
                    chart_id,
                )
                assert outside == 0, f"{chart_id} draws {outside} element(s) outside its frame"
            # The time chart has one point per match with known shots, and the rolling line.
            assert page.locator("svg#chart-accuracy-time circle").count() == 5
            assert page.locator("svg#chart-accuracy-time polyline").count() == 1
            # Its axis is zoomed (39% to 52%): one dot per row, no bar from the axis start.
            assert page.locator("svg#chart-lobby circle.dot").count() == 4
            assert page.locator("svg#chart-lobby rect.bar").count() == 0
            background = page.evaluate("getComputedStyle(document.body).backgroundColor")
            ARTIFACTS.mkdir(exist_ok=True)
            name = "report.png" if scheme == "light" else "report-dark.png"
            page.screenshot(path=str(ARTIFACTS / name), full_page=True)
        finally:
            browser.close()
    assert blocked == [], f"the page tried to fetch {blocked}"
    assert errors == [], errors
    dark = background.replace(" ", "") in ("rgb(17,20,24)",)
    assert dark == (scheme == "dark"), background
    assert (ARTIFACTS / name).stat().st_size > 10_000
