"""Records of what was done to people's data: erasures (and the retention rules)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Erasure(models.Model):
    """One contact erased: who did it, when and how much was touched, never what
    was there (no name, no address, no words). ``contact`` is the row that stays
    behind, anonymised, so tickets keep their requester and the numbers add up."""

    contact = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    erased_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    erased_at = models.DateTimeField(default=timezone.now)
    # How many rows and files of each kind were changed, e.g. {"messages": 3}.
    counts = models.JSONField(default=dict)

    class Meta:
        ordering = ["-erased_at"]
        verbose_name = _("erasure")
        verbose_name_plural = _("erasures")

    def __str__(self) -> str:
        return f"Contact #{self.contact_id} erased"
