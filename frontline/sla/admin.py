from django.contrib import admin

from .models import BusinessCalendar, DayOff, SlaPolicy


class DayOffInline(admin.TabularInline):
    model = DayOff
    extra = 1


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(admin.ModelAdmin):
    list_display = ("name", "time_zone", "holiday_country")
    inlines = [DayOffInline]


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "priority",
        "channel",
        "plan",
        "calendar",
        "first_response_minutes",
        "next_response_minutes",
        "resolution_minutes",
        "is_active",
        "position",
    )
    list_editable = ("position", "is_active")
