"""Contacts (customers) and organisations, for staff: the desk's contact and
organisation pages as resources. Every read goes through
``frontline.tickets.access`` (an agent sees the customers of the tickets they
may see; supervisors and admins see all; customers none, a 404 or a 403 for a
list); writes call the actions in ``frontline.accounts.actions``.

Updates carry an ``ETag`` (a digest of what the client read) and honour
``If-Match``: a stale update is a 412, not a silent overwrite."""

from __future__ import annotations

import datetime
import hashlib
from typing import Literal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.db.models.functions import Lower
from django.http import HttpResponse
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from ninja.errors import HttpError
from pydantic import BaseModel, Field

from frontline.accounts.actions import (
    add_contact,
    add_customer_note,
    add_organisation,
    address_key,
    split_name,
    update_contact,
    update_organisation,
)
from frontline.accounts.models import CustomerNote, Organisation, User
from frontline.lib.http import AuthedRequest
from frontline.lib.phones import normalise_phone
from frontline.tickets.access import (
    access_contact_for_staff,
    access_organisation_for_staff,
    visible_contacts_for_staff,
    visible_organisations_for_staff,
)

from ..auth import write_auth
from ..pagination import Ordering, decode_cursor, keyset_page
from ..schemas import Id, Problem, Ref

router = Router(tags=["contacts and organisations"])

ERRORS = {400: Problem, 401: Problem, 403: Problem, 404: Problem, 429: Problem}
UPDATE_ERRORS = {**ERRORS, 412: Problem}
BY_ID: Ordering = (("id", False),)
NOTES_SHOWN = 50
LanguageCode = Literal["", "en", "ru", "zh-hans"]


class ContactOut(BaseModel):
    id: int
    name: str
    email: str
    phone: str = Field(description="E.164, with ``;ext=`` for an extension; empty if unknown.")
    organisation: Ref | None
    is_org_manager: bool = Field(description="Sees every ticket of the organisation.")
    language: str = Field(description="Empty while unknown.")
    email_verified: bool
    is_active: bool
    joined_at: datetime.datetime

    @classmethod
    def of(cls, person: User) -> ContactOut:
        org = person.organisation
        return cls(
            id=person.pk,
            name=person.display_name,
            email=person.email,
            phone=person.phone,
            organisation=Ref(id=org.pk, name=org.name) if org is not None else None,
            is_org_manager=person.is_org_manager,
            language=person.language,
            email_verified=person.email_verified_at is not None,
            is_active=person.is_active,
            joined_at=person.date_joined,
        )


class ContactPage(BaseModel):
    items: list[ContactOut]
    next_cursor: str | None = Field(description="Pass as ``cursor`` for the next page.")


class DomainOut(BaseModel):
    domain: str = Field(description="Verified addresses at this domain join the organisation.")
    subdomains: bool = Field(description="Addresses at its subdomains join it too.")


class OrganisationOut(BaseModel):
    id: int
    name: str
    domains: list[DomainOut] = Field(description="Its mail domains, in alphabetical order.")
    email_domain: str = Field(
        description="The first of ``domains`` (empty if none); kept for older clients.",
        json_schema_extra={"deprecated": True},
    )
    notes: str
    created_at: datetime.datetime

    @classmethod
    def of(cls, org: Organisation) -> OrganisationOut:
        domains = [DomainOut(domain=d.domain, subdomains=d.subdomains) for d in org.domains.all()]
        return cls(
            id=org.pk,
            name=org.name,
            domains=domains,
            email_domain=domains[0].domain if domains else "",
            notes=org.notes,
            created_at=org.created_at,
        )


class OrganisationPage(BaseModel):
    items: list[OrganisationOut]
    next_cursor: str | None = Field(description="Pass as ``cursor`` for the next page.")


class NoteOut(BaseModel):
    id: int
    body: str
    author: Ref
    created_at: datetime.datetime

    @classmethod
    def of(cls, note: CustomerNote) -> NoteOut:
        return cls(
            id=note.pk,
            body=note.body,
            author=Ref(id=note.author.pk, name=note.author.display_name),
            created_at=note.created_at,
        )


class ContactFilters(Schema):
    organisation: Id | None = None
    email: str | None = Field(default=None, max_length=254, description="Exactly this address.")
    phone: str | None = Field(default=None, max_length=40, description="This number, any format.")
    cursor: str | None = Field(default=None, max_length=500)
    limit: int = Field(default=50, ge=1, le=100)


class PageIn(Schema):
    cursor: str | None = Field(default=None, max_length=500)
    limit: int = Field(default=50, ge=1, le=100)


class ContactIn(Schema):
    name: str = Field(default="", max_length=300)
    email: str = Field(default="", max_length=254)
    phone: str = Field(default="", max_length=40, description="Any format with a country code.")


class ContactChange(Schema):
    name: str | None = Field(default=None, max_length=300)
    phone: str | None = Field(default=None, max_length=40, description="Empty to forget it.")
    language: LanguageCode | None = None


MAX_DOMAINS = 100


