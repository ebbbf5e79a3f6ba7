"""The supervisors' report: volume, response and resolution times, SLA, time,
cost, satisfaction, reopened and passed-around tickets, per team, agent or
category over a period; as a page with charts and tables, and as CSV."""

from __future__ import annotations

import csv
import datetime
import functools
from typing import Any

from django.http import Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from frontline.lib.http import AuthedRequest
from frontline.reports.metrics import DIMENSION_LABELS, Report, build_report

from .forms import ReportForm
from .views import View

DEFAULT_DAYS = 30


def supervisor_required(view: View) -> View:
    """Reports are for supervisors and admins; to anyone else they are not there."""

    @functools.wraps(view)
    def wrapper(request: AuthedRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not (request.user.is_staff_member and request.user.sees_all_tickets):
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


def _form(request: AuthedRequest) -> ReportForm:
    """The form from the query string; what it leaves out is the last 30 days per team."""
    today = timezone.localdate()
    defaults = {
        "start": f"{today - datetime.timedelta(days=DEFAULT_DAYS - 1):%Y-%m-%d}",
        "end": f"{today:%Y-%m-%d}",
        "by": "team",
    }
    asked = {k: request.GET[k] for k in (*defaults, "team") if k in request.GET}
    return ReportForm(defaults | asked)


@supervisor_required
def report(request: AuthedRequest) -> HttpResponse:
    form = _form(request)
    if not form.is_valid():
        return render(request, "desk/reports.html", {"form": form}, status=400)
    data = form.cleaned_data
    result = build_report(data["start"], data["end"], by=data["by"], team=data["team"])
    return render(
        request,
        "desk/reports.html",
        {
            "form": form,
            "report": result,
            "dimension": DIMENSION_LABELS[data["by"]],
            "query": _query(form),
        },
    )


def _query(form: ReportForm) -> str:
    data = form.cleaned_data
    query = f"start={data['start']:%Y-%m-%d}&end={data['end']:%Y-%m-%d}&by={data['by']}"
    return query + (f"&team={data['team'].pk}" if data["team"] else "")


def _blank(value: Any) -> Any:
    return "" if value is None else value


def csv_rows(result: Report) -> list[list[Any]]:
    """The report's table as rows of plain values: the same numbers as the page."""
    header = [
        str(DIMENSION_LABELS[result.by]),
        _("Created"),
        _("First response, hours (average)"),
        _("First response, hours (median)"),
        _("First response, hours (90th percentile)"),
        _("Resolved"),
        _("Resolution, hours (average)"),
        _("Resolution, hours (median)"),
        _("Resolution, hours (90th percentile)"),
        _("SLA met, %"),
        _("Reopened"),
        _("Passed on"),
        _("Hours logged"),
        _("Cost"),
        _("Ratings"),
        _("Average rating"),
        _("Satisfied, %"),
    ]
    body = [
        [
            r.label,
            r.created,
            _blank(r.first_response_hours),
            _blank(r.first_response_median_hours),
            _blank(r.first_response_p90_hours),
            r.resolved,
            _blank(r.resolution_hours),
            _blank(r.resolution_median_hours),
            _blank(r.resolution_p90_hours),
            _blank(r.sla_met_percent),
            r.reopened,
            r.transfers,
            r.hours_logged,
            r.cost,
            r.ratings,
            _blank(r.average_rating),
            _blank(r.csat_percent),
        ]
        for r in [*result.rows, result.total]
    ]
    return [header, *body]


@supervisor_required
def report_csv(request: AuthedRequest) -> HttpResponse:
    form = _form(request)
    if not form.is_valid():
        return HttpResponse(
            " ".join(str(e) for errors in form.errors.values() for e in errors),
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    data = form.cleaned_data
    result = build_report(data["start"], data["end"], by=data["by"], team=data["team"])
    name = f"frontline-report-{data['by']}-{data['start']:%Y%m%d}-{data['end']:%Y%m%d}.csv"
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    csv.writer(response).writerows(csv_rows(result))
    return response
