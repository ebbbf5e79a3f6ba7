"""Tickets and what hangs off them: messages, attachments, events, categories, forms.

Every change to a ticket is made by a function in ``actions.py``; the models
here hold data, facts about one object, and the reusable queries.
"""

from __future__ import annotations

import datetime
import functools
import operator
import secrets
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import models
from django.db.models import Case, Q, Value, When
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from frontline.accounts.models import Organisation, Team
from frontline.lib.prepared import Prepared

if TYPE_CHECKING:
    from frontline.accounts.models import User


class Status(models.TextChoices):
    NEW = "new", _("New")
    OPEN = "open", _("Open")
    WAITING_CUSTOMER = "waiting_customer", _("Waiting for customer")
    WAITING_THIRD_PARTY = "waiting_third_party", _("Waiting for third party")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")


OPEN_STATUSES = (Status.NEW, Status.OPEN, Status.WAITING_CUSTOMER, Status.WAITING_THIRD_PARTY)
WAITING_STATUSES = (Status.WAITING_CUSTOMER, Status.WAITING_THIRD_PARTY)

# Which status a ticket may move to from each status, when staff change it by
# hand. Customers move tickets only through replies and confirmations.
STATUS_TRANSITIONS: dict[str, frozenset[str]] = {
    Status.NEW: frozenset(
        {Status.OPEN, Status.WAITING_CUSTOMER, Status.WAITING_THIRD_PARTY, Status.RESOLVED}
    ),
    Status.OPEN: frozenset({Status.WAITING_CUSTOMER, Status.WAITING_THIRD_PARTY, Status.RESOLVED}),
    Status.WAITING_CUSTOMER: frozenset({Status.OPEN, Status.WAITING_THIRD_PARTY, Status.RESOLVED}),
    Status.WAITING_THIRD_PARTY: frozenset({Status.OPEN, Status.WAITING_CUSTOMER, Status.RESOLVED}),
    # Closing is the customer's confirmation or the quiet period, not a button.
    Status.RESOLVED: frozenset({Status.OPEN}),
    Status.CLOSED: frozenset({Status.OPEN}),
}


class ClosureReason(models.TextChoices):
    """Why a ticket was resolved: asked of staff when they resolve it (the desk
    requires one), kept on the ticket and in its STATUS event for reports."""

    SOLVED = "solved", _("Solved")
    WORKAROUND = "workaround", _("Solved with a workaround")
    DUPLICATE = "duplicate", _("Duplicate of another request")
    NO_ANSWER = "no_answer", _("No answer from the customer")
    NOT_REPRODUCIBLE = "not_reproducible", _("Could not reproduce")
    OUT_OF_SCOPE = "out_of_scope", _("Not something we support")


class Priority(models.IntegerChoices):
    LOW = 1, _("Low")
    NORMAL = 2, _("Normal")
    HIGH = 3, _("High")
    URGENT = 4, _("Urgent")


class Channel(models.TextChoices):
    WEB = "web", _("Web portal")
    EMAIL = "email", _("Email")
    PHONE = "phone", _("Phone")
    CHAT = "chat", _("Chat")
    API = "api", _("API")
    CALLBACK = "callback", _("Callback request")


