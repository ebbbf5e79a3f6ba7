"""What the team knows and reuses: reply templates (articles and suggestions later)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

PLACEHOLDERS_HELP = _(
    "Plain text. Placeholders: {customer_first_name}, {customer_name}, {ticket_number}, "
    "{subject}, {agent_name}, {team}."
)


class ReplyTemplate(models.Model):
    """A starting point for a reply, filled in with the ticket's names and facts."""

    name = models.CharField(_("name"), max_length=100)
    body = models.TextField(_("text"), help_text=PLACEHOLDERS_HELP)
    language = models.CharField(
        _("language"),
        max_length=10,
        blank=True,
        help_text=_("e.g. en, ru, zh-hans; empty for any. Customers get theirs when it exists."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name", "language"]
        verbose_name = _("reply template")
        constraints = [
            models.UniqueConstraint(fields=["name", "language"], name="replytemplate_unique")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.language})" if self.language else self.name
