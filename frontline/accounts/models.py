"""People and the groups they belong to: users with roles, organisations, teams.

People are deactivated, never deleted: tickets and messages point at users with
``PROTECT``, so history keeps its authors.
"""

from __future__ import annotations

from typing import ClassVar

from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from django_otp.models import Device


class Role(models.TextChoices):
    CUSTOMER = "customer", _("Customer")
    AGENT = "agent", _("Agent")
    SUPERVISOR = "supervisor", _("Supervisor")
    ADMIN = "admin", _("Administrator")


STAFF_ROLES = frozenset({Role.AGENT, Role.SUPERVISOR, Role.ADMIN})


class Organisation(models.Model):
    """A customer company. Its mail domains (``domains``, :class:`OrganisationDomain`)
    decide who joins it: a person whose address at one of them is verified."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("organisation")

    def __str__(self) -> str:
        return self.name


def clean_domain(text: str, *, field: str = "domain") -> str:
    """A mail domain as stored: lower case, without a leading "@" or "*." or a
    trailing dot; a ValidationError on ``field`` for anything that is not one
    (an empty text stays empty)."""
    domain = text.strip().lower().removeprefix("@").removeprefix("*.").rstrip(".")
    labels = domain.split(".")
    if domain and (
        len(labels) < 2
        or not domain.isascii()
        or len(domain) > 200
        or any(
            not label
            or len(label) > 63
            or label.startswith("-")
            or label.endswith("-")
            or any(not (c.isalnum() or c == "-") for c in label)
            for label in labels
        )
    ):
        raise ValidationError({field: _("Enter a mail domain, e.g. example.com.")})
    return domain


class OrganisationDomainQuerySet(models.QuerySet["OrganisationDomain"]):
    def for_address(self, address: str) -> OrganisationDomain | None:
        """The domain an address belongs to: its own domain, else the closest
        parent domain taken with its subdomains (``mail.acme.test`` joins
        ``acme.test`` only if that says so). One query on the unique index."""
        domain = address.rpartition("@")[2].strip().lower().rstrip(".")
        if not domain or not domain.isascii():
            return None
        labels = domain.split(".")
        parents = [".".join(labels[i:]) for i in range(1, len(labels))]
        closest: OrganisationDomain | None = None
        for found in (
            self.filter(Q(domain=domain) | Q(domain__in=parents, subdomains=True))
            .select_related("organisation")
            .order_by()
        ):
            if closest is None or len(found.domain) > len(closest.domain):
                closest = found
        return closest


class OrganisationDomain(models.Model):
    """One mail domain of an organisation. A domain belongs to one organisation
    at most (the unique index), so an address never joins two. Written in lower
    case (:func:`clean_domain`); matched by
    ``OrganisationDomain.objects.for_address``."""

    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.CASCADE,
        related_name="domains",
        db_index=False,  # org_domains_in_order starts with it
    )
    domain = models.CharField(
        _("mail domain"),
        max_length=200,
        unique=True,
        help_text=_("Verified addresses at this domain join the organisation, e.g. example.com."),
    )
    subdomains = models.BooleanField(
        _("and its subdomains"),
        default=False,
        help_text=_("Addresses at any subdomain (e.g. mail.example.com) join it too."),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = OrganisationDomainQuerySet.as_manager()

    class Meta:
        ordering = ["domain"]
        verbose_name = _("mail domain")
        indexes = [
            models.Index(fields=["organisation", "domain"], name="org_domains_in_order"),
        ]

    def __str__(self) -> str:
        return self.domain

    def clean(self) -> None:
        self.domain = clean_domain(self.domain)


def display_name_of(first_name: str, last_name: str, username: str) -> str:
    """How a person is named on every page: their full name, else the username
    (``User.display_name``, for code that reads plain values)."""
    return f"{first_name} {last_name}".strip() or username


class FrontlineUserManager(UserManager["User"]):
    def agents(self) -> models.QuerySet[User]:
        return self.filter(role__in=STAFF_ROLES, is_active=True)


class User(AbstractUser):  # type: ignore[django-manager-missing]  # SecurityKey.user is django-otp's, untyped
    """Anyone who signs in: customers on the portal, staff in the desk."""

    role = models.CharField(
        _("role"), max_length=20, choices=Role.choices, default=Role.CUSTOMER, db_index=True
    )
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="contacts",
    )
    is_org_manager = models.BooleanField(
        _("organisation manager"),
        default=False,
        help_text=_("Sees every ticket of the organisation on the portal."),
    )
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    language = models.CharField(_("language"), max_length=10, blank=True)
    email_verified_at = models.DateTimeField(_("email verified at"), null=True, blank=True)
    # Raised by "sign out everywhere": part of what every session of the person is
    # checked against, so raising it ends them all (see _get_session_auth_hash).
    session_generation = models.PositiveIntegerField(default=0, editable=False)

    objects: ClassVar[FrontlineUserManager] = FrontlineUserManager()

    class Meta:
        ordering = ["first_name", "last_name", "username"]
        indexes = [
            # Mail finds the person behind an address, ignoring case (accounts.actions.contact_for).
            models.Index(Lower("email"), name="accounts_user_email_lower"),
            models.Index(Lower("username"), name="accounts_user_username_lower"),
            # An organisation's page lists its first 50 people by name: read in
            # that order, not every member sorted.
            models.Index(
                fields=["organisation", "is_active", "first_name", "last_name", "id"],
                name="user_org_members",
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    def _get_session_auth_hash(self, secret: str | None = None) -> str:
        # Django's hash covers the password, so a new password ends every session;
        # the generation does the same without one. At 0 it is Django's own hash,
        # so sessions from before the field existed stay valid.
        if not self.session_generation:
            return super()._get_session_auth_hash(secret=secret)  # type: ignore[misc]
        return salted_hmac(
            "frontline.accounts.User.session_auth_hash",
            f"{self.password}:{self.session_generation}",
            secret=secret,
            algorithm="sha256",
        ).hexdigest()

    @property
    def display_name(self) -> str:
        return display_name_of(self.first_name, self.last_name, self.username)

    @property
    def is_staff_member(self) -> bool:
        """Agents, supervisors and admins work in the desk."""
        return self.role in STAFF_ROLES

    @cached_property
    def team_ids(self) -> list[int]:
        """Ids of the teams this person is in, read once per request."""
        return list(self.teams.values_list("id", flat=True))

    @property
    def sees_all_tickets(self) -> bool:
        return self.role in (Role.SUPERVISOR, Role.ADMIN)


class Team(models.Model):
    class Tier(models.IntegerChoices):
        FIRST = 1, _("First line")
        SECOND = 2, _("Second line")
        SPECIALISTS = 3, _("Specialists")

    name = models.CharField(_("name"), max_length=100, unique=True)
    tier = models.PositiveSmallIntegerField(_("tier"), choices=Tier.choices, default=Tier.FIRST)
    members = models.ManyToManyField(User, related_name="teams", blank=True)
    is_active = models.BooleanField(default=True)
    assign_on_reply = models.BooleanField(
        _("replying assigns"),
        default=True,
        db_default=True,  # rows written outside Django (the bench generator) get it too
        help_text=_("A member who answers an unassigned ticket of this team becomes its assignee."),
    )
    confirm_templates = models.BooleanField(
        _("templates need a look before sending"),
        default=False,
        db_default=False,
        help_text=_(
            "On this team's tickets, a reply with an inserted template cannot be sent "
            "until the agent has edited its text or confirmed it as it is."
        ),
    )

    class Meta:
        ordering = ["tier", "name"]
        verbose_name = _("team")

    def __str__(self) -> str:
        return self.name


class CustomerNote(models.Model):
    """What staff know about a customer or an organisation ("prefers phone",
    "key account"): staff only, shown on the contact or organisation page.
    About exactly one of the two; written by ``add_customer_note``."""

    contact = models.ForeignKey(
        User, on_delete=models.CASCADE, null=True, blank=True, related_name="customer_notes"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, null=True, blank=True, related_name="staff_notes"
    )
    body = models.TextField(_("note"))
    author = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(contact__isnull=False, organisation__isnull=True)
                | models.Q(contact__isnull=True, organisation__isnull=False),
                name="customernote_about_one",
            )
        ]
        indexes = [
            # In the lists' order to the last column: no sort of every note.
            models.Index(fields=["contact", "-created_at", "-id"], name="cnote_contact_recent"),
            models.Index(fields=["organisation", "-created_at", "-id"], name="cnote_org_recent"),
        ]

    def __str__(self) -> str:
        return f"Note about {self.contact or self.organisation}"


class ContactChange(models.Model):
    """The audit log of a customer's details: who changed what, from what to
    what (``update_contact``), and merges of two contacts (``merge_contacts``).
    Kept forever; shown on the contact's page in the desk."""

    contact = models.ForeignKey(User, on_delete=models.PROTECT, related_name="contact_changes")
    by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    # {field: [old, new]} for an edit; empty for a merge, which ``merged`` names.
    changes = models.JSONField(default=dict, blank=True)
    # A merge: the other contact's id (``merged_into`` on the one that went, ``merged_from``
    # on the one that stays).
    merged_into = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    merged_from = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["contact", "-created_at", "-id"], name="cchange_contact_recent")
        ]

    def __str__(self) -> str:
        return f"Change to {self.contact_id}"


