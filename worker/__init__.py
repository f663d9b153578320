"""The notification queue: enqueue, claim, send, retry, rescue, clean up."""

from worker.channels import Channels
from worker.runner import Worker
from worker.settings import WorkerSettings
from worker.wiring import build_channels

__all__ = ["Channels", "Worker", "WorkerSettings", "build_channels"]
