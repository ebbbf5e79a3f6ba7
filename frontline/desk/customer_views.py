"""Desk pages about customers: a contact and an organisation, with their
tickets (paged, newest activity first), details, and staff notes about them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from frontline.accounts import actions as people
from frontline.accounts.actions import add_customer_note
from frontline.accounts.models import CustomerNote, Organisation, OrganisationDomain, Role, User
from frontline.lib.http import AuthedRequest
from frontline.routing.models import ServicePlan
from frontline.tickets.access import (
    access_contact_for_staff,
    access_organisation_for_staff,
    visible_tickets,
)
from frontline.tickets.models import Ticket, TicketQuerySet
from frontline.tickets.queues import page_ids

from .contact_forms import ContactForm, DomainForm, MergeContactForm
from .templatetags.customers import HISTORY_COLUMNS
from .views import staff_required

# Members of an organisation listed on its page (the rest are reached by search).
MEMBERS_SHOWN = 50
NOTES_SHOWN = 50
CHANGES_SHOWN = 20
# Who a change names: its author and, for a merge, the other contact.
_CHANGE_PEOPLE = ("by", "merged_into", "merged_from")


def _names(*people: str) -> list[str]:
    """The columns ``display_name`` reads of each related person: of every column
    of three people, compiling the query cost more than everything else on it."""
    return [f"{p}__{f}" for p in people for f in ("first_name", "last_name", "username")]


def _notes(notes: QuerySet[CustomerNote]) -> QuerySet[CustomerNote]:
    return notes.select_related("author").only("body", "created_at", "author", *_names("author"))[
        :NOTES_SHOWN
    ]


def _members(org: Organisation) -> QuerySet[User]:
    """The first people of an organisation by name (index ``user_org_members``)."""
    return (
        User.objects.filter(organisation=org, is_active=True)
        .order_by("first_name", "last_name", "pk")
        .only("id", "first_name", "last_name", "email", "username", "is_org_manager")[
            :MEMBERS_SHOWN
        ]
    )


class CustomerNoteForm(forms.Form):
    body = forms.CharField(
        label=gettext_lazy("Note about this customer (staff only)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
    )


def _history(request: AuthedRequest, tickets: TicketQuerySet) -> dict[str, Any]:
    """One page of tickets, newest activity first, and the paging state."""
    try:
        page = max(int(request.GET.get("page", "1")), 1)
    except ValueError:
        page = 1
    state = request.GET.get("state", "")
    if state == "open":
        tickets = tickets.open()
    elif state == "closed":
        tickets = tickets.filter(is_open=False)
    ids, has_next = page_ids(tickets.order_by("-updated_at", "-id"), page)
    # Plain values, not tickets: a row shows eight columns (history_rows).
    found = {
        row[0]: row
        for row in Ticket.objects.filter(pk__in=ids).order_by().values_list(*HISTORY_COLUMNS)
    }
    rows = [found[pk] for pk in ids if pk in found]  # one deleted meanwhile: left out
    return {"tickets": rows, "page": page, "has_next": has_next, "state": state}


@staff_required
def contact(request: AuthedRequest, contact_id: int) -> HttpResponse:
    return _contact_page(request, access_contact_for_staff(request.user, contact_id))


def _contact_page(
    request: AuthedRequest, person: User, *, status: int = 200, **forms: Any
) -> HttpResponse:
    context = {
        "person": person,
        "notes": _notes(person.customer_notes.all()),
        "note_form": forms.get("note_form") or CustomerNoteForm(),
        # The edit and merge forms come when their <details> opens (contact_form),
        # unless one was sent back with mistakes.
        "contact_form": forms.get("contact_form"),
        "merge_form": forms.get("merge_form"),
        "changes": person.contact_changes.select_related(*_CHANGE_PEOPLE).only(
            "changes", "created_at", *_CHANGE_PEOPLE, *_names(*_CHANGE_PEOPLE)
        )[:CHANGES_SHOWN],
        **_history(request, visible_tickets(request.user).filter(requester=person)),
    }
    return render(request, "desk/contact.html", context, status=status)


# The contact page's forms, fetched when opened: name → (title, template, context).
CONTACT_FORMS: dict[str, tuple[Any, str, Callable[[User], dict[str, Any]]]] = {
    "edit": (
        gettext_lazy("Edit the details"),
        "desk/forms/_contact_details.html",
        lambda person: {"contact_form": ContactForm.of(person)},
    ),
    "merge": (
        gettext_lazy("Merge with another contact"),
        "desk/forms/_contact_merge.html",
        lambda person: {"merge_form": MergeContactForm()},
    ),
}


@staff_required
def contact_form(request: AuthedRequest, contact_id: int, name: str) -> HttpResponse:
    """One of the contact page's forms: the fragment when its <details> opens
    (htmx), or a page of its own (no JavaScript)."""
    if name not in CONTACT_FORMS:
        raise Http404
    person = access_contact_for_staff(request.user, contact_id)
    if name == "merge" and not person.is_active:
        raise Http404  # a deactivated contact is merged no further
    title, template, make = CONTACT_FORMS[name]
    context = {"person": person, **make(person)}
    if request.htmx:
        return render(request, template, context)
    return render(
        request,
        "desk/contact_form.html",
        {**context, "form_title": title, "form_template": template},
    )


@staff_required
def organisation(request: AuthedRequest, organisation_id: int) -> HttpResponse:
    return _organisation_page(request, access_organisation_for_staff(request.user, organisation_id))


def _organisation_page(
    request: AuthedRequest,
    org: Organisation,
    note_form: CustomerNoteForm | None = None,
    domain_form: DomainForm | None = None,
) -> HttpResponse:
    # Which addresses join an organisation is a supervisor's or an admin's call
    # (accounts.actions.add_organisation_domain); agents read the list.
    may_edit = request.user.sees_all_tickets
    context = {
        "organisation": org,
        "members": _members(org),
        "notes": _notes(org.staff_notes.all()),
        # The contract: each plan raises its tickets to a minimum priority and
        # may have its own SLA targets (routing.ServicePlan, sla.SlaPolicy).
        "plans": list(ServicePlan.objects.filter(organisations=org).order_by("name")),
        "domains": list(org.domains.order_by("domain").only("domain", "subdomains")),
        "domain_form": (domain_form or DomainForm()) if may_edit else None,
        "note_form": note_form or CustomerNoteForm(),
        **_history(request, visible_tickets(request.user).filter(organisation=org)),
    }
    refused = note_form is not None or domain_form is not None
    return render(request, "desk/organisation.html", context, status=400 if refused else 200)


@staff_required
@require_POST
def organisation_domain_add(request: AuthedRequest, organisation_id: int) -> HttpResponse:
    """Give the organisation one more mail domain (supervisors and admins)."""
    org = access_organisation_for_staff(request.user, organisation_id)
    if not request.user.sees_all_tickets:
        raise PermissionDenied
    form = DomainForm(request.POST)
    if form.is_valid():
        try:
            added = people.add_organisation_domain(org, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(
                request,
                _("%(domain)s is a mail domain of this organisation now.")
                % {"domain": added.domain},
            )
            return redirect("desk:organisation", organisation_id=org.pk)
    return _organisation_page(request, org, domain_form=form)


@staff_required
@require_POST
def organisation_domain_remove(
    request: AuthedRequest, organisation_id: int, domain_id: int
) -> HttpResponse:
    """Take a mail domain from the organisation (supervisors and admins)."""
    org = access_organisation_for_staff(request.user, organisation_id)
    domain = get_object_or_404(OrganisationDomain, pk=domain_id, organisation=org)
    if not request.user.sees_all_tickets:
        raise PermissionDenied
    people.remove_organisation_domain(domain, by=request.user)
    messages.success(
        request,
        _("%(domain)s is no longer a mail domain of this organisation; its people stay.")
        % {"domain": domain.domain},
    )
    return redirect("desk:organisation", organisation_id=org.pk)


def _note(request: AuthedRequest, about: User | Organisation) -> CustomerNoteForm | None:
    """Add the posted note; the form back if it was refused."""
    form = CustomerNoteForm(request.POST)
    if form.is_valid():
        try:
            add_customer_note(about, body=form.cleaned_data["body"], by=request.user)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("The note is saved."))
            return None
    return form


@staff_required
@require_POST
def contact_note(request: AuthedRequest, contact_id: int) -> HttpResponse:
    person = access_contact_for_staff(request.user, contact_id)
    form = _note(request, person)
    if form is not None:
        return _contact_page(request, person, status=400, note_form=form)
    return redirect("desk:contact", contact_id=person.pk)


@staff_required
@require_POST
def organisation_note(request: AuthedRequest, organisation_id: int) -> HttpResponse:
    org = access_organisation_for_staff(request.user, organisation_id)
    form = _note(request, org)
    if form is not None:
        return _organisation_page(request, org, note_form=form)
    return redirect("desk:organisation", organisation_id=org.pk)


@staff_required
@require_POST
def contact_edit(request: AuthedRequest, contact_id: int) -> HttpResponse:
    """Correct a customer's details; the change goes to the audit log."""
    person = access_contact_for_staff(request.user, contact_id)
    form = ContactForm(request.POST)
    if form.is_valid():
        try:
            change = people.update_contact(person, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            if change is None:
                messages.info(request, _("Nothing changed."))
            else:
                messages.success(request, _("The contact's details are saved."))
            return redirect("desk:contact", contact_id=person.pk)
    return _contact_page(request, person, status=400, contact_form=form)


def _contact_named(request: AuthedRequest, text: str) -> User | None:
    """The contact an agent named by number or address, if they may see it."""
    text = text.strip().removeprefix("#")
    if text.isdigit() and len(text) < 12:
        candidates = [int(text)]
    else:
        found = people.users_with_address(
            text, User.objects.filter(role=Role.CUSTOMER, is_active=True)
        )
        candidates = [u.pk for u in found]
    for pk in candidates:
        try:
            return access_contact_for_staff(request.user, pk)
        except Http404:
            continue
    return None


@staff_required
@require_POST
def contact_merge(request: AuthedRequest, contact_id: int) -> HttpResponse:
    """Merge this contact into another: its tickets and notes move there."""
    person = access_contact_for_staff(request.user, contact_id)
    form = MergeContactForm(request.POST)
    if form.is_valid():
        into = _contact_named(request, form.cleaned_data["other"])
        if into is None:
            form.add_error(
                "other", _("There is no contact with that number or address that you may see.")
            )
        else:
            try:
                people.merge_contacts(person, into=into, by=request.user)
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(
                    request,
                    _("%(old)s is merged into this contact: their tickets and notes are here now.")
                    % {"old": person.display_name},
                )
                return redirect("desk:contact", contact_id=into.pk)
    return _contact_page(request, person, status=400, merge_form=form)