class Tag(models.Model):
    name = models.SlugField(max_length=50, unique=True, allow_unicode=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


def translated(obj: models.Model, field: str, language: str | None = None) -> str:
    """``obj.<field>`` in ``language`` (the active one if not given): its
    per-language column (``name_ru``, ``label_zh_hans``) if filled in, else the
    field itself (English, the canonical text)."""
    code = (language or get_language() or "").lower().replace("-", "_")
    if code and code != "en":
        value = getattr(obj, f"{field}_{code}", "")
        if value:
            return str(value)
    return str(getattr(obj, field))


class Category(models.Model):
    """What a request is about. Carries the form the portal shows for it.

    Name and description in each language of the site: the plain field is
    English (and what events and rules name); ``*_ru`` and ``*_zh_hans`` are
    shown to people who read those (``display_name``), if filled in.
    """

    name = models.CharField(_("name"), max_length=100, unique=True)
    name_ru = models.CharField(_("name (Russian)"), max_length=100, blank=True)
    name_zh_hans = models.CharField(_("name (Chinese)"), max_length=100, blank=True)
    description = models.TextField(_("description"), blank=True)
    description_ru = models.TextField(_("description (Russian)"), blank=True)
    description_zh_hans = models.TextField(_("description (Chinese)"), blank=True)
    default_team = models.ForeignKey(
        Team, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    default_priority = models.PositiveSmallIntegerField(
        choices=Priority.choices, default=Priority.NORMAL
    )
    is_active = models.BooleanField(default=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "name"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")

    def __str__(self) -> str:
        return self.name

    @property
    def display_name(self) -> str:
        return translated(self, "name")

    @property
    def display_description(self) -> str:
        return translated(self, "description")


class FieldType(models.TextChoices):
    TEXT = "text", _("Text")
    LONG_TEXT = "long_text", _("Long text")
    CHOICE = "choice", _("Choice")
    NUMBER = "number", _("Number")
    DATE = "date", _("Date")
    EMAIL = "email", _("Email")
    PHONE = "phone", _("Phone")
    FILE = "file", _("File")
    CHECKBOX = "checkbox", _("Checkbox")


class FormField(models.Model):
    """One question on a category's form, defined by admins without code."""

    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="fields")
    key = models.SlugField(_("key"), max_length=50)
    label = models.CharField(_("label"), max_length=200)
    label_ru = models.CharField(_("label (Russian)"), max_length=200, blank=True)
    label_zh_hans = models.CharField(_("label (Chinese)"), max_length=200, blank=True)
    field_type = models.CharField(
        _("type"), max_length=20, choices=FieldType.choices, default=FieldType.TEXT
    )
    required = models.BooleanField(_("required"), default=False)
    help_text = models.CharField(_("help text"), max_length=300, blank=True)
    help_text_ru = models.CharField(_("help text (Russian)"), max_length=300, blank=True)
    help_text_zh_hans = models.CharField(_("help text (Chinese)"), max_length=300, blank=True)
    choices = models.TextField(_("choices"), blank=True, help_text=_("One choice per line."))
    choices_ru = models.TextField(
        _("choices (Russian)"),
        blank=True,
        help_text=_("The same choices in the same order, one per line."),
    )
    choices_zh_hans = models.TextField(
        _("choices (Chinese)"),
        blank=True,
        help_text=_("The same choices in the same order, one per line."),
    )
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["category", "key"], name="formfield_unique_key")
        ]

    def __str__(self) -> str:
        return f"{self.category}: {self.label}"

    @property
    def choice_list(self) -> list[str]:
        return [line.strip() for line in self.choices.splitlines() if line.strip()]

    def label_in(self, language: str | None = None) -> str:
        return translated(self, "label", language)

    def help_text_in(self, language: str | None = None) -> str:
        return translated(self, "help_text", language)

    def choice_labels(self, language: str | None = None) -> list[tuple[str, str]]:
        """(value, label) for each choice: the value is the English line, kept
        in the answer whatever the language; the label is the same line of
        the language's list, if that list has as many lines."""
        values = self.choice_list
        shown = [line.strip() for line in translated(self, "choices", language).splitlines()]
        shown = [line for line in shown if line]
        if len(shown) != len(values):
            shown = values
        return list(zip(values, shown, strict=True))


