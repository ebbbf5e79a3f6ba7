"""``{% field_row field %}``: one form field with its label, help and errors.

A template builtin (``TEMPLATES`` → ``builtins``), so every template has it
without ``{% load %}``. It writes in Python what a ``_field.html`` include
wrote: a form page runs it once per field, and an include with its variable
look-ups cost several times the field's own widget. The markup is the one
accessibility needs: the label points at the input, the help text carries the
``<id>_helptext`` id that Django's ``aria-describedby`` names, and each field's
errors sit in one alert region.
"""

from __future__ import annotations

from django import template
from django.forms import BoundField
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

REQUIRED_MARK = mark_safe(' <span class="req" aria-hidden="true">*</span>')


@register.simple_tag
def field_row(field: BoundField) -> SafeString:
    errors = field.errors
    required = field.field.required
    mark = REQUIRED_MARK if required else ""
    widget = str(field)
    if field.widget_type == "checkbox":
        label = format_html(
            '<label for="{}">{} {}{}</label>', field.id_for_label, widget, field.label, mark
        )
    else:
        label = format_html(
            '<label for="{}">{}{}</label>\n{}', field.id_for_label, field.label, mark, widget
        )
    help_text = (
        format_html(
            '<small class="help" id="{}_helptext">{}</small>', field.auto_id, field.help_text
        )
        if field.help_text
        else ""
    )
    error_list = (
        format_html(
            '<div class="errors" id="{}_error" role="alert">{}</div>',
            field.auto_id,
            format_html_join("", '<p class="error">{}</p>', ((e,) for e in errors)),
        )
        if errors
        else ""
    )
    return format_html(
        '<div class="field{}{}">{}{}{}</div>',
        " has-error" if errors else "",
        " required" if required else "",
        label,
        help_text,
        error_list,
    )
