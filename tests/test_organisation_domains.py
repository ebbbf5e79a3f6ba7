"""An organisation's mail domains: several per organisation, each owned by one
organisation at most, a subdomain joining only when its parent says so. Who
joins is decided when an address is verified (sign-up, or a password set from a
mailed link by someone who wrote by mail), through HTTP and real mail; staff
edit the domains on the organisation page and through the API."""

from __future__ import annotations

import json
import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from frontline.accounts.actions import (
    add_organisation,
    add_organisation_domain,
    remove_organisation_domain,
    update_organisation,
)
from frontline.accounts.models import Organisation, OrganisationDomain, User
from frontline.mail.inbound import receive
from frontline.search.indexing import organisation_rows
from frontline.tickets import actions
from tests.conftest import login

LINK = re.compile(r"http://testserver\.example(/\S+)")
PASSWORD = "a long enough passphrase"


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_URL = "http://testserver.example"


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def domains(people):
    """Acme: acme.test and acme-rockets.test, no subdomains; Globex: globex.test
    and its subdomains."""
    add_organisation_domain(people.acme, by=people.sam, domain="acme-rockets.test")
    people.globex.domains.update(subdomains=True)
    return people


def _link(message) -> str:
    match = LINK.search(message.body)
    assert match, message.body
    return match.group(1)


def _sign_up_and_confirm(client, committed, mailoutbox, email: str) -> User:
    mailoutbox.clear()
    with committed():
        response = client.post(
            "/portal/signup/", {"name": "Nora Newcomer", "email": email, "password": PASSWORD}
        )
    assert response.status_code == 302
    # Sign-up alone does not sign in; the link confirms the signed-in person's address.
    user = User.objects.get(username__iexact=email)
    signed_in = client.post("/login/", {"username": user.username, "password": PASSWORD})
    assert signed_in.status_code == 302
    (mail,) = mailoutbox
    assert client.post(_link(mail)).status_code == 302
    user.refresh_from_db()
    assert user.email_verified_at is not None
    return user


@pytest.mark.parametrize(
    ("email", "joins"),
    [
        ("nora@acme.test", "Acme"),
        ("nora@acme-rockets.test", "Acme"),  # the second domain
        ("Nora@ACME-Rockets.TEST", "Acme"),  # any letter case
        ("nora@eu.acme.test", None),  # acme.test does not take its subdomains
        ("nora@notacme.test", None),  # a suffix is not a parent domain
        ("nora@acme.test.evil.test", None),
        ("nora@globex.test", "Globex"),
        ("nora@eu.globex.test", "Globex"),  # globex.test takes its subdomains
        ("nora@mail.eu.globex.test", "Globex"),
        ("nora@example.com", None),
    ],
)
def test_a_confirmed_sign_up_joins_the_organisation_of_its_domain(
    client, domains, mailoutbox, committed, email, joins
):
    user = _sign_up_and_confirm(client, committed, mailoutbox, email)
    assert (user.organisation.name if user.organisation else None) == joins


def test_the_closest_domain_wins_over_a_parent_with_subdomains(
    client, domains, mailoutbox, committed
):
    initech = add_organisation(by=domains.sam, name="Initech", domains=[("lab.globex.test", False)])
    user = _sign_up_and_confirm(client, committed, mailoutbox, "nora@lab.globex.test")
    assert user.organisation == initech


def test_mail_from_a_domain_joins_once_the_writer_proves_the_address(
    client, domains, mailoutbox, committed
):
    """Mail alone proves nothing (a From header is easy to forge): the contact it
    makes joins no organisation. Once the writer sets a password through the
    mailed link, they belong to the organisation of their second domain, and so
    does their next request."""
    first = receive(
        b"From: Rita Rocket <rita@Acme-Rockets.test>\r\nTo: support@frontline.test\r\n"
        b"Subject: Launch pad\r\nMessage-ID: <r1@acme-rockets.test>\r\n\r\nIt wobbles.\r\n"
    ).inbound.ticket
    rita = first.requester
    assert rita.organisation is None and first.organisation is None
    stray = receive(
        b"From: eve@eu.acme.test\r\nTo: support@frontline.test\r\n"
        b"Subject: Hello\r\nMessage-ID: <e1@eu.acme.test>\r\n\r\nHi.\r\n"
    ).inbound.ticket
    with committed():
        assert client.post("/password/", {"email": "rita@acme-rockets.test"}).status_code == 302
    (mail,) = mailoutbox
    form = client.get(_link(mail), follow=True)
    assert form.status_code == 200
    response = client.post(
        form.redirect_chain[-1][0], {"new_password1": PASSWORD, "new_password2": PASSWORD}
    )
    assert response.status_code == 302, response.content
    rita.refresh_from_db()
    assert rita.email_verified_at is not None and rita.organisation == domains.acme
    second = receive(
        b"From: rita@acme-rockets.test\r\nTo: support@frontline.test\r\n"
        b"Subject: Fuel\r\nMessage-ID: <r2@acme-rockets.test>\r\n\r\nLow.\r\n"
    ).inbound.ticket
    assert second.requester == rita and second.organisation == domains.acme
    # An address at a subdomain Acme did not take is nobody's, proved or not.
    assert stray.requester.organisation is None


