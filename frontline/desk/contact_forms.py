"""Forms of the desk's contact and organisation pages: edit a customer's
details, merge two contacts, add a mail domain to an organisation."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from frontline.accounts.models import Organisation, User


class ContactForm(forms.Form):
    first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    email = forms.EmailField(label=_("Email"), max_length=254)
    phone = forms.CharField(label=_("Phone"), max_length=40, required=False)
    language = forms.ChoiceField(label=_("Language"), required=False, choices=())
    organisation = forms.CharField(
        label=_("Organisation"),
        max_length=200,
        required=False,
        help_text=_("Its exact name; empty for none."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        language = self.fields["language"]
        assert isinstance(language, forms.ChoiceField)
        language.choices = [("", _("Not set")), *settings.LANGUAGES]

    @classmethod
    def of(cls, person: User) -> ContactForm:
        return cls(
            initial={
                "first_name": person.first_name,
                "last_name": person.last_name,
                "email": person.email,
                "phone": person.phone,
                "language": person.language,
                "organisation": person.organisation.name if person.organisation else "",
            }
        )

    def clean_organisation(self) -> Organisation | None:
        name = self.cleaned_data["organisation"].strip()
        if not name:
            return None
        found = Organisation.objects.filter(name__iexact=name).first()
        if found is None:
            raise forms.ValidationError(_("There is no organisation with that name."))
        return found


class MergeContactForm(forms.Form):
    other = forms.CharField(
        label=_("Merge this contact into (email address or contact number)"), max_length=254
    )


class DomainForm(forms.Form):
    domain = forms.CharField(
        label=_("Mail domain"),
        max_length=200,
        help_text=_("People whose address at this domain is verified join the organisation."),
    )
    subdomains = forms.BooleanField(
        label=_("Its subdomains too (e.g. mail.example.com)"), required=False
    )
