"""The package layers: base <- analysis <- io <- pipeline <- outputs <- cli, and nothing climbs back up.

Outputs import only the result types and the neutral base modules (symbology, fields, files, ...),
so they can only render what the analysis computed.
"""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "kibs_spatial"
BASE = {"errors", "files", "fields", "symbology", "crs", "defaults", "progress", "provenance", "resources", "reference",
        "__init__"}
LAYERS = {"base": 0, "analysis": 1, "io": 2, "pipeline": 3, "result": 3, "hotspot_layer": 3, "outputs": 4, "cli": 5,
          "api": 5}


def layer(module: str) -> str:
    top = module.split(".")[0]
    return "base" if top in BASE else top


def internal_imports(path: Path) -> set[str]:
    """Top-level-relative names (``analysis.weights``) of the package modules ``path`` imports."""
    module = path.relative_to(PACKAGE).with_suffix("")
    parts = list(module.parts)
    package = parts[:-1] if parts[-1] != "__init__" else parts[:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = package[: len(package) - node.level + 1]
            target = [*base, *(node.module.split(".") if node.module else [])]
            names = [target + [a.name] if _is_module(target + [a.name]) else target for a in node.names]
            found.update(".".join(n) or "__init__" for n in names)
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("kibs_spatial"):
            found.add(node.module.removeprefix("kibs_spatial").lstrip("."))
    return {f for f in found if f}


def _is_module(parts: list[str]) -> bool:
    path = PACKAGE.joinpath(*parts)
    return path.with_suffix(".py").exists() or path.is_dir()


MODULES = sorted(p for p in PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_import_climbs_to_a_higher_layer(path):
    own = layer(".".join(path.relative_to(PACKAGE).with_suffix("").parts))
    climbs = sorted(m for m in internal_imports(path) if LAYERS[layer(m)] > LAYERS[own])
    assert climbs == [], f"{path.name} ({own}) imports higher layers: {climbs}"


@pytest.mark.parametrize("path", sorted(PACKAGE.joinpath("outputs").rglob("*.py")),
                         ids=lambda p: str(p.relative_to(PACKAGE)))
def test_outputs_import_only_result_types_and_base_modules(path):
    allowed = {"result", "outputs"} | BASE
    imported = {m.split(".")[0] for m in internal_imports(path)}
    assert imported <= allowed, f"{path.name} imports {sorted(imported - allowed)}"


def test_the_checker_sees_imports():
    """Guard against a checker that passes because it finds nothing."""
    assert "analysis.clusters" in internal_imports(PACKAGE / "io" / "config.py")
    assert "result" in internal_imports(PACKAGE / "outputs" / "__init__.py")
