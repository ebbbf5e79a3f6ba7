# ruff: noqa: RUF001 (Cyrillic and Chinese text on purpose)
"""Triage rules' "matches the regular expression" conditions run on RE2.

Admins write the patterns, customers write the text they run on (up to 20,000
characters), so a pattern must never be able to stall the triage worker:
ordinary patterns mean what they meant under Python's re, catastrophic ones
finish, and what RE2 cannot run is refused when the rule is saved.
"""

import re

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given, settings
from hypothesis import strategies as st

from frontline.routing import rules
from frontline.routing.models import RuleAction, RuleCondition, TriageRule
from tests.conftest import login

Facts = rules.Facts
C = rules.Condition


def matches(pattern: str, text: str) -> bool:
    result = rules.check(C("body", "regex", pattern), Facts(body=text))
    assert "cannot check" not in result.explanation, result.explanation
    return result.passed


@pytest.mark.parametrize(
    ("pattern", "text", "expected"),
    [
        (r"invoice\s+\d+", "About INVOICE  2024-17", True),
        (r"invoice\s+\d+", "invoice: none", False),
        (r"charged\s+twice|двойн", "С меня ДВОЙНОЕ списание", True),
        (r"заказ\s*№?\s*\d+", "Где мой Заказ № 4512?", True),
        (r"заказ\s*№?\s*\d+", "где мой заказ?", False),
        (r"^Привет", "привет, у меня вопрос", True),
        (r"退款|refund", "我要退款，谢谢", True),
        (r"退款|refund", "我要发票", False),
        (r"\w+@\w+\.\w+", "пишите на почта@пример.рф", True),  # \w is Unicode, as in Python
        (r"^\w{5}$", "退款申请书", True),
        (r"\d{3}", "номер ١٢٣", True),  # Arabic-Indic digits are digits, as in Python
        (r"\s—\s", "да\u00a0—\u00a0нет", True),  # so is a no-break space a space
        (r"[^\w\s]", "только слова и 数字 123", False),
        (r"\bVIP\b", "A vip customer", True),
        (r"\bVIP\b", "VIPs only", False),
        (r"[\u0400-\u04FF]+", "Cyrillic: ж", True),  # Python's \uXXXX escapes work
        (r"done\Z", "all done", True),  # and Python's \Z
        (r"a.b", "a\nb", False),  # the dot does not cross lines, as in Python
        ("x", "lone \ud800 surrogate, then x", True),  # RE2 reads UTF-8, which has none
    ],
)
def test_ordinary_patterns_mean_what_they_meant_with_python_re(pattern, text, expected):
    assert matches(pattern, text) is expected
    assert (re.search(pattern, text, re.IGNORECASE) is not None) is expected


# Patterns an admin might write, over texts mixing scripts, digits and spaces.
ORDINARY = [
    r"invoice\s+\d+",
    r"\w+@\w+",
    r"^\W",
    r"[\w-]{3}",
    r"[^\w\s]",
    r"\d{2}",
    r"\D\d",
    r"\S+\s\S+",
    r"\s\s",
    r"x.y",
    r"(?:ab|аб)+c",
    r"[а-я]+ [a-z]+",
    r"^привет|hello",
    r"退款|refund",
]
ALPHABET = "abcxyABCXY-_@.№ \t\n\u00a0абвпритеАБВПЯя退款我0123٣²"


@settings(deadline=None, max_examples=300)
@given(pattern=st.sampled_from(ORDINARY), text=st.text(alphabet=ALPHABET, max_size=30))
def test_ordinary_patterns_agree_with_python_re_on_any_text(pattern, text):
    assert matches(pattern, text) is (re.search(pattern, text, re.IGNORECASE) is not None)


def test_catastrophic_patterns_finish_with_the_right_verdict():
    # With Python's re these searches backtrack exponentially and would not
    # finish for hours (each extra character doubles the work): that this test
    # completes at all is the proof that rules cannot stall the worker.
    assert not matches(r"(a+)+$", "a" * 5000 + "!")
    assert matches(r"(a+)+$", "a" * 5000)
    assert not matches(r"(x|x?)+y", "x" * 5000)
    assert matches(r"(x|x?)+y", "x" * 5000 + "y")
    assert not matches(r"(\w+\s?)+$", "слово " * 3000 + "!")  # at the 20,000 cut


def test_compiled_patterns_are_cached_within_a_bound():
    assert rules.compile_pattern(r"charged\s+twice") is rules.compile_pattern(r"charged\s+twice")
    assert rules.compile_pattern.cache_info().maxsize is not None


def test_a_pattern_rules_cannot_run_fails_the_condition_with_a_reason():
    for pattern in [r"(?<=a)b", r"(a)\1", r"\bключ", "(unclosed"]:
        result = rules.check(C("subject", "regex", pattern), Facts(subject="ab ключ"))
        assert not result.passed and "cannot check (" in result.explanation


