"""Form widgets that render in Python rather than through templates.

Django renders every ``<option>`` through a template, which costs ~0.1 ms an
option; a desk page has hundreds (organisations, agents). Same HTML, built here;
and :class:`FormRenderer` does the same for plain inputs and text areas.
"""

from __future__ import annotations

from html import escape
from typing import Any

from django import forms
from django.forms.renderers import DjangoTemplates
from django.forms.utils import flatatt
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe

from .prepared import Prepared


class _PreparedOptions(forms.models.ModelChoiceIterator):
    """The options of a :class:`PreparedChoiceField`: its rows read by the
    Prepared query, or by its queryset if a form has set another."""

    def __iter__(self) -> Any:
        if self.field.options is None:  # type: ignore[attr-defined]
            yield from super().__iter__()
            return
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for row in self.field.rows():  # type: ignore[attr-defined]
            yield self.choice(row)


class PreparedChoiceField(forms.ModelChoiceField):
    """A drop-down of a fixed queryset's rows (teams, categories, activities),
    read by a ``lib.prepared`` query compiled once rather than built and compiled
    for every form: a desk ticket page shows five such lists. A chosen value is
    still checked against the queryset; a form that sets another queryset on its
    copy of the field gets its options from that one."""

    iterator = _PreparedOptions

    def __init__(self, queryset: Any, **kwargs: Any) -> None:
        super().__init__(queryset, **kwargs)
        self.options: Prepared[Any] | None = self.prepare(queryset)
        self._rows: list[Any] | None = None

    def rows(self) -> list[Any]:
        """The drop-down's rows, read once per form (a form has its own copy of the
        field): a page that needs them too (the desk's next line of support among
        the active teams) asks here rather than reading them again."""
        if self._rows is None:
            self._rows = list(self.options() if self.options is not None else self.queryset)
        return self._rows

    def prepare(self, queryset: Any) -> Prepared[Any]:
        return Prepared(lambda p: queryset.all())

    def _set_queryset(self, queryset: Any) -> None:
        super()._set_queryset(queryset)  # type: ignore[misc]
        self.options = None
        self._rows = None

    queryset = property(forms.ModelChoiceField._get_queryset, _set_queryset)  # type: ignore[attr-defined]

    def __deepcopy__(self, memo: dict[int, Any]) -> Any:
        result = super().__deepcopy__(memo)  # sets a copy of the same queryset
        result.options = self.options
        result._rows = None
        return result


class FastSelect(forms.Select):
    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        final = self.build_attrs(self.attrs, attrs)
        final["name"] = name
        selected = set(self.format_value(value))
        # html.escape is what django.utils.html.escape calls; one join, not a
        # format_html per option.
        options = "".join(
            f'<option value="{escape(str(v))}"{" selected" if str(v) in selected else ""}>'
            f"{escape(str(label))}</option>"
            for v, label in self.choices
        )
        return format_html("<select{}>{}</select>", flatatt(final), mark_safe(options))  # noqa: S308


def _attrs(attrs: dict[str, Any]) -> str:
    # django/forms/widgets/attrs.html: False leaves the attribute out, True
    # writes its name alone, anything else name="value" (escaped unless safe).
    return "".join(
        f" {conditional_escape(name)}"
        if value is True
        else f' {conditional_escape(name)}="{conditional_escape(value)}"'
        for name, value in attrs.items()
        if value is not False
    )


def _input(widget: dict[str, Any]) -> str:
    # django/forms/widgets/input.html
    value = widget["value"]
    shown = "" if value is None else f' value="{conditional_escape(value)}"'
    return (
        f'<input type="{conditional_escape(widget["type"])}"'
        f' name="{conditional_escape(widget["name"])}"{shown}{_attrs(widget["attrs"])}>'
    )


def _textarea(widget: dict[str, Any]) -> str:
    # django/forms/widgets/textarea.html
    value = widget["value"]
    return (
        f'<textarea name="{conditional_escape(widget["name"])}"{_attrs(widget["attrs"])}>\n'
        f"{conditional_escape(value) if value else ''}</textarea>"
    )


# Every template of Django's that is input.html under another name.
_BUILT = {
    f"django/forms/widgets/{name}.html": _input
    for name in [
        "input",
        "checkbox",
        "color",
        "date",
        "datetime",
        "email",
        "file",
        "hidden",
        "number",
        "password",
        "search",
        "tel",
        "text",
        "time",
        "url",
    ]
} | {"django/forms/widgets/textarea.html": _textarea}


class FormRenderer(DjangoTemplates):
    """Django's form renderer, with the plain ``<input>`` and ``<textarea>``
    built in Python: Django renders each through two templates (the widget's and
    ``attrs.html``), ~0.3 ms a field, a tenth of a desk ticket page. The same HTML
    (``tests/test_form_renderer.py`` compares the two): a value is written as
    the templates' ``stringformat:'s'`` and autoescaping write it. Any other
    template, or a value that is not a string (which a template would localise),
    goes to Django."""

    def render(self, template_name: str, context: dict[str, Any], request: Any = None) -> str:
        build = _BUILT.get(template_name)
        widget = context.get("widget")
        if (
            build is None
            or widget is None
            or not isinstance(widget["value"], str | None)
            or any(isinstance(v, tuple | list) for v in widget["attrs"].values())
        ):
            return super().render(template_name, context, request)
        return build(widget)
