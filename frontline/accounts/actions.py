"""Changes to people: one function per act."""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.tokens import default_token_generator
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import F, Q, QuerySet
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from frontline.lib.languages import detect_language
from frontline.lib.prepared import Prepared

from .models import (
    ContactChange,
    CustomerNote,
    Organisation,
    OrganisationDomain,
    Role,
    User,
    clean_domain,
)

logger = logging.getLogger(__name__)


def address_key(address: str) -> str:
    """How Frontline tells whether two addresses are the same person's: ASCII
    addresses compare case-insensitively, any other exactly as written, so a
    look-alike Unicode address (a Kelvin sign for K, a Cyrillic a) is someone
    else. Every comparison of people's addresses goes through here."""
    address = address.strip()
    return address.lower() if address.isascii() else address


def users_with_address(address: str, among: QuerySet[User] | None = None) -> list[User]:
    """The people (``among`` some, if given) whose address is ``address`` by
    :func:`address_key`, found through the ``lower(email)`` index. The check is
    repeated here, not left to SQL: PostgreSQL's LOWER folds some non-ASCII
    letters to ASCII ones."""
    key = address_key(address)
    people = among if among is not None else User.objects.all()
    rows: Iterable[User] = (
        people.alias(email_key=Lower("email")).filter(email_key=key)
        if key.isascii()
        else people.filter(email=key)
    )
    return [user for user in rows if address_key(user.email) == key]


def username_taken(username: str) -> bool:
    """Whether an account has this user name, in any letter case."""
    return (
        User.objects.alias(username_key=Lower("username"))
        .filter(username_key=username.lower())
        .exists()
    )


def split_name(name: str) -> tuple[str, str]:
    """First and last name from how someone wrote their name (first word, the rest)."""
    first, _sep, last = " ".join(name.split()).partition(" ")
    return first[:150], last[:150]


def register_customer(*, email: str, name: str, password: str, language: str = "") -> User | None:
    """A customer signs up on the portal.

    The address is not verified yet (``email_verified_at`` stays empty), so the
    account is never matched to an organisation by its domain until it is; a
    link to verify it is mailed after commit.

    If the address has an account already (or someone wrote from it by mail),
    nothing is created and the people at the address are mailed a link to set
    their password instead; returns None. The page must answer the same either
    way, so that sign-up does not tell strangers who has an account. The
    password is checked first, for the same reason.
    """
    email = User.objects.normalize_email(email.strip())
    first, last = split_name(name)
    user = User(
        username=email,
        email=email,
        first_name=first,
        last_name=last,
        role=Role.CUSTOMER,
        language=language[:10],
    )
    validate_password(password, user)
    if users_with_address(email) or username_taken(email):
        mail_password_links(email)
        return None
    user.set_password(password)
    with transaction.atomic():
        user.save()
        request_email_verification(user)
    return user


def password_link_recipients(address: str) -> list[User]:
    """Who a mailed "set your password" link for ``address`` reaches: the active
    people at the address who have a password, and customers without one (the
    contacts made from mail). Staff without a usable password were locked out on
    purpose (or sign in elsewhere): a mailed link must not switch password login
    back on."""
    return [
        user
        for user in users_with_address(address, User.objects.filter(is_active=True))
        if user.has_usable_password() or user.role == Role.CUSTOMER
    ]


def mail_password_links(address: str) -> None:
    """Mail each of :func:`password_link_recipients` a one-time link to set a
    password (through Frontline's mail queue, rate-limited per address). Nothing
    is sent for an unknown address; callers answer the same either way."""
    for user in password_link_recipients(address):
        mail_account_link("password_reset", user)


def password_link(user: User) -> str:
    """A working "set your password" link for ``user``, made when the mail goes
    out (never stored): built from ``SITE_URL``, never the request's Host header."""
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    path = reverse("password_reset_confirm", args=[uid, default_token_generator.make_token(user)])
    return settings.SITE_URL.rstrip("/") + path


def verification_link(user: User) -> str:
    """A working link that confirms ``user``'s current address, made when the mail
    goes out (never stored)."""
    path = reverse("portal:verify_email", args=[email_verification_token(user)])
    return settings.SITE_URL.rstrip("/") + path


