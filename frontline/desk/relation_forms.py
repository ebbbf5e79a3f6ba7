"""Forms of the desk's relation endpoints: split a message off, incidents."""

from __future__ import annotations

import re

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
            digits = word.removeprefix("#")
            if not digits.isdigit() or len(digits) > 12:
                raise forms.ValidationError(
                    _("“%(word)s” is not a ticket number."), params={"word": word}
                )
            numbers.append(int(digits))
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
