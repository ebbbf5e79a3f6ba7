"""The agent workspace: queues, the ticket page, and one POST endpoint per act."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms import Form
from django.http import FileResponse, Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect

from frontline.accounts.actions import contact_for, customer_notes_for
from frontline.accounts.middleware import not_activity
from frontline.knowledge.access import (
    access_reply_template,
    in_their_language,
    templates_to_insert,
)
from frontline.knowledge.actions import count_template_use, filled_in
from frontline.lib.http import AuthedRequest
from frontline.lib.prepared import Prepared
from frontline.reports import actions as reports_actions
from frontline.reports.access import (
    access_estimate,
    access_time_entry,
    estimates_on,
    time_on_ticket,
)
from frontline.routing.actions import (
    dry_run,
    escalate_ticket,
    next_line,
    open_ticket_by_call,
)
from frontline.tickets import actions
from frontline.tickets.access import (
    access_attachment,
    access_followed_ticket,
    access_message,
    access_ticket_for_agent,
    can_see_ticket,
    requester_history_for_agent,
    visible_links,
    visible_tickets,
)
from frontline.tickets.downloads import attachment_response
from frontline.tickets.forms import CategoryFieldsForm
from frontline.tickets.models import (
    ClosureReason,
    FieldType,
    ReplyDraft,
    Ticket,
    TicketFollower,
    TicketParticipant,
)
from frontline.tickets.queues import (
    COUNT_CAP,
    MAX_PAGE,
    QUEUES,
    SORTS,
    apply_filters,
    page_of,
    queue_counts,
    queue_tickets,
    resolved_ordering,
)
from frontline.tickets.timeline import category_fields, form_answers, ticket_timeline

from .forms import (
    BulkForm,
    CallForm,
    ClosureForm,
    DeskReplyForm,
    EscalateForm,
    EstimateForm,
    LinkForm,
    MergeForm,
    NewCallForm,
    ParticipantForm,
    QueueFilterForm,
    TicketPanelForm,
    TimeEntryForm,
)
from .mentions import MentionCheck, check_mentions, mention_suggestions, mention_warnings
from .relation_context import relations_context

View = Callable[..., HttpResponseBase]
BULK_LIMIT = 100  # one page of a queue, twice
TIME_ENTRIES_SHOWN = 20  # the latest on the ticket page; the totals count them all


def staff_required(view: View) -> View:
    """The desk exists only for staff; to anyone else it is not there."""

    @functools.wraps(view)
    def wrapper(request: AuthedRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_staff_member:
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


@staff_required
def queue_home(request: AuthedRequest) -> HttpResponse:
    default = "open" if request.user.sees_all_tickets else "team"
    return redirect("desk:queue_page", name=default)


@staff_required
def queue(request: AuthedRequest, name: str) -> HttpResponse:
    if name not in QUEUES:
        raise Http404
    user = request.user
    sort = request.GET.get("sort", "due")
    if sort not in SORTS:
        sort = "due"
    try:
        page = min(max(int(request.GET.get("page", "1")), 1), MAX_PAGE)
    except ValueError:
        page = 1
    filters = QueueFilterForm(request.GET)
    base = visible_tickets(user)
    qs = queue_tickets(user, name, base=base)
    if filters.is_valid():
        qs = apply_filters(qs, filters.cleaned_data)
    qs = qs.order_by(*resolved_ordering(name, sort))
    tickets, has_next = page_of(qs, page)
    counts = queue_counts(user, base=base)
    return render(
        request,
        "desk/queue.html",
        {
            "queues": [(q, counts[q.name]) for q in QUEUES.values()],
            "current": QUEUES[name],
            "count_cap": COUNT_CAP,
            "tickets": tickets,
            "filters": filters,
            "filtering": any(request.GET.get(f) for f in filters.fields),
            "sort": sort,
            "sorts": [(key, label) for key, (label, _order) in SORTS.items()],
            "page": page,
            "has_next": has_next,
            "bulk": BulkForm(),
        },
    )


@staff_required
@require_POST
def bulk(request: AuthedRequest) -> HttpResponse:
    form = BulkForm(request.POST)
    back = request.POST.get("next") or "/desk/"
    if not back.startswith("/desk/"):
        back = "/desk/"
    if not form.is_valid():
        messages.error(request, _("Choose tickets and what to change."))
        return redirect(back)
    data = form.cleaned_data
    tickets = visible_tickets(request.user).filter(pk__in=data["tickets"][:BULK_LIMIT])
    done, refused = 0, []
    for ticket in tickets:
        try:
            # Handing over comes last: the other changes are made while the
            # ticket is still this agent's to change.
            if data["status"]:
                actions.change_status(
                    ticket,
                    status=data["status"],
                    by=request.user,
                    closure_reason=data["closure_reason"],
                )
            if data["priority"]:
                actions.change_priority(ticket, priority=data["priority"], by=request.user)
            if data["assignee"]:
                actions.assign_ticket(
                    ticket, by=request.user, assignee=data["assignee"], note=data["note"]
                )
            done += 1
        except ValidationError as exc:
            refused.append(f"{ticket.reference}: {' '.join(exc.messages)}")
    if done:
        messages.success(
            request,
            ngettext("%(count)d ticket updated.", "%(count)d tickets updated.", done)
            % {"count": done},
        )
    for line in refused:
        messages.error(request, line)
    return redirect(back)


# What the ticket page reads of the ticket it was handed (access_ticket_for_agent):
# compiled once (lib.prepared).
_DRAFT = Prepared(
    lambda p: ReplyDraft.objects.filter(ticket_id=p.ticket).select_related("updated_by")[:1]
)
_PARTICIPANTS = Prepared(
    lambda p: TicketParticipant.objects.filter(ticket_id=p.ticket).select_related("user")
)
_FOLLOWING = Prepared(
    lambda p: TicketFollower.objects.filter(ticket_id=p.ticket, user_id=p.user).values_list(
        "pk", flat=True
    )[:1]
)


def _ticket_page(request: AuthedRequest, ticket: Ticket, status: int = 200, **forms: Any):
    user = request.user
    estimates = forms.get("estimates") or estimates_on(ticket)
    entries = ticket_timeline(ticket, for_customer=False)
    specs = category_fields(ticket.category_id)
    panel_form = forms.get("panel_form") or TicketPanelForm(ticket=ticket, by=user)
    context = {
        "ticket": ticket,
        "entries": entries,
        "answers": form_answers(ticket, specs),
        "missing_answers": ticket.missing_answers(specs),
        "others": requester_history_for_agent(user, ticket),
        "reply_form": forms.get("reply_form") or DeskReplyForm(),
        "composer_mode": forms.get("composer_mode", "reply"),
        "mention_check": forms.get("mention_check"),
        "draft": next(iter(_DRAFT(ticket=ticket.pk)), None),
        "closure_reasons": [("", "—"), *ClosureReason.choices],
        "reply_closure_reason": request.POST.get("closure_reason", ""),
        "panel_form": panel_form,
        # The forms in closed <details> (answers, call, link and merge, estimate)
        # are fetched when opened (ticket_form); here only when sent back with errors.
        "has_fields": any(spec.field_type != FieldType.FILE for spec in specs),
        "fields_form": forms.get("fields_form"),
        # Among the panel's team drop-down rows: one query for both.
        "next_line": next_line(ticket.team, among=panel_form.active_teams()),
        "escalate_form": EscalateForm(),
        "call_form": forms.get("call_form"),
        "participants": _PARTICIPANTS(ticket=ticket.pk),
        "following": bool(_FOLLOWING(ticket=ticket.pk, user=user.pk)),
        "participant_form": forms.get("participant_form") or ParticipantForm(),
        "links": visible_links(user, ticket),
        "customer_notes": customer_notes_for(ticket),
        "reply_templates": in_their_language(templates_to_insert(user), ticket.requester.language),
        "time": time_on_ticket(user, ticket, latest=TIME_ENTRIES_SHOWN),
        "estimates": estimates,
        "time_form": forms.get("time_form") or TimeEntryForm(estimates=estimates),
        "estimate_form": forms.get("estimate_form"),
        "error": forms.get("error"),
        **relations_context(user, ticket, entries, forms),
    }
    return render(request, "desk/ticket.html", context, status=status)


def _answers_form(ticket: Ticket) -> CategoryFieldsForm | None:
    if ticket.category is None:
        return None
    return CategoryFieldsForm(
        category=ticket.category,
        include_files=False,
        initial={f"f_{k}": v for k, v in ticket.fields.items()},
    )


# The ticket page's rarely opened forms: name → (title, template, context).
LAZY_FORMS: dict[str, tuple[Any, str, Callable[[Ticket], dict[str, Any]]]] = {
    "answers": (
        gettext_lazy("Edit the form answers"),
        "desk/forms/_answers.html",
        lambda ticket: {"fields_form": _answers_form(ticket)},
    ),
    "call": (
        gettext_lazy("Log a phone call"),
        "desk/forms/_call.html",
        lambda ticket: {"call_form": CallForm(initial={"phone": ticket.requester.phone})},
    ),
    "link": (
        gettext_lazy("Link or merge"),
        "desk/forms/_link.html",
        lambda ticket: {"link_form": LinkForm(), "merge_form": MergeForm()},
    ),
    "estimate": (
        gettext_lazy("Send an estimate for approval"),
        "desk/forms/_estimate.html",
        lambda ticket: {"estimate_form": EstimateForm()},
    ),
}


@staff_required
def ticket_form(request: AuthedRequest, number: int, name: str) -> HttpResponse:
    """One of the ticket page's rarely opened forms: the fragment when its
    <details> opens (htmx), or a page of its own (no JavaScript)."""
    if name not in LAZY_FORMS:
        raise Http404
    ticket = access_ticket_for_agent(request.user, number)
    title, template, make = LAZY_FORMS[name]
    context = {"ticket": ticket, **make(ticket)}
    if name == "answers" and not (context["fields_form"] and context["fields_form"].fields):
        raise Http404  # no category, or a category that asks nothing
    if request.htmx:
        return render(request, template, context)
    return render(
        request,
        "desk/ticket_form.html",
        {**context, "form_title": title, "form_template": template},
    )


@staff_required
def ticket_detail(request: AuthedRequest, number: int) -> HttpResponse:
    try:
        ticket = access_ticket_for_agent(request.user, number)
    except Http404:
        # Handed on out of this agent's sight: a follower still reads it.
        ticket = access_followed_ticket(request.user, number)
        entries = ticket_timeline(ticket, for_customer=False)
        context = {"ticket": ticket, "entries": entries, "following": True}
        return render(request, "desk/ticket_followed.html", context)
    if ticket.merged_into_id is not None and can_see_ticket(
        request.user, Ticket(pk=ticket.merged_into_id)
    ):
        messages.info(
            request,
            _("%(old)s was merged into this ticket.") % {"old": ticket.reference},
        )
        return redirect("desk:ticket", number=ticket.merged_into_id)
    return _ticket_page(request, ticket)


def _snapshot(ticket: Ticket) -> dict[str, Any]:
    """What the side panel can change, as it is now (to say afterwards what changed)."""
    row: dict[str, Any] = dict(
        Ticket.objects.filter(pk=ticket.pk).values(
            "status", "priority", "category_id", "team_id", "assignee_id"
        )[0]
    )
    row["tags"] = sorted(ticket.tags.values_list("name", flat=True))
    return row


def _changes(before: dict[str, Any], ticket: Ticket, user: Any) -> list[str]:
    """Each change since ``before`` in a few words: "Status: Resolved", "Assigned to you"."""
    after = _snapshot(ticket)
    ticket = Ticket.objects.select_related("category", "team", "assignee").get(pk=ticket.pk)
    said = []
    if after["status"] != before["status"]:
        said.append(_("Status: %(status)s") % {"status": ticket.get_status_display()})
    if after["priority"] != before["priority"]:
        said.append(_("Priority: %(priority)s") % {"priority": ticket.get_priority_display()})
    if after["category_id"] != before["category_id"]:
        said.append(_("Category: %(category)s") % {"category": ticket.category or _("none")})
    if after["tags"] != before["tags"]:
        said.append(_("Tags: %(tags)s") % {"tags": ", ".join(after["tags"]) or _("none")})
    if after["assignee_id"] != before["assignee_id"]:
        if ticket.assignee is None:
            said.append(_("Unassigned"))
        elif ticket.assignee_id == user.pk:
            said.append(_("Assigned to you"))
        else:
            said.append(_("Assigned to %(name)s") % {"name": ticket.assignee.display_name})
    if after["team_id"] != before["team_id"]:
        said.append(_("Team: %(team)s") % {"team": ticket.team.name if ticket.team else _("none")})
    return said


def _confirm(
    request: AuthedRequest, ticket: Ticket, before: dict[str, Any], done: str = ""
) -> HttpResponse:
    """Say what the act did (a flash message on the next page) and go back to the
    ticket, or to the queue if the ticket has left this agent's sight. A side
    panel saved in place (htmx) gets the panel again with the words beside it."""
    said = ([done] if done else []) + _changes(before, ticket, request.user)
    if not can_see_ticket(request.user, ticket):
        # Handed to a team this agent is not in: back to the queue.
        said.insert(0, _("%(ref)s was handed over.") % {"ref": ticket.reference})
        messages.success(request, " · ".join(said))
        if request.htmx:
            return HttpResponseClientRedirect(reverse("desk:queue"))
        return redirect("desk:queue")
    if request.htmx:
        return _panel(request, ticket, text=" · ".join(said) or _("Nothing was changed."))
    if said:
        messages.success(request, " · ".join(said))
    else:
        messages.info(request, _("Nothing was changed."))
    return redirect("desk:ticket", number=ticket.pk)


def _panel(
    request: AuthedRequest,
    ticket: Ticket,
    *,
    text: str,
    form: TicketPanelForm | None = None,
    status: int = 200,
) -> HttpResponse:
    """The side panel alone, after an in-place save: its forms, what happened
    (``text``), and the badges at the top of the page, swapped out of band."""
    ticket = Ticket.objects.select_related("team", "assignee").get(pk=ticket.pk)
    context = {
        "ticket": ticket,
        "panel_form": form or TicketPanelForm(ticket=ticket, by=request.user),
        "saved": {"text": text, "error": status >= 400},
    }
    return render(request, "desk/_panel_saved.html", context, status=status)


@staff_required
@require_POST
def update(request: AuthedRequest, number: int) -> HttpResponse:
    """The side panel: status, priority, category, tags, assignee and team in one
    submit. All are checked first; then each change is its own action and event,
    all in one transaction (``actions.update_ticket``), so a change refused
    halfway leaves the ticket as it was."""
    ticket = access_ticket_for_agent(request.user, number)
    form = TicketPanelForm(request.POST, ticket=ticket, by=request.user)
    if not form.is_valid():
        return _refused(request, ticket, form, _("Nothing was changed: check the details."))
    data, by = form.cleaned_data, request.user
    before = _snapshot(ticket)
    try:
        actions.update_ticket(
            ticket,
            by=by,
            status=data["status"],
            priority=data["priority"],
            reason=data["reason"],
            closure_reason=data["closure_reason"],
            category=data["category"],
            tags=form.tag_names(),
            hand_over=form.hands_over(),
            assignee=data["assignee"],
            team=data["team"],
            note=data["note"],
        )
    except ValidationError as exc:
        for field, errors in exc.message_dict.items() if hasattr(exc, "error_dict") else ():
            form.add_error(field if field in form.fields else None, errors)
        return _refused(
            request,
            ticket,
            form,
            _("Nothing was changed: %(why)s") % {"why": " ".join(exc.messages)},
        )
    return _confirm(request, ticket, before)


def _refused(
    request: AuthedRequest, ticket: Ticket, form: TicketPanelForm, why: str
) -> HttpResponse:
    """The side panel refused: the page (or, in place, the panel) with the reasons, 400."""
    if request.htmx:
        return _panel(request, ticket, text=why, form=form, status=400)
    return _ticket_page(request, ticket, status=400, error=why, panel_form=form)


@staff_required
@require_POST
def take(request: AuthedRequest, number: int) -> HttpResponse:
    """Assign to me."""
    ticket = access_ticket_for_agent(request.user, number)
    before = _snapshot(ticket)
    try:
        actions.assign_ticket(ticket, by=request.user, assignee=request.user)
    except ValidationError as exc:
        if request.htmx:
            return _panel(request, ticket, text=" ".join(exc.messages), status=400)
        return _ticket_page(request, ticket, status=400, error=" ".join(exc.messages))
    return _confirm(request, ticket, before)


def _minutes_logged(minutes: int) -> str:
    return ngettext("%(count)d minute logged.", "%(count)d minutes logged.", minutes) % {
        "count": minutes
    }


def _reply_like(
    act: Callable[..., Any],
    done: Any,
    warn: Callable[[Ticket, str], list[str]] | None = None,
    extra: type[Form] | None = None,
    check: Callable[[Ticket, str, str], MentionCheck | None] | None = None,
    mode: str = "reply",
) -> View:
    """A POST endpoint for the composer: the message (and, with ``extra``, more
    arguments of ``act`` from a form of their own), one action, a confirmation.
    ``check`` may ask a question before anything is saved (the page again, the
    text kept, in the composer's ``mode``, with a button that sends the answer)."""

    @staff_required
    @require_POST
    def view(request: AuthedRequest, number: int) -> HttpResponseBase:
        chosen = request.POST.get("mode", mode)
        if mode == "reply" and chosen != mode and chosen in COMPOSER_MODES:
            # Without JavaScript the form goes to a reply's address whatever
            # kind was chosen: a note must never go out as a public reply.
            return COMPOSER_MODES[chosen](request, number)
        ticket = access_ticket_for_agent(request.user, number)
        form = DeskReplyForm(request.POST, request.FILES)
        more = extra(request.POST) if extra else None
        if more is not None and not more.is_valid():
            for error in more.errors.values():
                form.add_error(None, error)
        if form.is_valid():
            confirmed = request.POST.get("mentions_confirmed", "")
            if check and (question := check(ticket, form.cleaned_data["body"], confirmed)):
                return _ticket_page(
                    request, ticket, reply_form=form, composer_mode=mode, mention_check=question
                )
            before = _snapshot(ticket)
            try:
                _message, entry = reports_actions.add_message_with_time(
                    ticket,
                    act=act,
                    body=form.cleaned_data["body"],
                    by=request.user,
                    files=form.cleaned_data["attachments"],
                    minutes=form.cleaned_data["minutes"],
                    **(more.cleaned_data if more else {}),
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                actions.discard_draft(ticket, by=request.user)  # it went out
                response = _confirm(request, ticket, before, str(done))
                if entry is not None:
                    messages.success(request, _minutes_logged(entry.minutes))
                for warning in warn(ticket, form.cleaned_data["body"]) if warn else ():
                    messages.warning(request, warning)
                return response
        return _ticket_page(request, ticket, status=400, reply_form=form, composer_mode=mode)

    return view


reply = _reply_like(actions.add_reply, gettext_lazy("Reply sent to the customer."))
reply_resolve = _reply_like(
    actions.reply_and_resolve, gettext_lazy("Reply sent to the customer."), extra=ClosureForm
)
reply_wait = _reply_like(
    actions.reply_and_wait, gettext_lazy("Reply sent; the ticket waits for the customer.")
)
# A note's @names that reach nobody are asked about before it is saved, and
# said again once it is (the agent chose to save it anyway).
note = _reply_like(
    actions.add_note,
    gettext_lazy("Internal note added."),
    mention_warnings,
    check=check_mentions,
    mode="note",
)
request_info = _reply_like(
    actions.request_information,
    gettext_lazy("Asked the customer for information."),
    mode="request-info",
)
# The composer's kinds of message (its "mode" radio buttons), by the value sent.
COMPOSER_MODES: dict[str, View] = {"reply": reply, "note": note, "request-info": request_info}


@staff_required
@require_POST
def draft(request: AuthedRequest, number: int) -> HttpResponse:
    """The reply box kept as the ticket's shared draft: saved as the agent types
    (htmx, from desk-ticket.js: the answer is the line saying so) or with the
    "Save draft" button (a flash message). Refused (409) over a colleague's
    newer text."""
    ticket = access_ticket_for_agent(request.user, number)
    seen = request.POST.get("draft_version", "")
    version = int(seen) if seen.isascii() and seen.isdigit() and len(seen) <= 9 else None
    try:
        saved = actions.save_draft(
            ticket, body=request.POST.get("body", ""), by=request.user, seen=version
        )
    except ValidationError as exc:
        why = " ".join(exc.messages)
        status = 409 if isinstance(exc, actions.DraftConflict) else 400
        if request.htmx:
            context = {"version": version, "text": why, "error": True}
            return render(request, "desk/_draft_status.html", context, status=status)
        form = DeskReplyForm(request.POST)
        return _ticket_page(request, ticket, status=status, error=why, reply_form=form)
    said = _("Draft saved: colleagues on this ticket see it.") if saved else _("Draft discarded.")
    if request.htmx:
        context = {"version": saved.version if saved else None, "text": said}
        return render(request, "desk/_draft_status.html", context)
    messages.success(request, said)
    return redirect("desk:ticket", number=ticket.pk)


def _change(form_class: type, apply: Callable[[Ticket, Any, Any], Any]) -> View:
    """A POST endpoint for one act on the ticket page: validate, act, go back.
    (Status, priority, category, tags and assignee go through the side panel,
    ``update``.)"""

    @staff_required
    @require_POST
    def view(request: AuthedRequest, number: int) -> HttpResponse:
        ticket = access_ticket_for_agent(request.user, number)
        form = form_class(request.POST)
        if form.is_valid():
            before = _snapshot(ticket)
            try:
                apply(ticket, form, request.user)
            except ValidationError as exc:
                return _ticket_page(
                    request,
                    ticket,
                    status=400,
                    error=" ".join(exc.messages),
                )
            return _confirm(request, ticket, before)
        return _ticket_page(
            request,
            ticket,
            status=400,
            error=_("Check the form."),
        )

    return view


escalate = _change(
    EscalateForm, lambda t, f, by: escalate_ticket(t, by=by, note=f.cleaned_data["note"])
)


@staff_required
@require_POST
def fields(request: AuthedRequest, number: int) -> HttpResponse:
    ticket = access_ticket_for_agent(request.user, number)
    if ticket.category is None:
        raise Http404
    form = CategoryFieldsForm(request.POST, category=ticket.category, include_files=False)
    if form.is_valid():
        try:
            actions.update_field_values(ticket, values=form.field_values(), by=request.user)
        except ValidationError as exc:
            return _ticket_page(request, ticket, status=400, error=" ".join(exc.messages))
        messages.success(request, _("Form answers saved."))
        return redirect("desk:ticket", number=ticket.pk)
    return _ticket_page(request, ticket, status=400, error=_("Check the form."), fields_form=form)


@staff_required
@require_POST
def add_participant(request: AuthedRequest, number: int) -> HttpResponse:
    """Bring someone into the ticket by address; a new address becomes a contact."""
    ticket = access_ticket_for_agent(request.user, number)
    form = ParticipantForm(request.POST)
    if not form.is_valid():
        return _ticket_page(
            request, ticket, status=400, error=_("Check the address."), participant_form=form
        )
    person = contact_for(form.cleaned_data["email"], form.cleaned_data["name"])
    try:
        actions.add_participant(ticket, user=person, by=request.user)
    except ValidationError as exc:
        return _ticket_page(
            request, ticket, status=400, error=" ".join(exc.messages), participant_form=form
        )
    messages.success(request, _("%(name)s takes part now.") % {"name": person.display_name})
    return redirect("desk:ticket", number=ticket.pk)


@staff_required
@require_POST
def remove_participant(request: AuthedRequest, number: int, user_id: int) -> HttpResponse:
    ticket = access_ticket_for_agent(request.user, number)
    participation = get_object_or_404(ticket.participations.select_related("user"), user_id=user_id)
    actions.remove_participant(ticket, user=participation.user, by=request.user)
    messages.success(
        request, _("%(name)s no longer takes part.") % {"name": participation.user.display_name}
    )
    return redirect("desk:ticket", number=ticket.pk)


@staff_required
@require_POST
def confirm_participant(request: AuthedRequest, number: int, user_id: int) -> HttpResponse:
    """Someone a customer copied in hears the ticket's public replies from now on."""
    ticket = access_ticket_for_agent(request.user, number)
    participation = get_object_or_404(ticket.participations.select_related("user"), user_id=user_id)
    actions.confirm_participant(ticket, user=participation.user, by=request.user)
    messages.success(
        request,
        _("%(name)s will get the public replies now.") % {"name": participation.user.display_name},
    )
    return redirect("desk:ticket", number=ticket.pk)


@staff_required
def message_html(request: AuthedRequest, message_id: int) -> HttpResponse:
    """One message's body again, with its remote images loaded if ``?images=1``."""
    message = access_message(request.user, message_id)
    return render(
        request,
        "desk/_message_content.html",
        {"m": message, "images": request.GET.get("images") == "1"},
    )


@staff_required
def rules(request: AuthedRequest, number: int) -> HttpResponse:
    """Dry run: which triage rules this ticket matches now, and why. Changes nothing."""
    ticket = access_ticket_for_agent(request.user, number)
    return render(request, "desk/rules.html", {"ticket": ticket, "verdicts": dry_run(ticket)})


@staff_required
@require_POST
def call(request: AuthedRequest, number: int) -> HttpResponse:
    ticket = access_ticket_for_agent(request.user, number)
    form = CallForm(request.POST, request.FILES)
    if form.is_valid():
        data = form.cleaned_data
        actions.log_call(
            ticket,
            by=request.user,
            direction=data["direction"],
            phone=data["phone"],
            duration_seconds=data["minutes"] * 60,
            summary=data["summary"],
            files=[data["recording"]] if data["recording"] else [],
        )
        messages.success(request, _("Call logged."))
        return redirect("desk:ticket", number=ticket.pk)
    return _ticket_page(
        request, ticket, status=400, error=_("Check the call form."), call_form=form
    )


@staff_required
def reply_template(request: AuthedRequest, number: int) -> HttpResponse:
    """A template filled in for this ticket, as plain text: desk.js inserts it at
    the cursor in the reply box, keeping what the agent typed."""
    ticket = access_ticket_for_agent(request.user, number)
    chosen = request.GET.get("template", "")
    if not (chosen.isascii() and chosen.isdigit() and len(chosen) <= 18):
        return HttpResponse(_("Choose a template."), status=400, content_type="text/plain")
    template = access_reply_template(request.user, int(chosen))
    body = filled_in(template, ticket, agent=request.user)
    count_template_use(template, by=request.user)
    return HttpResponse(body, content_type="text/plain; charset=utf-8")


@staff_required
def mentions(request: AuthedRequest, number: int) -> HttpResponse:
    """Colleagues who may see this ticket, for the note box's @ autocomplete
    (desk-mentions.js asks as the agent types)."""
    ticket = access_ticket_for_agent(request.user, number)
    people = mention_suggestions(ticket, request.GET.get("q", ""))
    return render(request, "desk/_mentions.html", {"people": people})


@staff_required
def new_call(request: AuthedRequest) -> HttpResponse:
    """Log a call from someone with no ticket yet: it opens one (channel phone)."""
    form = NewCallForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            ticket = open_ticket_by_call(
                by=request.user,
                name=data["name"],
                email=data["email"],
                phone=data["phone"],
                subject=data["subject"],
                body=data["body"],
                direction=data["direction"],
                duration_seconds=data["minutes"] * 60,
                summary=data["summary"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(
                request, _("Call logged on the new ticket %(ref)s.") % {"ref": ticket.reference}
            )
            return redirect("desk:ticket", number=ticket.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "desk/new_call.html", {"form": form}, status=status)


@staff_required
@require_POST
@not_activity
def presence(request: AuthedRequest, number: int) -> HttpResponse:
    """Who else is on this ticket right now, and whether they are typing.

    Each open ticket page pings every few seconds; entries expire on their own.
    Kept in the shared cache, not the database.
    """
    ticket = access_ticket_for_agent(request.user, number)
    key = f"presence:ticket:{ticket.pk}"
    now = time.time()
    ttl = settings.FRONTLINE["PRESENCE_SECONDS"]
    present = {k: v for k, v in (cache.get(key) or {}).items() if now - v["at"] < ttl}
    present[request.user.pk] = {
        "name": request.user.display_name,
        "typing": request.POST.get("typing") == "1",
        "at": now,
    }
    cache.set(key, present, ttl * 2)
    others = [v for k, v in present.items() if k != request.user.pk]
    return render(request, "desk/_presence.html", {"others": others})


@staff_required
def attachment(request: AuthedRequest, attachment_id: int) -> FileResponse:
    return attachment_response(access_attachment(request.user, attachment_id))


@staff_required
@require_POST
def log_time(request: AuthedRequest, number: int) -> HttpResponse:
    ticket = access_ticket_for_agent(request.user, number)
    estimates = estimates_on(ticket)
    form = TimeEntryForm(request.POST, estimates=estimates)
    if form.is_valid():
        data = form.cleaned_data
        estimate = data.get("estimate") and access_estimate(request.user, ticket, data["estimate"])
        try:
            entry = reports_actions.log_time(
                ticket,
                minutes=data["minutes"],
                by=request.user,
                worked_on=data["worked_on"],
                activity=data["activity"],
                billable=data["billable"],
                note=data["note"],
                estimate=estimate or None,
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _minutes_logged(entry.minutes))
            return redirect("desk:ticket", number=ticket.pk)
    return _ticket_page(
        request,
        ticket,
        status=400,
        error=_("Check the time entry."),
        time_form=form,
        estimates=estimates,
    )


@staff_required
@require_POST
def send_estimate(request: AuthedRequest, number: int) -> HttpResponse:
    ticket = access_ticket_for_agent(request.user, number)
    form = EstimateForm(request.POST)
    if form.is_valid():
        try:
            reports_actions.send_estimate(
                ticket,
                hours=form.cleaned_data["hours"],
                description=form.cleaned_data["description"],
                by=request.user,
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Estimate sent to the customer for approval."))
            return redirect("desk:ticket", number=ticket.pk)
    return _ticket_page(
        request, ticket, status=400, error=_("Check the estimate."), estimate_form=form
    )


@staff_required
@require_POST
def delete_time(request: AuthedRequest, entry_id: int) -> HttpResponse:
    entry = access_time_entry(request.user, entry_id)
    try:
        reports_actions.delete_time_entry(entry, by=request.user)
    except PermissionDenied:
        messages.error(request, _("Only its author or a supervisor can remove this entry."))
    else:
        messages.success(request, _("Time entry removed."))
    return redirect("desk:ticket", number=entry.ticket_id)


def _follow(follow: bool) -> View:
    """Follow or stop following: the button swaps itself in place (htmx), or the
    page comes back with a flash message."""

    @staff_required
    @require_POST
    def view(request: AuthedRequest, number: int) -> HttpResponse:
        if follow:
            ticket = access_ticket_for_agent(request.user, number)
        else:  # a follower who may no longer see the ticket may stop following it
            try:
                ticket = access_ticket_for_agent(request.user, number)
            except Http404:
                ticket = access_followed_ticket(request.user, number)
        if follow:
            actions.follow_ticket(ticket, by=request.user)
            said = _("You follow %(ref)s: its customer's replies reach you.")
        else:
            actions.unfollow_ticket(ticket, by=request.user)
            said = _("You no longer follow %(ref)s.")
        said %= {"ref": ticket.reference}
        if request.htmx:
            context = {"ticket": ticket, "following": follow, "said": said}
            return render(request, "desk/_follow_saved.html", context)
        messages.success(request, said)
        if not follow and not can_see_ticket(request.user, ticket):
            return redirect("desk:queue")
        return redirect("desk:ticket", number=ticket.pk)

    return view


follow = _follow(True)
unfollow = _follow(False)
