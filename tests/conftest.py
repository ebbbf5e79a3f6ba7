"""Shared test set-up: fast hashing, files in a temporary folder, and the personas.

Personas (used across the suite, permission tests fall out of them):

- ``alice``: agent in First line;  ``bob``: agent in Second line
- ``sam``: supervisor;  ``ada``: admin
- ``carol``: customer at Acme;  ``erin``: another customer at Acme
- ``maria``: Acme's organisation manager;  ``dan``: customer at Globex
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from frontline.accounts.branding import current_brand
from frontline.accounts.models import Organisation, Role, Team, User
from frontline.tickets import actions
from frontline.tickets.models import Category, FieldType, FormField, Ticket

PASSWORD = "correct horse battery staple"


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    settings.LANGUAGE_CODE = "en"
    from django.core.cache import cache

    cache.clear()  # locmem keeps entries per process; user ids repeat between tests


@dataclass
class Personas:
    acme: Organisation
    globex: Organisation
    first_line: Team
    second_line: Team
    alice: User
    bob: User
    sam: User
    ada: User
    carol: User
    erin: User
    maria: User
    dan: User
    hardware: Category
    billing: Category


def make_user(username: str, role: str, **extra) -> User:
    first, _, last = extra.pop("name", username.capitalize()).partition(" ")
    user = User.objects.create_user(
        username=username,
        email=f"{username}@example.com",
        password=PASSWORD,
        role=role,
        first_name=first,
        last_name=last,
        **extra,
    )
    return user


@pytest.fixture
def people(db) -> Personas:
    acme = Organisation.objects.create(name="Acme")
    acme.domains.create(domain="acme.test")
    globex = Organisation.objects.create(name="Globex")
    globex.domains.create(domain="globex.test")
    first_line = Team.objects.create(name="First line", tier=Team.Tier.FIRST)
    second_line = Team.objects.create(name="Second line", tier=Team.Tier.SECOND)
    alice = make_user("alice", Role.AGENT, name="Alice Agent")
    bob = make_user("bob", Role.AGENT, name="Bob Builder")
    first_line.members.add(alice)
    second_line.members.add(bob)
    hardware = Category.objects.create(name="Hardware", default_team=first_line)
    FormField.objects.create(
        category=hardware, key="serial", label="Serial number", required=True, position=1
    )
    FormField.objects.create(
        category=hardware,
        key="model",
        label="Model",
        field_type=FieldType.CHOICE,
        choices="Laptop\nDesktop\nPrinter",
        position=2,
    )
    FormField.objects.create(
        category=hardware, key="photo", label="Photo", field_type=FieldType.FILE, position=3
    )
    billing = Category.objects.create(name="Billing", default_team=first_line)
    # The site's name and logo are read once per process and cached after (as a
    # running server has them): the pinned query counts are those of a warm page.
    current_brand()
    return Personas(
        acme=acme,
        globex=globex,
        first_line=first_line,
        second_line=second_line,
        alice=alice,
        bob=bob,
        sam=make_user("sam", Role.SUPERVISOR, name="Sam Supervisor"),
        ada=make_user("ada", Role.ADMIN, name="Ada Admin", is_staff=True, is_superuser=True),
        carol=make_user("carol", Role.CUSTOMER, name="Carol Customer", organisation=acme),
        erin=make_user("erin", Role.CUSTOMER, name="Erin Employee", organisation=acme),
        maria=make_user(
            "maria", Role.CUSTOMER, name="Maria Manager", organisation=acme, is_org_manager=True
        ),
        dan=make_user("dan", Role.CUSTOMER, name="Dan Other", organisation=globex),
        hardware=hardware,
        billing=billing,
    )


@pytest.fixture
def ticket(people) -> Ticket:
    """Carol's billing question, in First line's queue, unassigned."""
    return actions.open_ticket(
        requester=people.carol,
        by=people.carol,
        subject="Invoice 2024-17 charged twice",
        body="I was charged twice for the March invoice.",
        category=people.billing,
    )


def login(client, user: User):
    client.force_login(user)
    if user.is_staff:  # the Django admin asks for a second factor: this session passed it
        verify_second_factor(client, user)
    return client


def verify_second_factor(client, user: User) -> None:
    """Mark the client's session as signed in with an authenticator app (made if
    the person has none), as the code form would after a right code."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Phone", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()


def last_use_statements() -> int:
    """What an API request's write of its token's last use adds to a pinned
    statement count, in a test (where every request runs inside the test's
    transaction): one UPDATE, and on PostgreSQL the savepoint around it with its
    lock timeout set and put back (``lib.db.try_briefly``): five."""
    from django.db import connection

    return 5 if connection.vendor == "postgresql" else 1
