"""Who may use a saved search: its owner, and nobody else (others get a 404)."""

from __future__ import annotations

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from frontline.accounts.models import User

from .models import SavedSearch


def saved_searches(user: User) -> QuerySet[SavedSearch]:
    """``user``'s own saved searches, by name (staff only: the desk's)."""
    if not (user.is_authenticated and user.is_active and user.is_staff_member):
        return SavedSearch.objects.none()
    return SavedSearch.objects.filter(owner=user)


def pinned_searches(user: User) -> QuerySet[SavedSearch]:
    """The saved searches ``user`` keeps beside the queues."""
    return saved_searches(user).filter(pinned=True)


def access_saved_search(user: User, pk: int) -> SavedSearch:
    """One of ``user``'s saved searches; ``Http404`` for anyone else's."""
    return get_object_or_404(saved_searches(user), pk=pk)
