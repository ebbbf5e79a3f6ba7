"""Contacts and organisations through the API: the desk's rule of who sees which
customer (through ``tickets/access.py``), the accounts actions behind every
write, ETags on updates, cursor pages and clear 4xx answers."""

from __future__ import annotations

import json

import pytest

from frontline.accounts.models import CustomerNote, Organisation, Role, User
from frontline.tickets import actions

from .conftest import last_use_statements, make_user
from .test_api_tickets import Api as BaseApi


class Api(BaseApi):
    def patch(self, path: str, payload, **headers):
        return self.client.patch(
            f"/api/v1{path}", json.dumps(payload), content_type="application/json", headers=headers
        )


def ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {item["id"] for item in response.json()["items"]}


@pytest.fixture
def dans_ticket(people):
    """Dan's (Globex) ticket, in Second line's queue: Alice (First line) cannot see it."""
    t = actions.open_ticket(requester=people.dan, by=people.dan, subject="VPN", body="Down")
    return actions.assign_ticket(t, by=people.sam, team=people.second_line, note="network")


# Who sees which customer: the desk's contact and organisation pages' rule.


def test_an_agent_sees_the_customers_of_the_tickets_they_may_see(people, ticket, dans_ticket):
    alice, bob = Api(people.alice), Api(people.bob)
    assert ids(alice.get("/contacts")) == {people.carol.pk}
    assert ids(bob.get("/contacts")) == {people.dan.pk}
    assert alice.get(f"/contacts/{people.carol.pk}").json()["organisation"]["name"] == "Acme"
    assert alice.get(f"/contacts/{people.dan.pk}").status_code == 404
    assert ids(alice.get("/organisations")) == {people.acme.pk}
    assert alice.get(f"/organisations/{people.globex.pk}").status_code == 404
    assert bob.get(f"/organisations/{people.globex.pk}").json()["name"] == "Globex"


def test_a_participant_is_a_contact_the_agent_may_see(people, ticket, dans_ticket):
    actions.add_participant(ticket, user=people.dan, by=people.alice)
    assert ids(Api(people.alice).get("/contacts")) == {people.carol.pk, people.dan.pk}
    assert Api(people.alice).get(f"/contacts/{people.dan.pk}").status_code == 200


def test_supervisors_see_every_customer_and_never_staff(people, ticket):
    sam = Api(people.sam)
    customers = {people.carol.pk, people.erin.pk, people.maria.pk, people.dan.pk}
    assert ids(sam.get("/contacts")) == customers
    assert ids(sam.get("/organisations")) == {people.acme.pk, people.globex.pk}
    assert sam.get(f"/contacts/{people.alice.pk}").status_code == 404


def test_the_setting_lets_agents_see_every_customer(people, settings):
    settings.FRONTLINE = {**settings.FRONTLINE, "AGENTS_SEE_ALL_CUSTOMERS": True}
    assert len(ids(Api(people.alice).get("/contacts"))) == 4
    assert Api(people.alice).get(f"/organisations/{people.globex.pk}").status_code == 200


def test_customers_see_no_contacts_or_organisations(people, ticket):
    for customer in (people.carol, people.maria):
        api = Api(customer)
        assert api.get("/contacts").status_code == 403
        assert api.get("/organisations").status_code == 403
        assert api.get(f"/contacts/{customer.pk}").status_code == 404
        assert api.get(f"/organisations/{people.acme.pk}").status_code == 404
        assert api.get(f"/contacts/{customer.pk}/notes").status_code == 404
        assert api.post("/contacts", {"email": "x@example.com"}).status_code == 403
        response = api.patch(f"/contacts/{customer.pk}", {"name": "Boss"})
        assert response.status_code == 404
    assert User.objects.get(pk=people.maria.pk).first_name == "Maria"


# Lists: filters and cursor pages.


