"""Contact and organisation pages in the desk: who may see them, what they
show, and a bounded number of queries however many tickets a customer has."""

from __future__ import annotations

import pytest
from django.urls import reverse

from frontline.accounts.actions import add_customer_note, update_contact
from frontline.accounts.models import CustomerNote
from frontline.tickets import actions
from frontline.tickets.models import Ticket
from frontline.tickets.queues import PAGE_SIZE
from tests.conftest import login


def _open(person, subject, **extra) -> Ticket:
    return actions.open_ticket(
        requester=person, by=person, subject=subject, body="Details.", **extra
    )


@pytest.fixture
def tickets(people):
    """Carol: a Billing ticket (First line) and one in Second line; Dan: Second line only."""
    return {
        "carol_billing": _open(people.carol, "Invoice twice", category=people.billing),
        "carol_server": _open(people.carol, "Server room hot", team=people.second_line),
        "dan_server": _open(people.dan, "Globex server down", team=people.second_line),
    }


def contact_url(person):
    return reverse("desk:contact", args=[person.pk])


def org_url(org):
    return reverse("desk:organisation", args=[org.pk])


def test_an_agent_sees_a_contact_with_their_tickets_only_those_the_agent_may_see(
    people, tickets, client
):
    login(client, people.alice)
    page = client.get(contact_url(people.carol))
    assert page.status_code == 200
    assert "Invoice twice" in page.text
    assert "Server room hot" not in page.text  # Second line's ticket
    assert "carol@example.com" in page.text


def test_an_agent_cannot_open_a_contact_or_organisation_with_no_ticket_they_may_see(
    people, tickets, client
):
    login(client, people.alice)
    assert client.get(contact_url(people.dan)).status_code == 404
    assert client.get(org_url(people.globex)).status_code == 404
    assert (
        client.post(
            reverse("desk:contact_note", args=[people.dan.pk]), {"body": "Hello"}
        ).status_code
        == 404
    )
    login(client, people.bob)
    assert client.get(contact_url(people.dan)).status_code == 200
    assert "Globex server down" in client.get(org_url(people.globex)).text


def test_a_participant_is_a_contact_the_agent_may_see(people, tickets, client):
    actions.add_participant(tickets["carol_billing"], user=people.dan, by=people.alice)
    login(client, people.alice)
    page = client.get(contact_url(people.dan))
    assert page.status_code == 200
    assert "Globex server down" not in page.text


def test_supervisors_see_every_customer(people, tickets, client):
    login(client, people.sam)
    page = client.get(contact_url(people.carol))
    assert "Invoice twice" in page.text and "Server room hot" in page.text
    assert client.get(org_url(people.globex)).status_code == 200


def test_with_the_setting_agents_see_every_customer_but_not_every_ticket(
    people, tickets, client, settings
):
    settings.FRONTLINE = {**settings.FRONTLINE, "AGENTS_SEE_ALL_CUSTOMERS": True}
    login(client, people.alice)
    page = client.get(contact_url(people.dan))
    assert page.status_code == 200 and "Globex server down" not in page.text


def test_customers_never_see_contact_or_organisation_pages(people, tickets, client):
    for person in (people.carol, people.maria):
        login(client, person)
        assert client.get(contact_url(people.carol)).status_code == 404
        assert client.get(org_url(people.acme)).status_code == 404


def test_staff_accounts_have_no_contact_page(people, client):
    login(client, people.sam)
    assert client.get(contact_url(people.alice)).status_code == 404
    assert client.get(reverse("desk:contact", args=[99999])).status_code == 404


def test_staff_write_notes_about_a_contact_and_an_organisation(people, tickets, client):
    login(client, people.alice)
    response = client.post(
        reverse("desk:contact_note", args=[people.carol.pk]), {"body": "Prefers phone calls."}
    )
    assert response.status_code == 302
    page = client.get(contact_url(people.carol))
    assert "Prefers phone calls." in page.text and "Alice Agent" in page.text
    assert "The note is saved." in page.text
    response = client.post(
        reverse("desk:organisation_note", args=[people.acme.pk]), {"body": "Key account."}
    )
    assert response.status_code == 302
    assert "Key account." in client.get(org_url(people.acme)).text
    empty = client.post(reverse("desk:contact_note", args=[people.carol.pk]), {"body": "  "})
    assert empty.status_code == 400
    assert CustomerNote.objects.count() == 2
    # Never on the portal.
    login(client, people.carol)
    portal = client.get(reverse("portal:ticket", args=[tickets["carol_billing"].pk]))
    assert "Prefers phone calls." not in portal.text


