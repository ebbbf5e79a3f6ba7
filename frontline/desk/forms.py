"""Forms of the agent workspace. They validate; actions do the work."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from decimal import Decimal
from typing import Any, cast

from django import forms
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from frontline.accounts.models import Organisation, Team, User, display_name_of
from frontline.lib.prepared import Prepared
from frontline.lib.widgets import FastSelect, PreparedChoiceField
from frontline.reports.metrics import DIMENSION_LABELS, MAX_DAYS
from frontline.reports.models import ActivityType, Estimate, EstimateStatus
from frontline.tickets.forms import PhoneField, ReplyForm, SingleFileField
from frontline.tickets.models import (
    STATUS_TRANSITIONS,
    CallDetails,
    Category,
    Channel,
    ClosureReason,
    LinkKind,
    Priority,
    Status,
    Tag,
    Ticket,
)


def _staff() -> Any:
    return User.objects.agents().order_by("first_name", "last_name")


class _StaffChoices(forms.models.ModelChoiceIterator):
    """A staff drop-down's options from plain values: making forty users only to
    print their names cost more than the rest of the ticket page's side panel.
    (Only the options: a chosen value is still checked against the queryset.)"""

    def __iter__(self) -> Any:
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        options = self.field.options  # type: ignore[attr-defined]
        rows = options() if options is not None else self.queryset.values_list(*_STAFF_COLUMNS)
        for pk, first, last, username in rows:
            yield (pk, display_name_of(first, last, username))


_STAFF_COLUMNS = ("pk", "first_name", "last_name", "username")


class StaffField(PreparedChoiceField):
    """A choice of one active staff member."""

    iterator = _StaffChoices  # type: ignore[assignment]

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(_staff(), **kwargs)

    def prepare(self, queryset: Any) -> Any:
        return Prepared(lambda p: queryset.values_list(*_STAFF_COLUMNS))


def closure_reason_field() -> forms.ChoiceField:
    """Why the ticket is resolved: asked wherever staff resolve it."""
    return forms.ChoiceField(
        choices=[("", "—"), *ClosureReason.choices],
        required=False,
        label=_("Closure reason"),
        help_text=_("Needed when resolving."),
    )


def require_closure_reason(form: forms.Form, data: dict[str, Any], resolving: bool) -> None:
    if resolving and not data.get("closure_reason"):
        form.add_error("closure_reason", _("Say why the ticket is resolved."))


class FastSelectsMixin:
    """Render this form's drop-downs with :class:`FastSelect`."""

    fields: dict[str, forms.Field]  # from the form it is mixed into

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if type(field.widget) is forms.Select:
                widget = FastSelect(attrs=field.widget.attrs)
                widget.choices = field.widget.choices
                widget.is_required = field.widget.is_required
                field.widget = widget


class ClosureForm(FastSelectsMixin, forms.Form):
    """The reason that goes with "Send and resolve" (the reply itself is a ReplyForm)."""

    closure_reason = closure_reason_field()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        require_closure_reason(self, data, resolving=True)
        return data


class QueueFilterForm(FastSelectsMixin, forms.Form):
    status = forms.ChoiceField(
        label=_("Status"), choices=[("", _("Any status")), *Status.choices], required=False
    )
    priority = forms.TypedChoiceField(
        label=_("Priority"),
        choices=[("", _("Any priority")), *Priority.choices],
        coerce=int,
        required=False,
        empty_value=None,
    )
    team = PreparedChoiceField(
        Team.objects.filter(is_active=True),
        label=_("Team"),
        required=False,
        empty_label=_("Any team"),
    )
    assignee = StaffField(label=_("Assignee"), required=False, empty_label=_("Anyone"))
    category = PreparedChoiceField(
        Category.objects.all(), label=_("Category"), required=False, empty_label=_("Any category")
    )
    organisation = forms.CharField(
        label=_("Organisation"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"placeholder": _("Organisation")}),
    )

    def clean_organisation(self) -> list[int] | None:
        """A name (or part of one) to the ids of at most 50 matching organisations.

        A text box, not a list: a help desk may serve thousands of organisations.
        """
        name = self.cleaned_data["organisation"].strip()
        if not name:
            return None
        return list(
            Organisation.objects.filter(name__icontains=name).values_list("id", flat=True)[:50]
        )

    channel = forms.ChoiceField(
        label=_("Channel"), choices=[("", _("Any channel")), *Channel.choices], required=False
    )
    tag = forms.SlugField(
        label=_("Tag"),
        required=False,
        allow_unicode=True,
        widget=forms.TextInput(attrs={"placeholder": _("tag")}),
    )