def test_contacts_are_found_by_organisation_address_or_number(people, ticket):
    people.carol.phone = "+442079460958"
    people.carol.save()
    sam = Api(people.sam)
    acme = {people.carol.pk, people.erin.pk, people.maria.pk}
    assert ids(sam.get("/contacts", organisation=people.acme.pk)) == acme
    assert ids(sam.get("/contacts", email="CAROL@example.com")) == {people.carol.pk}
    assert ids(sam.get("/contacts", phone="+44 20 7946 0958")) == {people.carol.pk}
    assert ids(sam.get("/contacts", email="nobody@example.com")) == set()
    response = sam.get("/contacts", phone="not a number")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["phone"]


def test_cursor_pages_cover_every_contact_once(people):
    for i in range(7):
        make_user(f"c{i}", Role.CUSTOMER)
    sam, seen, cursor = Api(people.sam), [], None
    while True:
        page = sam.get("/contacts", limit=3, **({"cursor": cursor} if cursor else {})).json()
        seen += [c["id"] for c in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted(User.objects.filter(role=Role.CUSTOMER).values_list("id", flat=True))
    assert sam.get("/contacts", cursor="garbage!").status_code == 400


def test_lists_take_the_same_few_queries_for_many_rows(people, django_assert_max_num_queries):
    for i in range(30):
        org = Organisation.objects.create(name=f"Org {i}")
        customer = make_user(f"c{i}", Role.CUSTOMER, organisation=org)
        actions.open_ticket(requester=customer, by=customer, subject="s", body="b")
    alice, sam = Api(people.alice), Api(people.sam)
    # Token (1), last use, team ids (1), page ids (1), rows with organisations (1).
    with django_assert_max_num_queries(4 + last_use_statements()):
        assert len(alice.get("/contacts", limit=100).json()["items"]) == 30
    with django_assert_max_num_queries(4 + last_use_statements()):
        assert len(alice.get("/organisations", limit=100).json()["items"]) == 30
    # A supervisor: no team ids.
    with django_assert_max_num_queries(3 + last_use_statements()):
        assert len(sam.get("/contacts", limit=100).json()["items"]) == 34


# Writes: the accounts actions, with ETags.


def test_staff_add_a_contact_found_afterwards_by_address(people):
    response = Api(people.alice).post(
        "/contacts", {"name": "Pat Caller", "email": "pat@example.org", "phone": "020 7946 0958"}
    )
    assert response.status_code == 400  # no country code
    assert list(response.json()["errors"]) == ["phone"]
    response = Api(people.alice).post(
        "/contacts", {"name": "Pat Caller", "email": "pat@example.org", "phone": "+44 20 7946 0958"}
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["name"], body["phone"], body["organisation"]) == (
        "Pat Caller",
        "+442079460958",
        None,
    )
    pat = User.objects.get(pk=body["id"])
    assert pat.role == Role.CUSTOMER and not pat.has_usable_password()
    assert not pat.email_verified_at


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"name": "Nobody"}, "__all__"),
        ({"email": "not an address"}, "email"),
        ({"email": "Carol@Example.com"}, "email"),  # Carol's, in another case
        ({"email": "a@b.c", "name": "x" * 301}, "name"),
    ],
)
def test_a_contact_without_a_way_to_reach_or_with_a_taken_address_is_refused(
    people, payload, field
):
    before = User.objects.count()
    response = Api(people.alice).post("/contacts", payload)
    assert response.status_code == 400
    problem = response.json()
    assert field in problem.get("errors", {"__all__": [problem.get("detail")]})
    assert User.objects.count() == before


def test_a_read_only_token_adds_and_changes_nothing(people, ticket):
    api = Api(people.sam, scope="read")
    assert api.post("/contacts", {"email": "new@example.org"}).status_code == 403
    assert api.patch(f"/contacts/{people.carol.pk}", {"name": "X"}).status_code == 403
    assert api.post("/organisations", {"name": "Initech"}).status_code == 403
    assert not User.objects.filter(email="new@example.org").exists()