def sign_out_everywhere(user: User, *, by: User) -> None:
    """End every session of ``user``, on every device, this one included (the
    person lost a phone, or signed in at a shared computer). Sessions are not
    looked up one by one: each is checked on its next request against a hash
    that now differs."""
    User.objects.filter(pk=user.pk).update(session_generation=F("session_generation") + 1)
    logger.info("sessions of user %s ended everywhere by user %s", user.pk, by.pk)


_VERIFY_SALT = "frontline.accounts.verify-email"


def email_verification_token(user: User) -> str:
    """A signed, expiring token for ``user``'s current address: changing the
    address makes old links useless."""
    return signing.dumps({"u": user.pk, "e": address_key(user.email)}, salt=_VERIFY_SALT)


def user_for_verification_token(token: str) -> User | None:
    """The person a verification link was made for, if it is genuine, unexpired and
    their address has not changed since."""
    max_age = datetime.timedelta(days=settings.FRONTLINE["ACCOUNT_LINK_DAYS"])
    try:
        data = signing.loads(token, salt=_VERIFY_SALT, max_age=max_age)
    except signing.BadSignature:
        return None
    user = User.objects.filter(pk=data.get("u"), is_active=True).first()
    if user is None or address_key(user.email) != data.get("e"):
        return None
    return user


def _tell(happening: str, **details: Any) -> None:
    """Run what the table ``ACCOUNT_REACTIONS`` (``frontline/reactions.py``, found
    through ``settings.FRONTLINE_ACCOUNT_REACTIONS``) lists for ``happening``, now,
    in the caller's transaction: accounts name none of the apps that react."""
    for reaction in import_string(settings.FRONTLINE_ACCOUNT_REACTIONS).get(happening, ()):
        reaction(**details)


def mail_account_link(notice: str, user: User) -> None:
    """After commit, mail ``user`` a one-time link: ``notice`` says what for
    (``verify_email``, ``password_reset``). The link itself is made only as the
    mail is sent (:func:`password_link`, :func:`verification_link`), so that no
    stored row holds a way into the account."""
    transaction.on_commit(lambda: _tell("link_to_mail", notice=notice, user=user))


def request_email_verification(user: User) -> None:
    """After commit, mail ``user`` a link that confirms their address."""
    mail_account_link("verify_email", user)


def verify_email(user: User) -> User:
    """The person proved they read mail at their address (a verification link, or a
    password set through a mailed link).

    Only now does the address count: the person joins the organisation whose
    mail domain it is (if they have none; ``OrganisationDomain.objects.for_address``),
    and requests that came by mail from the same address before, kept under a
    separate contact until now, move to this account so nobody has to tell their
    story twice.
    """
    now = timezone.now()
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        changed = []
        if user.email_verified_at is None:
            user.email_verified_at = now
            changed.append("email_verified_at")
        if user.organisation_id is None and not user.is_staff_member:
            found = OrganisationDomain.objects.for_address(user.email)
            if found is not None:
                user.organisation = found.organisation
                changed.append("organisation")
        if changed:
            user.save(update_fields=changed)
        if not user.is_staff_member:
            _take_over_mail_contacts(user)
    return user


def _take_over_mail_contacts(user: User) -> None:
    """The contacts that mail from ``user``'s address made before it was proved
    become part of ``user``: what they hold moves over (the reactions to
    ``contacts_merged``: their requests, with an event on each), then they are
    deactivated."""
    # Contacts made from mail have no usable password (Django marks those with "!").
    candidates = User.objects.filter(
        role=Role.CUSTOMER,
        is_active=True,
        email_verified_at=None,
        password__startswith=UNUSABLE_PASSWORD_PREFIX,
    ).exclude(pk=user.pk)
    contacts = users_with_address(user.email, candidates)
    if not contacts:
        return
    _tell("contacts_merged", user=user, contacts=contacts)
    User.objects.filter(pk__in=[c.pk for c in contacts]).update(is_active=False)


