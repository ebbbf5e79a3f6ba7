"""Shared reply drafts: what an agent is writing on a ticket, kept server-side."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from frontline.accounts.models import User

from ..models import ReplyDraft, Ticket
from ..uploads import check_length
from ._base import _require_staff


class DraftConflict(ValidationError):
    """A colleague saved the draft since this writer last saw it."""

    def __init__(self, draft: ReplyDraft) -> None:
        super().__init__(
            _(
                "%(name)s changed this draft since you opened the ticket: reload the "
                "page to see their text before you save over it."
            )
            % {"name": draft.updated_by.display_name},
            code="draft_conflict",
        )
        self.draft = draft


def save_draft(ticket: Ticket, *, body: str, by: User, seen: int | None) -> ReplyDraft | None:
    """Keep ``body`` as the ticket's shared draft, written by ``by`` (staff the
    caller let see the ticket). ``seen`` is the draft version the writer's page
    showed (``None``: no draft then); if a colleague has saved since, the save
    is refused with :class:`DraftConflict` and their text stays. An empty body
    throws the draft away. Returns the draft (``None`` when thrown away)."""
    _require_staff(by)
    check_length(body)
    with transaction.atomic():
        draft = (
            ReplyDraft.objects.select_for_update()
            .select_related("updated_by")
            .filter(ticket=ticket)
            .first()
        )
        if draft is not None and draft.version != seen and draft.updated_by_id != by.pk:
            raise DraftConflict(draft)
        if not body.strip():
            if draft is not None:
                draft.delete()
            return None
        if draft is None:
            return ReplyDraft.objects.create(ticket=ticket, body=body, updated_by=by)
        draft.body, draft.updated_by = body, by
        draft.updated_at, draft.version = timezone.now(), draft.version + 1
        draft.save(update_fields=["body", "updated_by", "updated_at", "version"])
        return draft


def discard_draft(ticket: Ticket, *, by: User) -> bool:
    """Throw the ticket's draft away (it was sent). Returns False if there was none."""
    _require_staff(by)
    deleted, _rows = ReplyDraft.objects.filter(ticket=ticket).delete()
    return bool(deleted)