class DomainIn(Schema):
    domain: str = Field(max_length=200, description="e.g. example.com")
    subdomains: bool = Field(default=False, description="Its subdomains join too.")


class OrganisationIn(Schema):
    name: str = Field(max_length=200)
    domains: list[DomainIn] = Field(default=[], max_length=MAX_DOMAINS)
    email_domain: str = Field(
        default="",
        max_length=200,
        description="One more domain, as ``domains``; kept for older clients.",
        json_schema_extra={"deprecated": True},
    )
    notes: str = Field(default="", max_length=5000)

    def all_domains(self) -> list[tuple[str, bool]]:
        return _domains(self.domains, self.email_domain)


class OrganisationChange(Schema):
    name: str | None = Field(default=None, max_length=200)
    domains: list[DomainIn] | None = Field(
        default=None, max_length=MAX_DOMAINS, description="Replaces every mail domain."
    )
    email_domain: str | None = Field(
        default=None,
        max_length=200,
        description="Replaces every mail domain with this one (empty: none), unless "
        "``domains`` is given; kept for older clients.",
        json_schema_extra={"deprecated": True},
    )
    notes: str | None = Field(default=None, max_length=5000)

    def all_domains(self) -> list[tuple[str, bool]] | None:
        if self.domains is None and self.email_domain is None:
            return None
        return _domains(self.domains or [], self.email_domain if self.domains is None else "")


def _domains(domains: list[DomainIn], single: str | None) -> list[tuple[str, bool]]:
    wanted = [(d.domain, d.subdomains) for d in domains]
    if single and single.strip():
        wanted.append((single, False))
    return wanted


class NoteIn(Schema):
    body: str = Field(max_length=5000)


def _staff_only(request: AuthedRequest) -> None:
    if not request.user.is_staff_member:
        raise PermissionDenied(_("Only staff may do this."))


def _phone(value: str, field: str = "phone") -> str:
    if not value.strip():
        return ""
    try:
        return normalise_phone(value)
    except ValueError:
        raise ValidationError(
            {field: _("Enter a phone number with its country code, e.g. +44 20 7946 0958.")}
        ) from None


def _etag(out: BaseModel) -> str:
    """A digest of the representation: any change to what a client reads changes it."""
    return '"' + hashlib.sha256(out.model_dump_json().encode()).hexdigest()[:32] + '"'


def _check_if_match(request: AuthedRequest, current: BaseModel) -> None:
    wanted = request.headers.get("If-Match")
    if wanted is None or wanted.strip() == "*":
        return
    if _etag(current) not in [tag.strip() for tag in wanted.split(",")]:
        raise HttpError(412, _("This changed since you read it; read it again."))


def _page(
    qs: QuerySet[User] | QuerySet[Organisation], cursor: str | None, limit: int
) -> tuple[list[int], str | None]:
    start = decode_cursor(cursor, BY_ID, {"id": int}) if cursor else None
    return keyset_page(qs, BY_ID, start, limit)


# Contacts.


@router.get("/contacts", response={200: ContactPage, **ERRORS}, summary="Contacts (staff)")
def list_contacts(request: AuthedRequest, filters: Query[ContactFilters]) -> ContactPage:
    """The customers the caller may see, oldest first, one page at a time."""
    _staff_only(request)
    qs = visible_contacts_for_staff(request.user)
    if filters.organisation is not None:
        qs = qs.filter(organisation_id=filters.organisation)
    if filters.email:
        key = address_key(filters.email)
        qs = (
            qs.alias(email_key=Lower("email")).filter(email_key=key)
            if key.isascii()
            else qs.filter(email=key)
        )
    if filters.phone:
        qs = qs.filter(phone=_phone(filters.phone))
    ids, next_cursor = _page(qs, filters.cursor, filters.limit)
    by_id = User.objects.select_related("organisation").in_bulk(ids)
    return ContactPage(items=[ContactOut.of(by_id[pk]) for pk in ids], next_cursor=next_cursor)


@router.get("/contacts/{int:contact_id}", response={200: ContactOut, **ERRORS}, summary="A contact")
def get_contact(request: AuthedRequest, contact_id: int, response: HttpResponse) -> ContactOut:
    """One customer; its ``ETag`` goes in ``If-Match`` on an update."""
    out = ContactOut.of(access_contact_for_staff(request.user, contact_id))
    response["ETag"] = _etag(out)
    return out


@router.post(
    "/contacts",
    response={201: ContactOut, **ERRORS},
    auth=write_auth,
    summary="Add a contact (staff)",
)
def create_contact(request: AuthedRequest, payload: ContactIn) -> Status[ContactOut]:
    """A new customer with an address or a number (or both). An address somebody
    already has is refused: find that person with ``GET /contacts?email=``."""
    _staff_only(request)
    person = add_contact(
        by=request.user, name=payload.name, email=payload.email, phone=_phone(payload.phone)
    )
    return Status(201, ContactOut.of(person))


