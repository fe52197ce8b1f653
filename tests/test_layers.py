"""The package's four layers import only downwards: stats < nhanes < paper < book.

Every ``import`` in every module (at the top or inside a function) is read
from the source with :mod:`ast`, so a late import cannot hide an upward
dependency. A researcher who imports :mod:`osteometals.stats` never loads
NHANES handling, the paper or the book.
"""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "lib" / "osteometals"
LAYERS = ("stats", "nhanes", "paper", "book")


def _layer(module: str) -> str | None:
    """The layer of a dotted module name inside the package, None outside it."""
    parts = module.split(".")
    if parts[0] != "osteometals" or len(parts) < 2:
        return None
    return parts[1] if parts[1] in LAYERS else None


def _imports(path: Path) -> list[tuple[int, str]]:
    """(line, module) of every import in a file, relative imports resolved."""
    package = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts[:-1])
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found.append((node.lineno, base))
            # `from osteometals import paper` names a layer itself
            found += [(node.lineno, f"{base}.{a.name}") for a in node.names
                      if base == "osteometals" and a.name in LAYERS]
    return found


def _modules():
    return sorted(p for p in PACKAGE.rglob("*.py"))


def test_every_module_belongs_to_a_layer():
    stray = [str(p.relative_to(PACKAGE)) for p in _modules()
             if p.parent == PACKAGE and p.name != "__init__.py"]
    assert stray == [], "modules outside stats/, nhanes/, paper/, book/"


@pytest.mark.parametrize("layer", LAYERS)
def test_a_layer_imports_only_itself_and_the_layers_below(layer):
    allowed = set(LAYERS[: LAYERS.index(layer) + 1])
    upward = []
    for path in (PACKAGE / layer).rglob("*.py"):
        for line, module in _imports(path):
            target = _layer(module)
            if target is not None and target not in allowed:
                upward.append(f"{path.relative_to(PACKAGE)}:{line} imports {module}")
    assert upward == []


def test_the_checker_sees_late_and_relative_imports(tmp_path, monkeypatch):
    fake = tmp_path / "osteometals" / "stats"
    fake.mkdir(parents=True)
    module = fake / "x.py"
    module.write_text("def f():\n    from osteometals.paper import models\n"
                      "from ..book import cli\nfrom osteometals import nhanes\n")
    monkeypatch.setattr(__import__(__name__), "PACKAGE", tmp_path / "osteometals")
    targets = {_layer(m) for _, m in _imports(module)} - {None}
    assert targets == {"paper", "book", "nhanes"}
