"""One agent process of the crash scenario (tests/test_reliability_agents.py): claims the next step, "works"
a few milliseconds and completes it, forever (the test stops it once every step is done). It logs every claim and completion to its
log file and keeps its current claim in a file the killer reads, so the killer can SIGKILL it mid-claim.

    python -m tests.helpers.crash_agent DSN AGENT_ID LOG_FILE CLAIM_FILE MAX_WORK_MS
"""

from __future__ import annotations

import os
import random
import sys
import time

import psycopg


def main(dsn: str, agent_id: str, log_path: str, claim_path: str, max_work_ms: int) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn, open(log_path, "a", buffering=1) as log:
        conn.execute("select set_config('role', 'missions_agent', false), "
                     "set_config('missions.principal_id', %s, false)", (agent_id,))
        while True:
            claim = conn.execute("select step_id, lease_token from missions.claim_next_step(%s, array['chaos'])",
                                 (agent_id,)).fetchone()
            if claim is None:  # all taken; leases of killed agents expire and come back
                time.sleep(0.05)
                continue
            step, token = claim
            log.write(f"claim {step} {time.time():.3f} {os.getpid()}\n")
            with open(claim_path + ".tmp", "w") as f:
                f.write(f"{step} {time.time():.3f}")
            os.replace(claim_path + ".tmp", claim_path)
            time.sleep(random.uniform(0, max_work_ms) / 1000)
            conn.execute("select missions.complete_step(%s, %s, %s, %s::jsonb)",
                         (step, agent_id, token, f'{{"by": {os.getpid()}}}'))
            os.unlink(claim_path)
            log.write(f"done {step} {time.time():.3f} {os.getpid()}\n")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]))