def test_only_staff_write_customer_notes(people):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        add_customer_note(people.carol, body="I am nice.", by=people.carol)


def test_the_organisation_page_lists_its_people_and_tickets(people, tickets, client):
    login(client, people.alice)
    page = client.get(org_url(people.acme))
    assert page.status_code == 200
    for name in ("Carol Customer", "Erin Employee", "Maria Manager"):
        assert name in page.text
    assert "Invoice twice" in page.text and "Server room hot" not in page.text


def test_the_ticket_page_links_to_the_contact_and_organisation(people, tickets, client):
    login(client, people.alice)
    page = client.get(reverse("desk:ticket", args=[tickets["carol_billing"].pk]))
    assert contact_url(people.carol) in page.text and org_url(people.acme) in page.text


def test_history_is_paged_and_filtered(people, client):
    for i in range(PAGE_SIZE + 3):
        _open(people.carol, f"Request number {i:03d}", category=people.billing)
    login(client, people.alice)
    first = client.get(contact_url(people.carol))
    assert f"Request number {PAGE_SIZE + 2:03d}" in first.text
    assert "Request number 000" not in first.text
    assert "page=2" in first.text
    second = client.get(contact_url(people.carol) + "?page=2")
    assert "Request number 000" in second.text
    assert client.get(contact_url(people.carol) + "?page=x").status_code == 200
    closed = client.get(contact_url(people.carol) + "?state=closed")
    assert "Request number" not in closed.text


def _counts(client, django_assert_num_queries, people) -> None:
    """The pages' statements, exactly, for a supervisor and for an agent."""
    # Supervisor, contact: session, user, contact with organisation, page ids,
    # rows, changes, notes. Organisation: session, user, organisation, members,
    # notes, service plans, mail domains, page ids, rows.
    login(client, people.sam)
    with django_assert_num_queries(7):
        assert client.get(contact_url(people.carol)).status_code == 200
    with django_assert_num_queries(9):
        assert client.get(org_url(people.acme)).status_code == 200
    # An agent: the same, plus their teams and whether they may see the customer.
    login(client, people.alice)
    with django_assert_num_queries(9):
        assert client.get(contact_url(people.carol)).status_code == 200
    with django_assert_num_queries(11):
        assert client.get(org_url(people.acme)).status_code == 200
    with django_assert_num_queries(11):
        assert client.get(org_url(people.acme) + "?state=open").status_code == 200


def test_contact_and_organisation_pages_take_the_same_queries_for_many_tickets(
    people, client, django_assert_num_queries
):
    from frontline.accounts.models import Role
    from tests.conftest import make_user

    _open(people.carol, "One", category=people.billing)
    add_customer_note(people.carol, body="Note.", by=people.alice)
    add_customer_note(people.acme, body="Org note.", by=people.alice)
    _counts(client, django_assert_num_queries, people)
    for i in range(60):
        _open(people.carol, f"More {i}", category=people.billing)
        add_customer_note(people.carol, body=f"Note {i}.", by=people.sam)
        add_customer_note(people.acme, body=f"Org note {i}.", by=people.sam)
        update_contact(people.carol, phone=f"+4420794609{i:02}", by=people.sam)
        make_user(f"acme{i}", Role.CUSTOMER, name=f"Acme Person {i}", organisation=people.acme)
    _counts(client, django_assert_num_queries, people)
    # Bounded: 50 tickets, 50 notes, 20 changes and 50 people shown.
    page = client.get(org_url(people.acme))
    assert page.text.count('href="/desk/tickets/') == 2 * PAGE_SIZE
    assert page.text.count('<li><a href="/desk/contacts/') == 50


def test_the_ticket_list_shows_rows_escaped_linked_and_in_the_readers_language(people, client):
    ticket = _open(people.carol, "<b>Printer</b> & co", category=people.billing)
    login(client, people.alice)
    for url in (contact_url(people.carol), org_url(people.acme)):
        page = client.get(url)
        assert "&lt;b&gt;Printer&lt;/b&gt; &amp; co" in page.text
        assert "<b>Printer</b>" not in page.text
        href = reverse("desk:ticket", args=[ticket.pk])
        assert f'<a href="{href}">{ticket.reference}</a>' in page.text
        assert "<td>New</td><td>First line</td>" in page.text
    assert "<small>Carol Customer</small>" in client.get(org_url(people.acme)).text
    assert "<small>Carol Customer</small>" not in client.get(contact_url(people.carol)).text
    from django.utils import translation

    from frontline.tickets.models import Status

    with translation.override("ru"):
        label = str(Status.NEW.label)
    assert label != "New"
    russian = client.get(contact_url(people.carol), HTTP_ACCEPT_LANGUAGE="ru")
    assert f"<td>{label}</td>" in russian.text


