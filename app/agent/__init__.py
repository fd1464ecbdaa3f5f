"""The agent worker loop (`missions agent run module:handlers`): handlers per step kind run on claimed steps."""

from app.agent.worker import Handler, Handlers, Job, PermanentFailure, Worker

__all__ = ["Handler", "Handlers", "Job", "PermanentFailure", "Worker"]
