"""The supervisors' report: volume, response and resolution times, SLA, time,
cost, satisfaction, reopened and passed-around tickets, per team, agent or
category over a period; as a page with charts and tables, and as CSV."""

from __future__ import annotations

import csv
import datetime
import functools
import tempfile
from collections.abc import Iterable, Iterator
from typing import Any

from django.http import FileResponse, Http404, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from frontline.lib.http import AuthedRequest
from frontline.reports.access import (
    agent_for_figures,
    open_load,
    rated_comments,
    sees_reports,
    visible_time_entries,
)
from frontline.reports.metrics import DIMENSION_LABELS, Report, build_report

from .forms import PeriodForm, ReportForm, TimeExportForm
from .views import View

DEFAULT_DAYS = 30


def supervisor_required(view: View) -> View:
    """Reports are for supervisors and admins; to anyone else they are not there."""

    @functools.wraps(view)
    def wrapper(request: AuthedRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not sees_reports(request.user):
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


def my_figures(request: AuthedRequest, agent_id: int | None = None) -> HttpResponse:
    """An agent's own page: open load now, and for a period their response and
    resolution times, ratings (with the latest comments) and time logged,
    against the period before. Supervisors may open any agent's."""
    agent = agent_for_figures(request.user, agent_id)
    today = timezone.localdate()
    defaults = {
        "start": f"{today - datetime.timedelta(days=DEFAULT_DAYS - 1):%Y-%m-%d}",
        "end": f"{today:%Y-%m-%d}",
    }
    form = PeriodForm(defaults | {k: request.GET[k] for k in defaults if k in request.GET})
    context: dict[str, Any] = {"form": form, "agent": agent, "own": agent == request.user}
    if not form.is_valid():
        return render(request, "desk/my_figures.html", context, status=400)
    data = form.cleaned_data
    context["report"] = build_report(data["start"], data["end"], by="category", agent=agent)
    context["open_load"] = open_load(agent)
    context["comments"] = rated_comments(agent)
    return render(request, "desk/my_figures.html", context)


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
        _("First response, business hours (median)"),
        _("First response, business hours (90th percentile)"),
        _("Resolved"),
        _("Resolution, hours (average)"),
        _("Resolution, hours (median)"),
        _("Resolution, hours (90th percentile)"),
        _("Resolution, business hours (median)"),
        _("Resolution, business hours (90th percentile)"),
        _("SLA met, %"),
        _("Reopened"),
        _("Passed on"),
        _("Hours logged"),
        _("Cost"),
        _("Ratings"),
        _("Average rating"),
        _("Satisfied, %"),
        _("QA reviews"),
        _("QA score (average)"),
    ]
    body = [
        [
            r.label,
            r.created,
            _blank(r.first_response_hours),
            _blank(r.first_response_median_hours),
            _blank(r.first_response_p90_hours),
            _blank(r.first_response_business_median_hours),
            _blank(r.first_response_business_p90_hours),
            r.resolved,
            _blank(r.resolution_hours),
            _blank(r.resolution_median_hours),
            _blank(r.resolution_p90_hours),
            _blank(r.resolution_business_median_hours),
            _blank(r.resolution_business_p90_hours),
            _blank(r.sla_met_percent),
            r.reopened,
            r.transfers,
            r.hours_logged,
            r.cost,
            r.ratings,
            _blank(r.average_rating),
            _blank(r.csat_percent),
            r.qa_reviews,
            _blank(r.qa_average),
        ]
        for r in [*result.rows, result.total]
    ]
    return [header, *body]


def _refused(form: Any) -> HttpResponse:
    return HttpResponse(
        " ".join(str(e) for errors in form.errors.values() for e in errors),
        status=400,
        content_type="text/plain; charset=utf-8",
    )


