#!/usr/bin/env bash
# Install what tests/test_report_html.py needs to open the HTML report in a real browser:
# Debian's Chromium (apt) and the playwright Python package (pip).
#
# Idempotent: each part is skipped when already present. It never runs
# `playwright install`: that downloads a browser build from outside the package
# registries, which CI cannot reach; the tests drive /usr/bin/chromium instead.
#
# Usage: bash scripts/install_browser_deps.sh   (as root, or with sudo available)
# Env:   PYTHON=/path/to/python  the interpreter whose site-packages get playwright.
set -euo pipefail

PYTHON="${PYTHON:-$(command -v python3 || command -v python)}"
CHROMIUM=/usr/bin/chromium

if [ -x "$CHROMIUM" ]; then
    echo "install_browser_deps: $CHROMIUM already installed"
else
    SUDO=""
    if [ "$(id -u)" -ne 0 ]; then
        SUDO="sudo"
    fi
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -q
    $SUDO apt-get install -y -q chromium
fi

if "$PYTHON" -c "import playwright.sync_api" 2>/dev/null; then
    echo "install_browser_deps: playwright already installed for $PYTHON"
else
    "$PYTHON" -m pip install -q "playwright>=1.40"
fi

"$CHROMIUM" --version 2>/dev/null || true