def _org_page(client, org):
    return client.get(reverse("desk:organisation", args=[org.pk]))


def _add(client, org, domain, subdomains=False):
    data = {"domain": domain, **({"subdomains": "on"} if subdomains else {})}
    return client.post(reverse("desk:organisation_domain_add", args=[org.pk]), data)


def test_a_supervisor_adds_and_removes_domains_on_the_organisation_page(client, people):
    login(client, people.sam)
    page = _org_page(client, people.acme)
    assert page.status_code == 200
    assert 'aria-label="Remove the mail domain acme.test"' in page.text
    response = _add(client, people.acme, "  @Acme-Labs.TEST. ", subdomains=True)
    assert response.status_code == 302
    page = client.get(response["Location"])
    assert "acme-labs.test is a mail domain of this organisation now." in page.text
    assert set(people.acme.domains.values_list("domain", "subdomains")) == {
        ("acme.test", False),
        ("acme-labs.test", True),
    }
    assert "acme-labs.test <small>(and its subdomains)</small>" in page.text
    labs = people.acme.domains.get(domain="acme-labs.test")
    response = client.post(
        reverse("desk:organisation_domain_remove", args=[people.acme.pk, labs.pk])
    )
    assert response.status_code == 302
    page = client.get(response["Location"])
    assert "acme-labs.test is no longer a mail domain of this organisation" in page.text
    assert list(people.acme.domains.values_list("domain", flat=True)) == ["acme.test"]


def test_a_domain_of_another_organisation_or_not_a_domain_is_a_form_error(client, people):
    login(client, people.sam)
    refused = _add(client, people.acme, "GLOBEX.test")
    assert refused.status_code == 400
    assert "globex.test is a mail domain of Globex already." in refused.text
    assert 'id="id_domain_error" role="alert"' in refused.text  # on the field
    again = _add(client, people.acme, "acme.test")
    assert again.status_code == 400
    assert "This organisation has this mail domain already." in again.text
    bad_ones = ("", "acme", "acme..test", "-acme.test", "acme_test.com", "\u0430cme.test", "a b")
    for bad in bad_ones:
        response = _add(client, people.acme, bad)
        assert response.status_code == 400, bad
        assert "Enter a mail domain, e.g. example.com." in response.text or not bad
    assert list(people.acme.domains.values_list("domain", flat=True)) == ["acme.test"]
    assert list(people.globex.domains.values_list("domain", flat=True)) == ["globex.test"]
    # A domain taken away from another organisation may be given again.
    remove_organisation_domain(people.globex.domains.get(), by=people.sam)
    assert _add(client, people.acme, "globex.test").status_code == 302


def test_agents_read_the_domains_but_only_supervisors_and_admins_change_them(
    client, people, ticket
):
    login(client, people.alice)  # sees Acme through Carol's ticket
    page = _org_page(client, people.acme)
    assert page.status_code == 200
    assert "acme.test" in page.text
    assert "Add the domain" not in page.text and "Remove the mail domain" not in page.text
    assert _add(client, people.acme, "acme-labs.test").status_code == 403
    domain = people.acme.domains.get()
    remove = reverse("desk:organisation_domain_remove", args=[people.acme.pk, domain.pk])
    assert client.post(remove).status_code == 403
    with pytest.raises(PermissionDenied):
        add_organisation_domain(people.acme, by=people.alice, domain="acme-labs.test")
    # A domain of another organisation is not found through this one.
    login(client, people.sam)
    globex = people.globex.domains.get()
    other = reverse("desk:organisation_domain_remove", args=[people.acme.pk, globex.pk])
    assert client.post(other).status_code == 404
    # Customers never reach these pages.
    login(client, people.carol)
    assert _add(client, people.acme, "acme-labs.test").status_code in (302, 403, 404)
    assert list(OrganisationDomain.objects.values_list("domain", flat=True)) == [
        "acme.test",
        "globex.test",
    ]


