"""Rewrites migrations/0001.baseline.sql from sql/schema/ (allowed only until the first release is tagged).

After a release, schema changes become new migration files instead; tests/test_migrations.py proves
that the chain builds exactly what sql/schema/ declares either way.
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEADER = """-- Baseline: the schema of release 0.1 (sql/schema/* as of that release).
-- Later changes are new migration files; tests/test_migrations.py proves the chain equals sql/schema.
"""


def main() -> None:
    parts = [HEADER]
    for path in sorted((ROOT / "sql" / "schema").glob("*.sql")):
        parts.append(f"\n-- ==== {path.name} ====\n{path.read_text()}")
    (ROOT / "migrations" / "0001.baseline.sql").write_text("".join(parts))


if __name__ == "__main__":
    main()
