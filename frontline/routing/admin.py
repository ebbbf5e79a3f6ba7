from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import (
    AgentSkill,
    AgentStatus,
    CategorySkill,
    PriorityMatrixEntry,
    RuleAction,
    RuleCondition,
    ServicePlan,
    Skill,
    TeamRouting,
    TriageRule,
)


@admin.register(TeamRouting)
class TeamRoutingAdmin(admin.ModelAdmin):
    list_display = ("team", "strategy")


@admin.register(AgentStatus)
class AgentStatusAdmin(admin.ModelAdmin):
    list_display = ("user", "availability", "off_until", "capacity", "last_assigned_at")
    list_filter = ("availability",)
    readonly_fields = ("last_assigned_at",)


class ConditionInline(admin.TabularInline):
    model = RuleCondition
    extra = 1


class ActionInline(admin.TabularInline):
    model = RuleAction
    extra = 1


@admin.register(TriageRule)
class TriageRuleAdmin(admin.ModelAdmin):
    list_display = ("name", "position", "is_active", "runs_on", "match_all", "stop")
    list_editable = ("position", "is_active")
    list_filter = ("runs_on", "is_active")
    inlines = [ConditionInline, ActionInline]


@admin.register(ServicePlan)
class ServicePlanAdmin(admin.ModelAdmin):
    list_display = ("name", "minimum_priority")
    filter_horizontal = ("organisations",)


@admin.register(PriorityMatrixEntry)
class PriorityMatrixAdmin(admin.ModelAdmin):
    list_display = ("impact", "urgency", "priority")
    list_editable = ("priority",)
    ordering = ("impact", "urgency")


class AgentSkillInline(admin.TabularInline):
    model = AgentSkill
    extra = 1
    autocomplete_fields = ("user",)
    verbose_name_plural = _("agents with this skill")


class CategorySkillInline(admin.TabularInline):
    model = CategorySkill
    extra = 1
    verbose_name_plural = _("categories that need this skill")


@admin.register(Skill)
class SkillAdmin(admin.ModelAdmin):
    """One page per skill: who has it at which level, which categories need it."""

    search_fields = ("name",)
    inlines = [AgentSkillInline, CategorySkillInline]