_BY_ADDRESS_OR_USERNAME = Prepared[User](
    lambda p: (
        User.objects.alias(email_key=Lower("email"), username_key=Lower("username"))
        .filter(Q(email_key=p.key) | Q(username_key=p.username))
        .order_by()
    )
)


def contact_for(address: str, name: str, *, _again: bool = True) -> User:
    """The person behind an address, created as an unverified customer if new.

    Addresses are compared case-insensitively in their ASCII form only: a
    look-alike Unicode address is a different person. New contacts get no
    organisation (that needs a verified address) and no usable password.
    """
    address = address.strip()
    username = address[:150]
    key = address_key(address)
    taken: bool | None = None
    if key.isascii():
        # What users_with_address and username_taken ask, in one query by the
        # lower-case indexes (the mail import asks for every message).
        rows = _BY_ADDRESS_OR_USERNAME(key=key, username=username.lower())
        same = [u for u in rows if address_key(u.email) == key]
        taken = any(u.username.lower() == username.lower() for u in rows)
    else:
        same = users_with_address(address)
    # A verified account first (it took over the contacts made before it), then
    # active before deactivated, then the oldest. Sorted here: there are few.
    found = sorted(
        same,
        key=lambda u: (
            u.email_verified_at is None,
            -u.email_verified_at.timestamp() if u.email_verified_at else 0.0,
            not u.is_active,
            u.pk,
        ),
    )
    for user in found:
        # An account someone opened on the portal with this address and never
        # verified proves nothing: mail from the address does not go to it.
        if user.email_verified_at or not user.has_usable_password() or user.is_staff_member:
            return user
    if taken is None:
        taken = username_taken(username)
    try:
        with transaction.atomic():
            return new_contact(username=username, taken=taken, name=name, email=address)
    except IntegrityError:
        if not _again:
            raise
        # Another process made this contact (or took the user name) since the
        # look-up (two imports, both copied the same person): look again.
        return contact_for(address, name, _again=False)


def new_contact(
    *, username: str, name: str, email: str = "", phone: str = "", taken: bool | None = None
) -> User:
    """A customer who reached us by mail or phone: no usable password (they set
    one through a mailed link), no organisation (that needs a confirmed address).
    ``username`` gets a suffix if it is ``taken`` (looked up when not given)."""
    if taken is None:
        taken = username_taken(username)
    if taken:
        username = f"{username[:140]}-{User.objects.count()}"
    first, last = split_name(name)
    user = User(
        username=username,
        email=email,
        first_name=first,
        last_name=last,
        phone=phone,
        role=Role.CUSTOMER,
    )
    user.set_unusable_password()
    user.save()
    return user


def add_customer_note(about: User | Organisation, *, body: str, by: User) -> CustomerNote:
    """Staff write down something about a customer or an organisation (staff
    only, never shown to customers). ``PermissionDenied`` for anyone else,
    ``ValidationError`` for an empty note or a note about staff."""
    if not (by.is_active and by.is_staff_member):
        raise PermissionDenied("Only staff write notes about customers.")
    body = body.strip()
    if not body:
        raise ValidationError({"body": _("Write a note.")})
    if isinstance(about, User):
        if about.is_staff_member:
            raise ValidationError(_("Notes are about customers, not staff."))
        return CustomerNote.objects.create(contact=about, body=body, author=by)
    return CustomerNote.objects.create(organisation=about, body=body, author=by)


def learn_language(user: User, *, text: str) -> str:
    """Set the language of a customer who never chose one from ``text``, which
    they wrote (their first mail), if it can be told surely. Never overrides a
    language already set (the condition is in the UPDATE, so a choice made
    meanwhile wins). Returns the language the customer has afterwards."""
    if user.language or user.is_staff_member:
        return user.language
    language = detect_language(text)
    if language and User.objects.filter(pk=user.pk, language="").update(language=language):
        user.language = language
    return user.language


# Notes shown on a ticket page beside the requester (the rest on their page).
NOTES_ON_TICKET = 3


