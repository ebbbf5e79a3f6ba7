"""Routing acts: triage rules, automatic assignment, escalation to the next line."""

from __future__ import annotations

from typing import Any

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import prefetch_related_objects
from django.utils import timezone
from django.utils.translation import gettext as _

from frontline.accounts.actions import contact_for, new_contact
from frontline.accounts.models import Role, Team, User
from frontline.knowledge.actions import send_template_reply
from frontline.lib.prepared import Prepared
from frontline.lib.tasks import enqueue_after_commit
from frontline.mail import tasks as mail_tasks
from frontline.mail.models import Notice
from frontline.tickets import actions as ticket_actions
from frontline.tickets.events import record_event
from frontline.tickets.models import (
    Category,
    Channel,
    EventKind,
    Message,
    Priority,
    Ticket,
    TicketEvent,
)

from . import rules
from .assignment import pick_assignee, requirements_for
from .models import (
    AgentStatus,
    PriorityMatrixEntry,
    RuleAction,
    ServicePlan,
    Skill,
    Strategy,
    TeamRouting,
    TriageRule,
)


def assign_automatically(
    ticket_id: int, *, tell_team_id: int | None = None, actor_id: int | None = None
) -> User | None:
    """Give an open, unassigned ticket to a member of its team, by the team's strategy.

    Idempotent: a ticket that has an assignee by now, or no team, or is no longer
    open, is left alone. The team's routing row is locked while choosing, so two
    workers never hand out the same turn twice. Returns the assignee or None.
    ``tell_team_id``: the team the ticket was just moved to (by ``actor_id``);
    if nobody is picked and the ticket is still that team's and nobody's, the
    team's members are mailed instead.
    """
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update().filter(pk=ticket_id).first()
        if ticket is None:
            return None
        assignee, strategy = _pick_for(ticket) if ticket.is_open else (None, "")
        if assignee is not None:
            ticket_actions.assign_ticket(ticket, by=None, assignee=assignee, reason=strategy)
            AgentStatus.objects.update_or_create(
                user=assignee, defaults={"last_assigned_at": timezone.now()}
            )
        elif tell_team_id and ticket.team_id == tell_team_id and not ticket.assignee_id:
            _tell_team(ticket, actor_id=actor_id)
    return assignee


def _tell_team(ticket: Ticket, *, actor_id: int | None) -> None:
    """After commit, mail the active members of the ticket's team that it waits
    for one of them."""
    members = list(
        User.objects.filter(teams=ticket.team_id, is_active=True).values_list("pk", flat=True)
    )
    enqueue_after_commit(
        mail_tasks.notify, Notice.TEAM_ASSIGNED, ticket.pk, actor_id=actor_id, user_ids=members
    )


def _pick_for(ticket: Ticket) -> tuple[User | None, str]:
    """Whom the strategy of the (locked, open) ticket's team picks, if it has a
    team and no assignee, and the strategy; a note says so when the skills
    strategy finds nobody."""
    if ticket.assignee_id or not ticket.team_id:
        return None, ""
    routing = TeamRouting.objects.select_for_update().filter(team_id=ticket.team_id).first()
    strategy = routing.strategy if routing is not None else Strategy.MANUAL
    team = ticket.team
    assert team is not None  # team_id checked above
    needs = requirements_for(ticket.category_id) if strategy == Strategy.SKILLS else {}
    assignee = pick_assignee(team, strategy=strategy, requirements=needs)
    if assignee is None and strategy == Strategy.SKILLS:
        ticket_actions.add_note(ticket, body=_nobody_qualifies(team, needs), by=None)
    return assignee, strategy


def _nobody_qualifies(team: Team, needs: dict[int, int]) -> str:
    """Why the skills strategy left a ticket in the team queue, for the note."""
    if not needs:
        return _(
            "Not assigned automatically: nobody in %(team)s is available and under capacity."
        ) % {"team": team.name}
    names = dict(Skill.objects.filter(pk__in=list(needs)).values_list("pk", "name"))
    wanted = ", ".join(sorted(f"{names[pk]} ≥ {level}" for pk, level in needs.items()))
    return _(
        "Not assigned automatically: nobody in %(team)s who is available and under "
        "capacity has the skills this category needs (%(skills)s)."
    ) % {"team": team.name, "skills": wanted}


