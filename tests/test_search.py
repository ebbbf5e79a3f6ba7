# ruff: noqa: RUF001 (Cyrillic and Chinese text on purpose)
"""Search through its one query function, the indexing task and the rebuild command."""

from __future__ import annotations

import pytest
from django.db import connection

from frontline.search import selectors
from frontline.search.reactions import index_ticket
from frontline.search.text import parse_query
from frontline.tickets import actions
from frontline.tickets.models import Priority, Ticket


def reindex(ticket: Ticket) -> None:
    """What the reaction does after any change to the ticket."""
    index_ticket(ticket.events.latest("id").pk)


def found(user, text: str) -> list[int]:
    return [hit.ticket.pk for hit in selectors.search(user, text).tickets]


def open_as(people, requester, subject: str, body: str) -> Ticket:
    ticket = actions.open_ticket(
        requester=requester, by=requester, subject=subject, body=body, category=people.billing
    )
    reindex(ticket)
    return ticket


def test_a_word_in_the_subject_or_a_message_finds_the_ticket(people, ticket):
    reindex(ticket)
    assert found(people.sam, "invoice") == [ticket.pk]
    assert found(people.sam, "MARCH") == [ticket.pk]
    assert found(people.sam, "nothing") == []


def test_internal_notes_are_found_by_staff_never_by_customers(people, ticket):
    actions.add_note(ticket, body="The walrus in the basement did it.", by=people.alice)
    actions.add_reply(ticket, body="We checked the basement: it is dry.", by=people.alice)
    reindex(ticket)
    assert found(people.sam, "walrus") == [ticket.pk]
    assert found(people.alice, "walrus") == [ticket.pk]
    for customer in (people.carol, people.maria):
        assert found(customer, "walrus") == []
        assert found(customer, '"walrus"') == []
        assert found(customer, "walrus OR basement") == [ticket.pk]
        hits = selectors.search(customer, "basement").tickets
        assert [h.ticket.pk for h in hits] == [ticket.pk]
        assert "walrus" not in hits[0].snippet
        assert "<mark>basement</mark>" in hits[0].snippet
    staff_hit = selectors.search(people.sam, "walrus").tickets[0]
    assert "<mark>walrus</mark>" in staff_hit.snippet


def test_an_excluded_word_in_a_note_does_not_hide_a_ticket_from_its_customer(people, ticket):
    actions.add_note(ticket, body="walrus", by=people.alice)
    reindex(ticket)
    # The customer's query never reads the note, not even to exclude by it.
    assert found(people.carol, "invoice -walrus") == [ticket.pk]
    assert found(people.sam, "invoice -walrus") == []


def test_agents_find_only_their_teams_tickets(people, ticket):
    assert ticket.team == people.first_line
    reindex(ticket)
    assert found(people.alice, "invoice") == [ticket.pk]
    assert found(people.bob, "invoice") == []
    assert found(people.bob, f"#{ticket.pk}") == []


def test_customers_find_their_own_tickets_and_a_manager_the_organisations(people):
    mine = open_as(people, people.carol, "Printer jam", "The printer jams on page two.")
    colleague = open_as(people, people.erin, "Printer toner", "The printer is out of toner.")
    stranger = open_as(people, people.dan, "Printer cable", "The printer cable is loose.")
    assert set(found(people.carol, "printer")) == {mine.pk}
    assert set(found(people.erin, "printer")) == {colleague.pk}
    assert set(found(people.maria, "printer")) == {mine.pk, colleague.pk}
    assert set(found(people.dan, "printer")) == {stranger.pk}
    assert set(found(people.sam, "printer")) == {mine.pk, colleague.pk, stranger.pk}


def test_contacts_and_organisations_are_for_staff(people, ticket):
    people.dan.phone = "+44 20 7946 0958"
    people.dan.save()
    reindex(ticket)
    from frontline.search.indexing import index_contacts, index_organisations

    index_contacts([people.dan.pk])
    index_organisations([people.globex.pk, people.acme.pk])
    assert selectors.search(people.alice, "carol").contacts == [people.carol]
    assert selectors.search(people.alice, "dan@example.com").contacts == [people.dan]
    assert selectors.search(people.alice, "02079460958").contacts == [people.dan]
    assert selectors.search(people.alice, "globex").organisations == [people.globex]
    assert selectors.search(people.alice, "acme.test").organisations == [people.acme]
    for customer in (people.carol, people.maria):
        results = selectors.search(customer, "carol acme")
        assert results.contacts == [] and results.organisations == []