@supervisor_required
def report_csv(request: AuthedRequest) -> HttpResponse:
    form = _form(request)
    if not form.is_valid():
        return _refused(form)
    data = form.cleaned_data
    result = build_report(
        data["start"], data["end"], by=data["by"], team=data["team"], compare=False
    )
    name = f"frontline-report-{data['by']}-{data['start']:%Y%m%d}-{data['end']:%Y%m%d}.csv"
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    csv.writer(response).writerows(csv_rows(result))
    return response


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _xlsx(rows: Iterable[list[Any]], *, title: str, name: str) -> FileResponse:
    """Rows as one worksheet, sent as a file. openpyxl's write-only mode keeps
    no rows in memory (they are written to a temporary file as they come), so
    a long export costs disk, not memory; the file is streamed from there.
    Text is always text: a subject starting with '=' never becomes a formula.
    (openpyxl is imported here, not at the top: it brings numpy, a second of
    start-up for every process that loads the URLs, and only exports use it.)"""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title[:31])
    for row in rows:
        cells = []
        for value in row:
            cell = WriteOnlyCell(sheet, value=value)
            if isinstance(value, str):
                cell.data_type = "s"
            cells.append(cell)
        sheet.append(cells)
    out = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it when sent
    book.save(out)
    out.seek(0)
    return FileResponse(out, as_attachment=True, filename=name, content_type=XLSX)


@supervisor_required
def report_xlsx(request: AuthedRequest) -> HttpResponseBase:
    """The report's table as a spreadsheet: the same rows and numbers as the CSV."""
    form = _form(request)
    if not form.is_valid():
        return _refused(form)
    data = form.cleaned_data
    result = build_report(
        data["start"], data["end"], by=data["by"], team=data["team"], compare=False
    )
    name = f"frontline-report-{data['by']}-{data['start']:%Y%m%d}-{data['end']:%Y%m%d}.xlsx"
    return _xlsx(csv_rows(result), title=_("Report"), name=name)


class _Echo:
    """What csv.writer writes to: hands each line back for streaming."""

    def write(self, value: str) -> str:
        return value


def _time_rows(entries: Iterable[Any]) -> Iterator[list[Any]]:
    """The header and one row per time entry: the same for CSV and XLSX."""
    yield (
        [
            _("Date"),
            _("Ticket"),
            _("Subject"),
            _("Organisation"),
            _("Agent"),
            _("Activity"),
            _("Minutes"),
            _("Billable"),
            _("Hourly rate"),
            _("Cost"),
            _("Note (staff only)"),
        ]
    )
    for e in entries:
        yield (
            [
                e.worked_on.isoformat(),
                e.ticket_id,
                e.ticket.subject,
                e.ticket.organisation.name if e.ticket.organisation else "",
                e.agent.display_name,
                e.activity.name if e.activity else "",
                e.minutes,
                "yes" if e.billable else "no",
                e.rate,
                e.cost,
                e.note,
            ]
        )


def _time_lines(entries: Any) -> Iterator[str]:
    writer = csv.writer(_Echo())
    for row in _time_rows(entries):
        yield writer.writerow(row)


def _time_entries(request: AuthedRequest, data: dict[str, Any]) -> Any:
    """The entries the export asks for, read in chunks."""
    entries = visible_time_entries(request.user).between(data["start"], data["end"])
    for field, path in (
        ("organisation", "ticket__organisation"),
        ("agent", "agent"),
        ("team", "ticket__team"),
    ):
        if data[field] is not None:
            entries = entries.filter(**{path: data[field]})
    entries = entries.select_related(
        "ticket", "ticket__organisation", "agent", "activity"
    ).order_by("worked_on", "id")
    return entries.iterator(chunk_size=2000)


@supervisor_required
def time_xlsx(request: AuthedRequest) -> HttpResponseBase:
    """The time entries of a period as a spreadsheet, the same rows as the CSV."""
    form = TimeExportForm(request.GET)
    if not form.is_valid():
        return _refused(form)
    data = form.cleaned_data
    name = f"frontline-time-{data['start']:%Y%m%d}-{data['end']:%Y%m%d}.xlsx"
    return _xlsx(_time_rows(_time_entries(request, data)), title=_("Time entries"), name=name)


@supervisor_required
def time_csv(request: AuthedRequest) -> HttpResponseBase:
    """Every time entry of a period (of one organisation, agent or team), as CSV,
    streamed: the rows are read in chunks, never all at once."""
    form = TimeExportForm(request.GET)
    if not form.is_valid():
        return _refused(form)
    data = form.cleaned_data
    name = f"frontline-time-{data['start']:%Y%m%d}-{data['end']:%Y%m%d}.csv"
    response = StreamingHttpResponse(
        _time_lines(_time_entries(request, data)), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