# Asked on every desk ticket page: compiled once (lib.prepared).
_NEXT_LINE = Prepared(
    lambda p: Team.objects.filter(is_active=True, tier__gt=p.tier).order_by("tier", "name")[:1]
)


def next_line(team: Team | None, among: list[Team] | None = None) -> Team | None:
    """The first active team of a higher tier (first line → second line → specialists);
    ``among``: the active teams in tier and name order, if the caller has read them."""
    tier = team.tier if team else 0
    if among is not None:
        return next((t for t in among if t.tier > tier), None)
    return next(iter(_NEXT_LINE(tier=tier)), None)


def escalate_ticket(ticket: Ticket, *, by: User, note: str) -> Ticket:
    """Move the ticket to the next line with a handoff note; that team's strategy
    then picks the person. The customer sees the new stage; the note stays internal."""
    current = Ticket.objects.select_related("team").get(pk=ticket.pk)
    target = next_line(current.team)
    if target is None:
        raise ValidationError(_("This ticket is already with the last line of support."))
    return ticket_actions.assign_ticket(current, by=by, team=target, assignee=None, note=note)


_TRIGGERS: dict[str, tuple[str, str]] = {
    TriageRule.Trigger.NEW: (TriageRule.Trigger.NEW, TriageRule.Trigger.BOTH),
    TriageRule.Trigger.REPLY: (TriageRule.Trigger.REPLY, TriageRule.Trigger.BOTH),
}


# has_reply_rules is asked on every customer reply (the mail import: thousands a
# minute), so the answer is kept in the shared cache; saving or deleting a rule
# forgets it (see rules_changed), and it expires anyway after a few seconds.
REPLY_RULES_CACHE_KEY = "routing:has-reply-rules"
REPLY_RULES_CACHE_SECONDS = 10


def has_reply_rules() -> bool:
    """Whether any active rule runs on customers' replies (cached, else one small query)."""
    known = cache.get(REPLY_RULES_CACHE_KEY)
    if known is None:
        known = TriageRule.objects.filter(
            is_active=True, runs_on__in=_TRIGGERS[TriageRule.Trigger.REPLY]
        ).exists()
        cache.set(REPLY_RULES_CACHE_KEY, known, REPLY_RULES_CACHE_SECONDS)
    return known


def rules_changed(**_kwargs: object) -> None:
    """A rule was saved or deleted (signal receiver): ask the database again, now
    and once the change commits (a process may have cached the old answer between)."""
    cache.delete(REPLY_RULES_CACHE_KEY)
    transaction.on_commit(lambda: cache.delete(REPLY_RULES_CACHE_KEY))


# Read for every new ticket (most find no rule): compiled once (lib.prepared).
_ACTIVE_RULES = Prepared(
    lambda p: TriageRule.objects.filter(is_active=True, runs_on__in=p.triggers)
)


def _rules(trigger: str = TriageRule.Trigger.NEW) -> list[rules.Rule]:
    found = _ACTIVE_RULES(triggers=[str(t) for t in _TRIGGERS[trigger]])
    prefetch_related_objects(found, "conditions", "actions")
    return [
        rules.Rule(
            id=r.pk,
            name=r.name,
            match_all=r.match_all,
            stop=r.stop,
            conditions=tuple(
                rules.Condition(field=c.field, operator=c.operator, value=c.value, key=c.key)
                for c in r.conditions.all()
            ),
            actions=tuple((a.kind, a.value.strip()) for a in r.actions.all()),
        )
        for r in found
    ]


