"""``{% url %}`` (frontline/lib/fast_url.py) reverses a view once per shape of
address: every answer must be the one Django's own tag gives, and what it cannot
do fast (keyword arguments, strings, zero, a view that does not reverse) must
behave exactly as Django's tag does."""

from __future__ import annotations

from unittest import mock

import pytest
from django.template import Context, Engine, engines
from django.urls import NoReverseMatch, reverse

from frontline.lib import fast_url
from tests.conftest import login

CASES = [
    ("{% url 'desk:ticket' n %}", {"n": 42}),
    ("{% url 'desk:ticket' n %}", {"n": 1234567}),
    ("{% url 'desk:confirm_participant' n m %}", {"n": 7, "m": 9}),
    ("{% url 'desk:confirm_participant' n n %}", {"n": 77}),
    ("{% url 'desk:ticket_form' n 'call' %}", {"n": 5}),
    ("{% url 'desk:ticket' number=n %}", {"n": 8}),
    ("{% url 'desk:ticket' n %}", {"n": "31"}),
    ("{% url 'desk:queue' %}", {}),
    ("{% url name n %}", {"name": "desk:reply", "n": 3}),
    ("{% url 'desk:ticket' n as there %}[{{ there }}]", {"n": 12}),
    ("{% url 'no:such' n as there %}[{{ there }}]", {"n": 12}),
    ("{% autoescape off %}{% url 'desk:ticket' n %}{% endautoescape %}", {"n": 3}),
]


def _render(engine: Engine, source: str, context: dict) -> str:
    return engine.from_string(source).render(Context(context))


@pytest.mark.parametrize(("source", "context"), CASES)
def test_the_same_address_as_djangos_tag(source, context):
    ours = engines["django"].engine  # the project's engine, with the builtin
    assert fast_url.FastURLNode in {type(n) for n in ours.from_string(source).nodelist} or (
        "autoescape" in source
    )
    assert _render(ours, source, context) == _render(Engine(), source, context)


def test_a_view_that_does_not_reverse_raises_as_before():
    ours = engines["django"].engine
    with pytest.raises(NoReverseMatch):
        _render(ours, "{% url 'no:such' n %}", {"n": 1})
    with pytest.raises(NoReverseMatch):
        _render(ours, "{% url 'desk:ticket' n m %}", {"n": 1, "m": 2})


def test_a_view_is_reversed_once_for_many_ids():
    fast_url._pieces.cache_clear()
    template = engines["django"].engine.from_string("{% url 'desk:reply' n %}")
    with mock.patch.object(fast_url, "reverse", wraps=reverse) as reversed_:
        pages = [template.render(Context({"n": n})) for n in (11, 12, 13)]
    assert pages == [reverse("desk:reply", args=[n]) for n in (11, 12, 13)]
    assert reversed_.call_count == 1


def test_the_ticket_page_posts_to_its_own_addresses(client, people, ticket):
    login(client, people.alice)
    page = client.get(reverse("desk:ticket", args=[ticket.pk])).content.decode()
    for name in ("desk:reply", "desk:note", "desk:update", "desk:take", "desk:log_time"):
        assert f'action="{reverse(name, args=[ticket.pk])}"' in page
