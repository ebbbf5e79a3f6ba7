"""Who may see which people and organisations: the one place it is decided.

Contacts and organisations are the desk's business: staff see them all (to
find a caller, or a customer's tickets); customers see none of them through
search or lists (their own details are on their own pages).
"""

from __future__ import annotations

from django.db.models import QuerySet

from .models import Organisation, User


def visible_contacts(user: User) -> QuerySet[User]:
    """People ``user`` may look up: everyone for staff, no one for customers."""
    if not user.is_authenticated or not user.is_active or not user.is_staff_member:
        return User.objects.none()
    return User.objects.all()


def visible_organisations(user: User) -> QuerySet[Organisation]:
    """Organisations ``user`` may look up: all of them for staff, none for customers."""
    if not user.is_authenticated or not user.is_active or not user.is_staff_member:
        return Organisation.objects.none()
    return Organisation.objects.all()
