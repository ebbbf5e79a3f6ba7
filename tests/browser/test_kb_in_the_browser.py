"""Templates join what an agent typed; articles appear while a customer types."""

import pytest
from django.conf import settings
from playwright.sync_api import expect

from frontline.knowledge import actions
from frontline.knowledge.models import ArticleCategory, ReplyTemplate, SuggestedRead
from tests.browser.test_request_flow import sign_in

pytestmark = pytest.mark.browser


def test_a_template_goes_in_at_the_cursor_and_the_typed_text_survives(
    new_page, site, people, ticket
):
    ReplyTemplate.objects.create(
        name="Refund", body="Your refund for {ticket_number} is on its way."
    )
    page = new_page()
    sign_in(page, site, "alice")
    page.goto(f"{site}/desk/tickets/{ticket.pk}/")
    body = page.locator("#id_body")
    body.fill("Hello Carol,\n\nBest regards, Alice")
    # The cursor after the empty line, where the answer goes.
    body.evaluate("(el) => el.setSelectionRange(13, 13)")
    page.select_option("select[name=template]", label="Refund")
    expect(page.locator("#template-status")).to_be_visible()
    refund = f"Your refund for {ticket.reference} is on its way."
    expected = f"Hello Carol,\n{refund}\nBest regards, Alice"
    expect(body).to_have_value(expected)
    body.press("Control+z")  # the browser's own undo takes the template out
    expect(body).to_have_value("Hello Carol,\n\nBest regards, Alice")
    body.evaluate("(el) => el.setSelectionRange(13, 13)")
    page.select_option("select[name=template]", label="Refund")
    expect(body).to_have_value(expected)
    page.click("#template-status button")  # and so does the button
    expect(body).to_have_value("Hello Carol,\n\nBest regards, Alice")
    expect(page.locator("#template-status")).to_be_hidden()


def test_a_team_that_asks_for_it_gets_no_template_sent_unread(new_page, site, people, ticket):
    """Issue 16: templates are a starting point. On a team that turns it on, a
    reply with an inserted template cannot be sent until the agent has edited
    the text or confirmed it as it is; elsewhere sending is never held."""
    ReplyTemplate.objects.create(name="Refund", body="Your refund is on its way.")
    team = ticket.team
    assert team is not None
    team.confirm_templates = True
    team.save(update_fields=["confirm_templates"])
    page = new_page()
    sign_in(page, site, "alice")
    page.goto(f"{site}/desk/tickets/{ticket.pk}/")
    send = page.get_by_role("button", name="Send", exact=True)
    body = page.locator("#id_body")
    page.select_option("select[name=template]", label="Refund")
    expect(body).to_have_value("Your refund is on its way.")
    expect(send).to_be_disabled()
    expect(page.get_by_text("Make it yours: edit the text")).to_be_visible()
    body.press("End")
    body.press_sequentially(" Thanks, Alice")  # an edit
    expect(send).to_be_enabled()
    page.select_option("select[name=template]", label="Refund")
    expect(send).to_be_disabled()
    page.get_by_role("button", name="Use it as it is").click()  # or a confirmation
    expect(send).to_be_enabled()
    send.click()
    expect(page.get_by_text("Thanks, Alice").first).to_be_visible()

    team.confirm_templates = False
    team.save(update_fields=["confirm_templates"])
    page.goto(f"{site}/desk/tickets/{ticket.pk}/")
    page.select_option("select[name=template]", label="Refund")
    expect(page.locator("#id_body")).to_have_value("Your refund is on its way.")
    expect(page.get_by_role("button", name="Send", exact=True)).to_be_enabled()


def test_a_customer_typing_a_request_sees_a_matching_article(new_page, site, people):
    category = ArticleCategory.objects.create(name="Hardware")
    article = actions.create_article(
        category=category,
        title="When the laptop will not power on",
        body="Hold the power button for ten seconds.",
        language="en",
        visibility="public",
        by=people.alice,
    )
    actions.publish_article(article, by=people.alice)
    page = new_page()
    sign_in(page, site, "carol")
    page.goto(f"{site}/portal/new/{people.hardware.pk}/")
    page.locator("#id_subject").press_sequentially("Laptop does not power on", delay=20)
    link = page.locator("#kb-suggestions a")
    expect(link).to_have_text("When the laptop will not power on", timeout=10000)
    expect(link).to_have_attribute("href", f"/help/articles/{article.pk}/?from=suggested")
    # They open it (a new tab), read it, and leave without sending the request.
    with page.context.expect_page() as opened:
        link.click()
    reader = opened.value
    expect(reader.get_by_role("heading", name="When the laptop will not power on")).to_be_visible()
    reader.close()
    page.goto(f"{site}/portal/")
    read = SuggestedRead.objects.get()
    assert read.article == article and read.user == people.carol and read.ticket is None


def test_an_agent_inserts_an_article_link_into_what_they_typed(new_page, site, people, ticket):
    category = ArticleCategory.objects.create(name="Billing")
    article = actions.create_article(
        category=category,
        title="Charged twice for an invoice",
        body="A double charge on an invoice is refunded within five days.",
        language="en",
        visibility="public",
        by=people.alice,
    )
    actions.publish_article(article, by=people.alice)
    page = new_page()
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, site, "alice")
    page.goto(f"{site}/desk/tickets/{ticket.pk}/")
    body = page.locator("#id_body")
    body.fill("Hello Carol, this explains it:")
    insert = page.get_by_role(
        "button", name="Insert a link to “Charged twice for an invoice” into the reply"
    )
    insert.click()
    link = f"Charged twice for an invoice: {settings.SITE_URL}/help/articles/{article.pk}/"
    expect(body).to_have_value(f"Hello Carol, this explains it: {link}")
    expect(page.get_by_role("status").filter(has_text="Link inserted")).to_be_visible()
    body.press("Control+z")
    expect(body).to_have_value("Hello Carol, this explains it:")


def test_the_new_knowledge_pages_work_on_a_phone(new_page, site, people, tmp_path):
    category = ArticleCategory.objects.create(name="Printers")
    article = actions.create_article(
        category=category,
        title="Clearing a paper jam",
        body="Open the tray.",
        language="en",
        visibility="internal",
        for_trainees=True,
        by=people.sam,
    )
    actions.publish_article(article, by=people.sam)
    picture = tmp_path / "tray.png"
    picture.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 128)
    page = new_page()
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, site, "sam")

    def fits(what):
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"{what} is {width}px wide on a 390px screen"

    page.goto(f"{site}/desk/kb/{article.pk}/")
    page.get_by_label("Add a picture or document").set_input_files(str(picture))
    page.get_by_role("button", name="Upload").click()
    expect(page.get_by_text("“tray.png” added.")).to_be_visible()
    fits("the article page")
    page.goto(f"{site}/desk/kb/deflection/")
    expect(page.get_by_role("heading", name="Requests answered by articles")).to_be_visible()
    fits("the deflection page")
    page.goto(f"{site}/desk/templates/new/")
    page.get_by_label("Name").fill("Thanks")
    page.get_by_label("Text").fill("Thank you, {customer_first_name}.")
    page.get_by_label("Everyone").check()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Template “Thanks” saved.")).to_be_visible()
    fits("the template list")
    page.goto(f"{site}/desk/learning/")
    expect(page.get_by_text("1 of 1 article read")).to_be_visible()  # read above
    fits("the learning path")
