"""Business calendars and SLA policies, set up by admins."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from frontline.accounts.models import Team
from frontline.lib.business_hours import Schedule, holiday_dates
from frontline.tickets.models import Channel, Priority

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
HOURS_HELP = _("Working hours, e.g. “09:00-13:00, 14:00-18:00”; empty for a day off.")


class BusinessCalendar(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    time_zone = models.CharField(_("time zone"), max_length=64, default="UTC")
    monday = models.CharField(
        max_length=100, blank=True, default="09:00-18:00", help_text=HOURS_HELP
    )
    tuesday = models.CharField(max_length=100, blank=True, default="09:00-18:00")
    wednesday = models.CharField(max_length=100, blank=True, default="09:00-18:00")
    thursday = models.CharField(max_length=100, blank=True, default="09:00-18:00")
    friday = models.CharField(max_length=100, blank=True, default="09:00-18:00")
    saturday = models.CharField(max_length=100, blank=True)
    sunday = models.CharField(max_length=100, blank=True)
    holiday_country = models.CharField(
        _("public holidays of"),
        max_length=2,
        blank=True,
        help_text=_("Two-letter country code, e.g. GB, RU, CN; empty for none."),
    )
    holiday_subdivision = models.CharField(max_length=10, blank=True)

    class Meta:
        verbose_name = _("business calendar")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        try:
            ZoneInfo(self.time_zone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValidationError({"time_zone": _("Unknown time zone.")}) from exc
        try:
            self.schedule(years=[datetime.date.today().year])  # noqa: DTZ011
        except ValueError as exc:
            raise ValidationError(str(exc)) from exc

    def schedule(self, *, years: Iterable[int]) -> Schedule:
        """The pure schedule for the business-time arithmetic, with the public
        holidays of ``years`` and the custom days off."""
        closed = {d.date for d in self.days_off.all()}
        if self.holiday_country:
            closed |= holiday_dates(
                self.holiday_country, years, subdiv=self.holiday_subdivision or None
            )
        hours = {i: getattr(self, day) for i, day in enumerate(WEEKDAYS)}
        return Schedule.weekly(self.time_zone, hours, closed)


class DayOff(models.Model):
    calendar = models.ForeignKey(
        BusinessCalendar, on_delete=models.CASCADE, related_name="days_off"
    )
    date = models.DateField()
    name = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["date"]
        constraints = [models.UniqueConstraint(fields=["calendar", "date"], name="dayoff_unique")]

    def __str__(self) -> str:
        return f"{self.date} {self.name}"


class SlaPolicy(models.Model):
    """Targets in business minutes for tickets of one priority, channel and
    service plan (or any)."""

    name = models.CharField(_("name"), max_length=100)
    position = models.PositiveSmallIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)
    priority = models.PositiveSmallIntegerField(
        _("priority"),
        choices=Priority.choices,
        null=True,
        blank=True,
        help_text=_("Empty: tickets of any priority."),
    )
    channel = models.CharField(
        _("channel"),
        max_length=10,
        choices=Channel.choices,
        blank=True,
        help_text=_("Empty: tickets from any channel."),
    )
    plan = models.ForeignKey(
        "routing.ServicePlan",
        verbose_name=_("service plan"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty: tickets of any organisation, with a plan or without."),
    )
    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.PROTECT)
    first_response_minutes = models.PositiveIntegerField(_("first response within (minutes)"))
    next_response_minutes = models.PositiveIntegerField(
        _("next response within (minutes)"),
        null=True,
        blank=True,
        help_text=_("After each customer message while the ticket is open; empty for none."),
    )
    resolution_minutes = models.PositiveIntegerField(_("resolution within (minutes)"))
    warn_percent = models.PositiveSmallIntegerField(
        _("warn at (percent of the time used)"), default=80
    )
    raise_priority_on_breach = models.BooleanField(_("raise priority on breach"), default=True)
    move_to_team_on_breach = models.ForeignKey(
        Team,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("move to team on breach"),
    )

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if not 1 <= self.warn_percent <= 99:
            raise ValidationError({"warn_percent": _("Between 1 and 99.")})
