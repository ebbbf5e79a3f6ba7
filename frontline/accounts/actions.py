"""Changes to people: one function per act."""

from __future__ import annotations

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from .models import Role, User


def register_customer(*, email: str, name: str, password: str, language: str = "") -> User:
    """A customer signs up on the portal.

    The address is not verified yet (``email_verified_at`` stays empty), so the
    account is never matched to an organisation by its domain until it is.
    """
    email = User.objects.normalize_email(email.strip())
    if (
        User.objects.filter(email__iexact=email).exists()
        or User.objects.filter(username__iexact=email).exists()
    ):
        raise ValidationError({"email": _("An account with this address exists. Sign in.")})
    first, _sep, last = " ".join(name.split()).partition(" ")
    user = User(
        username=email,
        email=email,
        first_name=first[:150],
        last_name=last[:150],
        role=Role.CUSTOMER,
        language=language[:10],
    )
    validate_password(password, user)
    user.set_password(password)
    with transaction.atomic():
        user.save()
    return user