class SecurityKey(Device):
    """A WebAuthn credential (a security key or a passkey) used as a second
    factor: a django-otp device, so signing in with it marks the session
    verified like an authenticator app's code."""

    credential_id = models.CharField(max_length=1400, unique=True)  # base64url
    public_key = models.BinaryField()
    # The authenticator's counter: each use must show a higher one (0 if it keeps none).
    sign_count = models.PositiveBigIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    # A passkey: kept on the authenticator (discoverable) and made with user
    # verification (a PIN or a fingerprint), so it signs in alone, without the password.
    passkey = models.BooleanField(_("passkey"), default=False)

    class Meta:
        verbose_name = _("security key")

    def verify_token(self, token: object) -> bool:
        return False  # it answers a WebAuthn challenge, never a typed code


class Brand(models.Model):
    """What the help desk is called and looks like, set by an admin (one row;
    without it, ``SITE_NAME`` from the environment and Frontline's logo-less
    header). Read through ``accounts.branding.current_brand`` (cached), changed
    through ``accounts.branding.save_brand``."""

    name = models.CharField(
        _("site name"),
        max_length=80,
        blank=True,
        help_text=_("Shown in the header of the desk and the portal and in every mail."),
    )
    logo = models.FileField(
        _("logo"),
        upload_to="brand/",
        blank=True,
        max_length=200,
        help_text=_("A PNG, JPEG, GIF or WebP image of at most 256 KB, shown in the header."),
    )
    accent = models.CharField(
        _("accent colour"),
        max_length=7,
        blank=True,
        help_text=_("A colour as #rrggbb, for links and main buttons."),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("site name and logo")
        verbose_name_plural = _("site name and logo")

    def __str__(self) -> str:
        return self.name or "Frontline"