def customer_notes_for(ticket: Any) -> list[CustomerNote]:
    """The latest staff notes about a ticket's requester and organisation, for
    the agents working on it (one query)."""
    if ticket.organisation_id:
        return _NOTES_ON_CONTACT_OR_ORGANISATION(
            contact=ticket.requester_id, organisation=ticket.organisation_id
        )
    return _NOTES_ON_CONTACT(contact=ticket.requester_id)


def _notes_about(about: Q) -> QuerySet[CustomerNote]:
    return CustomerNote.objects.filter(about).select_related("author")[:NOTES_ON_TICKET]


# On every desk ticket page: compiled once (lib.prepared).
_NOTES_ON_CONTACT = Prepared(lambda p: _notes_about(Q(contact_id=p.contact)))
_NOTES_ON_CONTACT_OR_ORGANISATION = Prepared(
    lambda p: _notes_about(Q(contact_id=p.contact) | Q(organisation_id=p.organisation))
)


# What staff may edit of a customer's details, in the order the audit log shows them.
CONTACT_FIELDS = ("first_name", "last_name", "email", "phone", "language", "organisation")


def update_contact(person: User, *, by: User, **values: Any) -> ContactChange | None:
    """Staff correct a customer's details (``CONTACT_FIELDS``: names, address,
    phone, language, organisation). What changed is written to the audit log
    (a ContactChange with each field's old and new value), which is returned;
    None if nothing changed. A new address is not confirmed (mail from it
    proves nothing yet) and may not be another active customer's (merge the
    two instead): ``ValidationError``. Only staff, only about customers:
    ``PermissionDenied``."""
    if not (by.is_active and by.is_staff_member):
        raise PermissionDenied("Only staff change customers' details.")
    if person.is_staff_member:
        raise PermissionDenied("Staff accounts are changed in the admin.")
    unknown = set(values) - set(CONTACT_FIELDS)
    if unknown:
        raise TypeError(f"not a contact field: {', '.join(sorted(unknown))}")
    languages = {code for code, _name in settings.LANGUAGES}
    if values.get("language") and values["language"] not in languages:
        raise ValidationError({"language": _("Choose one of the site's languages.")})
    with transaction.atomic():
        person = User.objects.select_for_update().get(pk=person.pk)
        changes: dict[str, list[Any]] = {}
        for field, new in values.items():
            if field == "organisation":
                old_org = person.organisation
                if (old_org.pk if old_org else None) != (new.pk if new else None):
                    changes[field] = [old_org.name if old_org else "", new.name if new else ""]
                    person.organisation = new
                continue
            new = (new or "").strip()
            old = getattr(person, field)
            if new != old:
                changes[field] = [old, new]
                setattr(person, field, new)
        if not changes:
            return None
        fields = [f for f in CONTACT_FIELDS if f in changes]
        if "email" in changes:
            new_email = person.email
            if not new_email:
                raise ValidationError({"email": _("A contact needs an email address.")})
            others = User.objects.filter(is_active=True).exclude(pk=person.pk)
            if users_with_address(new_email, others):
                raise ValidationError(
                    {
                        "email": _(
                            "Another contact has this address: merge the two contacts instead."
                        )
                    }
                )
            person.email_verified_at = None
            fields.append("email_verified_at")
        if "organisation" in changes and person.organisation is None and person.is_org_manager:
            person.is_org_manager = False
            fields.append("is_org_manager")
        person.full_clean(exclude=["password", "username"], validate_unique=False)
        person.save(update_fields=fields)
        return ContactChange.objects.create(contact=person, by=by, changes=changes)


