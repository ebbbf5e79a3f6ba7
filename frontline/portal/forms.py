from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from frontline.tickets.forms import PhoneField


class SignupForm(forms.Form):
    name = forms.CharField(label=_("Your name"), max_length=150)
    email = forms.EmailField(label=_("Email"))
    password = forms.CharField(
        label=_("Password"), widget=forms.PasswordInput, strip=False, min_length=8
    )


class NotSolvedForm(forms.Form):
    body = forms.CharField(
        label=_("What is still not working?"), widget=forms.Textarea(attrs={"rows": 4})
    )


class CallbackForm(forms.Form):
    phone = PhoneField(label=_("Phone number"))
    preferred_time = forms.CharField(
        label=_("When is a good time?"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. today after 14:00")}),
    )
    reason = forms.CharField(
        label=_("What is it about?"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )


class PublicCallbackForm(CallbackForm):
    """The callback form for visitors who are not signed in.

    ``website`` is a honeypot: hidden from people, filled in by form-filling bots.
    """

    name = forms.CharField(label=_("Your name"), max_length=150)
    email = forms.EmailField(
        label=_("Email"), required=False, help_text=_("Optional: for a written answer.")
    )
    website = forms.CharField(
        label=_("Leave this empty"),
        required=False,
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )
    field_order = ["name", "phone", "email", "preferred_time", "reason"]

    @property
    def is_bot(self) -> bool:
        return bool(self.cleaned_data.get("website"))


class SurveyForm(forms.Form):
    rating = forms.TypedChoiceField(
        label=_("How did we do?"),
        choices=[
            (5, _("5 — very good")),
            (4, _("4 — good")),
            (3, _("3 — all right")),
            (2, _("2 — poor")),
            (1, _("1 — very poor")),
        ],
        coerce=int,
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Anything you want to tell us? (optional)"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class DeclineForm(forms.Form):
    reason = forms.CharField(
        label=_("Why not? (we will use it to offer something better)"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class HelpfulForm(forms.Form):
    """ "Was this helpful?" under a help-centre article."""

    helpful = forms.TypedChoiceField(
        label=_("Was this helpful?"),
        choices=[("yes", _("Yes")), ("no", _("No"))],
        coerce=lambda value: value == "yes",
    )
    comment = forms.CharField(
        label=_("Anything we should add or fix? (optional, only our staff read it)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
