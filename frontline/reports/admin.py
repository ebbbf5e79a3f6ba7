"""Back office: activity types, rates and contracts. Time entries and survey
answers are read here; they are made in the desk and by the customers."""

from __future__ import annotations

from decimal import Decimal

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from .models import (
    ActivityType,
    Contract,
    Estimate,
    QaReview,
    Rate,
    Scorecard,
    ScorecardCriterion,
    SurveyResponse,
    TimeEntry,
)


@admin.register(ActivityType)
class ActivityTypeAdmin(admin.ModelAdmin):
    list_display = ("name", "billable_by_default", "is_active", "position")
    list_editable = ("billable_by_default", "is_active", "position")


@admin.register(Rate)
class RateAdmin(admin.ModelAdmin):
    list_display = ("__str__", "hourly_rate", "valid_from", "agent", "team", "activity")
    list_filter = ("team", "activity")


@admin.register(Contract)
class ContractAdmin(admin.ModelAdmin):
    list_display = (
        "organisation",
        "name",
        "hourly_rate",
        "prepaid_hours",
        "hours_left",
        "starts_on",
        "ends_on",
        "is_active",
    )
    list_filter = ("is_active",)
    search_fields = ("organisation__name", "name")
    filter_horizontal = ("billable_categories",)
    readonly_fields = ("hours_left",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Contract]:
        return Contract.objects.with_minutes_billed().select_related("organisation")

    @admin.display(description=_("prepaid hours left"))
    def hours_left(self, obj: Contract) -> Decimal:
        return obj.prepaid_left(getattr(obj, "minutes_billed", 0) or 0)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(TimeEntry)
class TimeEntryAdmin(ReadOnlyAdmin):
    list_display = ("worked_on", "ticket", "agent", "minutes", "activity", "billable", "cost")
    list_filter = ("billable", "activity")
    date_hierarchy = "worked_on"
    list_select_related = ("ticket", "agent", "activity")


@admin.register(SurveyResponse)
class SurveyResponseAdmin(ReadOnlyAdmin):
    list_display = ("answered_at", "invitation", "rating", "comment")
    list_filter = ("rating",)
    list_select_related = ("invitation",)


@admin.register(Estimate)
class EstimateAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "ticket", "sent_by", "hours", "cost", "status", "decided_at")
    list_filter = ("status",)
    list_select_related = ("ticket", "sent_by")


class ScorecardCriterionInline(admin.TabularInline):
    model = ScorecardCriterion
    extra = 3


@admin.register(Scorecard)
class ScorecardAdmin(admin.ModelAdmin):
    """The QA scorecards: a team's own, or (blank team) every other team's."""

    list_display = ("name", "team", "is_active")
    list_filter = ("is_active",)
    inlines = [ScorecardCriterionInline]


@admin.register(QaReview)
class QaReviewAdmin(admin.ModelAdmin):
    """Reviews are written in the desk (QA review); read here."""

    list_display = ("ticket", "agent", "reviewer", "score", "changed_at")
    list_select_related = ("ticket", "agent", "reviewer")
    raw_id_fields = ("ticket", "agent", "reviewer")
    readonly_fields = ("ticket", "agent", "reviewer", "scorecard", "team", "score", "created_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