def ticket_facts(
    ticket: Ticket, message: Message | None = None, *, plan: str | None = None
) -> rules.Facts:
    """What the rules see of a ticket: its channel, category, sender, words and
    answers; the words are those of ``message`` (a reply) or of the first message.
    ``plan``: the name of the organisation's service plan, if the caller read it."""
    first = message or Message.objects.filter(ticket=ticket).order_by("created_at", "id").first()
    requester = ticket.requester
    if plan is None:
        plan = found.name if (found := plan_for(ticket.organisation_id)) else ""
    return rules.Facts(
        channel=ticket.channel,
        category=ticket.category.name if ticket.category else "",
        organisation=ticket.organisation.name if ticket.organisation else "",
        plan=plan,
        sender_domain=requester.email.rpartition("@")[2].lower(),
        language=requester.language,
        subject=ticket.subject,
        body=first.body if first else "",
        fields={k: "" if v is None else str(v) for k, v in ticket.fields.items()},
        local_time=timezone.localtime(ticket.created_at).time(),
    )


def dry_run(ticket: Ticket) -> list[rules.Verdict]:
    """Which rules would match this ticket now, and why. Changes nothing."""
    return rules.evaluate(_rules(), ticket_facts(ticket))


def apply_rules(
    ticket_id: int,
    *,
    message_id: int | None = None,
    ticket: Ticket | None = None,
    plan: str | None = None,
) -> list[str]:
    """Run the triage rules on a ticket and carry out the matched rules' actions:
    the rules for new tickets, or with ``message_id`` (a customer's reply) the
    rules that run on replies, looking at that reply's words.

    Each action goes through the ticket actions as the system (``by=None``),
    and each matched rule leaves a RULE event naming it. Returns the names of
    the rules applied. Runs once per ticket, and once per reply. ``ticket``:
    the ticket as just read by the caller (triage), not read again; ``plan``
    the name of its service plan, likewise. With no active rule for the
    trigger nothing more is read.
    """
    if ticket is None:
        ticket = Ticket.objects.select_related("category", "organisation", "requester").get(
            pk=ticket_id
        )
    done = TicketEvent.objects.filter(ticket=ticket, kind=EventKind.RULE)
    message = None
    if message_id is None:
        trigger = TriageRule.Trigger.NEW
        done = done.exclude(data__has_key="message")
    else:
        trigger = TriageRule.Trigger.REPLY
        done = done.filter(data__message=message_id)
        message = Message.objects.filter(pk=message_id, ticket=ticket).first()
        if message is None or message.is_internal:
            return []
    active = _rules(trigger)
    if not active:
        return []
    if done.exists():
        return []  # a task run twice must not act twice
    verdicts = rules.evaluate(active, ticket_facts(ticket, message, plan=plan))
    if not any(verdict.matched for verdict in verdicts):
        return []
    applied: list[str] = []
    on_reply: dict[str, Any] = {"message": message_id} if message_id is not None else {}
    with transaction.atomic():
        for verdict in verdicts:
            if not verdict.matched:
                continue
            for kind, value in verdict.rule.actions:
                _carry_out(ticket, kind, value, rule=verdict.rule.name)
                ticket.refresh_from_db()
            record_event(
                ticket,
                EventKind.RULE,
                by=None,
                rule=verdict.rule.name,
                actions=[list(a) for a in verdict.rule.actions],
                **on_reply,
            )
            applied.append(verdict.rule.name)
    return applied


