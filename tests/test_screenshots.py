"""``make screenshots`` at a tiny size, so that it cannot rot unnoticed: the
script loads the demo, serves it, and writes one PNG per page at the asked
width (``bench/screenshots.py``)."""

from __future__ import annotations

import os
import struct
import subprocess
import sys
from pathlib import Path

import pytest

REPO_DIR = Path(__file__).resolve().parent.parent
PAGES = ("desk-queue", "desk-ticket", "reports", "portal", "help")

pytestmark = pytest.mark.browser


def png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n", path
    return struct.unpack(">II", head[16:24])


def test_screenshots_of_the_demo_are_written(tmp_path: Path) -> None:
    out = tmp_path / "shots"
    env = {**os.environ, "FRONTLINE_VAR": str(tmp_path / "var"), "LOG_LEVEL": "WARNING"}
    env.pop("DATABASE_URL", None)  # the script's own demo, on SQLite, in a folder of its own
    done = subprocess.run(
        [sys.executable, "-m", "bench.screenshots", "--out", str(out), "--languages", "ru",
         "--sizes", "390x300"],
        cwd=REPO_DIR, env=env, capture_output=True, text=True, timeout=900, check=False,
    )  # fmt: skip
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-4000:]
    written = sorted(p.name for p in out.iterdir())
    assert written == sorted(f"ru-{page}-390.png" for page in PAGES), output[-2000:]
    for path in out.iterdir():
        width, height = png_size(path)
        assert width == 390 and height >= 300
    assert "5 screenshots in" in output