class TicketQuerySet(models.QuerySet["Ticket"]):
    def open(self) -> TicketQuerySet:
        return self.filter(is_open=True)

    def for_requester(self, user: User, *, with_organisation: bool = True) -> TicketQuerySet:
        """What a customer may see: their own tickets, those they take part in (CC'd),
        and their organisation's if they manage it (unless ``with_organisation``
        is off: "my requests")."""
        return self.filter(
            functools.reduce(
                operator.or_, requester_branches(user, with_organisation=with_organisation)
            )
        )

    def for_agent(self, user: User) -> TicketQuerySet:
        """What a staff member may see: everything for supervisors and admins; for
        agents, their teams' tickets, tickets assigned to them, and tickets with no
        team yet."""
        if not user.is_active or not user.is_staff_member:
            return self.none()
        if user.sees_all_tickets:
            return self
        return self.for_agent_in(user.pk, user.team_ids)

    def for_agent_in(self, user_id: Any, team_ids: Any) -> TicketQuerySet:
        """What an agent (not a supervisor) sees, by the agent's id and team ids:
        :meth:`for_agent`'s rule, written once, also for ``lib.prepared`` queries
        (which pass placeholders)."""
        # Assignee first: SQLite then answers that branch from the index alone.
        return self.filter(Q(assignee_id=user_id) | Q(team_id__in=team_ids) | Q(team__isnull=True))

    def with_list_relations(self) -> TicketQuerySet:
        return self.select_related("requester", "organisation", "team", "assignee", "category")