@pytest.fixture
def a_rule(people):
    return TriageRule.objects.create(name="Patterns")


@pytest.mark.parametrize(
    ("pattern", "shown"),
    [
        (r"(?<!re: )invoice", "invalid perl operator: (?<!"),
        (r"(\w)\1", r"invalid escape sequence: \1"),
        (r"(?P<word>\w+) (?P=word)", "invalid perl operator: (?P"),
        (r"(?=.*urgent)", "invalid perl operator: (?="),
        (r"a++", "bad repetition operator: ++"),
    ],
)
def test_saving_a_pattern_with_constructs_re2_lacks_is_refused_saying_so(a_rule, pattern, shown):
    condition = RuleCondition(rule=a_rule, field="subject", operator="regex", value=pattern)
    with pytest.raises(ValidationError) as refused:
        condition.full_clean()
    [message] = refused.value.message_dict["value"]
    assert shown in message
    assert "no back-references" in message and "look-ahead or look-behind" in message


def test_saving_a_broken_or_misleading_pattern_is_refused(a_rule):
    def refusal(pattern: str) -> str:
        with pytest.raises(ValidationError) as refused:
            RuleCondition(rule=a_rule, field="text", operator="regex", value=pattern).full_clean()
        return refused.value.message_dict["value"][0]

    assert refusal("(unclosed") == "Not a regular expression: missing ): (unclosed."
    # \b knows only ASCII word characters in RE2: around Cyrillic it never matches.
    assert "do not work next to letters outside plain ASCII" in refusal(r"\bвозврат\b")
    for fine in [r"\bVIP\b", r"(^|\W)возврат(\W|$)", r"\p{Han}+", r"charged\s+twice|двойн"]:
        RuleCondition(rule=a_rule, field="text", operator="regex", value=fine).full_clean()


def test_the_admin_shows_why_a_pattern_is_refused(client, people):
    login(client, people.ada)
    response = client.post(
        "/admin/routing/triagerule/add/",
        {
            "name": "Replies to our invoices",
            "runs_on": "new",
            "position": "1",
            "is_active": "on",
            "match_all": "on",
            "conditions-TOTAL_FORMS": "1",
            "conditions-INITIAL_FORMS": "0",
            "conditions-MIN_NUM_FORMS": "0",
            "conditions-MAX_NUM_FORMS": "1000",
            "conditions-0-field": "subject",
            "conditions-0-operator": "regex",
            "conditions-0-value": r"(?<=re: )invoice",
            "actions-TOTAL_FORMS": "1",
            "actions-INITIAL_FORMS": "0",
            "actions-MIN_NUM_FORMS": "0",
            "actions-MAX_NUM_FORMS": "1000",
            "actions-0-kind": "add_tags",
            "actions-0-value": "invoice",
        },
    )
    page = response.content.decode()
    assert response.status_code == 200  # the form again, not a redirect
    assert "RE2, which runs rule patterns and stays fast on any text" in page
    assert "look-ahead or look-behind" in page
    assert not TriageRule.objects.exists()


def test_the_admin_refusal_is_translated(a_rule):
    from django.utils import translation

    condition = RuleCondition(rule=a_rule, field="subject", operator="regex", value=r"(a)\1")
    for language, words in [("ru", "обратных ссылок"), ("zh-hans", "反向引用")]:
        with translation.override(language):
            with pytest.raises(ValidationError) as refused:
                condition.full_clean()
            message = refused.value.message_dict["value"][0]
        assert words in message and r"invalid escape sequence: \1" in message


def test_dry_run_page_finishes_on_a_catastrophic_pattern_and_names_a_broken_one(
    client, people, django_capture_on_commit_callbacks
):
    from frontline.tickets import actions

    slow = TriageRule.objects.create(name="Catastrophic", position=1)
    RuleCondition.objects.create(rule=slow, field="body", operator="regex", value=r"(a+)+$")
    RuleAction.objects.create(rule=slow, kind="add_tags", value="slow")
    # Saved before rules ran on RE2 (objects.create skips validation, as old rows did).
    old = TriageRule.objects.create(name="Look-behind", position=2)
    RuleCondition.objects.create(rule=old, field="body", operator="regex", value=r"(?<=x)a")
    with django_capture_on_commit_callbacks(execute=True):  # triage runs the rules too
        ticket = actions.open_ticket(
            requester=people.carol,
            by=people.carol,
            subject="Log attached",
            body="a" * 5000 + "!",
            category=people.billing,
        )
    assert not ticket.tags.exists()
    login(client, people.alice)
    page = client.get(f"/desk/tickets/{ticket.pk}/rules/").content.decode()
    assert "Catastrophic — does not match" in page
    assert "Look-behind — does not match" in page
    assert "cannot check (invalid perl operator: (?&lt;=)" in page
