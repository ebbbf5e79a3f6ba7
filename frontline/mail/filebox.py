"""The file outbox of the embedded default (no SMTP server): each mail written to
a file under ``var/outbox``, one-time links left out."""

from __future__ import annotations

import copy
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.core.mail.backends.filebased import EmailBackend


class RedactingFileBackend(EmailBackend):
    """Django's file backend, except that a password or confirmation link is
    written as ``[one-time link, not kept]``: a folder of files is read by
    backups, indexers and whoever can list it. ``OUTBOX_KEEPS_LINKS=1`` keeps
    them, for development (to follow a link with no mail server)."""

    def write_message(self, message: Any) -> None:
        link = getattr(message, "one_time_link", None)
        if (
            link
            and not settings.FRONTLINE["OUTBOX_KEEPS_LINKS"]
            and isinstance(message, EmailMessage)
        ):
            from .outbound import ONE_TIME_LINK

            message = copy.copy(message)
            message.body = message.body.replace(link, ONE_TIME_LINK)
        super().write_message(message)
