"""Account forms: signing in with a password, and setting one through a mailed link."""

from __future__ import annotations

from typing import Any

from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm, SetPasswordForm
from django.core.exceptions import ValidationError

from .actions import mail_password_links, verify_email
from .middleware import must_sign_on, sign_on_refusal
from .models import User


class SignOnOnlyMixin:
    """Staff who must use single sign-on are refused here, with the reason, even
    with the right password (``STAFF_SIGN_ON_ONLY``); a wrong one is a wrong one."""

    sign_on_only = False  # the sign-in page shows this refusal's own words

    def confirm_login_allowed(self, user: Any) -> None:
        super().confirm_login_allowed(user)  # type: ignore[misc]
        if must_sign_on(user):
            self.sign_on_only = True
            raise ValidationError(sign_on_refusal(), code="sign_on_only")


class SignInForm(SignOnOnlyMixin, AuthenticationForm):
    """The sign-in page's form."""


class AdminSignInForm(SignOnOnlyMixin, AdminAuthenticationForm):
    """The Django admin's sign-in form."""


class MailedPasswordForm(PasswordResetForm):
    """ "Forgot your password?" and "set a password" for people who only wrote by mail.

    Unlike Django's form it also reaches customers without a usable password (the
    contacts made from mail), and the link goes out through Frontline's mail queue
    with ``SITE_URL``, never the request's Host header (see ``mail_password_links``).
    """

    def save(self, *args: Any, **kwargs: Any) -> None:
        mail_password_links(self.cleaned_data["email"])


class MailedSetPasswordForm(SetPasswordForm):
    """The new password; whoever followed the mailed link reads mail at the address."""

    def save(self, commit: bool = True) -> User:
        user = super().save(commit=commit)
        if commit:
            verify_email(user)
        return user
