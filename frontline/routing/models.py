"""How tickets find people: team assignment strategies, agents' availability and capacity."""

from __future__ import annotations

import datetime
from collections.abc import Callable

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from frontline.accounts.models import Organisation, Team
from frontline.routing.rules import PatternError, compile_pattern
from frontline.tickets.models import Category, Priority

LEVELS = [MinValueValidator(1), MaxValueValidator(5)]


class Strategy(models.TextChoices):
    MANUAL = "manual", _("Manual: agents take tickets themselves")
    ROUND_ROBIN = "round_robin", _("Round robin")
    LEAST_OPEN = "least_open", _("Fewest open tickets")
    SKILLS = "skills", _("Skills the category needs, then fewest open tickets")


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


class Skill(models.Model):
    """Something an agent knows (a product, a language, a system), at a level 1-5."""

    name = models.CharField(_("name"), max_length=100, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("skill")

    def __str__(self) -> str:
        return self.name


class AgentSkill(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="skills"
    )
    skill = models.ForeignKey(Skill, on_delete=models.CASCADE, related_name="agents")
    level = models.PositiveSmallIntegerField(
        _("level"), validators=LEVELS, help_text=_("1 (basics) to 5 (expert).")
    )

    class Meta:
        verbose_name = _("agent skill")
        constraints = [
            models.UniqueConstraint(fields=["user", "skill"], name="agentskill_unique"),
            models.CheckConstraint(
                condition=models.Q(level__gte=1, level__lte=5), name="agentskill_level_1_5"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user}: {self.skill} {self.level}"


class CategorySkill(models.Model):
    """A skill the agents who take a category's tickets need (teams with the skills strategy)."""

    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="required_skills")
    skill = models.ForeignKey(Skill, on_delete=models.CASCADE, related_name="categories")
    minimum_level = models.PositiveSmallIntegerField(_("minimum level"), validators=LEVELS)

    class Meta:
        verbose_name = _("required skill")
        constraints = [
            models.UniqueConstraint(fields=["category", "skill"], name="categoryskill_unique"),
            models.CheckConstraint(
                condition=models.Q(minimum_level__gte=1, minimum_level__lte=5),
                name="categoryskill_level_1_5",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.category}: {self.skill} ≥ {self.minimum_level}"


class TriageRule(models.Model):
    """A rule admins write in the admin: conditions on a ticket, actions to take,
    on a new ticket and/or on every message a customer adds."""

    class Trigger(models.TextChoices):
        NEW = "new", _("A new ticket")
        REPLY = "reply", _("A customer's reply")
        BOTH = "both", _("Both")

    name = models.CharField(_("name"), max_length=200)
    runs_on = models.CharField(
        _("runs on"),
        max_length=5,
        choices=Trigger.choices,
        default=Trigger.NEW,
        help_text=_("On a reply, conditions on the body look at the reply."),
    )
    position = models.PositiveIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)
    match_all = models.BooleanField(
        _("all conditions must hold"), default=True, help_text=_("Off: any one is enough.")
    )
    stop = models.BooleanField(
        _("stop after this rule"), default=False, help_text=_("Later rules are not applied.")
    )

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("triage rule")
        verbose_name_plural = _("triage rules")

    def __str__(self) -> str:
        return self.name


# Why a "matches the regular expression" condition is refused (rules.PatternError.kind).
PATTERN_ERRORS = {
    "syntax": _("Not a regular expression: %(reason)s."),
    "unsupported": _(
        "RE2, which runs rule patterns and stays fast on any text, cannot use this pattern "
        "(%(reason)s). It has no back-references (\\1, (?P=name)), look-ahead or look-behind "
        "((?=…), (?!…), (?<=…), (?<!…)), atomic groups ((?>…)), possessive quantifiers "
        "(a++) or verbose mode ((?x)), and repeats at most 1000 times."
    ),
    "word_boundary": _(
        "\\b and \\B do not work next to letters outside plain ASCII, such as Cyrillic, "
        "Chinese or accented ones (%(reason)s): RE2 counts only A-Z, a-z, 0-9 and _ as parts "
        "of words. Leave them out, or write (^|\\W) and (\\W|$) instead."
    ),
}


class RuleCondition(models.Model):
    class Field(models.TextChoices):
        CHANNEL = "channel", _("Channel")
        CATEGORY = "category", _("Category")
        ORGANISATION = "organisation", _("Organisation")
        PLAN = "plan", _("Service plan (name)")
        SENDER_DOMAIN = "sender_domain", _("Sender's email domain")
        LANGUAGE = "language", _("Language")
        SUBJECT = "subject", _("Subject")
        BODY = "body", _("First message")
        TEXT = "text", _("Subject or first message")
        FORM_FIELD = "form_field", _("Form field (give its key)")
        TIME_OF_DAY = "time_of_day", _("Time of day (HH:MM-HH:MM)")

    class Operator(models.TextChoices):
        EQUALS = "equals", _("is")
        NOT_EQUALS = "not_equals", _("is not")
        CONTAINS = "contains", _("contains")
        NOT_CONTAINS = "not_contains", _("does not contain")
        REGEX = "regex", _("matches the regular expression")
        ONE_OF = "one_of", _("is one of (comma-separated)")
        BETWEEN = "between", _("is between")

    rule = models.ForeignKey(TriageRule, on_delete=models.CASCADE, related_name="conditions")
    field = models.CharField(max_length=20, choices=Field.choices)
    key = models.SlugField(_("form field key"), max_length=50, blank=True)
    operator = models.CharField(max_length=20, choices=Operator.choices)
    value = models.CharField(max_length=500)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.get_field_display()} {self.get_operator_display()} {self.value}"

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        if self.operator == self.Operator.REGEX:
            try:
                compile_pattern(self.value)
            except PatternError as exc:
                refusal = ValidationError(
                    PATTERN_ERRORS[exc.kind],
                    code=f"regex_{exc.kind}",
                    params={"reason": exc.reason},
                )
                raise ValidationError({"value": refusal}) from exc
        if (self.operator == self.Operator.BETWEEN) != (self.field == self.Field.TIME_OF_DAY):
            raise ValidationError(_("Times of day are compared with “is between” only."))
        if self.field == self.Field.FORM_FIELD and not self.key:
            raise ValidationError({"key": _("Give the form field's key.")})