class Ticket(models.Model):
    subject = models.CharField(_("subject"), max_length=300)
    # requester, organisation, team, assignee: no index of their own; each leads
    # a composite index below, which serves every look-up by it (drop-unused-indexes
    # in docs/benchmarks.md: one index entry fewer per ticket written).
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="requested_tickets",
        db_index=False,
    )
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tickets",
        db_index=False,
    )
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.WEB)
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, null=True, blank=True, related_name="tickets"
    )
    fields = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.NEW)
    is_open = models.GeneratedField(
        expression=Case(
            When(status__in=OPEN_STATUSES, then=Value(True)),
            default=Value(False),
            output_field=models.BooleanField(),
        ),
        output_field=models.BooleanField(),
        db_persist=True,
    )
    priority = models.PositiveSmallIntegerField(choices=Priority.choices, default=Priority.NORMAL)
    team = models.ForeignKey(
        Team,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tickets",
        db_index=False,
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assigned_tickets",
        db_index=False,
    )
    handoff_note = models.TextField(blank=True)
    handoff_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    handoff_at = models.DateTimeField(null=True, blank=True)
    # How many times it was handed on from a team or a person to another (or
    # back to the team's queue): kept by ``assign_ticket``, so lists show it
    # without counting events. The same moves as the report's "Passed on".
    transfers = models.PositiveIntegerField(
        _("times handed on"), default=0, db_default=0, editable=False
    )
    tags = models.ManyToManyField(Tag, blank=True, related_name="tickets")
    # People besides the requester who take part (CC'd on mail, or added by an
    # agent): they see the ticket on the portal, may reply by mail, and are
    # told about public replies. Changed only by ``add_participant`` and
    # ``remove_participant``.
    participants = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        through="TicketParticipant",
        through_fields=("ticket", "user"),
        blank=True,
        related_name="participating_tickets",
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    first_response_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # Why it was resolved (empty: not said, e.g. resolved before reasons existed
    # or through the API without one); cleared when it reopens.
    closure_reason = models.CharField(
        _("closure reason"),
        max_length=20,
        choices=ClosureReason.choices,
        blank=True,
        default="",
        db_default="",  # rows written in bulk (bench/generate.py) may leave it out
    )
    due_at = models.DateTimeField(_("due"))
    # Unguessable: mail to support+t-<token>@… lands on this ticket.
    reply_token = models.CharField(max_length=32, null=True, blank=True, unique=True)
    # Set by the SLA clock (frontline.sla) when a policy applies.
    first_response_due_at = models.DateTimeField(null=True, blank=True)
    sla_warn_at = models.DateTimeField(null=True, blank=True)
    sla_warned_at = models.DateTimeField(null=True, blank=True)
    sla_breached_at = models.DateTimeField(null=True, blank=True)
    sla_first_breached_at = models.DateTimeField(null=True, blank=True)
    # Due while a customer message waits for a public answer from staff.
    next_response_due_at = models.DateTimeField(null=True, blank=True)
    sla_next_breached_at = models.DateTimeField(null=True, blank=True)
    # Set when the ticket was merged into another (``merge_tickets``): its
    # messages, people and events live there now, and its pages redirect.
    merged_into = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="merged_tickets"
    )

    # A known problem many customers are hit by (an outage): other tickets are
    # attached to it as its children (``attach_to_incident``), and its public
    # updates and its resolution reach every one of them.
    is_incident = models.BooleanField(_("incident"), default=False, db_default=False)

    objects = TicketQuerySet.as_manager()

    # On the ticket actions.open_ticket returns (not stored): the message it
    # opened with, so a caller needs no query to find it.
    opening_message: Message | None = None

    class Meta:
        indexes = [
            models.Index(fields=["is_open", "due_at"], name="t_open_due"),
            models.Index(fields=["is_open", "-priority", "due_at"], name="t_open_prio"),
            models.Index(fields=["is_open", "-updated_at"], name="t_open_upd"),
            models.Index(fields=["assignee", "is_open", "due_at"], name="t_asg_due"),
            models.Index(fields=["assignee", "is_open", "-priority", "due_at"], name="t_asg_prio"),
            models.Index(fields=["assignee", "is_open", "-updated_at"], name="t_asg_upd"),
            models.Index(fields=["team", "is_open", "due_at"], name="t_team_due"),
            models.Index(fields=["team", "is_open", "-priority", "due_at"], name="t_team_prio"),
            models.Index(fields=["team", "is_open", "-updated_at"], name="t_team_upd"),
            models.Index(fields=["status", "due_at"], name="t_status_due"),
            models.Index(fields=["status", "-resolved_at"], name="t_status_resolved"),
            # A customer's tickets, newest activity first (the desk's contact and
            # organisation pages, the portal's lists): in the pages' exact order,
            # and with the columns an agent's visibility and the open/closed
            # filter read, so a deep page never leaves the index.
            models.Index(
                fields=["requester", "-updated_at", "-id", "is_open", "team", "assignee"],
                name="t_requester_recent",
            ),
            models.Index(
                fields=["organisation", "-updated_at", "-id", "is_open", "team", "assignee"],
                name="t_org_recent",
            ),
            models.Index(fields=["channel", "is_open", "due_at"], name="t_channel_due"),
            models.Index(fields=["is_open", "sla_warned_at", "sla_warn_at"], name="t_sla_warn"),
            models.Index(fields=["is_open", "sla_breached_at", "due_at"], name="t_sla_breach"),
            models.Index(
                fields=["is_open", "sla_next_breached_at", "next_response_due_at"],
                name="t_sla_next",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.subject}"

    @property
    def reference(self) -> str:
        return f"#{self.pk}"

    def get_status_display(self) -> str:  # type: ignore[no-redef]
        """The status's label in the active language. Django's generated method
        rebuilds a dict of every choice on each call (about 300 function calls,
        a third of a list row's cost on the desk's pages); the enum is the same
        lookup."""
        try:
            return str(Status(self.status).label)
        except ValueError:
            return str(self.status)

    @property
    def is_overdue(self) -> bool:
        return self.is_open and self.due_at < timezone.now()

    @property
    def stage(self) -> str:
        """Where the ticket is in the support line, as the customer sees it."""
        team = self.team
        if team is None:
            return str(_("Registered"))
        return str(team.get_tier_display())

    def speaks_for_requester(self, user: User) -> bool:
        """The requester, or a manager of the ticket's organisation (not people copied in)."""
        return user.pk == self.requester_id or bool(
            user.is_org_manager
            and user.organisation_id
            and user.organisation_id == self.organisation_id
        )

    def missing_answers(self, specs: Iterable[FormField] | None = None) -> list[FormField]:
        """The required questions of the ticket's form that have no answer (a
        ticket opened by mail: they are asked of the customer by a signed link).
        ``specs``: the category's questions, if the caller has them already."""
        if self.category_id is None:
            return []
        if specs is None:
            specs = FormField.objects.filter(category_id=self.category_id, required=True)
        return [
            spec
            for spec in specs
            if spec.required and self.fields.get(spec.key) in (None, "", [], False)
        ]

    def incident(self) -> Ticket | None:
        """The incident this ticket is attached to (its parent), if any. One query."""
        return next(iter(_INCIDENT_OF(ticket=self.pk)), None)

    def requester_may_reopen(self, now=None) -> bool:
        if self.status == Status.RESOLVED:
            return True
        if self.status != Status.CLOSED or self.closed_at is None:
            return False
        now = now or timezone.now()
        window = settings.FRONTLINE["REQUESTER_REOPEN_DAYS"]
        return (now - self.closed_at).days < window


# Above this many, for_requester matches participations by subquery, not by ids.
PARTICIPATION_IDS_INLINE = 500


def requester_branches(user: User, *, with_organisation: bool = True) -> tuple[Q, ...]:
    """The rule of :meth:`TicketQuerySet.for_requester` as the conditions whose
    union it is: the customer's own tickets, their organisation's if they manage
    it, and those they take part in. Each branch alone walks one index in order,
    where their union must be read whole and sorted (a list page reads them apart).

    The tickets they take part in are fetched first (one indexed query) and
    passed as ids: an ``OR id IN (subquery)`` would stop PostgreSQL from
    combining the indexes and scan every ticket.
    """
    branches = [Q(requester=user)]
    if with_organisation and user.is_org_manager and user.organisation_id:
        branches.append(Q(organisation_id=user.organisation_id))
    taking_part = TicketParticipant.objects.filter(user=user).values_list("ticket_id", flat=True)
    ids = list(taking_part[: PARTICIPATION_IDS_INLINE + 1])
    if len(ids) > PARTICIPATION_IDS_INLINE:  # rare: correct, if not as quick
        branches.append(Q(pk__in=taking_part))
    elif ids:
        branches.append(Q(pk__in=ids))
    return tuple(branches)


class ParticipantSource(models.TextChoices):
    EMAIL = "email", _("Copied on an email")
    DESK = "desk", _("Added by an agent")
    MERGE = "merge", _("Came with a merged ticket")


# Asked on every portal ticket page: compiled once (lib.prepared).
_INCIDENT_OF = Prepared(
    lambda p: (
        Ticket.objects.filter(
            is_incident=True, links_in__source_id=p.ticket, links_in__kind=LinkKind.CHILD
        )
        .only("id", "subject", "status", "is_open", "is_incident")
        .order_by("pk")[:1]
    )
)


class TicketParticipant(models.Model):
    """Someone besides the requester who takes part in a ticket (see ``Ticket.participants``)."""

    # No index of their own: "participant_unique" leads with the ticket and
    # "participant_user" with the user (migration 0024).
    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, related_name="participations", db_index=False
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="participations",
        db_index=False,
    )
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    how = models.CharField(max_length=10, choices=ParticipantSource.choices)
    # False for someone a customer copied on mail: they get no mail from the desk
    # (an agent's reply would otherwise go to whoever the sender chose) until an
    # agent confirms them.
    confirmed = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["ticket", "user"], name="participant_unique")
        ]
        # for_requester: a customer's participations, answered from the index alone.
        indexes = [models.Index(fields=["user", "ticket"], name="participant_user")]

    def __str__(self) -> str:
        return f"{self.user} on #{self.ticket_id}"


