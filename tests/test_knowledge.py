"""Reply templates: filled in safely, sent by triage rules, inserted by agents."""

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError

from frontline.knowledge.models import ReplyTemplate
from frontline.knowledge.render import render, values_for
from frontline.routing.models import RuleAction, RuleCondition, TriageRule
from frontline.tickets import actions
from frontline.tickets.models import MessageKind, Status, Ticket
from tests.conftest import login

THANKS = "Hello {customer_first_name},\nwe have {ticket_number} ({subject}). {team}, {agent_name}"


def test_render_fills_known_placeholders_and_leaves_the_rest():
    text = render("Hi {name}! {unknown} {{x}} {}", {"name": "Ann"})
    assert text == "Hi Ann! {unknown} {{x}} {}"


def test_values_are_never_read_as_templates():
    assert render("{customer_name}", {"customer_name": "{agent_name}"}) == "{agent_name}"
    assert render("{subject}", {"subject": "{{ settings.SECRET_KEY }}"}) == (
        "{{ settings.SECRET_KEY }}"
    )


def test_values_for_a_ticket(people, ticket):
    values = values_for(ticket, agent=people.alice)
    assert values == {
        "customer_first_name": "Carol",
        "customer_name": "Carol Customer",
        "ticket_number": ticket.reference,
        "subject": "Invoice 2024-17 charged twice",
        "agent_name": "Alice Agent",
        "team": "First line",
        "organisation": "Acme",
        "portal_link": f"{settings.SITE_URL}/portal/tickets/{ticket.pk}/",
    }
    assert values_for(ticket, agent=None)["agent_name"] == ""  # nobody assigned yet


@pytest.fixture
def thanks_rule(people):
    ReplyTemplate.objects.create(name="Thanks", body=THANKS)
    ReplyTemplate.objects.create(name="Thanks", language="ru", body="Здравствуйте, {customer_name}")
    rule = TriageRule.objects.create(name="Acknowledge billing")
    RuleCondition.objects.create(rule=rule, field="category", operator="equals", value="Billing")
    RuleAction.objects.create(rule=rule, kind="send_template", value="Thanks")
    return rule


def open_billing(people, capture, requester=None):
    requester = requester or people.carol
    with capture(execute=True):
        t = actions.open_ticket(
            requester=requester,
            by=requester,
            subject="Charged twice",
            body="Please refund",
            category=people.billing,
        )
    return Ticket.objects.get(pk=t.pk)


def test_a_rule_sends_a_public_template_reply_as_the_system(
    client, people, thanks_rule, django_capture_on_commit_callbacks
):
    t = open_billing(people, django_capture_on_commit_callbacks)
    reply = t.messages.get(author=None)
    assert reply.kind == MessageKind.REPLY
    assert reply.body == f"Hello Carol,\nwe have {t.reference} (Charged twice). First line, "
    # Nobody answered yet: no first response, still new.
    assert t.first_response_at is None and t.status == Status.NEW
    login(client, people.carol)
    assert "Hello Carol," in client.get(f"/portal/tickets/{t.pk}/").content.decode()
    login(client, people.alice)
    assert "Hello Carol," in client.get(f"/desk/tickets/{t.pk}/").content.decode()


def test_the_customers_language_is_preferred(
    people, thanks_rule, django_capture_on_commit_callbacks
):
    people.dan.language = "ru"
    people.dan.save()
    t = open_billing(people, django_capture_on_commit_callbacks, requester=people.dan)
    assert t.messages.get(author=None).body == "Здравствуйте, Dan Other"


def test_an_inactive_template_sends_nothing(
    people, thanks_rule, django_capture_on_commit_callbacks
):
    ReplyTemplate.objects.update(is_active=False)
    t = open_billing(people, django_capture_on_commit_callbacks)
    assert not t.messages.filter(author=None).exists()


def test_admins_cannot_name_a_template_that_does_not_exist(people, thanks_rule):
    with pytest.raises(ValidationError):
        RuleAction(rule=thanks_rule, kind="send_template", value="Nope").full_clean()
    RuleAction(rule=thanks_rule, kind="send_template", value="Thanks").full_clean()


def test_the_customers_language_version_of_each_template_comes_first(client, people, ticket):
    """Issue 16: the picker offers, for each template, the version in the
    customer's language (else the one for any language) first; the other
    versions after, apart."""
    people.carol.language = "ru"
    people.carol.save(update_fields=["language"])
    refund_en = ReplyTemplate.objects.create(name="Refund", body="Refund", language="en")
    refund_ru = ReplyTemplate.objects.create(name="Refund", body="Возврат", language="ru")
    hello = ReplyTemplate.objects.create(name="Hello", body="Hello")  # any language
    closing_en = ReplyTemplate.objects.create(name="Closing", body="Bye", language="en")
    login(client, people.alice)
    page = client.get(f"/desk/tickets/{ticket.pk}/").content.decode()
    picker = page[
        page.index('<select name="template"') : page.index(
            "</select>", page.index('<select name="template"')
        )
    ]
    first, others = picker.split("Other languages")
    assert "In the customer&#x27;s language" in first or "In the customer's language" in first
    for t in (refund_ru, hello):
        assert f'<option value="{t.pk}">' in first and f'<option value="{t.pk}">' not in others
    for t in (refund_en, closing_en):
        assert f'<option value="{t.pk}">' in others and f'<option value="{t.pk}">' not in first
    # One language among them all: one list, no groups.
    ReplyTemplate.objects.exclude(language="en").delete()
    page = client.get(f"/desk/tickets/{ticket.pk}/").content.decode()
    assert (
        "<optgroup" not in page and f'<option value="{refund_en.pk}">Refund (en)</option>' in page
    )


def test_agents_get_a_filled_in_template_to_insert_in_the_reply_box(client, people, ticket):
    template = ReplyTemplate.objects.create(name="Sorry", body="Sorry {customer_first_name} <3")
    hidden = ReplyTemplate.objects.create(name="Old", body="old", is_active=False)
    login(client, people.alice)
    page = client.get(f"/desk/tickets/{ticket.pk}/").content.decode()
    assert f'<option value="{template.pk}">Sorry</option>' in page and "Old" not in page
    url = f"/desk/tickets/{ticket.pk}/template/"
    assert f'data-template-url="{url}"' in page and 'id="template-status"' in page
    # Text, not HTML: desk.js inserts it into what the agent typed, not over it.
    filled = client.get(url, {"template": template.pk})
    assert filled["Content-Type"] == "text/plain; charset=utf-8"
    assert filled.content.decode() == "Sorry Carol <3"
    assert client.get(url, {"template": hidden.pk}).status_code == 404
    assert client.get(url, {"template": "x"}).status_code == 400
    assert client.get(url).status_code == 400
    login(client, people.bob)  # Second line does not see First line's ticket
    assert client.get(url, {"template": template.pk}).status_code == 404
    login(client, people.carol)
    assert client.get(url, {"template": template.pk}).status_code == 404