@pytest.mark.parametrize("language", ["en", "ru", "zh-hans"])
def test_a_rows_date_reads_as_the_date_filter_writes_it(language):
    """The rows' dates (``date_formatter``, the format parsed once a page) are
    what ``|date:"SHORT_DATETIME_FORMAT"`` gives, in each language and zone."""
    import datetime

    from django.template import Context, Template
    from django.utils import timezone, translation

    from frontline.desk.templatetags.customers import date_formatter

    moments = [
        datetime.datetime(2026, 12, 7, 23, 30, tzinfo=datetime.UTC),
        datetime.datetime(2026, 1, 1, 0, 5, tzinfo=datetime.UTC),
        datetime.datetime(2025, 6, 15, 12, 0, tzinfo=datetime.UTC),
    ]
    template = Template('{{ v|date:"SHORT_DATETIME_FORMAT" }}')
    with translation.override(language), timezone.override("Asia/Shanghai"):
        write = date_formatter("SHORT_DATETIME_FORMAT")
        for moment in moments:
            assert write(moment) == template.render(Context({"v": moment}))


def test_notes_about_the_customer_show_on_their_tickets_for_staff_only(people, tickets, client):
    add_customer_note(people.carol, body="Prefers phone calls.", by=people.sam)
    add_customer_note(people.acme, body="Key account, be quick.", by=people.sam)
    login(client, people.alice)
    page = client.get(reverse("desk:ticket", args=[tickets["carol_billing"].pk]))
    assert "Prefers phone calls." in page.text and "Key account, be quick." in page.text
    dans = client.get(reverse("desk:contact", args=[people.dan.pk]))
    assert dans.status_code == 404
    login(client, people.bob)
    page = client.get(reverse("desk:ticket", args=[tickets["dan_server"].pk]))
    assert "Prefers phone calls." not in page.text and "Key account" not in page.text
    login(client, people.carol)
    page = client.get(reverse("portal:ticket", args=[tickets["carol_billing"].pk]))
    assert "Prefers phone calls." not in page.text and "Key account" not in page.text


def test_the_organisation_page_shows_its_service_plan(people, tickets, client):
    from frontline.routing.models import ServicePlan
    from frontline.tickets.models import Priority

    login(client, people.alice)
    page = client.get(org_url(people.acme))
    assert "Service plan" in page.text and "VIP" not in page.text
    vip = ServicePlan.objects.create(name="VIP", minimum_priority=Priority.URGENT)
    vip.organisations.add(people.acme)
    page = client.get(org_url(people.acme))
    assert "VIP <small>(priority at least Urgent)</small>" in page.text
    login(client, people.sam)
    assert "VIP" not in client.get(org_url(people.globex)).text


def test_a_tickets_status_label_is_its_choice_in_the_active_language():
    """``Ticket.get_status_display`` is ours (Django's rebuilt a dict of every
    choice per call, a third of a list row's cost): the same label, translated."""
    from django.utils import translation

    from frontline.tickets.models import Status

    for language in ("en", "ru", "zh-hans"):
        with translation.override(language):
            for status in Status:
                assert Ticket(status=status).get_status_display() == str(status.label)
    with translation.override("ru"):
        assert Ticket(status=Status.OPEN).get_status_display() != "Open"
    assert Ticket(status="no-such").get_status_display() == "no-such"


def test_a_customers_deep_history_page_is_read_from_one_index(people):
    """The contact and organisation pages' ticket ids, for an agent (whose
    visibility is an OR of team, assignee and no team) and with the open/closed
    filter, come from one index in the pages' order: no table row is read and
    nothing is sorted, however many tickets the customer has."""
    from django.db import connection

    from frontline.tickets.access import visible_tickets

    if connection.vendor != "sqlite":
        pytest.skip("the plan checked is SQLite's")
    for base in (
        visible_tickets(people.alice).filter(requester=people.carol),
        visible_tickets(people.alice).filter(organisation=people.acme),
        visible_tickets(people.sam).filter(organisation=people.acme, is_open=False),
    ):
        ids = base.order_by("-updated_at", "-id").values_list("pk", flat=True)[1950:2001]
        sql, params = ids.query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
            plan = " | ".join(row[-1] for row in cursor.fetchall())
        assert "t_requester_recent" in plan or "t_org_recent" in plan, plan
        assert "TEMP B-TREE" not in plan, plan


