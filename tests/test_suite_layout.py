"""The test suite's own shape: shared helpers live in tests/helpers, and no test module imports another test
module (or conftest, whose fixtures pytest hands over by name)."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def imported_modules(path: Path) -> set[str]:
    """The absolute module names a file imports (`from x import y` and `import x`)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
    return names


def test_every_module_is_a_test_module_conftest_or_a_helper():
    loose = sorted(p.name for p in TESTS.glob("*.py")
                   if not p.name.startswith("test_") and p.name not in ("conftest.py", "__init__.py"))
    assert loose == [], "put shared code in tests/helpers/"


def test_no_module_imports_a_test_module_or_conftest():
    offenders = sorted(
        f"{path.relative_to(TESTS.parent)} imports {name}"
        for path in TESTS.rglob("*.py")
        for name in imported_modules(path)
        if name.startswith(("tests.test_", "tests.conftest"))
    )
    assert offenders == [], "move what is shared into tests/helpers/"


def test_no_module_uses_relative_imports():
    relative = sorted(str(path.relative_to(TESTS.parent)) for path in TESTS.rglob("*.py")
                      if any(isinstance(n, ast.ImportFrom) and n.level > 0 for n in ast.walk(ast.parse(path.read_text()))))
    assert relative == []
