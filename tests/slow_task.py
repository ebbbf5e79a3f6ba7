"""Tasks for the worker tests: one that takes its time, for the graceful-stop test
in ``tests/test_ops.py`` (``frontline serve`` runs it in its worker, found by this
module's path), and one that fails."""

from __future__ import annotations

import time
from pathlib import Path

from django.tasks import task


@task
def write_slowly(folder: str, seconds: float) -> None:
    """Say it started, take ``seconds``, then say it finished."""
    Path(folder, "started").write_text("yes")
    time.sleep(seconds)
    Path(folder, "finished").write_text("yes")


@task
def fail(reason: str) -> None:
    """A task that fails, for the worker's log test in ``tests/test_workers.py``."""
    raise RuntimeError(reason)