@router.patch(
    "/contacts/{int:contact_id}",
    response={200: ContactOut, **UPDATE_ERRORS},
    auth=write_auth,
    summary="Correct a contact's details (staff)",
)
def change_contact(
    request: AuthedRequest, contact_id: int, payload: ContactChange, response: HttpResponse
) -> ContactOut:
    """Name, phone number and language; what is left out stays as it is."""
    person = access_contact_for_staff(request.user, contact_id)
    _check_if_match(request, ContactOut.of(person))
    values: dict[str, str] = {}
    if payload.name is not None:
        values["first_name"], values["last_name"] = split_name(payload.name)
    if payload.phone is not None:
        values["phone"] = _phone(payload.phone)
    if payload.language is not None:
        values["language"] = payload.language
    update_contact(person, by=request.user, **values)  # the desk's edit, with its audit log
    person.refresh_from_db()
    out = ContactOut.of(person)
    response["ETag"] = _etag(out)
    return out


@router.get(
    "/contacts/{int:contact_id}/notes",
    response={200: list[NoteOut], **ERRORS},
    summary="Staff notes about a contact",
)
def contact_notes(request: AuthedRequest, contact_id: int) -> list[NoteOut]:
    """The newest 50, newest first (staff only, never shown to customers)."""
    person = access_contact_for_staff(request.user, contact_id)
    notes = person.customer_notes.select_related("author")[:NOTES_SHOWN]
    return [NoteOut.of(n) for n in notes]


@router.post(
    "/contacts/{int:contact_id}/notes",
    response={201: NoteOut, **ERRORS},
    auth=write_auth,
    summary="Write a note about a contact (staff)",
)
def add_contact_note(request: AuthedRequest, contact_id: int, payload: NoteIn) -> Status[NoteOut]:
    person = access_contact_for_staff(request.user, contact_id)
    return Status(201, NoteOut.of(add_customer_note(person, body=payload.body, by=request.user)))


# Organisations.


@router.get(
    "/organisations", response={200: OrganisationPage, **ERRORS}, summary="Organisations (staff)"
)
def list_organisations(request: AuthedRequest, page: Query[PageIn]) -> OrganisationPage:
    """The organisations the caller may see, oldest first; their people are
    ``GET /contacts?organisation=``."""
    _staff_only(request)
    qs = visible_organisations_for_staff(request.user)
    ids, next_cursor = _page(qs, page.cursor, page.limit)
    by_id = Organisation.objects.prefetch_related("domains").in_bulk(ids)
    return OrganisationPage(
        items=[OrganisationOut.of(by_id[pk]) for pk in ids], next_cursor=next_cursor
    )


@router.get(
    "/organisations/{int:organisation_id}",
    response={200: OrganisationOut, **ERRORS},
    summary="An organisation",
)
def get_organisation(
    request: AuthedRequest, organisation_id: int, response: HttpResponse
) -> OrganisationOut:
    out = OrganisationOut.of(access_organisation_for_staff(request.user, organisation_id))
    response["ETag"] = _etag(out)
    return out


@router.post(
    "/organisations",
    response={201: OrganisationOut, **ERRORS},
    auth=write_auth,
    summary="Add an organisation (supervisors and admins)",
)
def create_organisation(request: AuthedRequest, payload: OrganisationIn) -> Status[OrganisationOut]:
    org = add_organisation(
        by=request.user,
        name=payload.name,
        domains=payload.all_domains(),
        notes=payload.notes,
    )
    return Status(201, OrganisationOut.of(org))


@router.patch(
    "/organisations/{int:organisation_id}",
    response={200: OrganisationOut, **UPDATE_ERRORS},
    auth=write_auth,
    summary="Correct an organisation (supervisors and admins)",
)
def change_organisation(
    request: AuthedRequest,
    organisation_id: int,
    payload: OrganisationChange,
    response: HttpResponse,
) -> OrganisationOut:
    org = access_organisation_for_staff(request.user, organisation_id)
    _check_if_match(request, OrganisationOut.of(org))
    org = update_organisation(
        org,
        by=request.user,
        name=payload.name,
        domains=payload.all_domains(),
        notes=payload.notes,
    )
    out = OrganisationOut.of(org)
    response["ETag"] = _etag(out)
    return out


@router.get(
    "/organisations/{int:organisation_id}/notes",
    response={200: list[NoteOut], **ERRORS},
    summary="Staff notes about an organisation",
)
def organisation_notes(request: AuthedRequest, organisation_id: int) -> list[NoteOut]:
    org = access_organisation_for_staff(request.user, organisation_id)
    return [NoteOut.of(n) for n in org.staff_notes.select_related("author")[:NOTES_SHOWN]]


@router.post(
    "/organisations/{int:organisation_id}/notes",
    response={201: NoteOut, **ERRORS},
    auth=write_auth,
    summary="Write a note about an organisation (staff)",
)
def add_organisation_note(
    request: AuthedRequest, organisation_id: int, payload: NoteIn
) -> Status[NoteOut]:
    org = access_organisation_for_staff(request.user, organisation_id)
    return Status(201, NoteOut.of(add_customer_note(org, body=payload.body, by=request.user)))
