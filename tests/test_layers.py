"""Which layer may import which: the direction drawn in docs/ARCHITECTURE.md, enforced.

Every import of a ``keydoctor`` module, at the top of a file or inside a function (the
lazy ones count: they run too), must go to the same layer or a lower one. Imports made
only for type checking (under ``if TYPE_CHECKING:``) are exempt: they never run.
"""

from __future__ import annotations

import ast
from pathlib import Path

import keydoctor

PACKAGE = Path(keydoctor.__file__).resolve().parent

# Lowest first. A module belongs to the layer of its top-level name under keydoctor.
LAYERS: tuple[frozenset[str], ...] = (
    frozenset({"__init__", "model", "errors", "redact", "keyid", "shell"}),
    frozenset({"sources"}),
    frozenset({"checks", "catalog", "policy"}),
    frozenset({"audit", "probes", "diagnosis", "logs"}),
    frozenset({"fixes", "reporters", "examine"}),
    frozenset({"redshift", "integration", "registry"}),
    frozenset({"lab", "commands"}),
    frozenset({"cli", "console", "__main__", "pytest_plugin"}),
)


def _layer(name: str) -> int:
    for index, members in enumerate(LAYERS):
        if name in members:
            return index
    raise AssertionError(f"keydoctor.{name} is in no layer: add it to LAYERS and ARCHITECTURE.md")


def _top(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _type_checking_blocks(tree: ast.AST) -> set[int]:
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.body:
                for inner in ast.walk(child):
                    skipped.add(id(inner))
    return skipped


def _imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped = _type_checking_blocks(tree)
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "keydoctor":
                found += [(node.lineno, f"keydoctor.{a.name}") for a in node.names]
            elif node.module.startswith("keydoctor."):
                found.append((node.lineno, node.module))
        elif isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names if a.name.startswith("keydoctor.")]
    return found


def test_every_module_has_a_layer() -> None:
    for path in PACKAGE.iterdir():
        if path.name.startswith("_") and path.name not in ("__init__.py", "__main__.py"):
            continue
        if path.suffix == ".py" or (path.is_dir() and (path / "__init__.py").exists()):
            _layer(path.stem if path.suffix == ".py" else path.name)


def test_imports_point_down() -> None:
    wrong: list[str] = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE.parent).with_suffix("").as_posix()
        own = _top(relative.replace("/", "."))
        for line, module in _imports(path):
            target = _top(module)
            if target == "__version__":
                continue  # the version string, defined in keydoctor/__init__.py
            if _layer(target) > _layer(own):
                wrong.append(f"{relative}.py:{line} imports {module}")
    assert wrong == []