def _carry_out(ticket: Ticket, kind: str, value: str, *, rule: str) -> None:
    reason = f"rule: {rule}"
    if kind == RuleAction.Kind.SET_TEAM:
        team = Team.objects.filter(name=value, is_active=True).first()
        if team:
            ticket_actions.assign_ticket(ticket, by=None, team=team, reason=reason)
    elif kind == RuleAction.Kind.SET_CATEGORY:
        category = Category.objects.filter(name=value).first()
        if category:
            ticket_actions.change_category(ticket, category=category, by=None)
    elif kind == RuleAction.Kind.SET_PRIORITY:
        if value.upper() in Priority.names:
            ticket_actions.change_priority(
                ticket, priority=Priority[value.upper()], by=None, reason=reason
            )
    elif kind == RuleAction.Kind.ADD_TAGS:
        names = {t.name for t in ticket.tags.all()} | {v for v in value.split(",") if v.strip()}
        ticket_actions.set_tags(ticket, names=names, by=None)
    elif kind == RuleAction.Kind.ASSIGN:
        agent = User.objects.agents().filter(username=value).first()
        if agent:
            ticket_actions.assign_ticket(ticket, by=None, assignee=agent, reason=reason)
    elif kind == RuleAction.Kind.ADD_NOTE:
        ticket_actions.add_note(ticket, body=value, by=None)
    elif kind == RuleAction.Kind.SEND_TEMPLATE:
        send_template_reply(ticket, name=value)


def apply_priority_matrix(ticket_id: int) -> Ticket | None:
    """Set a new ticket's priority from its impact and urgency answers, when the
    matrix has that pair."""
    return _priority_from_matrix(Ticket.objects.get(pk=ticket_id))


def _priority_from_matrix(ticket: Ticket) -> Ticket | None:
    impact = str(ticket.fields.get("impact", "")).strip()
    urgency = str(ticket.fields.get("urgency", "")).strip()
    if not impact or not urgency:
        return None
    entry = PriorityMatrixEntry.objects.filter(
        impact__iexact=impact, urgency__iexact=urgency
    ).first()
    if entry is None or entry.priority == ticket.priority:
        return None
    return ticket_actions.change_priority(
        ticket, priority=entry.priority, by=None, reason=f"impact {impact}, urgency {urgency}"
    )


_PLAN = Prepared(
    lambda p: ServicePlan.objects.filter(organisations=p.organisation).order_by(
        "-minimum_priority", "id"
    )[:1]
)


def plan_for(organisation_id: int | None) -> ServicePlan | None:
    """The organisation's service plan; of several, the one with the highest minimum."""
    if organisation_id is None:
        return None
    return next(iter(_PLAN(organisation=organisation_id)), None)


def apply_service_plan(ticket_id: int) -> Ticket | None:
    """Raise a new ticket to its organisation's plan minimum (e.g. VIP: high)."""
    ticket = Ticket.objects.get(pk=ticket_id)
    return _plan_minimum(ticket, plan_for(ticket.organisation_id))


def _plan_minimum(ticket: Ticket, plan: ServicePlan | None) -> Ticket | None:
    if plan is None or ticket.priority >= plan.minimum_priority:
        return None
    return ticket_actions.change_priority(
        ticket, priority=plan.minimum_priority, by=None, reason=f"service plan: {plan.name}"
    )


_TRIAGED = Prepared(
    lambda p: Ticket.objects.select_related("category", "organisation", "requester").filter(pk=p.pk)
)


def triage_and_assign(ticket_id: int) -> None:
    """What happens to every new ticket after it is stored: the priority from
    impact and urgency, the service plan's minimum, the rules, then the team's
    assignment strategy. (The SLA deadlines follow as the next reaction to the
    new ticket, and again on every priority change these make.) The ticket is
    read once for the three, and again only after a priority change."""
    ticket = next(iter(_TRIAGED(pk=ticket_id)), None)
    if ticket is None:
        return
    plan = plan_for(ticket.organisation_id)  # read once, for the minimum and the rules
    changed = _priority_from_matrix(ticket)
    changed = _plan_minimum(changed or ticket, plan) or changed
    apply_rules(ticket_id, ticket=None if changed else ticket, plan=plan.name if plan else "")
    assign_automatically(ticket_id)


