"""Gunicorn settings that ``frontline serve`` loads (``-c python:frontline.ops.gunicorn_config``).

The application is loaded once, in gunicorn's master, and the web workers are
forked from it: Django, the apps and the URL configuration are then pages the
workers share with the master instead of each interpreter's own copy (see
docs/benchmarks.md, "Footprint"); so is the URL configuration, imported
in the master once it is ready. ``gc.freeze()`` before each fork moves those
objects out of the collector's reach, so a collection in a worker does not
touch (and so copy) the shared pages. Nothing here opens a database
connection: Django opens one per worker on its first query.
"""

from __future__ import annotations

import gc
from typing import Any

preload_app = True


def when_ready(server: Any) -> None:
    """Import the URL configuration (every view, the API, the admin) in the master
    too, so that the workers share it rather than each importing it on its first
    request."""
    from django.urls import get_resolver

    get_resolver()._populate()


def pre_fork(server: Any, worker: Any) -> None:
    gc.freeze()
