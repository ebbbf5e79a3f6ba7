"""Records of what was done to people's data: erasures (and the retention rules)."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Erasure(models.Model):
    """One contact erased: who did it, when and how much was touched, never what
    was there (no name, no address, no words). ``contact`` is the row that stays
    behind, anonymised, so tickets keep their requester and the numbers add up."""

    contact = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    erased_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    erased_at = models.DateTimeField(default=timezone.now)
    # How many rows and files of each kind were changed, e.g. {"messages": 3}.
    counts = models.JSONField(default=dict)

    class Meta:
        ordering = ["-erased_at"]
        verbose_name = _("erasure")
        verbose_name_plural = _("erasures")

    def __str__(self) -> str:
        return f"Contact #{self.contact_id} erased"


class RetentionDelete(models.TextChoices):
    ATTACHMENTS = "attachments", _("their attachments")
    TICKETS = "tickets", _("the whole tickets")


class RetentionRule(models.Model):
    """Delete the attachments, or the whole tickets, of tickets closed more than
    ``after_days`` ago, in a category and/or of an organisation (all closed
    tickets when neither is set). Run by the scheduler; ``frontline retention``
    shows what is due before anything goes."""

    name = models.CharField(_("name"), max_length=100)
    category = models.ForeignKey(
        "tickets.Category",
        verbose_name=_("category"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    organisation = models.ForeignKey(
        "accounts.Organisation",
        verbose_name=_("organisation"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    what = models.CharField(
        _("delete"),
        max_length=12,
        choices=RetentionDelete.choices,
        default=RetentionDelete.ATTACHMENTS,
    )
    after_days = models.PositiveIntegerField(
        _("days after closing"), validators=[MinValueValidator(1)]
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("retention rule")
        verbose_name_plural = _("retention rules")

    def __str__(self) -> str:
        return self.name


class RetentionRun(models.Model):
    """What one rule deleted at one run: the record that it happened."""

    rule = models.ForeignKey(RetentionRule, on_delete=models.CASCADE, related_name="runs")
    ran_at = models.DateTimeField(default=timezone.now)
    tickets = models.PositiveIntegerField(default=0)
    attachments = models.PositiveIntegerField(default=0)
    bytes = models.PositiveBigIntegerField(default=0)

    class Meta:
        ordering = ["-ran_at"]
        verbose_name = _("retention run")

    def __str__(self) -> str:
        return f"{self.rule} at {self.ran_at:%Y-%m-%d %H:%M}"