class TicketFollower(models.Model):
    """A staff member who follows a ticket: they hear of the customer's replies as
    the assignee does. Their own subscription, not a change to the ticket (no
    event); changed only by ``follow_ticket`` and ``unfollow_ticket``."""

    # No index of their own: "follower_unique" leads with the ticket and
    # "follower_user" with the user (migration 0024).
    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, related_name="followers", db_index=False
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="followed", db_index=False
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["ticket", "user"], name="follower_unique")]
        # "Does this agent follow this ticket" (the ticket page) and "what do they follow".
        indexes = [models.Index(fields=["user", "ticket"], name="follower_user")]

    def __str__(self) -> str:
        return f"{self.user} follows #{self.ticket_id}"


class ReplyDraft(models.Model):
    """The reply an agent is writing on a ticket, kept on the server so that it
    survives a reload and a colleague taking over sees it: one per ticket,
    shared by the staff who may see the ticket. Not a change to the ticket (no
    event); written only by ``save_draft`` and ``discard_draft``. ``version``
    goes up with each save, so that a save made over a colleague's newer text
    is refused rather than silently losing it."""

    ticket = models.OneToOneField(Ticket, on_delete=models.CASCADE, related_name="draft")
    body = models.TextField()
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    def __str__(self) -> str:
        return f"Draft on #{self.ticket_id} by {self.updated_by}"


