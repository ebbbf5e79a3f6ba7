"""Rates of the SLA clock and the triage rules on the benchmark database.

    python -m bench.run            (runs this after the pages; --only skips it)

SLA recomputation: ``sla.actions.recompute_deadlines`` on a random sample of
open tickets, under one policy per priority (first, next response and
resolution targets) on a business calendar with public holidays. It runs in a
transaction that is rolled back: the benchmark data stay as generated.

Rule evaluation: 20 rules of the kinds admins write (channel, category,
organisation, plan, sender domain, keywords, regular expressions, form
fields, time of day; some "any of", one "stop") against a random sample of
tickets, twice: with each ticket's facts read from the database
(``routing.actions.ticket_facts``, as ``apply_rules`` does) and on the facts
alone (``routing.rules.evaluate``, pure).
"""

from __future__ import annotations

import random
import time
from typing import Any

from bench.common import write_block

START = "<!-- bench:routing:start (written by `make bench`; edit outside these markers) -->"
END = "<!-- bench:routing:end -->"


class _Rollback(Exception):
    pass


def _rules() -> list[Any]:
    from frontline.routing.rules import Condition as C
    from frontline.routing.rules import Rule

    specs = [
        ([C("channel", "equals", "email"), C("subject", "contains", "invoice")], True),
        ([C("text", "regex", r"\b(refund|charge ?back|charged twice)\b")], True),
        ([C("plan", "equals", "VIP")], True),
        ([C("organisation", "one_of", "Org 1, Org 2, Org 3, Org 17, Org 42")], True),
        ([C("sender_domain", "one_of", "example.com, example.org")], True),
        ([C("subject", "regex", r"(urgent|asap|down|outage)")], False),
        ([C("body", "contains", "password"), C("body", "contains", "reset")], True),
        ([C("time_of_day", "between", "18:00-08:00")], True),
        ([C("language", "equals", "ru"), C("channel", "not_equals", "phone")], True),
        (
            [C("category", "equals", "Hardware"), C("form_field", "equals", "Printer", "model")],
            True,
        ),
        ([C("subject", "not_contains", "test"), C("body", "regex", r"error \d{3,}")], True),
        ([C("text", "contains", "GDPR"), C("text", "contains", "personal data")], False),
        ([C("channel", "equals", "callback")], True),
        ([C("subject", "regex", r"^(re|fwd?):", "")], True),
        ([C("body", "regex", r"\b[A-Z]{2}\d{6,}\b")], True),
        ([C("category", "one_of", "Billing, Accounts, Licences")], True),
        ([C("text", "contains", "cancel"), C("text", "contains", "contract")], True),
        ([C("sender_domain", "equals", "globex.test")], True),
        ([C("body", "contains", "screenshot")], False),
        ([], True),  # a catch-all: everything else is normal
    ]
    actions = (("add_tags", "triaged"),)
    return [
        Rule(i, f"rule {i}", tuple(conds), actions, match_all=all_, stop=(i == 13))
        for i, (conds, all_) in enumerate(specs, 1)
    ]


def _policies() -> None:
    from frontline.sla.models import BusinessCalendar, SlaPolicy
    from frontline.tickets.models import Priority

    office = BusinessCalendar.objects.create(
        name="Bench office", time_zone="Europe/London", holiday_country="GB"
    )
    targets = {  # first response, next response, resolution (business minutes)
        Priority.URGENT: (15, 30, 240),
        Priority.HIGH: (60, 120, 960),
        Priority.NORMAL: (240, 480, 2880),
        Priority.LOW: (480, 960, 7200),
    }
    for position, (priority, (first, nxt, resolution)) in enumerate(targets.items()):
        SlaPolicy.objects.create(
            name=f"Bench {priority.label}",
            position=position,
            priority=priority,
            calendar=office,
            first_response_minutes=first,
            next_response_minutes=nxt,
            resolution_minutes=resolution,
        )


def rates(*, sample: int = 2000, seed: int = 1) -> dict[str, Any]:
    """Tickets per second for each measure, with the sample sizes."""
    from django.db import transaction

    from frontline.routing.actions import ticket_facts
    from frontline.routing.rules import evaluate
    from frontline.sla.actions import recompute_deadlines
    from frontline.tickets.models import Ticket

    rng = random.Random(seed)
    open_ids = list(Ticket.objects.filter(is_open=True).values_list("pk", flat=True))
    sla_ids = rng.sample(open_ids, min(sample, len(open_ids)))
    changed = 0
    try:
        with transaction.atomic():
            _policies()
            start = time.perf_counter()
            for pk in sla_ids:
                ticket = recompute_deadlines(pk)
                changed += ticket is not None and ticket.next_response_due_at is not None
            sla_seconds = time.perf_counter() - start
            raise _Rollback
    except _Rollback:
        pass

    rules = _rules()
    max_id = Ticket.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    rule_ids = rng.sample(range(1, max_id + 1), min(sample, max_id))
    start = time.perf_counter()
    facts = []
    matched = 0
    for ticket in Ticket.objects.filter(pk__in=rule_ids).select_related(
        "category", "organisation", "requester"
    ):
        f = ticket_facts(ticket)
        facts.append(f)
        matched += sum(v.matched for v in evaluate(rules, f))
    with_facts_seconds = time.perf_counter() - start
    start = time.perf_counter()
    for _ in range(5):
        for f in facts:
            evaluate(rules, f)
    pure_seconds = (time.perf_counter() - start) / 5
    return {
        "open_tickets": len(open_ids),
        "sla_sample": len(sla_ids),
        "sla_per_s": len(sla_ids) / sla_seconds,
        "sla_with_next_response": changed,
        "rules": len(rules),
        "rule_sample": len(facts),
        "rules_with_facts_per_s": len(facts) / with_facts_seconds,
        "rules_pure_per_s": len(facts) / pure_seconds,
        "matches_per_ticket": matched / max(len(facts), 1),
    }


def block(r: dict[str, Any], *, command: str, tickets: int, date: str) -> str:
    return "\n".join(
        [
            START,
            "",
            f"`{command}`, {date}, on the {tickets:,}-ticket database "
            f"({r['open_tickets']:,} open tickets).",
            "",
            "| measure | sample | tickets/s |",
            "| --- | ---: | ---: |",
            f"| SLA recomputation (`recompute_deadlines`, 4 policies, GB holidays) "
            f"| {r['sla_sample']:,} open | {r['sla_per_s']:,.0f} |",
            f"| triage rules, facts read per ticket (`ticket_facts` + `evaluate`, "
            f"{r['rules']} rules) | {r['rule_sample']:,} | {r['rules_with_facts_per_s']:,.0f} |",
            f"| triage rules, pure (`evaluate` on ready facts, {r['rules']} rules) "
            f"| {r['rule_sample']:,} | {r['rules_pure_per_s']:,.0f} |",
            "",
            f"On average {r['matches_per_ticket']:.1f} rules matched a ticket; "
            f"{r['sla_with_next_response']:,} of the sampled tickets had a customer message "
            "waiting, so a next-response deadline.",
            "",
            END,
        ]
    )


def write_docs(text: str) -> None:
    write_block(text, START, END, heading="Routing and SLA rates")
