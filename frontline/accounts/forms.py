"""Account forms: setting a password through a mailed link."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.forms import PasswordResetForm, SetPasswordForm

from .actions import mail_password_links, verify_email
from .models import User


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