def merge_contacts(contact: User, *, into: User, by: User) -> User:
    """Two contacts are one customer (mail from a second address, a phone call
    noted under a new name): ``contact`` goes into ``into``, which stays, and is
    returned. Its requests and the tickets it takes part in become ``into``'s,
    each with an event naming who it moved from (the reactions to
    ``contacts_merged``); the staff notes about it move; ``into`` takes its
    phone and organisation where it has none; ``contact`` is deactivated
    (people are never deleted). A ContactChange on each. ``ValidationError``:
    a contact into itself, a staff account, one already gone."""
    if not (by.is_active and by.is_staff_member):
        raise PermissionDenied("Only staff merge contacts.")
    if contact.pk == into.pk:
        raise ValidationError(_("A contact cannot be merged into itself."))
    now = timezone.now()
    with transaction.atomic():
        locked = {
            u.pk: u for u in User.objects.select_for_update().filter(pk__in=[contact.pk, into.pk])
        }
        contact, into = locked[contact.pk], locked[into.pk]
        if contact.is_staff_member or into.is_staff_member:
            raise ValidationError(_("Only customers' contacts are merged."))
        if not (contact.is_active and into.is_active):
            raise ValidationError(_("A deactivated contact cannot be merged."))
        taken = []
        if not into.phone and contact.phone:
            into.phone = contact.phone
            taken.append("phone")
        if into.organisation_id is None and contact.organisation_id is not None:
            into.organisation_id = contact.organisation_id
            taken.append("organisation")
        if taken:
            into.save(update_fields=taken)
        _tell("contacts_merged", user=into, contacts=[contact], by=by, reason="contacts merged")
        CustomerNote.objects.filter(contact=contact).update(contact=into)
        contact.is_active = False
        contact.is_org_manager = False
        contact.save(update_fields=["is_active", "is_org_manager"])
        ContactChange.objects.create(contact=contact, by=by, merged_into=into, created_at=now)
        ContactChange.objects.create(
            contact=into,
            by=by,
            merged_from=contact,
            changes={
                f: ["", getattr(into, f) if f == "phone" else str(into.organisation)] for f in taken
            },
            created_at=now,
        )
    return into


def _require_staff(by: User) -> None:
    if not (by.is_active and by.is_staff_member):
        raise PermissionDenied("Only staff change customers' details.")


def add_contact(*, by: User, name: str, email: str = "", phone: str = "") -> User:
    """Staff write down a new customer (a caller, someone from a CRM): no usable
    password and no organisation, like a contact made from mail. ``phone`` is
    already in E.164 (:func:`frontline.lib.phones.normalise_phone`).
    ``ValidationError`` without an address or a number, for an address that is
    not one, or for an address somebody already has (the existing person is
    found by it instead; one person, one contact)."""
    _require_staff(by)
    email, name = email.strip(), " ".join(name.split())
    if not email and not phone:
        raise ValidationError(_("Give a phone number or an email address."))
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise ValidationError({"email": _("Enter a valid email address.")}) from None
        email = User.objects.normalize_email(email)
        if users_with_address(email):
            raise ValidationError({"email": _("Somebody already has this address.")})
    with transaction.atomic():
        return new_contact(
            username=(email or f"phone{phone}")[:150], name=name, email=email, phone=phone
        )


def _require_supervisor(by: User) -> None:
    # Which addresses join an organisation decides which manager sees whose
    # tickets: a supervisor's or an admin's call, not an agent's.
    if not (by.is_active and by.sees_all_tickets):
        raise PermissionDenied("Only supervisors and admins change organisations.")


def _check_organisation_name(name: str, *, other_than: int | None = None) -> str:
    name = " ".join(name.split())
    if not name or len(name) > 200:
        raise ValidationError({"name": _("Give the organisation a name (up to 200 characters).")})
    same = Organisation.objects.filter(name__iexact=name)
    if other_than is not None:
        same = same.exclude(pk=other_than)
    if same.exists():
        raise ValidationError({"name": _("Another organisation has this name.")})
    return name


Domains = Iterable[tuple[str, bool]]


def add_organisation(
    *, by: User, name: str, domains: Domains = (), notes: str = ""
) -> Organisation:
    """A supervisor or admin adds an organisation (as in the admin), with its
    mail ``domains`` as (domain, with its subdomains). Verified addresses at
    them then join it (:func:`verify_email`)."""
    _require_supervisor(by)
    name = _check_organisation_name(name)
    wanted = _clean_domains(domains)
    try:
        with transaction.atomic():
            organisation = Organisation.objects.create(name=name, notes=notes.strip())
            _set_domains(organisation, wanted)
    except IntegrityError:  # the same name or a domain, taken meanwhile
        _check_domains_free(Organisation(), wanted, field="domains")
        raise ValidationError({"name": _("Another organisation has this name.")}) from None
    return organisation


