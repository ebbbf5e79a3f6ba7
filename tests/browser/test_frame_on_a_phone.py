"""What a newcomer saw cut off on a phone: the language menu, the search boxes'
placeholders, a wide report table with no sign that it scrolls."""

import pytest
from playwright.sync_api import expect

from tests.browser.test_desk_workspace import busy_queue, sign_in

pytestmark = pytest.mark.browser

# How much of a box's text shows: the text's width against the room inside it.
ROOM = """(el) => {
  const style = getComputedStyle(el);
  const ctx = document.createElement("canvas").getContext("2d");
  ctx.font = style.font;
  const select = el.tagName === "SELECT";
  const text = select ? el.options[el.selectedIndex].text : el.placeholder;
  const arrow = select ? 20 : 0;  // Chromium draws a select's arrow inside its box
  const padding = parseFloat(style.paddingLeft) + parseFloat(style.paddingRight);
  const room = el.clientWidth - padding - arrow;
  return {text, need: ctx.measureText(text).width, room};
}"""


def shows_whole(locator):
    fit = locator.evaluate(ROOM)
    assert fit["need"] <= fit["room"], fit


@pytest.mark.parametrize("locale", ["en-GB", "ru-RU"])
@pytest.mark.parametrize("who", ["alice", "carol"])
def test_the_top_bar_fits_a_phone(browser, site, people, ticket, who, locale):
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale=locale)
    try:
        page = context.new_page()
        sign_in(page, site, who)
        shows_whole(page.locator("#language"))
        shows_whole(page.locator("#search-box"))
        if who == "carol":
            page.goto(f"{site}/help/")
            shows_whole(page.locator("#help-q"))
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
    finally:
        context.close()


def test_a_wide_report_table_says_it_scrolls_and_takes_the_keyboard(browser, site, people):
    busy_queue(people)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        sign_in(page, site, "sam")
        page.goto(f"{site}/desk/reports/")
        table = page.locator(".table-scroll:has(#figures)")
        expect(table).to_have_attribute("tabindex", "0")
        expect(page.get_by_role("region", name="Everything per Team")).to_be_visible()
        expect(page.locator(".scroll-hint")).to_have_text(
            "The table scrolls sideways: more columns to the right."
        )
        table.focus()
        page.keyboard.press("ArrowRight")
        page.keyboard.press("End")
        assert table.evaluate("el => el.scrollLeft") > 0
    finally:
        context.close()
