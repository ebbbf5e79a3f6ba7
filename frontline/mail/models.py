"""Mailboxes and every message received, kept raw before it is interpreted."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from frontline.tickets.models import Category, Message, Ticket


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
    is_active = models.BooleanField(default=True)

    class Meta:
        verbose_name = _("mailbox")
        verbose_name_plural = _("mailboxes")

    def __str__(self) -> str:
        return f"{self.name} <{self.address}>"


class Outcome(models.TextChoices):
    RECEIVED = "received", _("Received, not processed yet")
    NEW_TICKET = "new_ticket", _("New ticket")
    REPLY = "reply", _("Added to a ticket")
    DUPLICATE = "duplicate", _("Duplicate, skipped")
    SKIPPED = "skipped", _("Skipped")
    QUARANTINED = "quarantined", _("Quarantined")


class InboundMessage(models.Model):
    """One received message, stored raw before anything else happens to it.

    If parsing or ticket creation fails, the row stays with its reason and the
    raw bytes, to be processed again after a fix: a message is never lost.
    """

    mailbox = models.ForeignKey(
        Mailbox, on_delete=models.PROTECT, null=True, blank=True, related_name="messages"
    )
    source = models.CharField(max_length=20, default="import")
    raw = models.BinaryField()
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
