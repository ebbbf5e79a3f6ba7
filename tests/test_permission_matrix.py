"""One table of who may see what, checked through every door: the web pages
(portal and desk), the REST API and search.

The personas are the suite's (``tests/conftest.py``); the objects are two
tickets of two organisations, each with a public file, and an internal note
with its own file on Carol's. ``SEES`` says which tickets each persona sees;
internal notes and their files follow the ticket for staff and never reach a
customer. A new door (a page, an endpoint, an export) gets a test here that
reads the same table.
"""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from frontline.api import actions as api_actions
from frontline.search.selectors import search
from frontline.tickets import actions
from tests.conftest import login

# Words found only in one object each, so a search answers exactly for it.
CAROLS_WORD = "zebracorn"
DANS_WORD = "quokkaword"
NOTE_WORD = "narwhalsecret"

# persona -> the tickets they see ("carol": Carol's, Acme, First line;
# "dan": Dan's, Globex, handed to Second line).
SEES: dict[str, set[str]] = {
    "carol": {"carol"},  # her own
    "erin": set(),  # Acme too, but not a manager
    "maria": {"carol"},  # Acme's manager
    "dan": {"dan"},  # his own, another organisation
    "alice": {"carol"},  # agent in First line
    "bob": {"dan"},  # agent in Second line
    "sam": {"carol", "dan"},  # supervisor
    "ada": {"carol", "dan"},  # admin
}
STAFF = {"alice", "bob", "sam", "ada"}
PERSONAS = sorted(SEES)


@pytest.fixture
def world(people, django_capture_on_commit_callbacks):
    """The objects of the table, indexed for search as the reactions do."""
    with django_capture_on_commit_callbacks(execute=True):
        carols = actions.open_ticket(
            requester=people.carol,
            by=people.carol,
            subject=f"Invoice {CAROLS_WORD} charged twice",
            body="Charged twice in March.",
            category=people.billing,
            files=[SimpleUploadedFile("invoice.txt", b"carol's invoice")],
        )
        note = actions.add_note(
            carols,
            body=f"Contract expired, {NOTE_WORD}",
            by=people.alice,
            files=[SimpleUploadedFile("contract.txt", b"internal contract")],
        )
        dans = actions.open_ticket(
            requester=people.dan,
            by=people.dan,
            subject=f"Server {DANS_WORD} down",
            body="Down since nine.",
            files=[SimpleUploadedFile("log.txt", b"dan's log")],
        )
        actions.assign_ticket(dans, by=people.sam, team=people.second_line, note="DB host")
    return {
        "tickets": {"carol": carols, "dan": dans},
        "files": {
            "carol": carols.attachments.get(is_internal=False),
            "dan": dans.attachments.get(),
        },
        "note_file": note.attachments.get(),
    }


def api_client(user) -> Client:
    _token, secret = api_actions.create_token(user, name="matrix", scope="read", by=user)
    return Client(HTTP_AUTHORIZATION=f"Bearer {secret}")


@pytest.mark.parametrize("who", PERSONAS)
def test_web_pages_follow_the_table(client, people, world, who):
    user = getattr(people, who)
    login(client, user)
    side = "desk" if who in STAFF else "portal"
    for name, ticket in world["tickets"].items():
        expected = 200 if name in SEES[who] else 404
        page = client.get(f"/{side}/tickets/{ticket.pk}/")
        assert page.status_code == expected, (who, name)
        shown = client.get(f"/{side}/attachments/{world['files'][name].pk}/")
        assert shown.status_code == expected, (who, name)
        if name == "carol" and expected == 200:
            assert (NOTE_WORD in page.content.decode()) == (who in STAFF)
    note_file = client.get(f"/{side}/attachments/{world['note_file'].pk}/")
    assert note_file.status_code == (200 if who in STAFF and "carol" in SEES[who] else 404)


@pytest.mark.parametrize("who", PERSONAS)
def test_the_api_follows_the_table(people, world, who):
    api = api_client(getattr(people, who))
    listed = api.get("/api/v1/tickets", {"limit": 100})
    assert listed.status_code == 200
    numbers = {t["number"] for t in listed.json()["items"]}
    assert numbers == {world["tickets"][name].pk for name in SEES[who]}
    for name, ticket in world["tickets"].items():
        expected = 200 if name in SEES[who] else 404
        assert api.get(f"/api/v1/tickets/{ticket.pk}").status_code == expected, (who, name)
        messages = api.get(f"/api/v1/tickets/{ticket.pk}/messages")
        assert messages.status_code == expected, (who, name)
        download = api.get(f"/api/v1/attachments/{world['files'][name].pk}")
        assert download.status_code == expected, (who, name)
        if name == "carol" and expected == 200:
            assert (NOTE_WORD in json.dumps(messages.json())) == (who in STAFF)
    note_file = api.get(f"/api/v1/attachments/{world['note_file'].pk}")
    assert note_file.status_code == (200 if who in STAFF and "carol" in SEES[who] else 404)


@pytest.mark.parametrize("who", PERSONAS)
def test_search_follows_the_table(people, world, who):
    user = getattr(people, who)

    def found(word: str) -> set[int]:
        return {hit.ticket.pk for hit in search(user, word).tickets}

    tickets = world["tickets"]
    assert found(CAROLS_WORD) == ({tickets["carol"].pk} if "carol" in SEES[who] else set())
    assert found(DANS_WORD) == ({tickets["dan"].pk} if "dan" in SEES[who] else set())
    # A note's words find its ticket for staff who see it, never for a customer.
    note_hits = {tickets["carol"].pk} if who in STAFF and "carol" in SEES[who] else set()
    assert found(NOTE_WORD) == note_hits
