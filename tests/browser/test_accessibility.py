"""axe-core on the desk's pages (and the portal's main ones): no serious or
critical violation, at a laptop's width and a phone's."""

from decimal import Decimal

import pytest

from frontline.tickets import actions
from frontline.tickets.models import ClosureReason, Status
from tests.browser.conftest import axe_violations
from tests.browser.test_desk_workspace import busy_queue, sign_in

pytestmark = pytest.mark.browser


def desk_pages(people, ticket):
    from frontline.knowledge import actions as kb_actions
    from frontline.knowledge.models import ArticleCategory, ReplyTemplate

    actions.add_note(ticket, body="Checked the gateway @sam", by=people.alice)
    # Handed on (the transfer count in the badges and the queue) and back.
    actions.assign_ticket(ticket, by=people.alice, team=people.second_line, note="Gateway logs.")
    actions.assign_ticket(ticket, by=people.sam, team=people.first_line, note="Billing, not tech.")
    topics = ArticleCategory.objects.create(name="Printing", position=1)
    article = kb_actions.create_article(
        category=topics, title="Clear a paper jam", body="Open *tray 2*.", language="en",
        visibility="internal", by=people.alice,
    )  # fmt: skip
    template = ReplyTemplate.objects.create(name="Refund", body="Hello {{ customer.first_name }}")
    return [
        "/desk/templates/",
        "/desk/templates/new/",
        f"/desk/templates/{template.pk}/",
        "/desk/kb/due/",
        "/desk/kb/deflection/",
        "/desk/learning/",
        f"/desk/kb/{article.pk}/",
        f"/desk/kb/{article.pk}/edit/",
        f"/desk/kb/{article.pk}/revisions/1/",
        "/desk/q/open/",
        "/desk/q/mine/?status=open",
        f"/desk/tickets/{ticket.pk}/",
        f"/desk/tickets/{ticket.pk}/rules/",
        f"/desk/contacts/{ticket.requester_id}/",
        f"/desk/organisations/{ticket.organisation_id}/",
        "/desk/search/?q=invoice",
        "/desk/reports/",
        "/desk/reports/?by=organisation",
        "/desk/reports/me/",
        f"/desk/reports/agents/{people.alice.pk}/",
        "/desk/kb/",
        "/desk/kb/new/",
        "/desk/calls/new/",
        "/desk/tokens/",
        "/desk/notifications/",
        "/desk/no-such-page/",
    ]


@pytest.mark.parametrize(
    ("width", "locale"),
    [(1280, "en-GB"), (390, "en-GB"), (390, "ru-RU"), (1280, "ru-RU"), (390, "zh-CN")],
)
def test_desk_pages_pass_axe(browser, site, people, ticket, width, locale):
    """Every desk page, in English, Russian and Chinese: Russian's longer words
    and Chinese's other script are where labels go missing and text overflows,
    so at a phone's width each page also fits without sideways scrolling."""
    busy_queue(people)
    pages = desk_pages(people, ticket)
    context = browser.new_context(viewport={"width": width, "height": 900}, locale=locale)
    try:
        page = context.new_page()
        sign_in(page, site, "sam")
        found = {}
        for url in pages:
            page.goto(site + url)
            page.wait_for_load_state("networkidle")
            assert page.locator("html").get_attribute("lang").startswith(locale[:2]), url
            problems = axe_violations(page)
            if (wide := page.evaluate("document.documentElement.scrollWidth")) > width:
                problems.append(f"{wide} px wide in a {width} px window")
            if problems:
                found[url] = problems
        assert found == {}
    finally:
        context.close()


