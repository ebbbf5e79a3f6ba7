"""Forms built from a category's fields, and the small forms shared by portal and desk.

Forms validate input; they never create tickets or send mail (actions do).
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from frontline.lib.phones import normalise_phone

from .models import Category, FieldType, FormField
from .uploads import check_uploads


class PhoneField(forms.CharField):
    """A phone number, cleaned to E.164 (``+442079460958``)."""

    default_error_messages = {
        "invalid": gettext_lazy(
            "Enter a phone number with its country code, e.g. +44 20 7946 0958."
        )
    }

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 40)
        super().__init__(**kwargs)
        self.widget.input_type = "tel"

    def clean(self, value: Any) -> str:
        value = super().clean(value)
        if not value:
            return value
        try:
            return normalise_phone(value)
        except ValueError:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Zero or more files, each checked against the upload limits."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        single = super().clean
        if isinstance(data, list | tuple):
            files = [single(d, initial) for d in data if d]
        else:
            files = [single(data, initial)] if data else []
        check_uploads(files)
        return files


class SingleFileField(forms.FileField):
    def clean(self, data: Any, initial: Any = None) -> Any:
        value = super().clean(data, initial)
        if value:
            check_uploads([value])
        return value


def _form_field(spec: FormField) -> forms.Field:
    common: dict[str, Any] = {
        "label": spec.label_in(),
        "required": spec.required,
        "help_text": spec.help_text_in(),
    }
    match spec.field_type:
        case FieldType.LONG_TEXT:
            return forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), **common)
        case FieldType.CHOICE:
            choices = [("", "—"), *spec.choice_labels()]
            return forms.ChoiceField(choices=choices, **common)
        case FieldType.NUMBER:
            return forms.DecimalField(max_digits=20, decimal_places=6, **common)
        case FieldType.DATE:
            return forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), **common)
        case FieldType.EMAIL:
            return forms.EmailField(**common)
        case FieldType.PHONE:
            return PhoneField(**common)
        case FieldType.FILE:
            return SingleFileField(**common)
        case FieldType.CHECKBOX:
            return forms.BooleanField(**common)
        case _:
            return forms.CharField(max_length=500, **common)


class CategoryFieldsForm(forms.Form):
    """The questions of a category's form, as form fields prefixed ``f_``.

    With ``include_files=False`` file questions are left out (answers are edited
    in the desk; files are added as attachments there). ``specs``: only these
    questions (the ones a ticket opened by mail left unanswered).
    """

    def __init__(
        self,
        *args: Any,
        category: Category,
        include_files: bool = True,
        specs: list[FormField] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.category = category
        self.specs = [
            spec
            for spec in (category.fields.all() if specs is None else specs)
            if include_files or spec.field_type != FieldType.FILE
        ]
        for spec in self.specs:
            self.fields[f"f_{spec.key}"] = _form_field(spec)

    def field_values(self) -> dict[str, Any]:
        """The category's answers, keyed by field key, ready for the actions."""
        return {spec.key: self.cleaned_data.get(f"f_{spec.key}") for spec in self.specs}


class RequestForm(CategoryFieldsForm):
    """A new request: subject, description, files, plus the category's own fields."""

    subject = forms.CharField(label=gettext_lazy("Subject"), max_length=300)
    body = forms.CharField(
        label=gettext_lazy("Describe the problem"), widget=forms.Textarea(attrs={"rows": 6})
    )
    attachments = MultipleFileField(label=gettext_lazy("Attach files"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The category's questions between the description and the files.
        self.order_fields(["subject", "body", *(f"f_{s.key}" for s in self.specs)])


def normalise_field_values(
    specs: list[FormField], values: dict[str, Any], *, allow_missing: bool = False
) -> dict[str, Any]:
    """JSON-ready values for the ticket; refuses a missing required answer unless
    ``allow_missing`` (mail: the answers are asked of the customer afterwards).

    Files are left as they are: the action stores them and keeps a reference.
    """
    errors: dict[str, str] = {}
    out: dict[str, Any] = {}
    for spec in specs:
        value = values.get(spec.key)
        empty = (
            value in (None, "", [], False)
            if spec.field_type == FieldType.CHECKBOX
            else (value in (None, "", []))
        )
        if spec.required and empty and not allow_missing:
            errors[spec.key] = _("“%(label)s” is required.") % {"label": spec.label_in()}
            continue
        if empty:
            continue
        if isinstance(value, Decimal):
            value = format(value.normalize(), "f")
        elif isinstance(value, datetime.date):
            value = value.isoformat()
        out[spec.key] = value
    if errors:
        raise ValidationError(errors)
    return out


class ReplyForm(forms.Form):
    body = forms.CharField(label=gettext_lazy("Message"), widget=forms.Textarea(attrs={"rows": 5}))
    attachments = MultipleFileField(label=gettext_lazy("Attach files"))

    def clean_body(self) -> str:
        body = self.cleaned_data["body"].strip()
        if not body:
            raise ValidationError(_("Write a message."))
        return body