def test_staff_correct_a_contact_and_a_stale_change_is_a_412(people, ticket):
    alice = Api(people.alice)
    read = alice.get(f"/contacts/{people.carol.pk}")
    tag = read["ETag"]
    changed = alice.patch(
        f"/contacts/{people.carol.pk}",
        {"name": "Carol Smith", "phone": "+1 650 253 0000", "language": "ru"},
        **{"If-Match": tag},
    )
    assert changed.status_code == 200, changed.content
    assert changed["ETag"] != tag
    carol = User.objects.get(pk=people.carol.pk)
    assert (carol.first_name, carol.last_name, carol.phone, carol.language) == (
        "Carol",
        "Smith",
        "+16502530000",
        "ru",
    )
    assert carol.email == "carol@example.com"  # the address is not changed here
    stale = alice.patch(f"/contacts/{people.carol.pk}", {"name": "Old"}, **{"If-Match": tag})
    assert stale.status_code == 412
    assert User.objects.get(pk=people.carol.pk).last_name == "Smith"
    assert alice.patch(f"/contacts/{people.carol.pk}", {"language": "xx"}).status_code == 400
    # A customer the agent may not see is not there to change.
    dan = Api(people.alice).patch(f"/contacts/{people.dan.pk}", {"name": "X"})
    assert dan.status_code == 404


def test_supervisors_add_and_correct_organisations_and_agents_may_not(people, ticket):
    alice, sam = Api(people.alice), Api(people.sam)
    refused = alice.post("/organisations", {"name": "Initech", "email_domain": "initech.test"})
    assert refused.status_code == 403
    assert alice.patch(f"/organisations/{people.acme.pk}", {"notes": "x"}).status_code == 403
    response = sam.post("/organisations", {"name": "Initech", "email_domain": "@Initech.TEST"})
    assert response.status_code == 201, response.content
    assert response.json()["email_domain"] == "initech.test"
    for payload in (
        {"name": "acme"},
        {"name": "  "},
        {"name": "X", "email_domain": "not a domain"},
    ):
        response = sam.post("/organisations", payload)
        assert response.status_code == 400, payload
    assert Organisation.objects.count() == 3
    tag = sam.get(f"/organisations/{people.acme.pk}")["ETag"]
    assert (
        sam.patch(
            f"/organisations/{people.acme.pk}", {"notes": "Key account"}, **{"If-Match": tag}
        ).status_code
        == 200
    )
    stale = sam.patch(f"/organisations/{people.acme.pk}", {"notes": "Lost"}, **{"If-Match": tag})
    assert stale.status_code == 412
    assert Organisation.objects.get(pk=people.acme.pk).notes == "Key account"
    assert sam.patch(f"/organisations/{people.acme.pk}", {"name": "Globex"}).status_code == 400


def test_staff_notes_about_customers_stay_with_staff(people, ticket, dans_ticket):
    alice = Api(people.alice)
    response = alice.post(f"/contacts/{people.carol.pk}/notes", {"body": "Prefers phone"})
    assert response.status_code == 201
    assert response.json()["author"]["name"] == "Alice Agent"
    assert alice.post(f"/organisations/{people.acme.pk}/notes", {"body": "VIP"}).status_code == 201
    assert alice.post(f"/contacts/{people.carol.pk}/notes", {"body": " "}).status_code == 400
    assert alice.post(f"/contacts/{people.dan.pk}/notes", {"body": "x"}).status_code == 404
    notes = alice.get(f"/contacts/{people.carol.pk}/notes").json()
    assert [n["body"] for n in notes] == ["Prefers phone"]
    assert [n["body"] for n in alice.get(f"/organisations/{people.acme.pk}/notes").json()] == [
        "VIP"
    ]
    assert CustomerNote.objects.count() == 2
    assert "Prefers phone" not in json.dumps(Api(people.carol).get("/me").json())
