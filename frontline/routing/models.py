"""How tickets find people: team assignment strategies, agents' availability and capacity."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from frontline.accounts.models import Team


class Strategy(models.TextChoices):
    MANUAL = "manual", _("Manual: agents take tickets themselves")
    ROUND_ROBIN = "round_robin", _("Round robin")
    LEAST_OPEN = "least_open", _("Fewest open tickets")


class TeamRouting(models.Model):
    team = models.OneToOneField(Team, on_delete=models.CASCADE, related_name="routing")
    strategy = models.CharField(
        _("assignment strategy"), max_length=20, choices=Strategy.choices, default=Strategy.MANUAL
    )

    class Meta:
        verbose_name = _("team routing")

    def __str__(self) -> str:
        return f"{self.team}: {self.get_strategy_display()}"


class Availability(models.TextChoices):
    AVAILABLE = "available", _("Available")
    AWAY = "away", _("Away")
    OFF = "off", _("Off")


class AgentStatus(models.Model):
    """An agent's availability and load limit. No row means available, no limit."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="routing_status"
    )
    availability = models.CharField(
        max_length=10, choices=Availability.choices, default=Availability.AVAILABLE
    )
    off_until = models.DateField(
        _("off until"), null=True, blank=True, help_text=_("Back on this day (inclusive).")
    )
    capacity = models.PositiveSmallIntegerField(
        _("capacity"), default=0, help_text=_("Most open tickets at once; 0 means no limit.")
    )
    last_assigned_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("agent status")
        verbose_name_plural = _("agent statuses")

    def __str__(self) -> str:
        return f"{self.user}: {self.get_availability_display()}"

    def is_available_on(self, day: datetime.date) -> bool:
        if self.availability == Availability.AWAY:
            return False
        if self.availability == Availability.OFF:
            return self.off_until is not None and day >= self.off_until
        return True
