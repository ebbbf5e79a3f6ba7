"""What a web process holds: the libraries of rare paths are not loaded with the URLs.

``frontline serve`` loads the application and the URL configuration in
gunicorn's master (``frontline/ops/gunicorn_config.py``) and forks the web
workers from it, so every module the URLs import is held by the whole tree.
Passkeys (py_webauthn with cryptography, pyOpenSSL, cbor2, pyasn1), single
sign-on (requests, PyJWT, mozilla-django-oidc's backend) and the QR code of a
new authenticator app (segno) serve a few requests; they are imported by the
view that uses them (issue 19, the footprint; docs/benchmarks.md, "Stop 13").
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

# What gunicorn's master does: the WSGI application, then the URLs
# (gunicorn_config.when_ready); then what a sign-in with a password loads (Django
# imports every authentication backend to ask it, and a session's own backend at
# each request).
MASTER = """
import json, sys
import frontline.wsgi
from frontline.ops import gunicorn_config
gunicorn_config.when_ready(None)
from django.contrib.auth import get_backends
assert len(get_backends()) >= 3
tops = {name.split(".")[0] for name in sys.modules}
oidc = {name for name in sys.modules if name.startswith("mozilla_django_oidc")}
print(json.dumps(sorted(tops | oidc)))
"""

RARE = ("webauthn", "cryptography", "OpenSSL", "cbor2", "pyasn1", "requests", "jwt", "segno")


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    var = tmp_path_factory.mktemp("var")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "frontline.settings",
        "FRONTLINE_VAR": str(var),
        "DATABASE_URL": f"sqlite:///{var}/db.sqlite3",
    }
    env.pop("OIDC_ISSUER", None)
    done = subprocess.run(
        [sys.executable, "-c", MASTER],
        env=env,
        check=True,
        cwd=Path(__file__).parent.parent,
        timeout=120,
        capture_output=True,
        text=True,
    )
    return set(json.loads(done.stdout.strip().splitlines()[-1]))


def test_the_urls_and_a_password_sign_in_load_no_library_of_a_rare_path(loaded):
    assert "django" in loaded and "frontline" in loaded  # the check can fail
    assert sorted(set(RARE) & loaded) == []
    assert "mozilla_django_oidc.auth" not in loaded