def portal_pages(people, ticket):
    """Every page of the portal, the help centre and the sign-in pages, as a
    customer (``carol``) and as a visitor, each ticket page in its states:
    asked a question, resolved (reply and "not solved" forms), closed."""
    from frontline.knowledge import actions as kb_actions
    from frontline.knowledge.models import ArticleCategory
    from frontline.reports import actions as report_actions
    from frontline.reports.estimates import estimate_path
    from frontline.reports.models import SurveyInvitation
    from frontline.reports.surveys import survey_path
    from frontline.tickets.access import answers_token

    actions.request_information(ticket, body="Which card was charged?", by=people.alice)
    resolved = actions.open_ticket(
        requester=people.carol, by=people.carol, subject="Printer jam", body="Jammed.",
        category=people.billing,
    )  # fmt: skip
    actions.assign_ticket(resolved, by=people.alice, assignee=people.alice)
    actions.add_reply(resolved, body="Open tray 2 and pull the sheet.", by=people.alice)
    actions.change_status(
        resolved, status=Status.RESOLVED, by=people.alice, closure_reason=ClosureReason.SOLVED
    )
    closed = actions.open_ticket(
        requester=people.carol, by=people.carol, subject="Old question", body="Answered.",
        category=people.billing,
    )  # fmt: skip
    actions.change_status(
        closed, status=Status.RESOLVED, by=people.alice, closure_reason=ClosureReason.SOLVED
    )
    actions.confirm_solved(closed, by=people.carol)
    unanswered = actions.open_ticket(
        requester=people.carol, by=people.carol, subject="Broken screen", body="Cracked.",
        category=people.hardware, fields={"serial": "SN-1"},
    )  # fmt: skip
    estimate = report_actions.send_estimate(
        ticket, hours=Decimal("1.5"), description="Refund check", by=people.alice
    )
    topics = ArticleCategory.objects.create(name="Printing", position=1)
    article = kb_actions.create_article(
        category=topics, title="Clear a paper jam", body="Open *tray 2*.", language="en",
        visibility="public", by=people.alice,
    )  # fmt: skip
    kb_actions.publish_article(article, by=people.alice)
    survey = survey_path(SurveyInvitation.objects.get(ticket=resolved))
    visitor = [
        "/",
        "/login/",
        "/password/",
        "/password/sent/",
        "/portal/signup/",
        "/portal/signup/sent/",
        "/portal/callback/new/",
        "/portal/callback/sent/",
        "/portal/verify/not-a-token/",
        f"/portal/answers/{answers_token(unanswered)}/",
        "/portal/answers/done/",
        survey,
        "/help/",
        "/help/search/?q=jam",
        f"/help/c/{topics.pk}/",
        f"/help/articles/{article.pk}/",
        "/help/no-such-page/",
    ]
    customer = [
        "/portal/",
        "/portal/search/?q=invoice",
        "/portal/new/",
        f"/portal/new/{people.hardware.pk}/",
        "/portal/callback/",
        f"/portal/tickets/{ticket.pk}/",
        f"/portal/tickets/{resolved.pk}/",
        f"/portal/tickets/{closed.pk}/",
        f"/portal/tickets/{unanswered.pk}/",
        estimate_path(estimate),
        "/portal/tokens/",
        "/account/two-factor/",
        "/help/",
        "/portal/no-such-page/",
        "/desk/",  # a customer in the desk: the styled 403/404
    ]
    return visitor, customer


def _axe_everywhere(page, site, urls) -> dict[str, list[str]]:
    found = {}
    for url in urls:
        page.goto(site + url)
        page.wait_for_load_state("networkidle")
        if problems := axe_violations(page):
            found[url] = problems
    return found


@pytest.mark.parametrize(
    ("width", "locale"), [(1280, "en-GB"), (390, "en-GB"), (390, "ru-RU"), (1280, "zh-CN")]
)
def test_portal_pages_pass_axe(browser, site, people, ticket, width, locale):
    visitor, customer = portal_pages(people, ticket)
    context = browser.new_context(viewport={"width": width, "height": 900}, locale=locale)
    try:
        page = context.new_page()
        found = _axe_everywhere(page, site, visitor)
        sign_in(page, site, "carol")
        found |= {f"carol {url}": v for url, v in _axe_everywhere(page, site, customer).items()}
        assert found == {}
    finally:
        context.close()


def test_the_check_finds_a_serious_violation(browser, site, people):
    """The check can fail: a field with no label and a button with no name are found."""
    context = browser.new_context()
    try:
        page = context.new_page()
        sign_in(page, site, "alice")
        page.goto(f"{site}/desk/q/open/")
        page.evaluate(
            """() => {
              const input = document.createElement("input");
              const button = document.createElement("button");
              document.querySelector("main").append(input, button);
            }"""
        )
        found = " ".join(axe_violations(page))
        assert "button-name" in found and "label" in found
    finally:
        context.close()
