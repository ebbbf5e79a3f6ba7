from django.contrib import admin

from .models import AgentStatus, TeamRouting


@admin.register(TeamRouting)
class TeamRoutingAdmin(admin.ModelAdmin):
    list_display = ("team", "strategy")


@admin.register(AgentStatus)
class AgentStatusAdmin(admin.ModelAdmin):
    list_display = ("user", "availability", "off_until", "capacity", "last_assigned_at")
    list_filter = ("availability",)
    readonly_fields = ("last_assigned_at",)
