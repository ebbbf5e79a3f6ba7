"""Mailboxes and every message received, kept raw before it is interpreted."""

from __future__ import annotations

import ipaddress
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from frontline.accounts.models import Team
from frontline.lib.sealed import SealedTextField
from frontline.lib.stored_bytes import StoredBytesField
from frontline.tickets.models import Category, Message, Ticket


class ImapSecurity(models.TextChoices):
    SSL = "ssl", _("SSL/TLS (port 993)")
    STARTTLS = "starttls", _("STARTTLS (port 143)")
    NONE = "none", _("None (loopback only)")


class StrangerReplies(models.TextChoices):
    """What becomes of mail that cites a ticket (``[#1042]``, In-Reply-To) from
    someone not on it: such headers are easy to forge."""

    NEW_TICKET = "new_ticket", _("Open a new ticket for the sender")
    NOTE = "note", _("Add it to the cited ticket as a flagged internal note")


class SuspectMail(models.TextChoices):
    """What becomes of new mail the mail server marked as spam, or whose sender
    failed authentication (DMARC, SPF, DKIM): never acknowledged, since the
    acknowledgement could go to someone whose address was forged."""

    TICKET = "ticket", _("Open a ticket, without acknowledging it")
    QUARANTINE = "quarantine", _("Quarantine it for an admin to look at")


class ImapAfter(models.TextChoices):
    FLAG = "flag", _("Mark as seen and flag it (stays in the folder)")
    MOVE = "move", _("Move to another folder")
    DELETE = "delete", _("Delete from the server")


class MailboxQuerySet(models.QuerySet["Mailbox"]):
    def addresses(self) -> set[str]:
        """The mailboxes' addresses, in lower case."""
        return {a.lower() for a in self.values_list("address", flat=True)}