def test_the_edit_and_merge_forms_come_when_opened(people, tickets, client):
    """The contact page leaves its two rarely used forms out until their
    <details> opens (htmx fetches the fragment); without JavaScript the link
    opens the form on a page of its own; a form sent back is there, open."""
    login(client, people.alice)
    page = client.get(contact_url(people.carol))
    assert 'name="phone"' not in page.text and 'name="other"' not in page.text
    edit = reverse("desk:contact_form", args=[people.carol.pk, "edit"])
    merge = reverse("desk:contact_form", args=[people.carol.pk, "merge"])
    assert f'hx-get="{edit}"' in page.text and f'hx-get="{merge}"' in page.text
    fragment = client.get(edit, headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and "<html" not in fragment.text
    assert 'name="phone"' in fragment.text and 'value="carol@example.com"' in fragment.text
    assert f'action="{reverse("desk:contact_edit", args=[people.carol.pk])}"' in fragment.text
    alone = client.get(edit)
    assert alone.status_code == 200 and "<html" in alone.text and 'name="phone"' in alone.text
    assert 'name="other"' in client.get(merge, headers={"HX-Request": "true"}).text
    assert client.get(reverse("desk:contact_form", args=[people.carol.pk, "x"])).status_code == 404
    refused = client.post(
        reverse("desk:contact_edit", args=[people.carol.pk]), {"email": "not an address"}
    )
    assert refused.status_code == 400
    assert "<details open>" in refused.text and 'value="not an address"' in refused.text


def test_the_contact_forms_follow_the_contact_pages_rule(people, tickets, client):
    edit = reverse("desk:contact_form", args=[people.dan.pk, "edit"])
    login(client, people.alice)  # no ticket of Dan's in her teams
    assert client.get(edit).status_code == 404
    for customer in (people.carol, people.maria):
        login(client, customer)
        assert client.get(edit).status_code == 404
        assert client.get(edit, headers={"HX-Request": "true"}).status_code == 404
    from frontline.accounts.actions import merge_contacts

    merge_contacts(people.erin, into=people.carol, by=people.sam)
    login(client, people.sam)
    gone = reverse("desk:contact_form", args=[people.erin.pk, "merge"])
    assert client.get(gone).status_code == 404  # a deactivated contact merges no further
    page = client.get(contact_url(people.erin))
    assert page.status_code == 200 and gone not in page.text


def test_with_the_setting_agents_open_every_organisation_but_see_only_their_tickets(
    people, tickets, client, settings
):
    login(client, people.alice)
    assert client.get(org_url(people.globex)).status_code == 404
    settings.FRONTLINE = {**settings.FRONTLINE, "AGENTS_SEE_ALL_CUSTOMERS": True}
    page = client.get(org_url(people.globex))
    assert page.status_code == 200
    assert "Dan" in page.text and "Globex server down" not in page.text
    assert "No tickets that you may see." in page.text
    assert client.get(contact_url(people.alice)).status_code == 404  # staff: never
    login(client, people.maria)  # a manager is a customer: never, setting or not
    assert client.get(org_url(people.acme)).status_code == 404


def test_notes_changes_and_people_are_read_from_an_index_in_their_order(people):
    """However many notes and people an organisation gathers, its page reads
    the first 50 from an index in the list's order: nothing sorted."""
    from django.db import connection

    from frontline.desk.customer_views import _members, _notes

    if connection.vendor != "sqlite":
        pytest.skip("the plan checked is SQLite's")
    for query in (
        _notes(people.carol.customer_notes.all()),
        _notes(people.acme.staff_notes.all()),
        people.carol.contact_changes.all()[:20],
        _members(people.acme),
    ):
        sql, params = query.query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
            plan = " | ".join(row[-1] for row in cursor.fetchall())
        assert "_recent" in plan or "user_org_members" in plan, plan
        assert "TEMP B-TREE" not in plan, plan
