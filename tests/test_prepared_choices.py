"""Drop-downs of a fixed queryset read through a query compiled once
(frontline.lib.widgets.PreparedChoiceField): the same options as Django's
field, current rows every time, and a form's own queryset respected."""

import pytest
from django import forms
from django.db.models.sql.compiler import SQLCompiler

from frontline.accounts.models import Team
from frontline.lib.widgets import PreparedChoiceField

pytestmark = pytest.mark.django_db


class TeamForm(forms.Form):
    team = PreparedChoiceField(
        Team.objects.filter(is_active=True), required=False, empty_label="Any team"
    )


def options(field):
    return [(str(value), str(label)) for value, label in field.choices]


def test_the_same_options_as_djangos_field_with_the_rows_of_the_moment():
    plain = forms.ModelChoiceField(Team.objects.filter(is_active=True), empty_label="Any team")
    Team.objects.create(name="Alpha")
    Team.objects.create(name="Gone", is_active=False)
    assert options(TeamForm().fields["team"]) == options(plain)
    Team.objects.create(name="Beta")  # after the query was compiled
    shown = options(TeamForm().fields["team"])
    assert shown == options(plain)
    assert "Beta" in [label for _v, label in shown]
    assert "Gone" not in [label for _v, label in shown]
    assert shown[0] == ("", "Any team")


def test_a_queryset_a_form_sets_is_the_one_read():
    Team.objects.create(name="Alpha")
    beta = Team.objects.create(name="Beta")
    form = TeamForm()
    form.fields["team"].queryset = Team.objects.filter(pk=beta.pk)
    assert options(form.fields["team"]) == [("", "Any team"), (str(beta.pk), "Beta")]
    assert "Alpha" in [label for _v, label in options(TeamForm().fields["team"])]


def test_a_chosen_value_is_still_checked_against_the_queryset():
    gone = Team.objects.create(name="Gone", is_active=False)
    alpha = Team.objects.create(name="Alpha")
    assert not TeamForm({"team": gone.pk}).is_valid()
    form = TeamForm({"team": alpha.pk})
    assert form.is_valid() and form.cleaned_data["team"] == alpha


def test_options_are_compiled_once_then_only_run(django_assert_num_queries, monkeypatch):
    Team.objects.create(name="Alpha")
    options(TeamForm().fields["team"])  # compiled here (or by an earlier test)
    compiled = []
    original = SQLCompiler.as_sql

    def counting(self, *args, **kwargs):
        compiled.append(self.query.model)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(SQLCompiler, "as_sql", counting)
    with django_assert_num_queries(1):
        assert "Alpha" in [label for _v, label in options(TeamForm().fields["team"])]
    assert compiled == []
