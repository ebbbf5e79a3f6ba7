"""The API fuzzed from its own OpenAPI document (schemathesis): whatever a client
sends, no 500, and every answer matches the document. Bounded examples, so it
stays a test and not a soak."""

from __future__ import annotations

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from frontline.api import actions as api_actions
from frontline.tickets import actions

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())


@pytest.fixture
def keep_connection():
    """Serve in-process without closing the test's database connection after each
    request (what Django's own test client does too)."""
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


@pytest.fixture
def secrets(people, keep_connection):
    actions.open_ticket(
        requester=people.carol,
        by=people.carol,
        subject="Printer",
        body="Jammed",
        category=people.billing,
    )
    return {
        "staff": api_actions.create_token(people.sam, name="f", scope="write", by=people.sam)[1],
        "customer": api_actions.create_token(
            people.carol, name="f", scope="write", by=people.carol
        )[1],
    }


@pytest.mark.parametrize("who", ["staff", "customer"])
@schema.parametrize()
@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_the_api_keeps_to_its_document(case, secrets, who):
    case.call_and_validate(
        headers={"Authorization": f"Bearer {secrets[who]}"},
        checks=[
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_schema_conformance,
        ],
    )


def test_every_number_in_a_path_past_64_bits_is_a_client_error(client, secrets):
    """What the fuzzing above finds only by chance (a ticket's number did reach
    SQLite inside IN (...), a 500): every path with a number in it, every method,
    given one too big for the database, answers 4xx."""
    import re

    document = client.get("/api/v1/openapi.json").json()
    huge = str(2**64 + 7)
    checked = 0
    for path, operations in document["paths"].items():
        if "{" not in path:
            continue
        url = re.sub(r"\{[^}]+\}", huge, path)
        for method in operations:
            for who in ("staff", "customer"):
                headers = {"Authorization": f"Bearer {secrets[who]}"}
                if method == "get":
                    response = client.get(url, headers=headers)
                else:
                    response = getattr(client, method)(
                        url, data="{}", content_type="application/json", headers=headers
                    )
                assert 400 <= response.status_code < 500, (method, url, who, response.status_code)
                checked += 1
    assert checked > 20  # the document's numbered paths were all reached
