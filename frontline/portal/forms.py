from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


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
