"""The API describes itself: an OpenAPI 3.1 document and a docs page that needs no network."""

from __future__ import annotations

import re

from django.contrib.staticfiles import finders


def test_the_openapi_document_is_served_as_openapi_3_1(client, db):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    doc = response.json()
    assert doc["openapi"].startswith("3.1")
    assert doc["info"]["title"] == "Frontline"


def test_the_docs_page_loads_its_assets_from_this_server_only(client, db):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    html = response.content.decode()
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert any(s.endswith("swagger-ui-bundle.js") for s in sources)
    for source in sources:
        assert source.startswith("/"), f"{source} would be fetched from elsewhere"
        assert not source.startswith("//")
    for source in sources:
        if source.startswith("/static/"):
            path = source.removeprefix("/static/")
            assert finders.find(path), f"{path} is not installed"
            assert client.get(source).status_code == 200


def test_the_docs_page_has_no_inline_script(client, db):
    html = client.get("/api/v1/docs").content.decode()
    for attrs, body in re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S):
        # A JSON data block is data, not script: a strict CSP allows it.
        assert body.strip() == "" or 'type="application/json"' in attrs
    assert not re.search(r"\son\w+=", html)
