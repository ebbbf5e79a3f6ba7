"""Forms of the desk's relation endpoints: split a message off, incidents."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

# The most ticket numbers one attach form takes (the action has its own cap).
NUMBERS_AT_ONCE = 200


class SplitForm(forms.Form):
    subject = forms.CharField(
        label=_("Subject of the new ticket"),
        max_length=300,
        required=False,
        help_text=_("Empty: the message's first line."),
    )


def _ticket_number(word: str) -> int:
    digits = word.strip().removeprefix("#")
    if not digits.isdigit() or len(digits) > 12:
        raise forms.ValidationError(_("“%(word)s” is not a ticket number."), params={"word": word})
    return int(digits)


def _short_number(value: str) -> int:
    # Past 12 digits no ticket exists, and SQLite would overflow.
    if not value.isdigit() or len(value) > 12:
        raise ValueError(value)
    return int(value)


class AttachSelectedForm(forms.Form):
    """Tickets ticked in a list (the queue's bulk selection, search results)
    and the number of the incident to attach them to."""

    incident = forms.CharField(label=_("Incident number"), max_length=20)
    tickets = forms.TypedMultipleChoiceField(
        coerce=_short_number,
        choices=(),
        label=_("Tickets"),
        error_messages={
            "required": _("Tick at least one ticket to attach."),
            "invalid_choice": _("“%(value)s” is not a ticket number."),
        },
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Any number is accepted here; the view keeps only the visible tickets.
        values = self.data.getlist("tickets") if hasattr(self.data, "getlist") else []
        field = self.fields["tickets"]
        assert isinstance(field, forms.TypedMultipleChoiceField)
        field.choices = [(v, v) for v in values]

    def clean_incident(self) -> int:
        return _ticket_number(self.cleaned_data["incident"])

    def clean_tickets(self) -> list[int]:
        numbers = list(dict.fromkeys(self.cleaned_data["tickets"]))
        if len(numbers) > NUMBERS_AT_ONCE:
            raise forms.ValidationError(
                _("At most %(count)s tickets at once."), params={"count": NUMBERS_AT_ONCE}
            )
        return numbers


class AttachForm(forms.Form):
    numbers = forms.CharField(
        label=_("Ticket numbers to attach"),
        max_length=2000,
        help_text=_("Separated by commas or spaces, e.g. 1042, 1043."),
    )

    def clean_numbers(self) -> list[int]:
        words = [w for w in re.split(r"[\s,;]+", self.cleaned_data["numbers"]) if w]
        numbers = []
        for word in words:
            numbers.append(_ticket_number(word))
        if not numbers:
            raise forms.ValidationError(_("Give at least one ticket number."))
        if len(numbers) > NUMBERS_AT_ONCE:
            raise forms.ValidationError(
                _("At most %(count)s tickets at once."), params={"count": NUMBERS_AT_ONCE}
            )
        return list(dict.fromkeys(numbers))


class IncidentUpdateForm(forms.Form):
    # The ticket page has a reply composer with a "body" too: ids apart.
    prefix = "incident"

    body = forms.CharField(
        label=_("Update for every affected customer"),
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    body_ru = forms.CharField(
        label=_("The same in Russian (optional)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
    )
    body_zh_hans = forms.CharField(
        label=_("The same in Chinese (optional)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
    )
    resolve = forms.BooleanField(
        label=_("Resolve the incident and every attached ticket"), required=False
    )

    def translations(self) -> dict[str, str]:
        return {
            "ru": self.cleaned_data.get("body_ru", ""),
            "zh-hans": self.cleaned_data.get("body_zh_hans", ""),
        }
