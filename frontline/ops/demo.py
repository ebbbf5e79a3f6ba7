"""Demo data: a small help desk with people, forms and fifty scripted conversations.

Everything about tickets goes through :mod:`frontline.tickets.actions`, exactly
as the desk and the portal do it, so the demo exercises the real code paths and
every ticket has its full event history.

To give the tickets a believable past (created over the last weeks, answered
hours later), the builder runs each action on a scripted clock: while it runs,
``django.utils.timezone.now`` returns the script's time. That is a patch of a
module attribute, so the builder is for a management command or a test, never
for a web process with other threads.
"""

from __future__ import annotations

import datetime
import random
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from unittest import mock

from django.contrib.auth.hashers import make_password
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from frontline.accounts.models import Organisation, OrganisationDomain, Role, Team, User
from frontline.knowledge.reviews import mentor_of
from frontline.ops.demo_articles import load_knowledge
from frontline.ops.demo_setup import load_setup, play_calls
from frontline.ops.demo_tickets import SCRIPTS, Script
from frontline.reports import actions as reports_actions
from frontline.reports import rollup
from frontline.reports.models import ActivityType, Contract, Rate, Scorecard
from frontline.tickets import actions
from frontline.tickets.models import (
    Category,
    ClosureReason,
    EventKind,
    FieldType,
    FormField,
    Priority,
    Status,
    Ticket,
    TicketEvent,
)

DEMO_PASSWORD = "demo"  # noqa: S105 - printed to whoever runs the demo
SEED = 20_250_301
STAFF_DOMAIN = "frontline.test"


@dataclass(frozen=True)
class Person:
    username: str
    first_name: str
    last_name: str
    role: str
    language: str
    team: str = ""
    organisation: str = ""
    is_org_manager: bool = False

    @property
    def email(self) -> str:
        domain = {"Acme": "acme.test", "Globex": "globex.test", "": STAFF_DOMAIN}
        if self.role == Role.CUSTOMER and not self.organisation:
            return f"{self.username}@example.net"
        return f"{self.username}@{domain[self.organisation]}"


# Each with its mail domains: (domain, with its subdomains). Acme has a second
# domain from a brand it bought; Globex's offices write from eu.globex.test & co.
ORGANISATIONS = [
    ("Acme", [("acme.test", False), ("acme-rockets.test", False)]),
    ("Globex", [("globex.test", True)]),
]
TEAMS = [
    ("First line", Team.Tier.FIRST),
    ("Second line", Team.Tier.SECOND),
    ("Specialists", Team.Tier.SPECIALISTS),
]
PEOPLE = [
    Person("admin", "Ada", "Byron", Role.ADMIN, "en"),
    Person("sam", "Sam", "Okafor", Role.SUPERVISOR, "en"),
    Person("alice", "Alice", "Orlova", Role.AGENT, "ru", team="First line"),
    Person("li.wei", "Wei", "Li", Role.AGENT, "zh-hans", team="First line"),
    Person("bob", "Bob", "Chen", Role.AGENT, "en", team="Second line"),
    Person("dmitry", "Dmitry", "Sokolov", Role.AGENT, "ru", team="Second line"),
    Person("priya", "Priya", "Raman", Role.AGENT, "en", team="Specialists"),
    Person(
        "maria", "Maria", "Petrova", Role.CUSTOMER, "ru", organisation="Acme", is_org_manager=True
    ),
    Person("carol", "Carol", "Jensen", Role.CUSTOMER, "en", organisation="Acme"),
    Person("erin", "Erin", "Walsh", Role.CUSTOMER, "en", organisation="Acme"),
    Person("ivan", "Ivan", "Smirnov", Role.CUSTOMER, "ru", organisation="Acme"),
    Person("chen.jing", "Jing", "Chen", Role.CUSTOMER, "zh-hans", organisation="Acme"),
    Person("dan", "Dan", "Howard", Role.CUSTOMER, "en", organisation="Globex"),
    Person("grace", "Grace", "Park", Role.CUSTOMER, "en", organisation="Globex"),
    Person("olga", "Olga", "Kuznetsova", Role.CUSTOMER, "ru", organisation="Globex"),
    Person("zhang.min", "Min", "Zhang", Role.CUSTOMER, "zh-hans", organisation="Globex"),
    Person("wang.fang", "Fang", "Wang", Role.CUSTOMER, "zh-hans", organisation="Globex"),
    Person("pat", "Pat", "Morgan", Role.CUSTOMER, "en"),
]


