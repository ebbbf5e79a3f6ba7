"""The service plan as a triage-rule condition, with its dry-run explanation."""

from frontline.routing import rules
from frontline.routing.actions import dry_run, ticket_facts
from frontline.routing.models import RuleAction, RuleCondition, ServicePlan, TriageRule
from frontline.tickets import actions
from frontline.tickets.models import Priority, Ticket
from tests.conftest import login

VIP = rules.Condition("plan", "equals", "vip")


def test_the_plan_condition_compares_the_plan_name_and_says_so():
    yes = rules.check(VIP, rules.Facts(plan="VIP"))
    assert yes.passed and yes.explanation == "service plan equals “vip”: yes (was “VIP”)"
    no = rules.check(VIP, rules.Facts())
    assert not no.passed and no.explanation == "service plan equals “vip”: no (no plan)"
    assert rules.check(rules.Condition("plan", "one_of", "Gold, VIP"), rules.Facts(plan="vip"))


def test_facts_carry_the_organisations_highest_plan(people, ticket):
    assert ticket_facts(ticket).plan == ""
    ServicePlan.objects.create(name="Basic", minimum_priority=Priority.LOW).organisations.add(
        people.acme
    )
    ServicePlan.objects.create(name="VIP", minimum_priority=Priority.HIGH).organisations.add(
        people.acme
    )
    assert ticket_facts(ticket).plan == "VIP"


def test_a_plan_rule_acts_on_tickets_of_the_plans_organisations_only(
    client, people, django_capture_on_commit_callbacks
):
    ServicePlan.objects.create(name="VIP", minimum_priority=Priority.NORMAL).organisations.add(
        people.acme
    )
    rule = TriageRule.objects.create(name="VIPs to second line")
    RuleCondition.objects.create(rule=rule, field="plan", operator="equals", value="VIP")
    RuleAction.objects.create(rule=rule, kind="set_team", value="Second line")

    def open_for(customer):
        with django_capture_on_commit_callbacks(execute=True):
            t = actions.open_ticket(requester=customer, by=customer, subject="Help", body="Please")
        return Ticket.objects.get(pk=t.pk)

    assert open_for(people.carol).team == people.second_line  # Acme is VIP
    other = open_for(people.dan)  # Globex has no plan
    assert other.team is None
    (verdict,) = dry_run(other)
    assert not verdict.matched
    assert verdict.checks[0].explanation == "service plan equals “VIP”: no (no plan)"
    login(client, people.alice)
    page = client.get(f"/desk/tickets/{other.pk}/rules/").content.decode()
    assert "service plan equals “VIP”: no (no plan)" in page