class MessageKind(models.TextChoices):
    REPLY = "reply", _("Public reply")
    NOTE = "note", _("Internal note")
    CALL = "call", _("Phone call")
    SYSTEM = "system", _("System event")


# Messages only staff ever see: never on the portal, in mail to customers or the API.
INTERNAL_KINDS = (MessageKind.NOTE, MessageKind.CALL)


class MessageQuerySet(models.QuerySet["Message"]):
    def public(self) -> MessageQuerySet:
        """Messages a customer may read. Internal notes and call logs never are."""
        return self.exclude(kind__in=INTERNAL_KINDS)


class Message(models.Model):
    # Indexed by m_ticket_created (ticket, created_at), not alone.
    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, related_name="messages", db_index=False
    )
    kind = models.CharField(max_length=10, choices=MessageKind.choices, default=MessageKind.REPLY)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="messages",
    )
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.WEB)
    body = models.TextField()
    # The message as the sender formatted it (mail), sanitised; ``body`` stays the
    # canonical text. Remote images are disarmed (``data-remote-src``).
    body_html = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = MessageQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["ticket", "created_at"], name="m_ticket_created")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on #{self.ticket_id}"

    @property
    def is_internal(self) -> bool:
        return self.kind in INTERNAL_KINDS


class CallDetails(models.Model):
    """The facts of a logged phone call; its summary is the message body."""

    class Direction(models.TextChoices):
        INBOUND = "in", _("Inbound")
        OUTBOUND = "out", _("Outbound")

    message = models.OneToOneField(Message, on_delete=models.CASCADE, related_name="call")
    direction = models.CharField(max_length=3, choices=Direction.choices)
    phone = models.CharField(max_length=40, blank=True)
    duration_seconds = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.get_direction_display()} {self.phone}"

    @property
    def minutes(self) -> int:
        return round(self.duration_seconds / 60)


def attachment_path(instance: Attachment, filename: str) -> str:
    # The stored name is ours, never the uploader's: no path tricks, no collisions.
    now = timezone.now()
    return f"attachments/{now:%Y/%m}/{secrets.token_hex(16)}"


class Attachment(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="attachments")
    message = models.ForeignKey(
        Message, on_delete=models.CASCADE, null=True, blank=True, related_name="attachments"
    )
    is_internal = models.BooleanField(default=False)
    file = models.FileField(upload_to=attachment_path, max_length=200)
    filename = models.CharField(max_length=255)
    size = models.PositiveBigIntegerField()
    content_type = models.CharField(max_length=100)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.filename