class Mailbox(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    address = models.EmailField(_("address"), unique=True)
    default_category = models.ForeignKey(
        Category,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("New tickets from this mailbox get this category (and its team)."),
    )
    default_team = models.ForeignKey(
        Team,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("default team"),
        help_text=_("New tickets from this mailbox go to this team if their category names none."),
    )
    is_active = models.BooleanField(default=True)
    suspect_mail = models.CharField(
        _("new mail marked as spam or failing authentication"),
        max_length=12,
        choices=SuspectMail.choices,
        default=SuspectMail.TICKET,
    )
    stranger_replies = models.CharField(
        _("mail citing a ticket from someone not on it"),
        max_length=12,
        choices=StrangerReplies.choices,
        default=StrangerReplies.NEW_TICKET,
        help_text=_(
            "A ticket number in the subject is easy to forge, so such mail never joins "
            "the conversation: either it opens a new ticket, or agents see it on the "
            "cited ticket as an internal note that says who sent it."
        ),
    )

    # Fetching from an IMAP server (leave the host empty for mail that is piped in
    # through `frontline mail listen` or imported from files).
    imap_host = models.CharField(_("IMAP host"), max_length=255, blank=True)
    imap_port = models.PositiveIntegerField(
        _("IMAP port"), null=True, blank=True, help_text=_("Empty: 993 with SSL, else 143.")
    )
    imap_security = models.CharField(
        _("IMAP security"), max_length=10, choices=ImapSecurity.choices, default=ImapSecurity.SSL
    )
    imap_username = models.CharField(_("IMAP user name"), max_length=255, blank=True)
    # Encrypted at rest (frontline.lib.sealed); `frontline rotate_secrets` after a key change.
    imap_password = SealedTextField(_("IMAP password"), blank=True)
    imap_folder = models.CharField(_("IMAP folder"), max_length=255, default="INBOX")
    imap_poll_seconds = models.PositiveIntegerField(
        _("poll every (seconds)"), default=60, validators=[MinValueValidator(10)]
    )
    imap_after = models.CharField(
        _("after fetching"), max_length=10, choices=ImapAfter.choices, default=ImapAfter.FLAG
    )
    imap_move_to = models.CharField(
        _("move to folder"),
        max_length=255,
        blank=True,
        help_text=_('For "move": the folder fetched messages go to (created if missing).'),
    )
    # What the last poll found, for the admin list.
    imap_uidvalidity = models.BigIntegerField(_("UIDVALIDITY"), null=True, blank=True)
    imap_last_polled_at = models.DateTimeField(_("last polled"), null=True, blank=True)
    imap_last_error = models.TextField(_("last error"), blank=True)
    # The poll lease: one poll or IDLE watcher at a time per mailbox. Taken by a
    # conditional update while free or expired, renewed while its holder works,
    # cleared when it is done (see frontline.mail.imap.Lease).
    imap_lease_owner = models.CharField(_("being polled by"), max_length=200, blank=True)
    imap_lease_until = models.DateTimeField(_("held until"), null=True, blank=True)

    objects = MailboxQuerySet.as_manager()

    class Meta:
        verbose_name = _("mailbox")
        verbose_name_plural = _("mailboxes")

    def __str__(self) -> str:
        return f"{self.name} <{self.address}>"

    def clean(self) -> None:
        if not self.imap_host:
            return
        if self.imap_security == ImapSecurity.NONE and not is_loopback(self.imap_host):
            raise ValidationError(
                {"imap_security": _("Without TLS only a server on this machine (loopback).")}
            )
        if self.imap_after == ImapAfter.MOVE and not self.imap_move_to:
            raise ValidationError({"imap_move_to": _("Name the folder to move messages to.")})
        if not self.imap_username:
            raise ValidationError({"imap_username": _("The IMAP server needs a user name.")})

    @property
    def polls_imap(self) -> bool:
        return bool(self.is_active and self.imap_host)

    def imap_due(self, now: datetime) -> bool:
        """Whether the poll interval has passed since the last poll."""
        last = self.imap_last_polled_at
        return last is None or now >= last + timedelta(seconds=self.imap_poll_seconds)


def is_loopback(host: str) -> bool:
    """Whether ``host`` names this machine (where plain-text IMAP is acceptable)."""
    if host.lower() in {"localhost", "localhost."}:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class Outcome(models.TextChoices):
    RECEIVED = "received", _("Received, not processed yet")
    NEW_TICKET = "new_ticket", _("New ticket")
    REPLY = "reply", _("Added to a ticket")
    DUPLICATE = "duplicate", _("Duplicate, skipped")
    SKIPPED = "skipped", _("Skipped")
    QUARANTINED = "quarantined", _("Quarantined")


def raw_mail_in_files() -> bool:
    return settings.FRONTLINE["RAW_MAIL_IN_FILES"]


class InboundMessage(models.Model):
    """One received message, stored raw before anything else happens to it.

    If parsing or ticket creation fails, the row stays with its reason and the
    raw bytes, to be processed again after a fix: a message is never lost.
    ``raw`` is compressed (zstandard) in the database, or kept in a file of the
    default storage (S3) with ``RAW_MAIL_IN_FILES``; ``bytes(row.raw)`` is the
    message as received either way, and rows written before either still read.
    """

    mailbox = models.ForeignKey(
        Mailbox, on_delete=models.PROTECT, null=True, blank=True, related_name="messages"
    )
    source = models.CharField(max_length=20, default="import")
    raw = StoredBytesField(folder="mail/raw", suffix=".eml.zst", in_files=raw_mail_in_files)
    content_hash = models.CharField(max_length=64, unique=True)
    message_id_header = models.CharField(_("Message-ID"), max_length=998, blank=True, db_index=True)
    sender = models.CharField(max_length=320, blank=True)
    subject = models.CharField(max_length=300, blank=True)
    received_at = models.DateTimeField(default=timezone.now)
    outcome = models.CharField(
        max_length=20, choices=Outcome.choices, default=Outcome.RECEIVED, db_index=True
    )
    reason = models.TextField(blank=True)
    ticket = models.ForeignKey(
        Ticket, on_delete=models.SET_NULL, null=True, blank=True, related_name="inbound_mail"
    )
    message = models.ForeignKey(
        Message, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at"]
        verbose_name = _("received message")
        indexes = [
            models.Index(
                fields=["message_id_header"],
                name="inbound_threaded",
                condition=Q(ticket__isnull=False),
            )
        ]

    def __str__(self) -> str:
        return f"{self.sender}: {self.subject}"


class Notice(models.TextChoices):
    """What an outgoing message tells its reader."""

    RECEIVED = "received", _("Request received (to the customer)")
    REPLY = "reply", _("Agent replied (to the customer)")
    INFO_REQUESTED = "info_requested", _("Information requested (to the customer)")
    RESOLVED = "resolved", _("Resolved (to the customer)")
    CLOSED = "closed", _("Closed (to the customer)")
    MERGED = "merged", _("Requests merged (to the customers)")
    SPLIT = "split", _("A message became a request of its own (to its writer)")
    SURVEY = "survey", _("How did we do? (to the customer)")
    ESTIMATE = "estimate", _("Estimate to approve (to the customer)")
    ESTIMATE_DECIDED = "estimate_decided", _("Estimate approved or declined (to the agent)")
    BAD_RATING = "bad_rating", _("Low satisfaction rating (to supervisors)")
    ASSIGNED = "assigned", _("Assigned to you (to an agent)")
    TEAM_ASSIGNED = "team_assigned", _("Assigned to your team (to agents)")
    CUSTOMER_REPLIED = "customer_replied", _("Customer replied (to the assignee)")
    MENTIONED = "mentioned", _("Mentioned in a note (to an agent)")
    REPLY_HELD = "reply_held", _("A trainee's reply waits for review (to the mentor)")
    SLA_WARNING = "sla_warning", _("Deadline near (to the assignee)")
    SLA_BREACH = "sla_breach", _("Deadline missed (to supervisors)")
    VERIFY_EMAIL = "verify_email", _("Confirm your address")
    PASSWORD_RESET = "password_reset", _("Set or reset your password")


# Notices sent without a person writing anything: subject to the per-address rate limit.
AUTOMATIC_NOTICES = frozenset({Notice.RECEIVED})
# Mails with a one-time link: rate-limited per address, and not kept once sent.
ACCOUNT_NOTICES = frozenset({Notice.VERIFY_EMAIL, Notice.PASSWORD_RESET})


class NotificationTemplate(models.Model):
    """An admin's own wording for a notice, in one language, overriding the built-in one.

    Subject and body are Django templates with the same context as the built-in
    ones (``ticket``, ``recipient``, ``customer_name``, ``agent_name``, ``body``,
    ``portal_url``, ``link``).
    """

    notice = models.CharField(_("notice"), max_length=30, choices=Notice.choices)
    language = models.CharField(
        _("language"),
        max_length=10,
        blank=True,
        help_text=_("Empty: every language without a template of its own."),
    )
    subject = models.CharField(_("subject"), max_length=300)
    body = models.TextField(_("body"))
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("notification template")
        constraints = [
            models.UniqueConstraint(fields=["notice", "language"], name="one_template_per_language")
        ]

    def __str__(self) -> str:
        return f"{self.get_notice_display()} [{self.language or '*'}]"

    def clean(self) -> None:
        from django.template import Template, TemplateSyntaxError

        for name in ("subject", "body"):
            try:
                Template(getattr(self, name))
            except TemplateSyntaxError as exc:
                raise ValidationError({name: str(exc)}) from exc


class Delivery(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    SUPPRESSED = "suppressed", _("Not sent")


class OutboundMessage(models.Model):
    """One message we send, written before it is sent and kept after.

    The background worker sends it; a failure is retried with backoff until
    ``MAIL_MAX_ATTEMPTS``, then the message is failed and the ticket says so.
    Its Message-ID threads the customer's answer back to the ticket.
    """

    notice = models.CharField(max_length=30, choices=Notice.choices)
    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, null=True, blank=True, related_name="outbound_mail"
    )
    message = models.ForeignKey(
        Message, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    to_address = models.CharField(max_length=320)
    from_header = models.CharField(max_length=400)
    reply_to = models.CharField(max_length=320, blank=True)
    subject = models.CharField(max_length=400)
    body = models.TextField()
    message_id_header = models.CharField(_("Message-ID"), max_length=300, unique=True)
    in_reply_to = models.CharField(max_length=998, blank=True)
    references = models.TextField(blank=True)
    status = models.CharField(
        max_length=12, choices=Delivery.choices, default=Delivery.QUEUED, db_index=True
    )
    # Sent without a person writing it (acknowledgements, rule replies): marked
    # Auto-Submitted and rate-limited per address.
    automatic = models.BooleanField(default=False)
    reason = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("sent message")
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="outbound_due"),
            models.Index(fields=["to_address", "created_at"], name="outbound_rate"),
            models.Index(fields=["ticket", "created_at"], name="outbound_ticket"),
        ]

    def __str__(self) -> str:
        return f"{self.to_address}: {self.subject}"


# Notices that also appear in the desk's notification list (the bell).
IN_APP_NOTICES = frozenset(
    {Notice.ASSIGNED, Notice.MENTIONED, Notice.CUSTOMER_REPLIED, Notice.REPLY_HELD}
)


class Notification(models.Model):
    """A notice shown to a staff member in the desk, beside the mail of it:
    written by ``outbound.notify`` in the same transaction, to the same people.
    Read when opened or all marked read; only the latest are listed."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="+")
    notice = models.CharField(max_length=30, choices=Notice.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            # The bell's unread count, and the list, newest first.
            models.Index(fields=["user", "read_at"], name="notification_unread"),
            models.Index(fields=["user", "-created_at"], name="notification_latest"),
        ]

    def __str__(self) -> str:
        return f"{self.get_notice_display()} on #{self.ticket_id} for {self.user}"