@dataclass(frozen=True)
class FieldSpec:
    key: str
    label: str
    field_type: str = FieldType.TEXT
    required: bool = False
    help_text: str = ""
    choices: tuple[str, ...] = ()


# name -> (description, default team, default priority, fields)
CATEGORIES: dict[str, tuple[str, str, int, list[FieldSpec]]] = {
    "Hardware problem": (
        "Laptops, monitors, printers, phones and other devices.",
        "First line",
        Priority.NORMAL,
        [
            FieldSpec(
                "device",
                "Device",
                FieldType.CHOICE,
                True,
                choices=("Laptop", "Desktop", "Monitor", "Printer", "Phone", "Other"),
            ),
            FieldSpec(
                "asset_tag",
                "Asset tag",
                FieldType.TEXT,
                True,
                help_text="On the sticker under the device, e.g. ACM-0412.",
            ),
            FieldSpec("since", "Since when", FieldType.DATE),
            FieldSpec("photo", "Photo of the problem", FieldType.FILE),
            FieldSpec("under_warranty", "The device is under warranty", FieldType.CHECKBOX),
        ],
    ),
    "Billing": (
        "Invoices, payments, refunds and contracts.",
        "First line",
        Priority.NORMAL,
        [
            FieldSpec("billing_email", "Billing contact email", FieldType.EMAIL, True),
            FieldSpec(
                "invoice_number", "Invoice number", help_text="If the question is about one."
            ),
            FieldSpec("amount", "Amount in question", FieldType.NUMBER),
            FieldSpec("details", "Anything else we should know", FieldType.LONG_TEXT),
        ],
    ),
    "Access and accounts": (
        "Sign-in problems, passwords, new accounts and permissions.",
        "First line",
        Priority.HIGH,
        [
            FieldSpec(
                "system",
                "System",
                FieldType.CHOICE,
                True,
                choices=("Email", "VPN", "CRM", "ERP", "Shared drive", "Wi-Fi", "Other"),
            ),
            FieldSpec("account_email", "Account email", FieldType.EMAIL, True),
            FieldSpec("callback_phone", "Phone for a callback", FieldType.PHONE),
            FieldSpec("blocked", "I cannot work until this is fixed", FieldType.CHECKBOX),
        ],
    ),
    "Software": (
        "Applications that crash, misbehave or need installing.",
        "First line",
        Priority.NORMAL,
        [
            FieldSpec("application", "Application", FieldType.TEXT, True),
            FieldSpec("version", "Version"),
            FieldSpec("steps", "Steps to reproduce", FieldType.LONG_TEXT),
            FieldSpec("users_affected", "People affected", FieldType.NUMBER),
        ],
    ),
    "Other": ("Anything else. We will find the right person.", "", Priority.NORMAL, []),
}


@dataclass(frozen=True)
class DemoResult:
    users: int
    tickets: int


def demo_url(host: str, port: int) -> str:
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"http://{host}:{port}/"


def describe(user: User) -> str:
    """Who a demo login is, in a few words."""
    if user.is_staff_member:
        teams = ", ".join(t.name for t in user.teams.all())
        extra = " — Django admin at /admin/" if user.is_superuser else ""
        return f"{user.display_name}{', ' + teams if teams else ''}{extra}"
    where = user.organisation.name if user.organisation else "no organisation"
    manager = " (organisation manager)" if user.is_org_manager else ""
    return f"{user.display_name}, {where}{manager}"


def demo_logins() -> list[tuple[str, str, str]]:
    """(username, role, who) of the demo users present in the database, staff first."""
    users = {
        u.username: u
        for u in User.objects.filter(username__in=[p.username for p in PEOPLE])
        .select_related("organisation")
        .prefetch_related("teams")
    }
    return [
        (u.username, u.get_role_display(), describe(u))
        for p in PEOPLE
        if (u := users.get(p.username)) is not None
    ]


