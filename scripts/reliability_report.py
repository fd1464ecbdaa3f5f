"""Writes the figures of the last reliability run (JSON files the scenarios leave in a directory) into the
"Figures of the last run" section of docs/reliability.md, keeping the rest of the document as written.

    python scripts/reliability_report.py RESULTS_DIR docs/reliability.md
"""

from __future__ import annotations

import json
import os
import platform
import sys
from datetime import UTC, datetime
from pathlib import Path

START, END = "<!-- figures:start -->", "<!-- figures:end -->"

TITLES = {
    "agent_crashes": "Agent crashes (chaos: 16 agents, 20 000 steps)",
    "agent_crashes_small": "Agent crashes (make test: 4 agents, 300 steps)",
    "connection_faults": "Connection faults (chaos)",
    "connection_faults_small": "Connection faults (make test)",
    "database_crash": "Database crash (chaos: three kill -9 of the postmaster)",
    "database_crash_small": "Database crash (make test: one kill -9)",
    "api_fuzz": "API fuzzing (chaos: schemathesis, 25 valid + 25 invalid requests per operation and role)",
    "api_fuzz_small": "API fuzzing (make test: schemathesis, 2 valid + 2 invalid requests per operation and role)",
    "model_based": "Model-based state machine (chaos: hypothesis, 200 examples of up to 80 steps)",
    "model_based_small": "Model-based state machine (make test: 20 examples of up to 30 steps)",
}


def table(figures: dict) -> list[str]:
    rows = ["| figure | value |", "|---|---|"]
    for key, value in figures.items():
        rows.append(f"| {key.replace('_', ' ')} | {json.dumps(value) if isinstance(value, (list, dict)) else value} |")
    return rows


def render(results: Path) -> str:
    when = (f"Run of {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {os.cpu_count()} cores, "
            f"{platform.system()} {platform.release()}.")
    out = [START, "", when, ""]
    for path in sorted(results.glob("*.json")):
        out += [f"### {TITLES.get(path.stem, path.stem)}", ""] + table(json.loads(path.read_text())) + [""]
    return "\n".join(out + [END])


def main(results: str, doc: str) -> int:
    text = Path(doc).read_text()
    if START not in text or END not in text:
        print(f"{doc} has no {START} … {END} section", file=sys.stderr)
        return 1
    before, rest = text.split(START, 1)
    after = rest.split(END, 1)[1]
    Path(doc).write_text(before + render(Path(results)) + after)
    print(f"figures of {results} written into {doc}")
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