def contact_for_caller(
    *, name: str, email: str = "", phone: str = "", confirmed: bool = True
) -> User:
    """The customer behind a caller or a public callback form, created if new.

    With an address: the mail rule (:func:`frontline.accounts.actions.contact_for`:
    an unverified portal account is not trusted with it). With only a number
    (E.164): the active customer with that number, or a new contact keeping it.
    ``confirmed=False`` (an anonymous form: anyone can type anyone's address or
    number) matches only contacts nobody has signed in as, never staff or an
    account someone owns; otherwise a separate contact is made, so a stranger's
    request never joins another person's account. ``ValidationError`` without
    either.
    """
    if not email.strip() and not phone:
        raise ValidationError(_("Give a phone number or an email address."))
    if email.strip():
        found: User | None = contact_for(email, name)
    else:
        found = (
            User.objects.filter(phone=phone, role=Role.CUSTOMER, is_active=True)
            .order_by("id")
            .first()
        )
    if found is not None and (confirmed or _nobody_signs_in_as(found)):
        return found
    return new_contact(
        username=f"phone{phone}" if phone else f"caller-{email.strip()}"[:140],
        name=name,
        email=email.strip() if found is None else "",
        phone=phone,
    )


def _nobody_signs_in_as(user: User) -> bool:
    """A contact made from mail or a call: a customer with no password and no
    confirmed address."""
    return (
        user.role == Role.CUSTOMER
        and user.is_active
        and not user.has_usable_password()
        and user.email_verified_at is None
    )


def request_callback(
    *,
    requester: User,
    phone: str,
    preferred_time: str,
    reason: str,
    remember_phone: bool = True,
) -> Ticket:
    """A customer asks to be called back: a high-priority ticket in the callback queue.

    ``phone`` is already normalised (E.164). The number is kept on the person
    if they had none, unless ``remember_phone`` is off (an anonymous form must
    not write on an account it cannot prove to own). The callback SLA is
    whatever policy matches the ``callback`` channel (the default one answers
    within 5 business minutes).
    """
    first_line = " ".join(reason.split())[:80]
    body = _("Please call me on %(phone)s.") % {"phone": phone}
    if preferred_time.strip():
        body += "\n" + _("Best time: %(when)s") % {"when": preferred_time.strip()}
    body += "\n\n" + reason.strip()
    with transaction.atomic():
        if remember_phone and not requester.phone:
            requester.phone = phone
            requester.save(update_fields=["phone"])
        return ticket_actions.open_ticket(
            requester=requester,
            by=requester,
            subject=_("Call back: %(reason)s") % {"reason": first_line},
            body=body,
            channel=Channel.CALLBACK,
            priority=Priority.HIGH,
        )


def request_callback_anonymously(
    *, name: str, email: str, phone: str, preferred_time: str, reason: str
) -> Ticket:
    """The public "call me back" form, filled in by someone not signed in: the
    visitor becomes a contact (:func:`contact_for_caller`, unconfirmed: anyone
    can type anyone's address or number) and asks for a callback that writes
    nothing on the person found. One transaction."""
    with transaction.atomic():
        requester = contact_for_caller(name=name, email=email, phone=phone, confirmed=False)
        return request_callback(
            requester=requester,
            phone=phone,
            preferred_time=preferred_time,
            reason=reason,
            remember_phone=False,
        )


def open_ticket_by_call(
    *,
    by: User,
    name: str,
    email: str,
    phone: str,
    subject: str,
    body: str,
    direction: str,
    duration_seconds: int,
    summary: str = "",
) -> Ticket:
    """A call opens a ticket for the caller (found or made by
    :func:`contact_for_caller`): the request (``body``, public: the customer's
    own words as the agent took them down) on a new phone ticket, and the call
    logged on it (internal; ``summary``, or the request when empty). One
    transaction: all or nothing. The call is the first response."""
    with transaction.atomic():
        requester = contact_for_caller(name=name, email=email, phone=phone)
        ticket = ticket_actions.open_ticket(
            requester=requester, by=by, subject=subject, body=body, channel=Channel.PHONE
        )
        ticket_actions.log_call(
            ticket,
            by=by,
            direction=direction,
            phone=phone,
            duration_seconds=duration_seconds,
            summary=summary.strip() or body,
        )
    return ticket
