"""Regenerate the README's screenshot of the dashboard page from `levelup demo` data.

    python scripts/report_screenshot.py                      # writes docs/report-screenshot.png
    python scripts/report_screenshot.py --out /tmp/shot.png --matches 150

Runs `levelup demo` into a temporary data directory (the generated history,
synced through the real path), writes the report page with `levelup report
--html` (the sections the demo data fills), and photographs the top of the page in
headless Chromium through Playwright, with every non-file request refused.
Needs /usr/bin/chromium and the playwright package
(scripts/install_browser_deps.sh installs both).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")


def levelup(*args: str, cwd: Path) -> str:
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    env.pop("LEVELUP_DATA_DIR", None)
    result = subprocess.run(
        [sys.executable, "-m", "levelup", *args], cwd=cwd, env=env, capture_output=True, text=True
    )
    if result.returncode != 0:
        raise SystemExit(f"levelup {args[0]} failed:\n{result.stderr}")
    return result.stdout


def sections_with_data(summary: dict) -> list[str]:
    """The dashboard's sections, less those the demo data cannot fill (no skill rows
    yet, say): the screenshot shows figures, not "not available" boxes."""
    skip = set()
    for key in ("rank", "expectation", "medal_stats"):
        if not summary[key].get("available", True):
            skip.add(key)
    order = ["overview", "rank", "expectation", "accuracy", "medals", "modes", "time",
             "people", "matches"]  # fmt: skip
    aliases = {"medals": "medal_stats", "modes": "modes_maps", "matches": "recent_matches"}
    return [name for name in order if aliases.get(name, name) not in skip]


def photograph(page: Path, out: Path, width: int, height: int, scheme: str) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=["--no-sandbox", "--headless", "--disable-gpu"]
        )
        try:
            context = browser.new_context(
                viewport={"width": width, "height": height}, color_scheme=scheme
            )
            tab = context.new_page()
            tab.route(
                "**/*",
                lambda route, request: (
                    route.continue_() if request.url.startswith("file://") else route.abort()
                ),
            )
            tab.goto(page.resolve().as_uri(), wait_until="load")
            out.parent.mkdir(parents=True, exist_ok=True)
            tab.screenshot(path=str(out), full_page=False)
        finally:
            browser.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "report-screenshot.png")
    parser.add_argument("--matches", type=int, default=150, help="demo matches (default 150)")
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=1700)
    parser.add_argument("--scheme", choices=("light", "dark"), default="light")
    args = parser.parse_args()
    if not CHROMIUM.exists():
        raise SystemExit(f"needs {CHROMIUM} (run scripts/install_browser_deps.sh)")
    with tempfile.TemporaryDirectory(prefix="levelup-shot-") as tmp:
        work = Path(tmp)
        data = work / "data"
        levelup("demo", "--data-dir", str(data), "--matches", str(args.matches), cwd=work)
        page = work / "report.html"
        common = ["report", "--player", "DemoSpartan", "--data-dir", str(data), "--tz", "UTC"]
        summary = json.loads(levelup(*common, "--json", cwd=work).strip().splitlines()[-1])
        sections = [arg for name in sections_with_data(summary) for arg in ("--section", name)]
        levelup(*common, *sections, "--html", str(page), cwd=work)
        photograph(page, args.out, args.width, args.height, args.scheme)
    print(f"screenshot written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
