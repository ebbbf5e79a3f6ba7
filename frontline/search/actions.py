"""Saved searches: an agent keeps a query by name, pinned beside the queues or not.

The ticket actions' contract: keyword-only arguments, the actor as ``by``, one
transaction each. A saved search is checked when saved (it must be a query
that runs), so opening it later never shows a syntax error the agent did not
just type.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from frontline.accounts.models import User

from .filters import ticket_conditions
from .models import SavedSearch
from .text import parse_query

MAX_SAVED = 50
NAME_LENGTH = SavedSearch._meta.get_field("name").max_length or 80
TEXT_LENGTH = SavedSearch._meta.get_field("text").max_length or 500


def _require_staff(by: User) -> None:
    if not (by.is_active and by.is_staff_member):
        raise PermissionDenied("Only staff save searches.")


def _check(name: str, text: str, by: User) -> None:
    errors: dict[str, list[str]] = {}
    if not name:
        errors["name"] = [_("Give the search a name.")]
    elif len(name) > NAME_LENGTH:
        errors["name"] = [_("At most %(count)d characters, please.") % {"count": NAME_LENGTH}]
    query = parse_query(text)
    if len(text) > TEXT_LENGTH:
        errors["text"] = [_("At most %(count)d characters, please.") % {"count": TEXT_LENGTH}]
    elif query.is_empty or (query.excluded and not query.required and not query.filters):
        errors["text"] = [_("Nothing to search for: type a word or a filter.")]
    else:
        _condition, problems = ticket_conditions(query.filters, user=by)
        if problems:
            errors["text"] = problems
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def save_search(*, name: str, text: str, by: User, pinned: bool = True) -> SavedSearch:
    """Keep ``text`` as ``by``'s search called ``name`` (a name ``by`` already uses
    gets the new query). Raises ``ValidationError`` for an empty name, a query
    that would not run, or more than ``MAX_SAVED`` searches."""
    _require_staff(by)
    name, text = name.strip(), text.strip()
    _check(name, text, by)
    User.objects.select_for_update().filter(pk=by.pk).first()  # one save at a time per agent
    saved, created = SavedSearch.objects.update_or_create(
        owner=by,
        name=name,
        defaults={"text": text, "pinned": pinned},
        create_defaults={"text": text, "pinned": pinned, "created_at": timezone.now()},
    )
    if created and SavedSearch.objects.filter(owner=by).count() > MAX_SAVED:
        raise ValidationError(
            _("At most %(count)d saved searches: delete one first.") % {"count": MAX_SAVED}
        )
    return saved


@transaction.atomic
def pin_search(saved: SavedSearch, *, pinned: bool, by: User) -> SavedSearch:
    """Show ``saved`` beside the queues, or stop showing it there."""
    if saved.owner_id != by.pk:
        raise PermissionDenied("Only its owner changes a saved search.")
    SavedSearch.objects.filter(pk=saved.pk).update(pinned=pinned)
    saved.pinned = pinned
    return saved


@transaction.atomic
def delete_saved_search(saved: SavedSearch, *, by: User) -> None:
    """Forget ``saved``."""
    if saved.owner_id != by.pk:
        raise PermissionDenied("Only its owner deletes a saved search.")
    SavedSearch.objects.filter(pk=saved.pk).delete()