def test_case_and_diacritics_are_ignored_in_every_script(people):
    quasar = open_as(people, people.carol, "Сервер Квазар не отвечает", "Ошибка на ёлке")
    summer = open_as(people, people.carol, "Été", "Réunion")
    assert found(people.sam, "квазар") == [quasar.pk]
    assert found(people.sam, "КВАЗАР") == [quasar.pk]
    assert found(people.sam, "елке") == [quasar.pk]
    assert found(people.sam, "ÉTÉ") == [summer.pk]
    assert found(people.sam, "ete reunion") == [summer.pk]
    hit = selectors.search(people.sam, "квазар").tickets[0]
    assert "<mark>Квазар</mark>" in hit.title


def test_chinese_words_are_found_inside_sentences(people):
    refund = open_as(people, people.carol, "退款申请", "您好，我想申请退款，谢谢。")
    kylin = open_as(people, people.carol, "登录问题", "我们的麒麟系统无法登录")
    assert found(people.sam, "退款") == [refund.pk]
    assert found(people.sam, "申请退款") == [refund.pk]
    assert found(people.sam, "麒麟") == [kylin.pk]
    assert found(people.sam, "麒麟系统") == [kylin.pk]
    assert found(people.sam, "退货") == []
    assert found(people.sam, "系统麒麟") == []  # the characters in that order only
    hit = selectors.search(people.sam, "麒麟").tickets[0]
    assert "<mark>麒麟</mark>" in hit.snippet


def test_mixed_language_text_in_one_message(people):
    ticket = open_as(people, people.carol, "Mixed", "Printer 打印机 не печатает since Monday")
    for word in ("printer", "打印", "печатает", "monday"):
        assert found(people.sam, word) == [ticket.pk], word


def test_phrases_exclusions_and_or(people):
    both = open_as(people, people.carol, "Invoice", "charged twice for March")
    once = open_as(people, people.carol, "Invoice", "charged for March, twice checked")
    other = open_as(people, people.carol, "Refund", "a refund for April")
    assert set(found(people.sam, "charged twice")) == {both.pk, once.pk}
    assert found(people.sam, '"charged twice"') == [both.pk]
    assert found(people.sam, "invoice -checked") == [both.pk]
    assert set(found(people.sam, "april OR march")) == {both.pk, once.pk, other.pk}
    assert found(people.sam, "refund OR nothing april") == [other.pk]


@pytest.mark.parametrize(
    "text",
    [
        '"',
        '"unbalanced quote',
        "*",
        "NEAR(",
        'NEAR("a" "b", 2)',
        "AND OR",
        "OR",
        "NOT",
        "-",
        "-invoice",
        "--",
        "{title}: invoice",
        "title:invoice",
        "^invoice",
        "invoice*",
        "'; DROP TABLE search_ticket; --",
        "(((",
        "\\",
        "\x00",
        "inv\x00oice",
        "team:\x00",
        "tag:a\x00b",
        'org:"a\x00b"',
        "requester:\x00@example.com",
        "created:9999-12-31",
        "updated:>9999-12-31",
        "created:<0001-01-01",
        "updated:<9999w",
        "|",
        "OR OR invoice",
        "NOT NOT",
        "invoice NEAR/2 march",
        "a" * 5000,
        " ".join(["invoice"] * 200),
    ],
)
def test_malformed_queries_never_fail(people, ticket, text):
    reindex(ticket)
    results = selectors.search(people.sam, text)
    assert results.tickets == [] or results.tickets[0].ticket.pk == ticket.pk
    assert selectors.search(people.carol, text).query == results.query


def test_malformed_queries_are_read_as_their_words(people, ticket):
    reindex(ticket)
    for text in ('"invoice', "invoice*", "(invoice)", "invoice AND OR", "^invoice:"):
        assert found(people.sam, text) == [ticket.pk], text
    words = selectors.search(people.sam, "NEAR(invoice, 2)").query.words
    assert words == parse_query("near invoice 2").words
    words = selectors.search(people.sam, "{subject}: invoice").query.words
    assert words == parse_query("subject invoice").words
    for text in ('"', "*", "AND OR", "-invoice", "NOT invoice"):
        assert selectors.search(people.sam, text).query.is_empty, text