def update_organisation(
    organisation: Organisation,
    *,
    by: User,
    name: str | None = None,
    domains: Domains | None = None,
    notes: str | None = None,
) -> Organisation:
    """A supervisor or admin corrects an organisation; None leaves a detail as it
    is. ``domains`` replaces its mail domains; a new one applies to addresses
    verified from now on, and nobody leaves for a domain taken away."""
    _require_supervisor(by)
    changed = []
    if name is not None:
        organisation.name = _check_organisation_name(name, other_than=organisation.pk)
        changed.append("name")
    wanted = _clean_domains(domains) if domains is not None else None
    if notes is not None:
        organisation.notes = notes.strip()
        changed.append("notes")
    try:
        with transaction.atomic():
            if changed:
                organisation.save(update_fields=changed)
            if wanted is not None:
                _set_domains(organisation, wanted)
    except IntegrityError:  # the same name or a domain, taken meanwhile
        _check_domains_free(organisation, wanted or {}, field="domains")
        raise ValidationError({"name": _("Another organisation has this name.")}) from None
    return organisation


def add_organisation_domain(
    organisation: Organisation, *, by: User, domain: str, subdomains: bool = False
) -> OrganisationDomain:
    """A supervisor or admin gives an organisation one more mail domain. Refused
    (a ValidationError on ``domain``) if it is not a domain or another
    organisation has it: an address joins one organisation at most."""
    _require_supervisor(by)
    cleaned = clean_domain(domain)
    if not cleaned:
        raise ValidationError({"domain": _("Enter a mail domain, e.g. example.com.")})
    _check_domains_free(organisation, [cleaned])
    try:
        with transaction.atomic():
            return OrganisationDomain.objects.create(
                organisation=organisation, domain=cleaned, subdomains=subdomains
            )
    except IntegrityError:  # taken meanwhile
        _check_domains_free(organisation, [cleaned])
        raise


def remove_organisation_domain(domain: OrganisationDomain, *, by: User) -> None:
    """A supervisor or admin takes a mail domain from an organisation. Its people
    stay; addresses verified from now on no longer join it."""
    _require_supervisor(by)
    OrganisationDomain.objects.filter(pk=domain.pk).delete()


def _clean_domains(domains: Domains) -> dict[str, bool]:
    wanted: dict[str, bool] = {}
    for domain, subdomains in domains:
        cleaned = clean_domain(domain, field="domains")
        if cleaned:
            wanted[cleaned] = wanted.get(cleaned, False) or subdomains
    return wanted


def _check_domains_free(
    organisation: Organisation, domains: Iterable[str], *, field: str = "domain"
) -> None:
    taken = (
        OrganisationDomain.objects.filter(domain__in=list(domains))
        .exclude(organisation_id=organisation.pk)
        .select_related("organisation")
        .order_by("domain")
        .first()
    )
    if taken is not None:
        raise ValidationError(
            {
                field: _("%(domain)s is a mail domain of %(organisation)s already.")
                % {"domain": taken.domain, "organisation": taken.organisation.name}
            }
        )
    if OrganisationDomain.objects.filter(
        organisation_id=organisation.pk, domain__in=list(domains)
    ).exists():
        raise ValidationError({field: _("This organisation has this mail domain already.")})


def _set_domains(organisation: Organisation, wanted: dict[str, bool]) -> None:
    """Make the organisation's domains ``wanted`` (domain → with subdomains)."""
    have = {d.domain: d for d in OrganisationDomain.objects.filter(organisation=organisation)}
    new = [d for d in wanted if d not in have]
    if new:
        _check_domains_free(organisation, new, field="domains")
    OrganisationDomain.objects.filter(
        organisation=organisation, domain__in=[d for d in have if d not in wanted]
    ).delete()
    for domain, row in have.items():
        if domain in wanted and row.subdomains != wanted[domain]:
            row.subdomains = wanted[domain]
            row.save(update_fields=["subdomains"])
    OrganisationDomain.objects.bulk_create(
        OrganisationDomain(organisation=organisation, domain=d, subdomains=wanted[d]) for d in new
    )
