"""Account forms: setting a password through a mailed link."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.contrib.auth.forms import PasswordResetForm, SetPasswordForm
from django.urls import reverse

from .actions import mail_account_link, users_with_address, verify_email
from .models import Role, User


class MailedPasswordForm(PasswordResetForm):
    """ "Forgot your password?" and "set a password" for people who only wrote by mail.

    Unlike Django's form it also reaches customers without a usable password (the
    contacts made from mail), and the link goes out through Frontline's mail queue
    with ``SITE_URL``, never the request's Host header.
    """

    def get_users(self, email: str) -> Iterator[User]:
        for user in users_with_address(email, User.objects.filter(is_active=True)):
            # Staff without a usable password were locked out on purpose (or sign
            # in elsewhere): a mailed link must not switch password login back on.
            if user.has_usable_password() or user.role == Role.CUSTOMER:
                yield user

    def send_mail(
        self,
        subject_template_name: str,
        email_template_name: str,
        context: dict[str, Any],
        from_email: str | None,
        to_email: str,
        html_email_template_name: str | None = None,
    ) -> None:
        path = reverse("password_reset_confirm", args=[context["uid"], context["token"]])
        mail_account_link("password_reset", context["user"], path=path)


class MailedSetPasswordForm(SetPasswordForm):
    """The new password; whoever followed the mailed link reads mail at the address."""

    def save(self, commit: bool = True) -> User:
        user = super().save(commit=commit)
        if commit:
            verify_email(user)
        return user
