"""Handlers for the worker-loop tests' `missions agent run` subprocesses (tests/test_agent_worker.py).

`drain_task` answers at once; `hold_task`, the first time a step reaches it, writes a marker file
(MISSIONS_TEST_MARKERS/<step id>, holding the pid) and then blocks, so the test knows which process holds the
lease; the next time (another claim of the step) it answers at once."""

from __future__ import annotations

import os
import time
from pathlib import Path

from app.agent import Job


def drain(job: Job) -> dict:
    return {"pid": os.getpid(), "n": job.input.get("n")}


def hold(job: Job) -> dict:
    marker = Path(os.environ["MISSIONS_TEST_MARKERS"]) / str(job.step_id)
    if not marker.exists():
        marker.write_text(str(os.getpid()))
        time.sleep(120)
    return {"pid": os.getpid(), "attempt": job.attempt}


HANDLERS = {"drain_task": drain, "hold_task": hold}