class RuleAction(models.Model):
    class Kind(models.TextChoices):
        SET_TEAM = "set_team", _("Send to team (name)")
        SET_CATEGORY = "set_category", _("Set category (name)")
        SET_PRIORITY = "set_priority", _("Set priority (low, normal, high, urgent)")
        ADD_TAGS = "add_tags", _("Add tags (comma-separated)")
        ASSIGN = "assign", _("Assign to (username)")
        ADD_NOTE = "add_note", _("Add an internal note (text)")
        SEND_TEMPLATE = "send_template", _("Send a template reply (template name)")

    rule = models.ForeignKey(TriageRule, on_delete=models.CASCADE, related_name="actions")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    value = models.CharField(max_length=2000)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.value}"

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        from frontline.accounts.models import User
        from frontline.knowledge.models import ReplyTemplate
        from frontline.tickets.models import Category, Priority

        value = self.value.strip()
        checks: dict[str, Callable[[], bool]] = {
            self.Kind.SET_TEAM: lambda: not Team.objects.filter(name=value).exists(),
            self.Kind.SET_CATEGORY: lambda: not Category.objects.filter(name=value).exists(),
            self.Kind.ASSIGN: lambda: not User.objects.agents().filter(username=value).exists(),
            self.Kind.SET_PRIORITY: lambda: value.upper() not in Priority.names,
            self.Kind.SEND_TEMPLATE: lambda: (
                not ReplyTemplate.objects.filter(
                    name=value, is_active=True, team=None, owner=None
                ).exists()
            ),
        }
        missing = checks.get(self.kind)
        if missing and missing():
            raise ValidationError(
                {"value": _("No such team, category, agent, priority or active template.")}
            )


class ServicePlan(models.Model):
    """A contract level (e.g. VIP): tickets of its organisations get at least this priority."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    minimum_priority = models.PositiveSmallIntegerField(
        _("minimum priority"), choices=Priority.choices, default=Priority.HIGH
    )
    organisations = models.ManyToManyField(Organisation, related_name="service_plans", blank=True)

    class Meta:
        verbose_name = _("service plan")

    def __str__(self) -> str:
        return self.name


class PriorityMatrixEntry(models.Model):
    """Impact and urgency → priority. Applies to tickets whose form asks both
    (questions with the keys ``impact`` and ``urgency``)."""

    impact = models.CharField(_("impact"), max_length=100)
    urgency = models.CharField(_("urgency"), max_length=100)
    priority = models.PositiveSmallIntegerField(_("priority"), choices=Priority.choices)

    class Meta:
        verbose_name = _("priority matrix entry")
        verbose_name_plural = _("priority matrix")
        constraints = [
            models.UniqueConstraint(fields=["impact", "urgency"], name="matrix_unique_pair")
        ]

    def __str__(self) -> str:
        return f"{self.impact} / {self.urgency} → {self.get_priority_display()}"