def test_a_subject_match_ranks_above_a_message_match_and_recent_first_among_equals(people):
    in_body = open_as(people, people.carol, "Question", "Something about the modem")
    in_subject = open_as(people, people.carol, "Modem", "It blinks")
    older = open_as(people, people.carol, "Scanner", "It hums")
    newer = open_as(people, people.carol, "Scanner", "It hums")
    Ticket.objects.filter(pk=older.pk).update(updated_at=older.updated_at.replace(year=2020))
    assert found(people.sam, "modem") == [in_subject.pk, in_body.pk]
    assert found(people.sam, "scanner") == [newer.pk, older.pk]


def test_the_index_follows_the_ticket(people, ticket):
    reindex(ticket)
    assert found(people.sam, "gremlin") == []
    actions.add_reply(ticket, body="A gremlin ate the invoice.", by=people.alice)
    reindex(ticket)
    assert found(people.sam, "gremlin") == [ticket.pk]
    reindex(ticket)  # twice is harmless
    assert found(people.sam, "gremlin") == [ticket.pk]


def test_form_answers_and_file_names_are_found(people):
    ticket = actions.open_ticket(
        requester=people.carol,
        by=people.carol,
        subject="Broken",
        body="See the photo.",
        category=people.hardware,
        fields={"serial": "SN-778899", "model": "Printer"},
    )
    reindex(ticket)
    assert found(people.sam, "778899") == [ticket.pk]
    assert found(people.carol, "sn 778899") == [ticket.pk]


def test_pages_are_bounded(people):
    tickets = [open_as(people, people.carol, f"Fax {i}", "fax machine") for i in range(25)]
    first = selectors.search(people.sam, "fax")
    assert len(first.tickets) == selectors.PAGE_SIZE and first.has_next
    assert first.ticket_count == 25
    second = selectors.search(people.sam, "fax", page=2)
    assert len(second.tickets) == 5 and not second.has_next
    seen = {h.ticket.pk for h in first.tickets} | {h.ticket.pk for h in second.tickets}
    assert seen == {t.pk for t in tickets}
    assert selectors.search(people.sam, "fax", page=10**9).tickets == []


def test_ticket_numbers():
    assert selectors.ticket_number("1042") == 1042
    assert selectors.ticket_number(" #1042 ") == 1042
    assert selectors.ticket_number("1042 printer") is None
    assert selectors.ticket_number("#") is None


def test_reindex_indexes_everything_and_resumes(people):
    from io import StringIO

    from django.core.management import call_command
    from django.core.management.base import CommandError
    from django.db import connection

    tickets = [
        actions.open_ticket(
            requester=people.carol, by=people.carol, subject=f"Plotter {i}", body="plotter"
        )
        for i in range(5)
    ]
    with connection.cursor() as cursor:  # the index lost, as after a restore
        cursor.execute("DELETE FROM search_ticket")
    assert found(people.sam, "plotter") == []
    out = StringIO()
    call_command("search", "reindex", "--kind", "tickets", "--after", tickets[2].pk, stdout=out)
    assert set(found(people.sam, "plotter")) == {t.pk for t in tickets[3:]}
    call_command("search", "reindex", "--batch", "2", stdout=out)
    assert set(found(people.sam, "plotter")) == {t.pk for t in tickets}
    assert "tickets: 5 indexed" in out.getvalue()
    assert "tickets [" + "#" * 30 + "] 100% 5/5" in out.getvalue()
    gone = tickets[0].pk
    Ticket.objects.filter(pk=gone).delete()
    call_command("search", "reindex", "--kind", "tickets", stdout=out)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM search_ticket WHERE rowid = %s", [gone])
        assert cursor.fetchone()[0] == 0
    assert selectors.search(people.sam, "globex").organisations == [people.globex]
    assert selectors.search(people.sam, "maria").contacts == [people.maria]
    with pytest.raises(CommandError):
        call_command("search", "reindex", "--after", "3")
    with pytest.raises(CommandError):
        call_command("search", "reindex", "--batch", "0")


