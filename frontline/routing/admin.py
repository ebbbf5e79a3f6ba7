from django.contrib import admin

from .models import (
    AgentStatus,
    PriorityMatrixEntry,
    RuleAction,
    RuleCondition,
    ServicePlan,
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
    list_display = ("name", "position", "is_active", "match_all", "stop")
    list_editable = ("position", "is_active")
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
