"""``lib.db.reads_first``: background work that mostly reads takes SQLite's
write lock only when it writes, and runs again holding it when SQLite refuses."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext

from frontline.lib.db import reads_first
from frontline.tickets.models import Tag

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's write lock"),
]


def write_elsewhere(name: str) -> None:
    """Another connection (another thread's) writes and commits."""

    def other() -> None:
        Tag.objects.create(name=name)
        connections.close_all()

    thread = threading.Thread(target=other)
    thread.start()
    thread.join()


def test_the_lock_is_taken_at_the_first_write_not_at_the_start():
    def work() -> int:
        seen = Tag.objects.count()
        Tag.objects.create(name="mine")
        return seen

    with CaptureQueriesContext(connection) as ran:
        assert reads_first(work) == 0
    assert ran.captured_queries[0]["sql"] == "BEGIN DEFERRED"
    assert list(Tag.objects.values_list("name", flat=True)) == ["mine"]
    assert connection.transaction_mode == "IMMEDIATE"  # the connection's own, back


def test_a_write_refused_because_another_connection_wrote_runs_again_holding_the_lock():
    tries: list[int] = []

    def work() -> None:
        tries.append(Tag.objects.count())  # the snapshot starts here
        if len(tries) == 1:
            write_elsewhere("theirs")  # committed after our first read
        Tag.objects.create(name=f"mine after {tries[-1]}")

    with CaptureQueriesContext(connection) as ran:
        reads_first(work)
    assert tries == [0, 1]  # the second run saw their row
    assert [q["sql"] for q in ran.captured_queries if q["sql"].startswith("BEGIN")] == [
        "BEGIN DEFERRED",
        "BEGIN IMMEDIATE",
    ]
    assert sorted(Tag.objects.values_list("name", flat=True)) == ["mine after 1", "theirs"]


def test_other_errors_are_not_run_again():
    tries = []

    def work() -> None:
        tries.append(1)
        raise ValueError("not a lock")

    with pytest.raises(ValueError, match="not a lock"):
        reads_first(work)
    assert tries == [1]
    assert connection.transaction_mode == "IMMEDIATE"
