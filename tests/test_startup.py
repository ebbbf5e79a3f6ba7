"""A process that has loaded every app still caches attribute lookups on Django's fields.

CPython 3.13 stops caching attribute lookups on a class that was written to
1,000 times, and every model field Django makes writes ``Field.creation_counter``
(``frontline/lib/fields.py``). Past that line every ORM call in the process is
slower (the mail import by 10% of its instructions per message;
``docs/benchmarks.md``, "Stop 14"). This loads what a web worker and the mail
import load, in a fresh process (the test process itself made thousands of
fields running the migrations), and asks CPython whether ``Field`` still has
a type version.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

_testcapi = pytest.importorskip("_testcapi")  # CPython's test module: the type-version probe

PROBE = """
import json, _testcapi
import django
django.setup()
from django.db import models
from django.db.models.fields import Field
import frontline.urls, frontline.reactions, frontline.mail.inbound
from frontline.reports.models import DailyFigures
# MORE FIELDS
_testcapi.type_assign_version(Field)
print(json.dumps({
    "version": _testcapi.type_get_version(Field),
    "daily_columns": len(DailyFigures._meta.fields),
}))
"""


def probe(tmp_path: Path, more_fields: str = "") -> dict[str, int]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "frontline.settings",
        "FRONTLINE_VAR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3",
    }
    done = subprocess.run(
        [sys.executable, "-c", PROBE.replace("# MORE FIELDS", more_fields)],
        env=env,
        check=True,
        cwd=Path(__file__).parent.parent,
        timeout=120,
        capture_output=True,
        text=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_django_fields_keep_the_method_cache_once_every_app_is_loaded(tmp_path):
    loaded = probe(tmp_path)
    # The report's daily rows keep each histogram packed in one column, not a
    # column per bucket (368 of them once).
    assert loaded["daily_columns"] < 30
    assert loaded["version"] != 0, (
        "Django's Field class lost CPython's method cache: over 1,000 model fields were "
        "made one by one in this process; make a block of like columns with "
        "frontline.lib.fields.columns"
    )


def test_the_probe_sees_a_field_class_that_lost_its_cache(tmp_path):
    # The same process, then 1,000 more fields made one by one: the probe says so.
    lost = probe(tmp_path, more_fields="[models.IntegerField() for _ in range(1000)]")
    assert lost["version"] == 0