class ScriptClock:
    """The time the demo pretends it is, never later than the real now."""

    def __init__(self, real_now: datetime.datetime) -> None:
        self.limit = real_now
        self.current = real_now

    def __call__(self) -> datetime.datetime:
        return self.current

    def set(self, when: datetime.datetime) -> None:
        self.current = min(when, self.limit)


@contextmanager
def scripted_time(clock: ScriptClock) -> Iterator[None]:
    with mock.patch.object(timezone, "now", clock):
        yield


def _people(password_hash: str, joined: datetime.datetime) -> dict[str, User]:
    orgs = {}
    for name, domains in ORGANISATIONS:
        orgs[name], created = Organisation.objects.get_or_create(name=name)
        if created:
            OrganisationDomain.objects.bulk_create(
                OrganisationDomain(organisation=orgs[name], domain=d, subdomains=sub)
                for d, sub in domains
            )
    # The specialists ask for a look at every template before it goes out (issue 16).
    teams = {
        name: Team.objects.get_or_create(
            name=name, defaults={"tier": tier, "confirm_templates": tier == Team.Tier.SPECIALISTS}
        )[0]
        for name, tier in TEAMS
    }
    users: dict[str, User] = {}
    for p in PEOPLE:
        user = User.objects.filter(username=p.username).first()
        if user is None:
            user = User.objects.create(
                username=p.username,
                email=p.email,
                password=password_hash,
                first_name=p.first_name,
                last_name=p.last_name,
                role=p.role,
                language=p.language,
                organisation=orgs.get(p.organisation),
                is_org_manager=p.is_org_manager,
                is_staff=p.role == Role.ADMIN,
                is_superuser=p.role == Role.ADMIN,
                email_verified_at=joined,
                date_joined=joined,
            )
        if p.team:
            teams[p.team].members.add(user)
        users[p.username] = user
    return users


def _categories() -> dict[str, Category]:
    out = {}
    for position, (name, (description, team, priority, specs)) in enumerate(CATEGORIES.items()):
        category, _ = Category.objects.get_or_create(
            name=name,
            defaults={
                "description": description,
                "default_team": Team.objects.filter(name=team).first() if team else None,
                "default_priority": priority,
                "position": position,
            },
        )
        for i, spec in enumerate(specs, start=1):
            FormField.objects.get_or_create(
                category=category,
                key=spec.key,
                defaults={
                    "label": spec.label,
                    "field_type": spec.field_type,
                    "required": spec.required,
                    "help_text": spec.help_text,
                    "choices": "\n".join(spec.choices),
                    "position": i,
                },
            )
        out[name] = category
    return out


def _field_values(
    category: Category, values: dict[str, Any], created: datetime.datetime
) -> dict[str, Any]:
    """Values as the portal form would hand them over: dates as dates, numbers as Decimal.

    A date field scripted as an int means "that many days before the ticket".
    """
    types = {f.key: f.field_type for f in category.fields.all()}
    out: dict[str, Any] = {}
    for key, value in values.items():
        if types.get(key) == FieldType.DATE and isinstance(value, int):
            value = (created - datetime.timedelta(days=value)).date()
        elif types.get(key) == FieldType.NUMBER:
            value = Decimal(str(value))
        out[key] = value
    return out


def _gaps(script: Script, rng: random.Random) -> list[float]:
    """Hours before each step: staff act within hours, customers answer later."""
    gaps = []
    for step in script.steps:
        if step.hours is not None:
            gaps.append(step.hours)
        elif step.act in ("answer", "confirm"):
            gaps.append(rng.uniform(1.0, 16.0))
        else:
            gaps.append(rng.uniform(0.1, 2.5))
    return gaps


