"""A contact's right to be forgotten, and to see what is held about them.

``erase_contact`` replaces a customer's name, address and words with a
placeholder wherever Frontline keeps them: their tickets (kept, for the
numbers), messages, attachments, events, raw and sent mail, the search index,
task records, the admin's history and the file outbox. The account row stays,
anonymised and deactivated, because tickets and events point at it; an
:class:`~frontline.ops.models.Erasure` row records that it happened, by whom
and how much changed, never what was there.

``export_contact`` writes everything held about a contact into a ZIP of JSON
and files, for an access request.

Both live here, in ``ops``, because they reach into every app.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection, models, transaction
from django.db.models import Q

from frontline.accounts.models import CustomerNote, User
from frontline.api.models import ApiToken, IdempotencyKey, WebhookDelivery
from frontline.knowledge.models import ArticleFeedback
from frontline.lib.stored_bytes import StoredFile
from frontline.mail.models import InboundMessage, OutboundMessage
from frontline.reports.models import Estimate, SurveyResponse, TimeEntry
from frontline.search import indexing
from frontline.search.models import INDEX_TABLES, ContactIndex, OrganisationIndex, TicketIndex
from frontline.search.text import index_text
from frontline.tickets.models import (
    PUBLIC_EVENT_KINDS,
    Attachment,
    CallDetails,
    Message,
    Ticket,
    TicketEvent,
)

from .models import Erasure

PLACEHOLDER = "[erased]"
ERASED_MAIL = b"X-Frontline-Erased: yes\r\nSubject: [erased]\r\n\r\n[erased]\r\n"
# Names shorter than this are not searched for on their own (an initial would
# wipe every "A" in a ticket).
SHORTEST_NAME = 2
# The whole-database sweep only looks for what is distinctive: the address, the
# full name, the phone number, a user name of some length.
SHORTEST_TERM = 5


@dataclass(frozen=True)
class Identity:
    """What identifies a contact in text. ``distinctive`` is searched for in the
    whole database; ``names`` (first and last name alone) only on their tickets."""

    distinctive: tuple[str, ...]
    names: tuple[str, ...]


def identity(user: User) -> Identity:
    distinctive = {
        t.strip()
        for t in (user.email, user.get_full_name(), user.phone, user.username)
        if len(t.strip()) >= SHORTEST_TERM
    }
    names = {
        n.strip() for n in (user.first_name, user.last_name) if len(n.strip()) >= SHORTEST_NAME
    }
    return Identity(tuple(sorted(distinctive)), tuple(sorted(names - distinctive)))


def _pattern(terms: Iterable[str]) -> re.Pattern[str] | None:
    """Any of ``terms``, ignoring case, not inside a longer word."""
    ordered = sorted({t for t in terms if t}, key=len, reverse=True)
    if not ordered:
        return None
    alternatives = "|".join(re.escape(t) for t in ordered)
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)


def _scrub(value: Any, pattern: re.Pattern[str]) -> Any:
    """``value`` (text, or JSON made of dicts, lists and text) with every match replaced."""
    if isinstance(value, str):
        return pattern.sub(PLACEHOLDER, value)
    if isinstance(value, list):
        return [_scrub(v, pattern) for v in value]
    if isinstance(value, dict):
        return {_scrub(k, pattern): _scrub(v, pattern) for k, v in value.items()}
    return value


def _holds(data: bytes, terms: Iterable[str]) -> bool:
    lowered = data.lower()
    return any(t.lower().encode() in lowered for t in terms if t)


def _text_fields(model: type[models.Model]) -> list[models.Field[Any, Any]]:
    return [
        f
        for f in model._meta.concrete_fields
        if isinstance(f, models.CharField | models.TextField | models.JSONField)
        and not f.primary_key
        and not f.choices
    ]


def _scrub_rows(
    queryset: models.QuerySet[Any], fields: Iterable[str], pattern: re.Pattern[str]
) -> int:
    """Replace matches of ``pattern`` in ``fields`` of the rows of ``queryset``;
    returns how many rows changed."""
    fields = list(fields)
    changed = 0
    for row in queryset.only("pk", *fields).iterator(chunk_size=500):
        new = {f: _scrub(getattr(row, f), pattern) for f in fields}
        new = {f: v for f, v in new.items() if v != getattr(row, f)}
        if new:
            type(row)._default_manager.filter(pk=row.pk).update(**new)
            changed += 1
    return changed


class _Eraser:
    def __init__(self, user: User) -> None:
        self.user = user
        who = identity(user)
        self.terms = (*who.distinctive, *who.names)
        self.everywhere = _pattern(who.distinctive)
        self.on_tickets = _pattern(self.terms)
        self.counts: Counter[str] = Counter()
        self.old_files: list[Any] = []
        # Raw mail kept in files (RAW_MAIL_IN_FILES): the rows are pointed at the
        # placeholder, and these, the files that held the mail, deleted after.
        self.old_raw_files: list[str] = []
        self.ticket_ids: set[int] = set()

    def run(self) -> None:
        user = self.user
        self.ticket_ids = set(
            Ticket.objects.filter(Q(requester=user) | Q(participations__user=user)).values_list(
                "pk", flat=True
            )
        ) | set(Message.objects.filter(author=user).values_list("ticket_id", flat=True))
        self._their_words()
        if self.on_tickets is not None:
            self._names_on_their_tickets(self.on_tickets)
        self._attachments()
        self._account()
        if self.everywhere is not None:
            self._everywhere(self.everywhere)

    def _their_words(self) -> None:
        user = self.user
        self.counts["messages"] += Message.objects.filter(author=user).update(
            body=PLACEHOLDER, body_html=""
        )
        for ticket in Ticket.objects.filter(requester=user).only("pk", "fields"):
            Ticket.objects.filter(pk=ticket.pk).update(
                subject=PLACEHOLDER,
                fields={key: PLACEHOLDER for key in ticket.fields},
            )
            self.counts["tickets"] += 1
        self.counts["survey_comments"] += (
            SurveyResponse.objects.filter(invitation__customer=user)
            .exclude(comment="")
            .update(comment=PLACEHOLDER)
        )
        self.counts["article_feedback"] += (
            ArticleFeedback.objects.filter(user=user)
            .exclude(comment="")
            .update(comment=PLACEHOLDER)
        )
        self.counts["staff_notes"] += CustomerNote.objects.filter(contact=user).delete()[0]
        own_mail = InboundMessage.objects.filter(
            Q(message__author=user) | Q(sender__iexact=user.email)
        )
        for raw in own_mail.values_list("raw", flat=True):
            self._note_raw_file(raw)
        self.counts["raw_mail"] += own_mail.update(
            raw=ERASED_MAIL, sender=PLACEHOLDER, subject=PLACEHOLDER
        )
        self.counts["sent_mail"] += OutboundMessage.objects.filter(recipient=user).update(
            to_address=_erased_address(user), subject=PLACEHOLDER, body=PLACEHOLDER
        )
        self.counts["api_tokens"] += ApiToken.objects.filter(user=user).delete()[0]
        IdempotencyKey.objects.filter(user=user).delete()
        from django_otp import devices_for_user

        for device in devices_for_user(user, confirmed=None):
            device.delete()
            self.counts["second_factor_devices"] += 1

    def _note_raw_file(self, raw: Any) -> None:
        """The file a raw mail column points to, unless it is the placeholder's
        (shared by every erased row)."""
        if isinstance(raw, StoredFile) and bytes(raw) != ERASED_MAIL:
            self.old_raw_files.append(raw.name)

    def _names_on_their_tickets(self, pattern: re.Pattern[str]) -> None:
        ids = self.ticket_ids
        scrub = [
            (Ticket.objects.filter(pk__in=ids), ("subject", "handoff_note", "fields")),
            (Message.objects.filter(ticket_id__in=ids), ("body", "body_html")),
            (TicketEvent.objects.filter(ticket_id__in=ids), ("data",)),
            (Attachment.objects.filter(ticket_id__in=ids), ("filename",)),
            (CallDetails.objects.filter(message__ticket_id__in=ids), ("phone",)),
            (
                OutboundMessage.objects.filter(ticket_id__in=ids),
                ("to_address", "subject", "body"),
            ),
            (InboundMessage.objects.filter(ticket_id__in=ids), ("sender", "subject", "reason")),
            (TimeEntry.objects.filter(ticket_id__in=ids), ("note",)),
            (Estimate.objects.filter(ticket_id__in=ids), ("description", "decline_reason")),
            (WebhookDelivery.objects.filter(event__ticket_id__in=ids), ("payload",)),
        ]
        for queryset, fields in scrub:
            self.counts["rows_on_their_tickets"] += _scrub_rows(queryset, fields, pattern)
        # Raw mail is bytes in any transfer encoding: a message that names them
        # anywhere is replaced whole.
        rows = InboundMessage.objects.filter(ticket_id__in=ids).values_list("pk", "raw")
        for pk, raw in rows.iterator(chunk_size=100):
            if bytes(raw) != ERASED_MAIL and _holds(bytes(raw), self.terms):
                self._note_raw_file(raw)
                InboundMessage.objects.filter(pk=pk).update(raw=ERASED_MAIL)
                self.counts["raw_mail"] += 1

    def _attachments(self) -> None:
        """Their files, and any file on their tickets that names them, become a
        placeholder text file; the old files go after the commit."""
        user = self.user
        candidates = Attachment.objects.filter(
            Q(uploaded_by=user) | Q(message__author=user) | Q(ticket_id__in=self.ticket_ids)
        )
        for attachment in candidates.select_related("message"):
            theirs = attachment.uploaded_by_id == user.pk or (
                attachment.message is not None and attachment.message.author_id == user.pk
            )
            if not theirs:
                with attachment.file.open("rb") as handle:
                    if not _holds(handle.read(), self.terms):
                        continue
            self.old_files.append(attachment.file.name)
            attachment.file.save("erased.txt", ContentFile(PLACEHOLDER.encode()), save=False)
            Attachment.objects.filter(pk=attachment.pk).update(
                file=attachment.file.name,
                filename="erased.txt",
                content_type="text/plain",
                size=len(PLACEHOLDER),
            )
            self.counts["attachments"] += 1

    def _account(self) -> None:
        user = self.user
        user.first_name = user.last_name = user.phone = user.language = ""
        user.email = _erased_address(user)
        user.username = f"erased-{user.pk}"
        user.is_active = False
        user.is_org_manager = False
        user.set_unusable_password()
        user.session_generation += 1
        user.save()

    def _everywhere(self, pattern: re.Pattern[str]) -> None:
        """Every text column of every table, for the distinctive terms."""
        terms = [t for t in self.terms if pattern.search(t)]
        for model in apps.get_models():
            meta = model._meta
            # Other people's accounts keep their names, even the same name.
            if not meta.managed or meta.proxy or model in (*INDEX_TABLES, Erasure, User):
                continue
            fields = _text_fields(model)
            if not fields:
                continue
            query = Q()
            for field in fields:
                for term in terms:
                    query |= Q(**{f"{field.name}__icontains": term})
                    if isinstance(field, models.JSONField):
                        escaped = json.dumps(term)[1:-1]
                        if escaped != term:
                            query |= Q(**{f"{field.name}__icontains": escaped})
            names = [f.name for f in fields]
            changed = _scrub_rows(model._default_manager.filter(query), names, pattern)
            if changed:
                self.counts[f"other:{meta.label_lower}"] += changed

    def reindex(self) -> None:
        """The search index again for every row that names them."""
        query = Q()
        for term in self.terms:
            folded = index_text(term)
            for column in ("title", "public_text", "internal_text"):
                query |= Q(**{f"{column}__icontains": folded})

        def naming(model: type[models.Model]) -> set[int]:
            return set(model._default_manager.filter(query).values_list("pk", flat=True))

        indexing.index_tickets(self.ticket_ids | naming(TicketIndex))
        indexing.index_contacts(naming(ContactIndex) | {self.user.pk})
        indexing.index_organisations(naming(OrganisationIndex))
        if connection.vendor == "sqlite":
            # FTS5 keeps deleted terms in its segments until they are merged.
            with connection.cursor() as cursor:
                for model in INDEX_TABLES:
                    table = connection.ops.quote_name(model._meta.db_table)
                    cursor.execute(f"INSERT INTO {table}({table}) VALUES ('optimize')")  # noqa: S608


def _erased_address(user: User) -> str:
    return f"erased-{user.pk}@erased.invalid"


def erase_contact(user: User, *, by: User | None) -> Erasure:
    """Erase ``user``, a customer (see the module docstring). Refuses staff (they
    are deactivated, their work stays theirs) and someone erased already:
    ``ValidationError``. One transaction; the replaced files are deleted after
    it commits, and on SQLite deleted pages are overwritten and the write-ahead
    log emptied so the old text is not left on disk either."""
    if user.is_staff_member:
        raise ValidationError("Staff accounts are deactivated, not erased.")
    if Erasure.objects.filter(contact=user).exists():
        raise ValidationError("This contact was erased already.")
    eraser = _Eraser(user)
    sqlite = connection.vendor == "sqlite"
    if sqlite:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA secure_delete = ON")
    try:
        with transaction.atomic():
            eraser.run()
            eraser.reindex()
            erasure = Erasure.objects.create(
                contact=user, erased_by=by, counts=dict(sorted(eraser.counts.items()))
            )
            transaction.on_commit(
                lambda: _delete_files(eraser.old_files, eraser.terms, eraser.old_raw_files)
            )
    finally:
        if sqlite:
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA secure_delete = OFF")
    if sqlite and not connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return erasure


def _delete_files(names: list[str], terms: tuple[str, ...], raw_names: list[str]) -> None:
    storage = Attachment._meta.get_field("file").storage
    for name in names:
        storage.delete(name)
    for name in raw_names:  # StoredBytesField keeps its files in the default storage
        default_storage.delete(name)
    # The development file outbox keeps copies of mail sent.
    mailers: dict[str, Any] = settings.MAILERS
    outbox = mailers.get("default", {}).get("OPTIONS", {}).get("file_path")
    if outbox and Path(outbox).is_dir():
        for path in Path(outbox).iterdir():
            if path.is_file() and _holds(path.read_bytes(), terms):
                path.unlink()


# -- export ------------------------------------------------------------------


def _when(value: Any) -> str | None:
    return value.isoformat() if value else None


def export_contact(user: User) -> bytes:
    """Everything held about ``user`` as a ZIP: ``contact.json`` (the account),
    ``tickets/<number>.json`` (each ticket they asked or take part in, with its
    public conversation, their own messages and what the portal shows of its
    history), the files of those messages under ``attachments/``, the mail they
    sent under ``mail/received/`` as received, ``mail/sent.json`` (what we
    mailed them) and ``surveys.json``. Internal notes are staff's working notes
    and stay out, as on the portal."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:

        def put(name: str, data: Any) -> None:
            archive.writestr(name, json.dumps(data, ensure_ascii=False, indent=2, default=str))

        put(
            "contact.json",
            {
                "id": user.pk,
                "username": user.username,
                "email": user.email,
                "first_name": user.first_name,
                "last_name": user.last_name,
                "phone": user.phone,
                "language": user.language,
                "organisation": user.organisation.name if user.organisation else None,
                "organisation_manager": user.is_org_manager,
                "joined_at": _when(user.date_joined),
                "last_login_at": _when(user.last_login),
                "email_verified_at": _when(user.email_verified_at),
            },
        )
        tickets = (
            Ticket.objects.filter(
                Q(requester=user) | Q(participations__user=user) | Q(messages__author=user)
            )
            .distinct()
            .select_related("category", "requester")
            .order_by("pk")
        )
        for ticket in tickets:
            shown = Message.objects.filter(ticket=ticket).filter(
                Q(author=user) | ~Q(kind__in=("note", "call"))
            )
            files = Attachment.objects.filter(ticket=ticket, is_internal=False).filter(
                Q(message__isnull=True) | Q(message__in=shown)
            )
            put(
                f"tickets/{ticket.pk}.json",
                {
                    "number": ticket.pk,
                    "subject": ticket.subject,
                    "you_are": "requester" if ticket.requester_id == user.pk else "participant",
                    "status": ticket.status,
                    "category": ticket.category.name if ticket.category else None,
                    "form_answers": ticket.fields,
                    "created_at": _when(ticket.created_at),
                    "messages": [
                        {
                            "id": m.pk,
                            "by": m.author.display_name if m.author else None,
                            "yours": m.author_id == user.pk,
                            "at": _when(m.created_at),
                            "text": m.body,
                        }
                        for m in shown.select_related("author")
                    ],
                    "history": [
                        {"kind": e.kind, "at": _when(e.created_at), "data": e.data}
                        for e in ticket.events.filter(kind__in=PUBLIC_EVENT_KINDS)
                    ],
                    "attachments": [
                        f"attachments/{ticket.pk}/{a.pk}-{Path(a.filename).name}" for a in files
                    ],
                },
            )
            for attachment in files:
                with attachment.file.open("rb") as handle:
                    archive.writestr(
                        f"attachments/{ticket.pk}/{attachment.pk}-{Path(attachment.filename).name}",
                        handle.read(),
                    )
        received = InboundMessage.objects.filter(
            Q(message__author=user) | Q(sender__iexact=user.email)
        ).order_by("pk")
        for pk, raw in received.values_list("pk", "raw").iterator(chunk_size=100):
            archive.writestr(f"mail/received/{pk}.eml", bytes(raw))
        put(
            "mail/sent.json",
            [
                {
                    "to": o.to_address,
                    "subject": o.subject,
                    "text": o.body,
                    "ticket": o.ticket_id,
                    "status": o.status,
                    "created_at": _when(o.created_at),
                    "sent_at": _when(o.sent_at),
                }
                for o in OutboundMessage.objects.filter(recipient=user).order_by("pk")
            ],
        )
        put(
            "surveys.json",
            [
                {
                    "ticket": r.invitation.ticket_id,
                    "rating": r.rating,
                    "comment": r.comment,
                    "answered_at": _when(r.answered_at),
                }
                for r in SurveyResponse.objects.filter(invitation__customer=user).select_related(
                    "invitation"
                )
            ],
        )
    return buffer.getvalue()


def contact_by_address(address: str) -> User:
    """The one customer with this address (or user name), for the commands."""
    matches = list(User.objects.filter(Q(email__iexact=address) | Q(username__iexact=address)))
    if len(matches) != 1:
        raise ValidationError(
            f"{len(matches)} accounts match {address!r}; give the address of exactly one."
        )
    return matches[0]