def test_reindex_shows_a_bar_and_says_how_to_resume_when_interrupted(people, monkeypatch):
    from io import StringIO

    from django.core.management import call_command
    from django.core.management.base import CommandError

    from frontline.search import indexing

    tickets = [
        actions.open_ticket(requester=people.carol, by=people.carol, subject=f"Lathe {i}", body="x")
        for i in range(4)
    ]
    done = tickets[1].pk
    real = indexing.rebuild

    def stopped(kind, **options):  # Ctrl-C after two tickets' batch
        for last, count in real(kind, **options):
            yield last, count
            if last >= done:
                raise KeyboardInterrupt

    monkeypatch.setattr("frontline.search.management.commands.search.rebuild", stopped)
    out = StringIO()
    first = Ticket.objects.order_by("pk").first().pk
    total = Ticket.objects.count()
    with pytest.raises(CommandError) as stop:
        call_command("search", "reindex", "--kind", "tickets", "--batch", "1", stdout=out)
    assert f"frontline search reindex --kind tickets --after {done}" in str(stop.value)
    shown = out.getvalue()
    assert f"tickets [{'-' * 30}]   0% 0/{total}" in shown
    half = done - first + 1
    assert f"{half}/{total}" in shown and f"(last id {done})" in shown
    # The old name still works.
    monkeypatch.setattr("frontline.search.management.commands.search.rebuild", real)
    call_command("search", "rebuild", "--kind", "tickets", "--after", done, stdout=out)
    assert f"tickets: {total - half} indexed" in out.getvalue()


@pytest.mark.skipif(connection.vendor != "sqlite", reason="FTS5's merge setting")
def test_a_rebuild_writes_with_fts5_automerge_off_and_puts_it_back(people):
    """Each commit into a big FTS5 index would merge segments (seconds of CPU a
    batch on a million tickets): a rebuild turns automerge off while it writes
    and puts back what was there, also when stopped half-way."""
    from frontline.search import indexing

    tickets = [
        actions.open_ticket(requester=people.carol, by=people.carol, subject=f"Anvil {i}", body="x")
        for i in range(3)
    ]

    def automerge():
        with connection.cursor() as cursor:
            cursor.execute("SELECT v FROM search_ticket_config WHERE k = 'automerge'")
            row = cursor.fetchone()
            return row[0] if row else None

    assert automerge() is None  # never set: FTS5's default, 4
    during = [automerge() for _ in indexing.rebuild("tickets", batch=1)]
    assert during == [0] * Ticket.objects.count() and automerge() == 4
    assert set(found(people.sam, "anvil")) == {t.pk for t in tickets}
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO search_ticket (search_ticket, rank) VALUES ('automerge', 8)")
    steps = indexing.rebuild("tickets", batch=1)
    next(steps)
    assert automerge() == 0
    steps.close()  # as when the command is interrupted
    assert automerge() == 8


def test_the_indexing_task_shrugs_at_an_event_that_is_gone(people, ticket):
    assert index_ticket(10**9) is None
    assert index_ticket(ticket.events.latest("id").pk) == ticket.pk
    assert selectors.search(people.alice, "carol").contacts == [people.carol]
    assert selectors.search(people.alice, "acme").organisations == [people.acme]


def test_a_new_ticket_writes_its_requester_and_organisation_only_when_they_changed(
    people, ticket, django_assert_num_queries
):
    reindex(ticket)  # Carol and Acme indexed with her first ticket
    second = actions.open_ticket(
        requester=people.carol, by=people.carol, subject="Toner", body="Out of toner."
    )
    # The latest event (the helper's, 1); the event with its ticket's people (1);
    # savepoint; the ticket's row: the ticket, its messages, its files, then
    # savepoint, delete, insert, release (7); Carol built and her stored row read
    # (2), Acme with its domains and its stored row (3), both the same: not
    # written again (22 when each was deleted and inserted in its savepoint);
    # release.
    with django_assert_num_queries(16):
        reindex(second)
    assert found(people.sam, "toner") == [second.pk]
    assert selectors.search(people.alice, "carol").contacts == [people.carol]
    people.carol.last_name = "Zebrafish"
    people.carol.save()
    people.acme.domains.create(domain="acme-labs.test")
    third = actions.open_ticket(
        requester=people.carol, by=people.carol, subject="Paper", body="Out of paper."
    )
    reindex(third)  # the next ticket brings what changed about them
    assert selectors.search(people.alice, "zebrafish").contacts == [people.carol]
    assert selectors.search(people.alice, "acme-labs.test").organisations == [people.acme]