def _play(
    script: Script,
    *,
    clock: ScriptClock,
    rng: random.Random,
    users: dict[str, User],
    teams: dict[str, Team],
    categories: dict[str, Category],
) -> None:
    now = clock.limit
    created = now - datetime.timedelta(days=script.age_days, minutes=rng.randint(0, 50))
    gaps = _gaps(script, rng)
    # Squeeze a story that would run past the present into the time it has.
    room = (now - created).total_seconds() / 3600 * 0.95
    if sum(gaps) > room:
        gaps = [g * room / sum(gaps) for g in gaps]
    clock.set(created)
    requester = users[script.requester]
    category = categories[script.category]
    ticket = actions.open_ticket(
        requester=requester,
        by=users[script.opened_by] if script.opened_by else requester,
        subject=script.subject,
        body=script.body,
        category=category,
        fields=_field_values(category, script.fields, created),
        channel=script.channel,
        files=[ContentFile(content, name=name) for name, content in script.files],
    )
    at = created
    for step, gap in zip(script.steps, gaps, strict=True):
        at += datetime.timedelta(hours=gap)
        clock.set(at)
        by = users[step.by] if step.by else requester
        match step.act:
            case "assign":
                actions.assign_ticket(
                    ticket,
                    by=by,
                    assignee=users[step.to] if step.to else None,
                    team=teams[step.team] if step.team else None,
                    note=step.text,
                )
            case "reply" | "answer":
                actions.add_reply(
                    ticket, body=step.text, by=by, channel=script.channel, approved_by=mentor_of(by)
                )
            case "note":
                actions.add_note(ticket, body=step.text, by=by)
            case "ask":
                actions.request_information(
                    ticket, body=step.text, by=by, approved_by=mentor_of(by)
                )
            case "status":
                actions.change_status(ticket, status=step.value, by=by, reason=step.text)
            case "priority":
                actions.change_priority(ticket, priority=step.value, by=by, reason=step.text)
            case "tags":
                actions.set_tags(ticket, names=step.value, by=by)
            case "resolve":
                actions.add_reply(
                    ticket, body=step.text, by=by, channel=script.channel, approved_by=mentor_of(by)
                )
                actions.change_status(
                    ticket, status=Status.RESOLVED, by=by, closure_reason=ClosureReason.SOLVED
                )
            case "confirm":
                actions.confirm_solved(ticket, by=by)
            case _:
                raise ValueError(f"Unknown demo step {step.act!r}")


def load_demo(*, password: str = DEMO_PASSWORD, seed: int = SEED) -> DemoResult:
    """Create the demo organisations, teams, people, categories and tickets.

    Organisations, teams, people and categories that already exist (by name)
    are reused and left as they are; tickets are always added. The scripts are
    played in a fixed order with a seeded random generator, so two runs give
    the same tickets at the same times relative to now. Resolved tickets left
    quiet longer than the quiet period are closed at the end, as the
    periodic task would.
    """
    rng = random.Random(seed)
    real_now = timezone.now().replace(microsecond=0)
    clock = ScriptClock(real_now - datetime.timedelta(minutes=1))
    with transaction.atomic():
        users = _people(make_password(password), real_now - datetime.timedelta(days=90))
        teams = {t.name: t for t in Team.objects.all()}
        categories = _categories()
        load_knowledge(users)
        with scripted_time(clock):
            for script in sorted(SCRIPTS, key=lambda s: -s.age_days):
                _play(
                    script,
                    clock=clock,
                    rng=rng,
                    users=users,
                    teams=teams,
                    categories=categories,
                )
            # The team's setup after the stories (their outcomes stay as
            # scripted), then today's calls, which it applies to.
            load_setup(users)
            clock.set(real_now - datetime.timedelta(minutes=40))
            play_calls(users)
            _measures(rng=rng, clock=clock, real_now=real_now)
            _qa_reviews(rng=rng, clock=clock, real_now=real_now, reviewer=users["sam"])
        actions.close_quiet_resolved()
        # The report's rollup at once (the reactions would write it after the commit).
        for _batch in rollup.rebuild():
            pass
        for _days in rollup.rebuild_daily():
            pass
    return DemoResult(users=len(users), tickets=len(SCRIPTS))


