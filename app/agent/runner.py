"""`missions agent run module:handlers`: load the handlers, run the worker loop until SIGTERM or SIGINT."""

from __future__ import annotations

import asyncio
import importlib
import signal
from collections.abc import Sequence

from app.agent.worker import Handlers, Worker
from app.client import AsyncClient


def load_handlers(target: str, kinds: Sequence[str] | None = None) -> Handlers:
    """The `{step kind: handler}` mapping named `package.module:attribute`, narrowed to `kinds` when given."""
    module_name, _, attribute = target.partition(":")
    if not module_name or not attribute:
        raise ValueError(f"handlers must be named module:attribute (got {target!r})")
    handlers = getattr(importlib.import_module(module_name), attribute)
    if not isinstance(handlers, dict) or not all(isinstance(k, str) and callable(v) for k, v in handlers.items()):
        raise ValueError(f"{target} must be a dict of step kind -> function")
    if kinds:
        unknown = sorted(set(kinds) - set(handlers))
        if unknown:
            raise ValueError(f"no handler in {target} for: {', '.join(unknown)}")
        handlers = {k: v for k, v in handlers.items() if k in kinds}
    return handlers


async def run(url: str, api_key: str, handlers: Handlers, concurrency: int = 1) -> None:
    """Run the loop; SIGTERM and SIGINT stop it (leases released) and it returns."""
    async with AsyncClient(url, api_key) as client:
        worker = Worker(client, handlers, concurrency=concurrency)
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, worker.stop)
        await worker.run()