def test_changes_reach_the_index_through_the_reactions_table(
    people, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        ticket = actions.open_ticket(
            requester=people.carol, by=people.carol, subject="Hovercraft", body="eels"
        )
    assert found(people.sam, "eels") == [ticket.pk]
    with django_capture_on_commit_callbacks(execute=True):
        actions.add_note(ticket, body="octopus", by=people.sam)
    assert found(people.sam, "octopus") == [ticket.pk]
    with django_capture_on_commit_callbacks(execute=True):
        actions.assign_ticket(ticket, assignee=people.bob, by=people.sam, note="ask about squid")
    assert found(people.bob, "squid") == [ticket.pk]
    assert found(people.carol, "squid") == []


def test_filters_narrow_the_tickets_and_alone_list_the_latest(people):
    import datetime

    from frontline.tickets.models import Priority, Status

    old = open_as(people, people.carol, "Printer old", "toner")
    mine = open_as(people, people.dan, "Printer mine", "toner")
    actions.assign_ticket(mine, assignee=people.alice, by=people.alice)
    actions.change_priority(mine, priority=Priority.HIGH, by=people.alice)
    actions.set_tags(mine, names=["vip"], by=people.alice)
    actions.change_status(old, status=Status.RESOLVED, by=people.alice)
    Ticket.objects.filter(pk=old.pk).update(
        created_at=datetime.datetime(2025, 3, 1, tzinfo=datetime.UTC)
    )
    sam, alice = people.sam, people.alice
    assert found(sam, "status:open") == [mine.pk]
    assert found(sam, "printer status:resolved") == [old.pk]
    assert found(alice, "assignee:me") == [mine.pk]
    assert found(sam, "assignee:alice printer") == [mine.pk]
    assert found(sam, "assignee:none") == [old.pk]
    assert found(sam, 'team:"first line" priority:high') == [mine.pk]
    assert found(sam, "tag:VIP") == [mine.pk]
    assert found(sam, "requester:carol@example.com") == [old.pk]
    assert found(sam, "org:globex") == [mine.pk]
    assert found(sam, "category:billing toner") == [old.pk, mine.pk]  # the latest change first
    assert found(sam, "created:<2026-01-01") == [old.pk]
    assert found(sam, "created:>2025-03-01") == [mine.pk]
    assert found(sam, "created:2025-03-01") == [old.pk]
    assert found(sam, "created:<7d") == [mine.pk]
    assert found(sam, "updated:<7d channel:web") == [old.pk, mine.pk]
    # Filters never widen what a user may see.
    assert found(people.carol, "status:resolved") == [old.pk]
    assert found(people.carol, "status:open") == []
    assert found(people.bob, "status:open") == []


def test_a_filter_value_that_means_nothing_is_said_so(people, ticket):
    for text, message in (
        ("status:bogus", "status: “bogus” is not one of new, open"),
        ("priority:max printer", "priority: “max” is not one of low, normal, high, urgent."),
        ("created:yesterday", "created: “yesterday” is not a date"),
        ("updated:<7y", "updated: “<7y” is not a date"),
        ("status:open -printer", "A search cannot only exclude words"),
    ):
        results = selectors.search(people.sam, text)
        assert results.tickets == [] and any(message in e for e in results.errors), text
    # An unknown key is two words, as before.
    assert selectors.search(people.sam, "colour:red").query.words == ["colour", "red"]
    assert selectors.search(people.sam, "colour:red").errors == []


def test_russian_and_english_words_are_found_in_other_forms(people):
    printers = open_as(people, people.carol, "Принтеры не печатают", "Our printers are jammed")
    one = open_as(people, people.carol, "Принтер", "The printer")
    assert set(found(people.sam, "принтера")) == {printers.pk, one.pk}
    assert set(found(people.sam, "ПРИНТЕРОВ")) == {printers.pk, one.pk}
    assert set(found(people.sam, "printer")) == {printers.pk, one.pk}
    assert found(people.sam, "печатать") == [printers.pk]
    assert found(people.sam, '"printers are jammed"') == [printers.pk]
    hit = selectors.search(people.sam, "printer jam").tickets
    assert [h.ticket.pk for h in hit] == [printers.pk]
    assert hit[0].snippet == "Our <mark>printers</mark> are <mark>jammed</mark>"


def test_past_the_rank_cap_the_newest_matches_come_first(people, monkeypatch):
    monkeypatch.setattr(selectors, "RANK_CAP", 3)
    best = open_as(people, people.carol, "Gizmo gizmo gizmo", "gizmo")
    others = [open_as(people, people.carol, f"Ticket {i}", "a gizmo") for i in range(3)]
    results = selectors.search(people.sam, "gizmo")
    assert results.broad and results.ticket_count == 4  # exact past the rank cap
    assert [h.ticket.pk for h in results.tickets] == [t.pk for t in reversed(others)] + [best.pk]
    assert found(people.bob, "gizmo") == []  # still only what they may see
    narrow = selectors.search(people.sam, "gizmo OR nothing 1")
    assert not narrow.broad and [h.ticket.pk for h in narrow.tickets] == [others[1].pk]


def test_the_total_is_exact_up_to_the_cap_then_says_more(people, monkeypatch):
    monkeypatch.setattr(selectors, "TOTAL_CAP", 4)
    monkeypatch.setattr(selectors, "PAGE_SIZE", 2)  # the total is counted, not the page
    for i in range(4):
        open_as(people, people.carol, f"Sprocket {i}", "sprocket")
    four = selectors.search(people.sam, "sprocket")
    assert (four.ticket_count, four.more_tickets) == (4, False)
    open_as(people, people.carol, "Sprocket 4", "sprocket")
    five = selectors.search(people.sam, "sprocket")
    assert (five.ticket_count, five.more_tickets) == (4, True)
    assert len(five.tickets) == 2 and five.has_next
    # Filters alone are counted the same way.
    assert selectors.search(people.sam, "status:new").more_tickets
    # Only what the user may see is counted: Bob's team sees none of Carol's.
    bobs = selectors.search(people.bob, "sprocket")
    assert (bobs.ticket_count, bobs.more_tickets, bobs.tickets) == (0, False, [])


def test_the_total_is_counted_over_at_most_ten_thousand_and_one_rows(people, ticket, monkeypatch):
    """An exact total up to 10,000 without counting every match: past the first
    RANK_CAP ids, the count is of a subquery that stops at 10,001 rows, however
    common the word."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    reindex(ticket)
    assert selectors.TOTAL_CAP == 10_000 and selectors.RANK_CAP == 1000
    monkeypatch.setattr(selectors, "RANK_CAP", 1)  # one match is "many"

    def count_statement(user, text):
        with CaptureQueriesContext(connection) as queries:
            results = selectors.search(user, text)
        assert results.ticket_count == 1 and not results.more_tickets and results.broad
        counts = [q["sql"] for q in queries if "LIMIT 10001" in q["sql"]]
        assert len(counts) == 1, counts
        return counts[0]

    # Who sees every ticket is counted over the index alone, no join to tickets
    # (on PostgreSQL by fetching the ids in one pass: its GIN index reads every
    # match before the first row, so a count after the first ids read them twice);
    count = count_statement(people.sam, "invoice")
    assert "tickets_ticket" not in count
    assert ("COUNT(" in count) is (connection.vendor == "sqlite")
    # a filter, or an agent's team visibility, needs the tickets: their ids are
    # fetched, up to the cap, in one pass (no count after it).
    for user, text in ((people.sam, "invoice status:new"), (people.alice, "invoice")):
        count = count_statement(user, text)
        assert "tickets_ticket" in count and "COUNT(" not in count


def test_few_matches_are_read_once_counted_and_ranked_among_themselves(people, ticket):
    """Under RANK_CAP visible matches, the first RANK_CAP ids are all of them: no
    count, and the ranked page reads only those ids' index rows (on SQLite the
    full-text query runs once, not once per id)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    reindex(ticket)
    for user, text in ((people.sam, "invoice"), (people.sam, "invoice status:new"),
                       (people.alice, "invoice")):  # fmt: skip
        with CaptureQueriesContext(connection) as queries:
            results = selectors.search(user, text)
        assert [h.ticket.pk for h in results.tickets] == [ticket.pk] and not results.broad
        assert results.ticket_count == 1 and not results.more_tickets
        words = [
            q for q in queries if "search_ticket" in q["sql"] and not q["sql"].startswith("EXPLAIN")
        ]
        assert not any("COUNT(" in q["sql"].upper() for q in words), words
        if ":" in text and connection.vendor == "sqlite":
            # With filters, the one walk of the matches ranks them as well.
            assert len(words) == 1 and "bm25(" in words[0]["sql"], words
            continue
        assert "LIMIT 1000" in words[0]["sql"] and len(words) == 2, words
        ranked = words[1]["sql"]
        assert ("rowid = ANY(" if connection.vendor == "postgresql" else "+") in ranked
        if connection.vendor == "sqlite":
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN QUERY PLAN " + ranked)
                plan = " / ".join(row[-1] for row in cursor.fetchall())
            # MATCH alone (0:M…), no rowid handed to FTS5 (0:=M…).
            assert "search_ticket VIRTUAL TABLE INDEX 0:M" in plan, plan