class EventKind(models.TextChoices):
    CREATED = "created", _("Created")
    STATUS = "status", _("Status changed")
    PRIORITY = "priority", _("Priority changed")
    TEAM = "team", _("Team changed")
    ASSIGNEE = "assignee", _("Assignee changed")
    CATEGORY = "category", _("Category changed")
    FIELDS = "fields", _("Fields changed")
    TAGS = "tags", _("Tags changed")
    REPLY = "reply", _("Public reply")
    NOTE = "note", _("Internal note")
    CONFIRMED = "confirmed", _("Customer confirmed the solution")
    REOPENED = "reopened", _("Reopened")
    CALL = "call", _("Phone call")
    RULE = "rule", _("Triage rule applied")
    SLA_WARNING = "sla_warning", _("SLA deadline near")
    SLA_BREACH = "sla_breach", _("SLA deadline missed")
    MAIL_FAILED = "mail_failed", _("Mail could not be sent")
    PARTICIPANT_ADDED = "participant_added", _("Participant added")
    PARTICIPANT_REMOVED = "participant_removed", _("Participant removed")
    PARTICIPANT_CONFIRMED = "cc_confirmed", _("Participant confirmed")
    REQUESTER = "requester", _("Requester changed")
    MERGED = "merged", _("Another ticket merged into this one")
    MERGED_INTO = "merged_into", _("Merged into another ticket")
    LINKED = "linked", _("Linked to another ticket")
    UNLINKED = "unlinked", _("Link to another ticket removed")
    UNMERGED = "unmerged", _("Merge undone")
    SPLIT = "split", _("A message split off into a new ticket")
    INCIDENT = "incident", _("Marked as an incident")
    INCIDENT_UPDATE = "incident_update", _("Incident update sent to the attached tickets")
    REPLY_HELD = "reply_held", _("Trainee's reply held for review")
    REPLY_RETURNED = "reply_returned", _("Held reply sent back to the trainee")
    MACRO = "macro", _("Macro applied")


# Events a customer may see on the portal timeline. Notes are never among them.
PUBLIC_EVENT_KINDS = (
    EventKind.CREATED,
    EventKind.STATUS,
    EventKind.TEAM,
    EventKind.ASSIGNEE,
    EventKind.CONFIRMED,
    EventKind.REOPENED,
    EventKind.MERGED,
    EventKind.MERGED_INTO,
    EventKind.UNMERGED,
    EventKind.SPLIT,
)


class TicketEvent(models.Model):
    """One row for every change to a ticket, kept forever: the audit log and timeline."""

    # Indexed by e_ticket_created (ticket, created_at), not alone.
    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, related_name="events", db_index=False
    )
    kind = models.CharField(max_length=20, choices=EventKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["ticket", "created_at"], name="e_ticket_created"),
            # Reports count events of a kind over a period (created, reopened, moved).
            models.Index(fields=["kind", "created_at"], name="e_kind_created"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on #{self.ticket_id}"


class LinkKind(models.TextChoices):
    """How one ticket stands to another. Read as "source <kind> target"."""

    RELATED = "related", _("related to")
    DUPLICATE = "duplicate", _("duplicate of")
    CHILD = "child", _("child of")
    # Written by merge_tickets only: the merged ticket points at its survivor.
    MERGED = "merged", _("merged into")


# How a link reads from its target's side ("#7 duplicate of #5": #5 is duplicated by #7).
LINK_LABELS_FROM_TARGET = {
    LinkKind.RELATED: _("related to"),
    LinkKind.DUPLICATE: _("duplicated by"),
    LinkKind.CHILD: _("parent of"),
    LinkKind.MERGED: _("merged from"),
}


# How long a merge can be undone: long enough to notice a mistake, short
# enough that little has happened on the survivor since.
UNDO_MERGE_WITHIN = datetime.timedelta(days=1)


class TicketLink(models.Model):
    """A typed link between two tickets, shown on both (``link_tickets``).

    One row per pair and direction; ``unlink_tickets`` removes it. Who may see
    the other end is decided by ``tickets/access.py`` when it is shown.
    """

    # No index of their own: "link_unique_pair" leads with the source and
    # "link_target" with the target (migration 0024).
    source = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, related_name="links_out", db_index=False
    )
    target = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, related_name="links_in", db_index=False
    )
    kind = models.CharField(max_length=10, choices=LinkKind.choices, default=LinkKind.RELATED)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["source", "target"], name="link_unique_pair"),
            models.CheckConstraint(
                condition=~models.Q(source=models.F("target")), name="link_not_to_itself"
            ),
        ]
        # The other direction: links that point at a ticket (the source's is the
        # unique constraint's index).
        indexes = [models.Index(fields=["target", "source"], name="link_target")]

    def __str__(self) -> str:
        return f"#{self.source_id} {self.get_kind_display()} #{self.target_id}"
