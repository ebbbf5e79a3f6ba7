"""The second factor (django-otp): an authenticator app (TOTP) and recovery codes.

Who must use it: everyone who enrolled a device (from then on every sign-in
asks for a code), staff when ``STAFF_SECOND_FACTOR`` is on, and always whoever
opens the Django admin. Session state (``is_verified``) is django-otp's.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction
from django_otp import devices_for_user, user_has_device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from .models import SecurityKey, User

RECOVERY_CODES = 10


def has_second_factor(user: User) -> bool:
    return user_has_device(user, confirmed=True)


def staff_must_use_second_factor(user: User) -> bool:
    """Whether the deployment requires ``user`` to have a second factor (staff
    with ``STAFF_SECOND_FACTOR``); anyone who set one up must use it as well."""
    return bool(user.is_staff_member and settings.FRONTLINE["STAFF_SECOND_FACTOR"])


def pending_authenticator(user: User) -> TOTPDevice:
    """The authenticator ``user`` is setting up: one unconfirmed device, kept until
    they confirm it with a code (its secret is shown as a QR code meanwhile)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    return device or TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)


def confirm_authenticator(user: User, *, code: str) -> tuple[TOTPDevice, list[str]] | None:
    """Confirm the pending authenticator with a code from the app. Returns the
    device and a new set of recovery codes (shown once, never again), or None
    if the code is wrong."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None or not device.verify_token(code.strip().replace(" ", "")):
        return None
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user, confirmed=True).delete()  # one app at a time
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        codes = new_recovery_codes(user)
    return device, codes


def new_recovery_codes(user: User) -> list[str]:
    """Replace ``user``'s recovery codes with new ones; each works once."""
    with transaction.atomic():
        StaticDevice.objects.filter(user=user).delete()
        device = StaticDevice.objects.create(user=user, name="Recovery codes", confirmed=True)
        codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
        StaticToken.objects.bulk_create(StaticToken(device=device, token=c) for c in codes)
    return codes


def check_code(user: User, code: str) -> Any:
    """The device that accepts ``code`` (an app's code or an unused recovery
    code, which is then spent), or None. django-otp throttles failures."""
    code = code.strip().replace(" ", "")
    with transaction.atomic():  # the devices are locked while one is tried
        for device in devices_for_user(user, confirmed=True, for_verify=True):
            if device.verify_token(code):
                return device
    return None


def remove_second_factor(user: User) -> None:
    TOTPDevice.objects.filter(user=user).delete()
    SecurityKey.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
