"""The form renderer builds plain inputs and text areas in Python: the HTML must
be exactly what Django's templates write, for every kind of value and attribute."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy

from frontline.lib.widgets import FormRenderer

WIDGETS = [
    forms.TextInput,
    forms.NumberInput,
    forms.EmailInput,
    forms.URLInput,
    forms.SearchInput,
    forms.TelInput,
    forms.ColorInput,
    forms.DateInput,
    forms.DateTimeInput,
    forms.TimeInput,
    lambda attrs: forms.PasswordInput(attrs, render_value=True),
    forms.HiddenInput,
    forms.CheckboxInput,
    forms.FileInput,
    forms.Textarea,
]

VALUES = [
    None,
    "",
    "plain",
    "<script>alert(\"x\")</script> & 'quotes'",
    mark_safe("<b>already safe</b>"),
    0,
    3.5,
    Decimal("12.50"),
    True,
    False,
    datetime.date(2026, 12, 7),
    "многоязычный 中文",
]

ATTRS = [
    {},
    {"required": True, "disabled": False, "maxlength": 300, "min": 0, "step": "0.5"},
    {"placeholder": gettext_lazy("Search"), "data-x": '"q" <&>', "aria-describedby": "id_a"},
    {"class": mark_safe("a&amp;b"), "autofocus": True, "id": "id_field"},
]


@pytest.mark.parametrize("make", WIDGETS)
@pytest.mark.parametrize("value", VALUES)
@pytest.mark.parametrize("attrs", ATTRS)
def test_the_html_is_the_templates_html(make, value, attrs):
    widget = make(attrs=dict(attrs))
    built = widget.render("field", value, attrs={"id": "id_field"}, renderer=FormRenderer())
    templated = widget.render("field", value, attrs={"id": "id_field"}, renderer=DjangoTemplates())
    assert built == templated


def test_plain_inputs_and_text_areas_skip_the_template_engine(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("rendered through a template")

    monkeypatch.setattr(DjangoTemplates, "render", refuse)
    renderer = FormRenderer()
    html = forms.TextInput(attrs={"required": True}).render("q", "<x>", renderer=renderer)
    assert html == '<input type="text" name="q" value="&lt;x&gt;" required>'
    area = forms.Textarea(attrs={"rows": 3}).render("body", "hi & bye", renderer=renderer)
    assert area == '<textarea name="body" cols="40" rows="3">\nhi &amp; bye</textarea>'


def test_other_widgets_still_go_to_their_templates(monkeypatch):
    seen = []
    render = DjangoTemplates.render

    def spy(self, template_name, context, request=None):
        seen.append(template_name)
        return render(self, template_name, context, request)

    monkeypatch.setattr(DjangoTemplates, "render", spy)
    forms.RadioSelect(choices=[("a", "A")]).render("pick", "a", renderer=FormRenderer())
    assert "django/forms/widgets/radio.html" in seen


def test_the_site_uses_it(settings):
    from django.forms.renderers import get_default_renderer

    get_default_renderer.cache_clear()
    try:
        assert isinstance(get_default_renderer(), FormRenderer)
    finally:
        get_default_renderer.cache_clear()