def test_what_the_planner_expects_to_be_many_is_shown_as_more_without_a_count(people, monkeypatch):
    """On PostgreSQL, a query its planner expects to match SURELY_MANY tickets
    or more skips the count: the total says "more than the cap" and the page is
    the newest matches. A page that ends before it is full is counted as it is,
    whatever was expected. SQLite always counts (up to the cap)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    monkeypatch.setattr(selectors, "SURELY_MANY", 1)  # every estimate is "many"
    monkeypatch.setattr(selectors, "PAGE_SIZE", 2)
    gaskets = [open_as(people, people.carol, f"Gasket {i}", "a gasket") for i in range(3)]
    sprocket = open_as(people, people.carol, "Sprocket", "one sprocket")
    postgres = connection.vendor == "postgresql"
    for user in (people.sam, people.alice):
        with CaptureQueriesContext(connection) as queries:
            many = selectors.search(user, "gasket")
        assert [h.ticket.pk for h in many.tickets] == [gaskets[2].pk, gaskets[1].pk]
        # Only for someone who sees every ticket: an agent's view narrowed to
        # their teams is always counted (words follow teams; the planner's
        # estimate assumes they do not).
        guessed = postgres and user == people.sam
        assert many.has_next and many.broad is guessed
        assert (many.more_tickets, many.ticket_count) == (
            (True, selectors.TOTAL_CAP) if guessed else (False, 3)
        )
        if guessed:
            assert not any("LIMIT 10001" in q["sql"] for q in queries)
        # Filters narrow the view the same way: counted.
        filtered = selectors.search(user, "gasket status:new")
        assert (filtered.ticket_count, filtered.more_tickets) == (3, False)
        few = selectors.search(user, "sprocket")
        assert [h.ticket.pk for h in few.tickets] == [sprocket.pk]
        assert (few.ticket_count, few.more_tickets, few.has_next) == (1, False, False)
        none = selectors.search(user, "flywheel")
        assert (none.ticket_count, none.more_tickets, none.tickets) == (0, False, [])
    # Past the first page, a short page still says how many there are.
    last = selectors.search(people.sam, "gasket", page=2)
    assert [h.ticket.pk for h in last.tickets] == [gaskets[0].pk]
    assert (last.ticket_count, last.more_tickets, last.has_next) == (3, False, False)


def test_few_visible_among_many_matches_are_ranked_best_first(people, monkeypatch):
    monkeypatch.setattr(selectors, "RANK_CAP", 5)
    monkeypatch.setattr(selectors, "PAGE_SIZE", 2)
    for i in range(8):
        open_as(people, people.carol, f"Widget {i}", "a widget")
    for i in range(12):
        open_as(people, people.carol, f"Gasket {i}", "a gasket")
    weak = open_as(people, people.carol, "Spare part", "a widget")
    best = open_as(people, people.carol, "Widget widget widget", "widget widget")
    middle = open_as(people, people.carol, "Widget", "widget part")
    Ticket.objects.filter(pk__in=[weak.pk, best.pk, middle.pk]).update(priority=Priority.HIGH)
    first = selectors.search(people.sam, "widget priority:high")
    assert not first.broad and first.ticket_count == 3 and first.has_next
    second = selectors.search(people.sam, "widget priority:high", page=2)
    assert not second.has_next and second.ticket_count == 3
    order = [h.ticket.pk for h in first.tickets + second.tickets]
    assert order == [best.pk, middle.pk, weak.pk]
    # Past the cap, the same words are newest first, and all counted.
    many = selectors.search(people.sam, "widget")
    assert many.broad and many.ticket_count == 11
    assert [h.ticket.pk for h in many.tickets] == [middle.pk, best.pk]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's planner")
def test_the_count_leaves_the_planner_as_it_found_it(people, ticket):
    """The count holds PostgreSQL's planner to the GIN index with SET LOCAL; the
    statements after it, in the same transaction, plan as usual."""
    from django.db import transaction

    reindex(ticket)
    with transaction.atomic(), connection.cursor() as cursor:
        assert selectors.search(people.alice, "invoice").ticket_count == 1
        cursor.execute("SHOW enable_seqscan")
        assert cursor.fetchone() == ("on",)
        cursor.execute("SHOW enable_indexscan")
        assert cursor.fetchone() == ("on",)


def test_relevance_a_fixed_set_of_queries_and_the_ticket_that_comes_first(people):
    """Issue 14's relevance set: for each query, the ticket that must come first,
    on either engine, whatever the order the tickets were written in."""
    in_subject = {
        "printer": open_as(people, people.carol, "Printer jams on page one", "Since Monday."),
        "принтер": open_as(people, people.carol, "Принтер не печатает", "С утра."),
        "退款": open_as(people, people.carol, "申请退款", "上个月重复扣费。"),
    }
    phrase = open_as(people, people.carol, "Billing", "We were charged twice for March.")
    apart = open_as(people, people.carol, "Billing", "Charged once, then twice refused.")
    # Newer tickets that only mention the words in a message, to be outranked.
    open_as(people, people.carol, "Office", "The printer on floor 3 needs toner.")
    open_as(people, people.carol, "Офис", "Заменили картридж принтера на третьем этаже.")
    open_as(people, people.carol, "账单", "我想申请退款，谢谢。")
    for text, first in [
        ("printer", in_subject["printer"]),
        ("PRINTERS", in_subject["printer"]),
        ("принтера", in_subject["принтер"]),
        ("退款", in_subject["退款"]),
    ]:
        hits = found(people.sam, text)
        assert len(hits) == 2 and hits[0] == first.pk, text
    assert found(people.sam, '"charged twice"') == [phrase.pk]
    assert set(found(people.sam, "charged twice")) == {phrase.pk, apart.pk}


def test_a_filter_that_leaves_few_tickets_tests_the_matches_against_their_ids(people, monkeypatch):
    """With filters that leave at most POOL_CAP visible tickets, the matches are
    read from the index and tested against those tickets' ids (a subquery, made a
    temporary b-tree once by SQLite): no ticket row is read per match. Past the
    cap, the matches are joined to the tickets as before; the same answers
    either way, and never a ticket the user may not see."""
    from django.test.utils import CaptureQueriesContext

    from frontline.tickets.models import Status

    monkeypatch.setattr(selectors, "RANK_CAP", 2)  # three matches are "many"
    tickets = [open_as(people, people.carol, f"Gadget {i}", "a gadget") for i in range(5)]
    for t in tickets[:4]:
        actions.change_priority(t, priority=Priority.HIGH, by=people.sam)
    actions.change_status(tickets[0], status=Status.RESOLVED, by=people.sam)
    Ticket.objects.filter(pk=tickets[3].pk).update(team=people.second_line)
    for t in tickets:
        reindex(t)
    high_open = [tickets[3].pk, tickets[2].pk, tickets[1].pk]  # newest first: past the cap

    def run(user, text):
        with CaptureQueriesContext(connection) as queries:
            results = selectors.search(user, text)
        return results, [q["sql"] for q in queries if "search_ticket" in q["sql"]]

    results, statements = run(people.sam, "gadget status:open priority:high")
    assert [h.ticket.pk for h in results.tickets] == high_open and results.broad
    assert results.ticket_count == 3
    among = "+" if connection.vendor == "sqlite" else ""
    subquery = f'{among}"search_ticket".rowid IN (SELECT'
    assert all(subquery in sql for sql in statements), statements
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN QUERY PLAN " + statements[0])
            plan = " / ".join(row[-1] for row in cursor.fetchall())
        # FTS5 reads the matches (0:M…, no rowid handed to it); the ids are a list.
        assert "search_ticket VIRTUAL TABLE INDEX 0:M" in plan, plan
        assert "LIST SUBQUERY" in plan, plan
    # An agent of the first line does not see the second line's ticket.
    results, _ = run(people.alice, "gadget status:open priority:high")
    assert [h.ticket.pk for h in results.tickets] == high_open[1:]
    assert results.ticket_count == 2
    results, _ = run(people.carol, "gadget status:open priority:high")  # her own, public words
    assert [h.ticket.pk for h in results.tickets] == high_open
    # Past the cap the tickets are joined per match: the same answers.
    monkeypatch.setattr(selectors, "POOL_CAP", 2)
    results, statements = run(people.sam, "gadget status:open priority:high")
    assert [h.ticket.pk for h in results.tickets] == high_open
    assert not any(subquery in sql for sql in statements), statements
    results, _ = run(people.alice, "gadget status:open priority:high")
    assert [h.ticket.pk for h in results.tickets] == high_open[1:]
    assert found(people.bob, "gadget priority:high") == [tickets[3].pk]  # his team's only
