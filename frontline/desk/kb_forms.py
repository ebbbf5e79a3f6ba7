"""Forms of the knowledge base in the desk. They validate; knowledge actions do the work."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db import models
from django.utils.translation import gettext_lazy as _

from frontline.accounts.models import Team, User
from frontline.knowledge.models import (
    PLACEHOLDERS_HELP,
    ArticleCategory,
    ArticleStatus,
    ReplyTemplate,
    Visibility,
    language_choices,
)


def _categories() -> Any:
    return ArticleCategory.objects.select_related("parent").order_by(
        "parent__position", "parent__name", "position", "name"
    )


class ArticleForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    category = forms.ModelChoiceField(_categories(), label=_("Category"))
    language = forms.ChoiceField(label=_("Language"), choices=language_choices)
    visibility = forms.ChoiceField(
        label=_("Who may read it"),
        choices=Visibility.choices,
        initial=Visibility.INTERNAL,
        widget=forms.RadioSelect,
    )
    owner = forms.ModelChoiceField(
        User.objects.agents().order_by("first_name", "last_name"),
        label=_("Owner"),
        required=False,
        empty_label=_("Me"),
        help_text=_("Keeps the article right and reviews it when it is due."),
    )
    body = forms.CharField(
        label=_("Text"),
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 18}),
        help_text=_("Markdown: # heading, **bold**, *italic*, - lists, [link](https://…)."),
    )
    for_trainees = forms.BooleanField(
        label=_("On the learning path for new agents"), required=False
    )
    note = forms.CharField(label=_("What changed (optional)"), max_length=200, required=False)

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if editing:
            # A translation family is kept by language; an article keeps its own.
            del self.fields["language"]
        else:
            del self.fields["note"]


class ArticleFilterForm(forms.Form):
    q = forms.CharField(label=_("Title contains"), required=False, max_length=100)
    status = forms.ChoiceField(
        label=_("Status"), choices=[("", _("Any status")), *ArticleStatus.choices], required=False
    )
    visibility = forms.ChoiceField(
        label=_("Visibility"),
        choices=[("", _("Public and internal")), *Visibility.choices],
        required=False,
    )
    language = forms.ChoiceField(
        label=_("Language"),
        choices=lambda: [("", _("Any language")), *language_choices()],
        required=False,
    )
    category = forms.ModelChoiceField(
        _categories(), label=_("Category"), required=False, empty_label=_("Any category")
    )


class ArticleFileForm(forms.Form):
    upload = forms.FileField(
        label=_("Add a picture or document"),
        help_text=_("Pictures (PNG, JPEG, GIF, WebP), PDF, text or office documents."),
    )


class DeflectionPeriodForm(forms.Form):
    days = forms.TypedChoiceField(
        label=_("Period"),
        choices=[
            (7, _("Last 7 days")),
            (30, _("Last 30 days")),
            (90, _("Last 90 days")),
            (365, _("Last 365 days")),
        ],
        coerce=int,
        initial=30,
        required=False,
        empty_value=None,
    )

    def clean_days(self) -> int:
        return self.cleaned_data["days"] or 30


class TemplateScope(models.TextChoices):
    MINE = "mine", _("Only me")
    TEAM = "team", _("A team")
    EVERYONE = "everyone", _("Everyone")


class TemplateForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    language = forms.ChoiceField(
        label=_("Language"),
        choices=lambda: [("", _("Any language")), *language_choices()],
        required=False,
        help_text=_("The customer's language version is offered first."),
    )
    body = forms.CharField(
        label=_("Text"),
        strip=False,
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text=PLACEHOLDERS_HELP,
    )
    scope = forms.ChoiceField(
        label=_("Who uses it"),
        choices=TemplateScope.choices,
        initial=TemplateScope.MINE,
        widget=forms.RadioSelect,
    )
    team = forms.ModelChoiceField(Team.objects.order_by("name"), label=_("Team"), required=False)
    is_active = forms.BooleanField(label=_("Active: offered in the reply box"), required=False)
    # A macro: what applying it also does (knowledge.macros).
    set_status = forms.ChoiceField(
        label=_("Macro: set the status to"),
        choices=lambda: [("", "—"), *(ReplyTemplate._meta.get_field("set_status").choices or [])],
        required=False,
    )
    set_priority = forms.TypedChoiceField(
        label=_("Macro: set the priority to"),
        choices=lambda: [("", "—"), *(ReplyTemplate._meta.get_field("set_priority").choices or [])],
        coerce=int,
        empty_value=None,
        required=False,
    )
    add_tags = forms.CharField(
        label=_("Macro: add tags"),
        max_length=200,
        required=False,
        help_text=_("Separated by spaces or commas."),
    )
    set_team = forms.ModelChoiceField(
        Team.objects.order_by("name"), label=_("Macro: hand over to team"), required=False
    )
    note = forms.CharField(
        label=_("Macro: add an internal note"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, may_share: bool, editing: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not may_share:
            # Agents keep their own templates; supervisors keep the shared ones.
            del self.fields["scope"], self.fields["team"]
        if not editing:
            del self.fields["is_active"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("scope") == TemplateScope.TEAM and not data.get("team"):
            self.add_error("team", _("Choose the team that uses it."))
        return data
