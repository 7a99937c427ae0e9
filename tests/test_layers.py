"""The package's layers: every import runs down, never back up (issue 15).

Read from the source with `ast` (function-level imports included), so a lazy
import inside a function cannot hide an upward dependency.
"""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "levelup"

# Lower numbers are lower layers; a module may import its own package or a lower one.
LAYERS = {
    "levelup": 0, "__init__": 0, "errors": 0, "clock": 0, "match_types": 0, "threads": 0, "console": 0,
    "config": 1, "interrupts": 1,
    "extract": 2,
    "registry": 3,
    "store": 4, "sources": 4,
    "warehouse": 5, "analysis": 5,
    "sync": 6,
    "demo": 7, "testing": 7,
    "commands": 8,
    "cli": 9,
    "__main__": 10,
}  # fmt: skip
# Third-party packages a layer must not need.
FORBIDDEN = {"analysis": {"spnkr", "aiohttp"}, "store": {"spnkr", "aiohttp"}}


def _imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def upward_imports(root: Path) -> list[str]:
    """Every import under `root` (a `levelup` package folder) that does not run down."""
    upward = []
    for path in sorted(root.rglob("*.py")):
        package = path.relative_to(root).parts[0].removesuffix(".py")
        assert package in LAYERS, f"{package} has no layer: add it to LAYERS"
        for module in _imports(path):
            parts = module.split(".")
            if parts[0] == "levelup":
                target = parts[1] if len(parts) > 1 else "levelup"
                if target != package and LAYERS[target] >= LAYERS[package]:
                    upward.append(f"{path.relative_to(root)} imports {module}")
            elif parts[0] in FORBIDDEN.get(package, set()):
                upward.append(f"{path.relative_to(root)} imports {module}")
    return upward


def test_every_import_runs_down_the_layers() -> None:
    assert upward_imports(SRC) == []


def test_an_upward_import_inside_a_function_is_caught(tmp_path: Path) -> None:
    (tmp_path / "store").mkdir()
    (tmp_path / "store" / "bad.py").write_text(
        "from levelup.extract.rows import col\n\n\ndef f():\n"
        "    from levelup.sync.sync import sync_player\n"
    )
    (tmp_path / "analysis").mkdir()
    (tmp_path / "analysis" / "names.py").write_text("import spnkr\n")
    assert upward_imports(tmp_path) == [
        "analysis/names.py imports spnkr",
        "store/bad.py imports levelup.sync.sync",
    ]