class ParticipantForm(forms.Form):
    email = forms.EmailField(label=_("Email address"), max_length=254)
    name = forms.CharField(label=_("Name"), max_length=200, required=False)


class BulkForm(FastSelectsMixin, forms.Form):
    tickets = forms.TypedMultipleChoiceField(coerce=int, choices=(), label=_("Tickets"))
    assignee = StaffField(required=False, label=_("Assign to"), empty_label="—")
    status = forms.ChoiceField(
        choices=[("", "—"), *Status.choices], required=False, label=_("Status")
    )
    priority = forms.TypedChoiceField(
        choices=[("", "—"), *Priority.choices],
        coerce=int,
        required=False,
        empty_value=None,
        label=_("Priority"),
    )
    closure_reason = closure_reason_field()
    note = forms.CharField(required=False, label=_("Handoff note"))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        require_closure_reason(self, data, resolving=data.get("status") == Status.RESOLVED)
        return data

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Any number is accepted here; the view keeps only the visible tickets.
        values = self.data.getlist("tickets") if hasattr(self.data, "getlist") else []
        cast(forms.ChoiceField, self.fields["tickets"]).choices = [(v, v) for v in values]


class EscalateForm(forms.Form):
    note = forms.CharField(
        label=_("Handoff note"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What the next line needs to know; the customer is not asked again."),
    )


class CallForm(FastSelectsMixin, forms.Form):
    direction = forms.ChoiceField(choices=CallDetails.Direction.choices, label=_("Direction"))
    phone = PhoneField(label=_("Number"), required=False)
    minutes = forms.IntegerField(label=_("Minutes"), min_value=0, max_value=600, initial=0)
    summary = forms.CharField(label=_("What was said"), widget=forms.Textarea(attrs={"rows": 3}))
    recording = SingleFileField(label=_("Recording"), required=False)


class NewCallForm(FastSelectsMixin, forms.Form):
    """A call from someone with no ticket yet: who called, what they need, the call."""

    name = forms.CharField(label=_("Caller's name"), max_length=150, required=False)
    phone = PhoneField(label=_("Number"), required=False)
    email = forms.EmailField(label=_("Email"), required=False)
    direction = forms.ChoiceField(
        choices=CallDetails.Direction.choices,
        label=_("Direction"),
        initial=CallDetails.Direction.INBOUND,
    )
    minutes = forms.IntegerField(label=_("Minutes"), min_value=0, max_value=600, initial=0)
    subject = forms.CharField(label=_("Subject"), max_length=300)
    body = forms.CharField(
        label=_("The request"),
        help_text=_("The customer sees this as their request."),
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    summary = forms.CharField(
        label=_("Call notes"),
        required=False,
        help_text=_("Internal, like every call log. Empty: the request above."),
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        assert data is not None  # Form.clean returns cleaned_data
        if not data.get("phone") and not data.get("email") and not self.errors:
            raise forms.ValidationError(
                _("Give the caller's number or address: a known customer is found by them.")
            )
        return data


class DeskReplyForm(ReplyForm):
    """A message from the desk, and optionally the time it took (logged with it)."""

    minutes = forms.IntegerField(
        label=_("Time spent, minutes"), min_value=1, max_value=24 * 60, required=False
    )


class TimeEntryForm(FastSelectsMixin, forms.Form):
    """Time spent on the ticket: typed in, or taken from the page's timer."""

    minutes = forms.IntegerField(label=_("Minutes"), min_value=1, max_value=24 * 60)
    worked_on = forms.DateField(
        label=_("Date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    activity = PreparedChoiceField(
        ActivityType.objects.filter(is_active=True),
        label=_("Activity"),
        required=False,
        empty_label=_("Other"),
    )
    billable = forms.TypedChoiceField(
        label=_("Billable"),
        choices=[
            ("", _("As the contract says")),
            ("yes", _("Billable")),
            ("no", _("Not billable")),
        ],
        coerce=lambda v: v == "yes",
        required=False,
        empty_value=None,
    )
    note = forms.CharField(
        label=_("Note (staff only)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    estimate = forms.TypedChoiceField(
        label=_("Against the estimate"), coerce=int, required=False, empty_value=None
    )

    def __init__(self, *args: Any, estimates: Iterable[Estimate] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        approved = [e for e in estimates if e.status == EstimateStatus.APPROVED]
        if approved:
            cast(forms.ChoiceField, self.fields["estimate"]).choices = [
                ("", _("None")),
                *(
                    (
                        e.pk,
                        _("%(hours)s h, approved %(date)s")
                        % {
                            "hours": e.hours,
                            "date": date_format(e.decided_at or e.created_at, "SHORT_DATE_FORMAT"),
                        },
                    )
                    for e in approved
                ),
            ]
        else:
            del self.fields["estimate"]


class EstimateForm(forms.Form):
    hours = forms.DecimalField(
        label=_("Hours"), min_value=Decimal("0.25"), max_value=Decimal(1000), decimal_places=2
    )
    description = forms.CharField(
        label=_("What will be done (the customer sees this)"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class PeriodForm(forms.Form):
    """A period of the reports (GET parameters), at most a year."""

    start = forms.DateField(
        label=pgettext_lazy("start of a period", "From"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    end = forms.DateField(
        label=pgettext_lazy("end of a period", "To"), widget=forms.DateInput(attrs={"type": "date"})
    )

    # The period and the one before it must stay within the calendar Python can
    # count in (9999-12-31 plus a day was a 500).
    FIRST_YEAR, LAST_YEAR = 1900, 9998

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end:
            if end < start:
                raise forms.ValidationError(_("The period ends before it starts."))
            if start < datetime.date(self.FIRST_YEAR, 1, 1) or end.year > self.LAST_YEAR:
                raise forms.ValidationError(
                    _("Choose dates between the years %(first)d and %(last)d.")
                    % {"first": self.FIRST_YEAR, "last": self.LAST_YEAR}
                )
            if (end - start).days >= MAX_DAYS:
                raise forms.ValidationError(_("Choose at most %(days)d days.") % {"days": MAX_DAYS})
        return data


class ReportForm(PeriodForm):
    """The period and grouping of the supervisors' report (GET parameters)."""

    by = forms.ChoiceField(label=_("Per"), choices=list(DIMENSION_LABELS.items()))
    team = PreparedChoiceField(
        Team.objects.filter(is_active=True),
        label=_("Team"),
        required=False,
        empty_label=_("Every team"),
    )


class TimeExportForm(forms.Form):
    """Which time entries to export: a period, and optionally one organisation,
    agent or team (GET parameters)."""

    start = forms.DateField(label=pgettext_lazy("start of a period", "From"))
    end = forms.DateField(label=pgettext_lazy("end of a period", "To"))
    organisation = PreparedChoiceField(
        Organisation.objects.all(), label=_("Organisation"), required=False
    )
    agent = StaffField(label=_("Agent"), required=False)
    team = PreparedChoiceField(Team.objects.all(), label=_("Team"), required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            raise forms.ValidationError(_("The period ends before it starts."))
        return data


class MergeForm(forms.Form):
    number = forms.IntegerField(label=_("Merge this ticket into ticket number"), min_value=1)


class LinkForm(forms.Form):
    kind = forms.ChoiceField(label=_("This ticket is"), choices=LinkKind.choices)
    number = forms.IntegerField(label=_("Ticket number"), min_value=1)


# The side panel's tags, on every desk ticket page: compiled once (lib.prepared).
_TAG_NAMES = Prepared(
    lambda p: Tag.objects.filter(tickets__id=p.ticket).values_list("name", flat=True)
)


class TicketPanelForm(FastSelectsMixin, forms.Form):
    """The ticket page's side panel: every change at once, each checked before any
    is made (the view then calls one action per change)."""

    status = forms.ChoiceField(choices=(), label=_("Status"))
    closure_reason = closure_reason_field()
    priority = forms.TypedChoiceField(choices=Priority.choices, coerce=int, label=_("Priority"))
    reason = forms.CharField(
        required=False,
        max_length=300,
        label=_("Why this priority"),
        widget=forms.TextInput(attrs={"placeholder": _("Reason (optional)")}),
    )
    category = PreparedChoiceField(
        Category.objects.all(), required=False, label=_("Category"), empty_label=_("None")
    )
    tags = forms.CharField(
        required=False, max_length=500, label=_("Tags"), help_text=_("Separated by commas.")
    )
    assignee = StaffField(required=False, label=_("Assignee"), empty_label=_("Nobody"))
    team = PreparedChoiceField(
        Team.objects.filter(is_active=True),
        required=False,
        label=_("Team"),
        empty_label=_("Keep team"),
    )
    note = forms.CharField(
        label=_("Handoff note"),
        required=False,
        help_text=_("Needed when the ticket goes to someone else or another team."),
        widget=forms.Textarea(
            attrs={
                "rows": 2,
                "placeholder": _(
                    "What has been done, what is left, what the customer already told us."
                ),
            }
        ),
    )

    def __init__(self, *args: Any, ticket: Ticket, by: User, **kwargs: Any) -> None:
        kwargs.setdefault(
            "initial",
            {
                "status": ticket.status,
                "priority": ticket.priority,
                "category": ticket.category_id,
                "tags": ", ".join(_TAG_NAMES(ticket=ticket.pk)),
                "assignee": ticket.assignee_id,
                "closure_reason": ticket.closure_reason,
            },
        )
        super().__init__(*args, **kwargs)
        self.ticket, self.by = ticket, by
        # Only the moves allowed from here are offered: the list is the rule.
        allowed = STATUS_TRANSITIONS[ticket.status] | {ticket.status}
        cast(forms.ChoiceField, self.fields["status"]).choices = [
            (value, label) for value, label in Status.choices if value in allowed
        ]

    def tag_names(self) -> list[str]:
        return [t for t in self.cleaned_data["tags"].split(",") if t.strip()]

    def active_teams(self) -> list[Team]:
        """The team drop-down's rows: the active teams in tier and name order."""
        return cast(PreparedChoiceField, self.fields["team"]).rows()

    def hands_over(self) -> bool:
        """Whether the assignee or team changes (``assign_ticket`` is called)."""
        data = self.cleaned_data
        assignee, team = data.get("assignee"), data.get("team")
        return (assignee.pk if assignee else None) != self.ticket.assignee_id or (
            team is not None and team.pk != self.ticket.team_id
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        assert data is not None  # Form.clean returns cleaned_data
        if self.errors:
            return data
        require_closure_reason(
            self,
            data,
            resolving=data["status"] == Status.RESOLVED and self.ticket.status != Status.RESOLVED,
        )
        assignee, team = data.get("assignee"), data.get("team")
        # The same rule as assign_ticket, asked here so that nothing changes when it fails.
        to_someone_else = assignee is not None and assignee.pk != self.by.pk
        if (
            self.hands_over()
            and (to_someone_else or (team is not None and team.pk != self.ticket.team_id))
            and not data.get("note", "").strip()
        ):
            self.add_error("note", _("Write a handoff note for the next person."))
        return data
