"""Triage rules: the pure evaluator, then rules from the admin applied to new tickets."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from frontline.routing import rules
from frontline.routing.models import RuleAction, RuleCondition, Strategy, TeamRouting, TriageRule
from frontline.tickets import actions
from frontline.tickets.models import EventKind, MessageKind, Priority, Ticket
from tests.conftest import login

Facts = rules.Facts
C = rules.Condition


def rule(rid, *conditions, actions=(), match_all=True, stop=False):
    return rules.Rule(rid, f"rule {rid}", tuple(conditions), tuple(actions), match_all, stop)


def test_conditions_compare_case_insensitively_and_explain_themselves():
    facts = Facts(subject="Invoice 17 CHARGED twice", sender_domain="acme.test")
    ok = rules.check(C("subject", "contains", "charged"), facts)
    assert ok.passed and "yes" in ok.explanation and "Invoice 17" in ok.explanation
    assert not rules.check(C("subject", "not_contains", "invoice"), facts).passed
    assert rules.check(C("sender_domain", "one_of", "globex.test, ACME.test"), facts).passed
    assert rules.check(C("subject", "regex", r"invoice\s+\d+"), facts).passed
    assert not rules.check(C("sender_domain", "equals", "acme"), facts).passed


def test_time_of_day_windows_including_across_midnight():
    night = C("time_of_day", "between", "22:00-06:00")
    office = C("time_of_day", "between", "09:00-17:30")
    assert rules.check(night, Facts(local_time=datetime.time(23, 15))).passed
    assert rules.check(night, Facts(local_time=datetime.time(5, 59))).passed
    assert not rules.check(night, Facts(local_time=datetime.time(6, 0))).passed
    assert rules.check(office, Facts(local_time=datetime.time(17, 29))).passed
    assert not rules.check(office, Facts(local_time=datetime.time(17, 30))).passed


def test_a_broken_condition_fails_with_a_reason_instead_of_crashing():
    result = rules.check(C("subject", "regex", "(unclosed"), Facts(subject="x"))
    assert not result.passed and "cannot check" in result.explanation


def test_form_fields_are_matched_by_key():
    facts = Facts(fields={"model": "Printer"})
    assert rules.check(C("form_field", "equals", "printer", key="model"), facts).passed
    assert not rules.check(C("form_field", "equals", "printer", key="other"), facts).passed


def test_rules_run_in_order_and_stop_ends_the_run():
    facts = Facts(subject="server down", channel="email")
    verdicts = rules.evaluate(
        [
            rule(1, C("channel", "equals", "web")),
            rule(
                2, C("subject", "contains", "down"), actions=[("set_priority", "urgent")], stop=True
            ),
            rule(3, C("subject", "contains", "server"), actions=[("add_tags", "infra")]),
        ],
        facts,
    )
    assert [v.matched for v in verdicts] == [False, True, False]
    assert verdicts[2].skipped and "stopped" in verdicts[2].explanation
    assert [(r.id, k, v) for r, k, v in rules.matched_actions(verdicts)] == [
        (2, "set_priority", "urgent")
    ]


def test_any_versus_all():
    facts = Facts(subject="hello", channel="phone")
    both = [C("subject", "contains", "hello"), C("channel", "equals", "web")]
    assert not rules.evaluate([rule(1, *both)], facts)[0].matched
    assert rules.evaluate([rule(1, *both, match_all=False)], facts)[0].matched
    assert rules.evaluate([rule(1)], facts)[0].matched  # no conditions: every ticket


@pytest.fixture
def billing_rule(people):
    r = TriageRule.objects.create(name="Double charges to second line", position=1)
    RuleCondition.objects.create(
        rule=r, field="text", operator="regex", value=r"charged\s+twice|двойн"
    )
    for kind, value in [
        ("set_team", "Second line"),
        ("set_priority", "high"),
        ("add_tags", "refund, billing"),
        ("add_note", "Check the payment provider's dashboard before replying."),
    ]:
        RuleAction.objects.create(rule=r, kind=kind, value=value)
    later = TriageRule.objects.create(name="Everything else is normal", position=2)
    RuleAction.objects.create(rule=later, kind="set_priority", value="low")
    return r, later


def open_request(people, capture, subject):
    with capture(execute=True):
        return actions.open_ticket(
            requester=people.carol,
            by=people.carol,
            subject=subject,
            body="Please help.",
            category=people.billing,
        )


def test_matching_rules_act_on_a_new_ticket_and_leave_events(
    people, billing_rule, django_capture_on_commit_callbacks
):
    TeamRouting.objects.create(team=people.second_line, strategy=Strategy.ROUND_ROBIN)
    t = open_request(people, django_capture_on_commit_callbacks, "I was charged twice")
    t = Ticket.objects.get(pk=t.pk)
    assert t.team == people.second_line
    assert t.assignee == people.bob  # the new team's strategy ran after the rules
    # the second rule (no stop) also applied: low wins as the last word on priority
    assert t.priority == Priority.LOW
    assert set(t.tags.values_list("name", flat=True)) == {"refund", "billing"}
    note = t.messages.get(kind=MessageKind.NOTE)
    assert note.author is None and "payment provider" in note.body
    applied = list(t.events.filter(kind=EventKind.RULE).values_list("data__rule", flat=True))
    assert applied == ["Double charges to second line", "Everything else is normal"]


def test_stop_keeps_later_rules_from_applying(
    people, billing_rule, django_capture_on_commit_callbacks
):
    first, _later = billing_rule
    first.stop = True
    first.save()
    t = open_request(people, django_capture_on_commit_callbacks, "charged twice again")
    assert Ticket.objects.get(pk=t.pk).priority == Priority.HIGH
    other = open_request(people, django_capture_on_commit_callbacks, "How do I print?")
    other = Ticket.objects.get(pk=other.pk)
    assert other.priority == Priority.LOW and other.team == people.first_line


def test_rule_notes_stay_internal(client, people, billing_rule, django_capture_on_commit_callbacks):
    t = open_request(people, django_capture_on_commit_callbacks, "charged twice")
    login(client, people.carol)
    page = client.get(f"/portal/tickets/{t.pk}/").content.decode()
    assert "payment provider" not in page


def test_dry_run_page_explains_without_changing_anything(client, people, billing_rule, ticket):
    before = (ticket.priority, ticket.team_id, ticket.events.count())
    login(client, people.alice)
    page = client.get(f"/desk/tickets/{ticket.pk}/rules/").content.decode()
    assert "Double charges to second line — <strong>matches</strong>" in page
    assert "yes (was" in page
    ticket.refresh_from_db()
    assert (ticket.priority, ticket.team_id, ticket.events.count()) == before


def test_admin_refuses_rules_that_cannot_work(people):
    r = TriageRule.objects.create(name="bad")
    with pytest.raises(ValidationError):
        RuleCondition(rule=r, field="subject", operator="regex", value="(").full_clean()
    with pytest.raises(ValidationError):
        RuleCondition(rule=r, field="subject", operator="between", value="9-5").full_clean()
    with pytest.raises(ValidationError):
        RuleAction(rule=r, kind="set_team", value="No such team").full_clean()
    with pytest.raises(ValidationError):
        RuleAction(rule=r, kind="set_priority", value="whenever").full_clean()
    RuleAction(rule=r, kind="set_team", value="Second line").full_clean()


def test_triage_runs_once_per_ticket(people, billing_rule, django_capture_on_commit_callbacks):
    from frontline.routing.actions import apply_rules

    t = open_request(people, django_capture_on_commit_callbacks, "charged twice")
    assert apply_rules(t.pk) == []  # the task ran already: nothing twice
    assert t.messages.filter(kind=MessageKind.NOTE).count() == 1


def test_rules_can_run_on_customer_replies_and_read_the_reply(
    people, billing_rule, django_capture_on_commit_callbacks
):
    from frontline.routing.actions import apply_rules

    capture = django_capture_on_commit_callbacks
    angry = TriageRule.objects.create(
        name="Angry customers to a supervisor's eyes",
        position=0,
        runs_on=TriageRule.Trigger.REPLY,
    )
    RuleCondition.objects.create(rule=angry, field="body", operator="contains", value="lawyer")
    RuleAction.objects.create(rule=angry, kind="add_tags", value="escalated")
    t = open_request(people, capture, "My lawyer will hear of this")  # a new ticket
    assert "escalated" not in set(t.tags.values_list("name", flat=True))  # not a reply rule
    with capture(execute=True):
        calm = actions.add_reply(t, body="Any news?", by=people.carol)
    assert not t.tags.filter(name="escalated").exists()
    with capture(execute=True):
        actions.add_reply(t, body="Staff: we are on it, no lawyer needed.", by=people.alice)
    assert not t.tags.filter(name="escalated").exists()  # staff replies trigger nothing
    with capture(execute=True):
        furious = actions.add_reply(t, body="Talk to my lawyer.", by=people.carol)
    assert t.tags.filter(name="escalated").exists()
    events = t.events.filter(kind=EventKind.RULE, data__rule=angry.name)
    assert list(events.values_list("data__message", flat=True)) == [furious.pk]
    assert apply_rules(t.pk, message_id=furious.pk) == []  # once per reply
    assert apply_rules(t.pk, message_id=calm.pk) == []  # did not match then, does not now
    # The new-ticket rules ran once, at creation, and not again on replies.
    assert t.events.filter(kind=EventKind.RULE, data__rule=billing_rule[1].name).count() == 1


@pytest.mark.django_db
def test_whether_rules_run_on_replies_is_cached_and_forgotten_when_a_rule_changes(
    django_assert_num_queries,
):
    from frontline.routing.actions import has_reply_rules

    assert has_reply_rules() is False
    with django_assert_num_queries(0):
        assert has_reply_rules() is False  # cached
    r = TriageRule.objects.create(name="On replies", runs_on=TriageRule.Trigger.REPLY)
    assert has_reply_rules() is True
    r.is_active = False
    r.save()
    assert has_reply_rules() is False
    r.is_active = True
    r.save()
    assert has_reply_rules() is True
    r.delete()
    assert has_reply_rules() is False