DEMO_ACTIVITIES = [("Diagnosis", True), ("Remote session", True), ("Paperwork", False)]
DEMO_RATINGS = (5, 5, 5, 4, 4, 4, 3, 2, 1)
DEMO_COMMENTS = {
    1: "Nobody read what I wrote.",
    2: "Took far too long.",
    5: "Quick and kind, thanks!",
}


def _measures(*, rng: random.Random, clock: ScriptClock, real_now: datetime.datetime) -> None:
    """Time logged on the answered tickets and ratings of most resolutions, so the
    reports have something to show: through the reports' actions, on the clock
    of each ticket's own story (work on the day it was answered, a rating a
    few hours after the resolution)."""
    activities = [
        ActivityType.objects.get_or_create(name=name, defaults={"billable_by_default": billed})[0]
        for name, billed in DEMO_ACTIVITIES
    ]
    if not Rate.objects.exists():
        Rate.objects.create(hourly_rate=Decimal(60))
    acme = Organisation.objects.get(name="Acme")
    if not Contract.objects.filter(organisation=acme).exists():
        Contract.objects.create(
            organisation=acme,
            name="Support",
            hourly_rate=Decimal(120),
            prepaid_hours=Decimal(20),
            starts_on=(real_now - datetime.timedelta(days=365)).date(),
        )
    answered = Ticket.objects.filter(first_response_at__isnull=False, assignee__isnull=False)
    for ticket in answered.select_related("assignee").order_by("pk"):
        if ticket.first_response_at is None or ticket.assignee is None:
            continue  # for the type checker: the filter leaves none of these
        clock.set(ticket.first_response_at)
        for _ in range(rng.randint(1, 3)):
            reports_actions.log_time(
                ticket,
                minutes=rng.choice((10, 15, 20, 30, 45, 60, 90)),
                by=ticket.assignee,
                activity=rng.choice(activities),
            )
    resolutions = TicketEvent.objects.filter(
        kind=EventKind.STATUS, data__new=Status.RESOLVED
    ).order_by("pk")
    for event in resolutions:
        clock.set(event.created_at)
        invitation = reports_actions.invite_to_survey(event)
        if invitation is None or rng.random() < 0.25:  # some never answer
            continue
        clock.set(event.created_at + datetime.timedelta(hours=rng.randint(1, 20)))
        rating = rng.choice(DEMO_RATINGS)
        reports_actions.answer_survey(
            invitation, rating=rating, comment=DEMO_COMMENTS.get(rating, "")
        )


DEMO_CRITERIA = [
    ("Understood the request", "Answered what was asked, without asking again for what was given."),
    ("Correct and complete", "The answer solved it, with every step the customer needed."),
    ("Tone", "Friendly, plain words, the customer's name, no blame."),
]
DEMO_QA_COMMENTS = {
    3: "Right answer; next time say what you checked before asking for more.",
    4: "Good work: clear steps.",
    5: "Model answer, worth an article.",
}


def _qa_reviews(
    *, rng: random.Random, clock: ScriptClock, real_now: datetime.datetime, reviewer: User
) -> None:
    """A scorecard for every team and the supervisor's QA reviews of a few
    resolved tickets, a day after each resolution, through the reports' action."""
    card = Scorecard.objects.filter(team__isnull=True, is_active=True).first()
    if card is None:
        card = Scorecard.objects.create(name="Every reply")
        for position, (name, guidance) in enumerate(DEMO_CRITERIA):
            card.criteria.create(name=name, guidance=guidance, position=position)
    criteria = list(card.criteria.all())
    resolved = (
        Ticket.objects.filter(status__in=(Status.RESOLVED, Status.CLOSED), assignee__isnull=False)
        .exclude(assignee=reviewer)
        .order_by("pk")
    )
    for ticket in resolved[:8]:
        when = (ticket.resolved_at or real_now) + datetime.timedelta(days=1)
        clock.set(min(when, real_now - datetime.timedelta(minutes=1)))
        scores = {c.pk: rng.choice((3, 4, 4, 5, 5)) for c in criteria}
        reports_actions.review_ticket(
            ticket,
            scores=scores,
            comment=DEMO_QA_COMMENTS[min(scores.values())],
            by=reviewer,
        )