def test_updating_the_domains_replaces_them_and_refuses_another_organisations(people):
    update_organisation(
        people.acme, by=people.sam, domains=[("ACME.test", False), ("acme.example", True)]
    )
    assert set(people.acme.domains.values_list("domain", "subdomains")) == {
        ("acme.test", False),
        ("acme.example", True),
    }
    with pytest.raises(ValidationError) as refused:
        update_organisation(people.acme, by=people.sam, domains=[("globex.test", False)])
    assert refused.value.message_dict == {
        "domains": ["globex.test is a mail domain of Globex already."]
    }
    assert people.acme.domains.count() == 2  # nothing changed
    update_organisation(people.acme, by=people.sam, domains=[])
    assert not people.acme.domains.exists()


def test_the_search_index_holds_every_domain(people):
    add_organisation_domain(people.acme, by=people.sam, domain="acme-rockets.test")
    ((pk, _name, domains, _notes),) = organisation_rows([people.acme.pk])
    assert pk == people.acme.pk
    assert domains.split() == ["acm", "rocket", "test", "acm", "test"]  # stemmed, both


class Api:
    def __init__(self, client, user):
        self.client = login(client, user)

    def call(self, method: str, path: str, payload=None):
        return getattr(self.client, method)(
            f"/api/v1{path}",
            json.dumps(payload) if payload is not None else None,
            content_type="application/json",
        )


def test_the_api_reads_and_writes_several_domains(client, people):
    sam = Api(client, people.sam)
    created = sam.call(
        "post",
        "/organisations",
        {
            "name": "Initech",
            "domains": [
                {"domain": "Initech.TEST"},
                {"domain": "initrode.test", "subdomains": True},
            ],
        },
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["domains"] == [
        {"domain": "initech.test", "subdomains": False},
        {"domain": "initrode.test", "subdomains": True},
    ]
    assert body["email_domain"] == "initech.test"  # the first, for older clients
    org = Organisation.objects.get(name="Initech")
    taken = sam.call("patch", f"/organisations/{org.pk}", {"domains": [{"domain": "acme.test"}]})
    assert taken.status_code == 400
    assert taken.json()["errors"] == {"domains": ["acme.test is a mail domain of Acme already."]}
    changed = sam.call("patch", f"/organisations/{org.pk}", {"email_domain": "initech.test"})
    assert changed.status_code == 200
    assert changed.json()["domains"] == [{"domain": "initech.test", "subdomains": False}]
    listed = sam.call("get", "/organisations")
    assert {o["name"]: [d["domain"] for d in o["domains"]] for o in listed.json()["items"]} == {
        "Acme": ["acme.test"],
        "Globex": ["globex.test"],
        "Initech": ["initech.test"],
    }


def _statements(call) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert call().status_code == 200
    return len(ctx.captured_queries)


def test_the_page_and_the_list_read_the_domains_in_one_query(client, people):
    """However many domains and organisations: the same statements (the page's
    exact pins are in test_customer_pages)."""
    actions.open_ticket(requester=people.carol, by=people.carol, subject="Hi", body="There")
    api = Api(client, people.sam)
    page = lambda: _org_page(client, people.acme)  # noqa: E731
    listed = lambda: api.call("get", "/organisations?limit=100")  # noqa: E731
    page(), listed()  # the session's first writes
    before = _statements(page), _statements(listed)
    for i in range(30):
        add_organisation_domain(people.acme, by=people.sam, domain=f"acme{i}.test")
    more = Organisation.objects.bulk_create(Organisation(name=f"Org {i}") for i in range(40))
    for org in more:
        add_organisation_domain(org, by=people.sam, domain=f"{org.name.replace(' ', '')}.test")
    assert (_statements(page), _statements(listed)) == before
    assert page().text.count("Remove the mail domain") == 31
    assert len(listed().json()["items"]) == 42
