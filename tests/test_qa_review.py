"""QA review: a supervisor scores an agent's resolved tickets on the team's
scorecard; the agent reads the reviews of their own work, nobody else's;
the averages reach the report. Pinned on tickets whose answers are worked out
below."""

import csv
import datetime
import io
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from frontline.reports.access import review_sample, visible_reviews
from frontline.reports.actions import review_ticket
from frontline.reports.metrics import build_report
from frontline.reports.models import QaReview, QaScore, Scorecard
from frontline.tickets import actions
from frontline.tickets.models import Status
from tests.conftest import login

MONDAY = datetime.date(2026, 3, 9)


def at(day: int, hour: int) -> datetime.datetime:
    return datetime.datetime(2026, 3, day, hour, tzinfo=datetime.UTC)


@pytest.fixture
def card(people):
    """The scorecard of every team: Tone, then Correct."""
    card = Scorecard.objects.create(name="Every reply")
    card.criteria.create(name="Tone", guidance="Friendly, plain words", position=1)
    card.criteria.create(name="Correct", position=2)
    return card


@pytest.fixture
def handled(people, django_capture_on_commit_callbacks):
    """Makes a ticket ``agent`` took, answered and resolved on 2026-03-<day>
    (with its reactions: the report's rollup)."""

    def make(subject, *, agent, day, team=None):
        with django_capture_on_commit_callbacks(execute=True):
            return _handled(people, subject, agent=agent, day=day, team=team)

    return make


def _handled(people, subject, *, agent, day, team=None):
    with time_machine.travel(at(day, 9), tick=False):
        ticket = actions.open_ticket(
            requester=people.carol,
            by=people.carol,
            subject=subject,
            body="My printer prints nothing.",
            category=people.billing,
        )
        actions.assign_ticket(
            ticket, by=people.sam, assignee=agent, team=team or people.first_line, note="Yours"
        )
        actions.add_reply(ticket, body=f"Answer to {subject}: restart the spooler.", by=agent)
        actions.change_status(ticket, status=Status.RESOLVED, by=agent)
    ticket.refresh_from_db()
    return ticket


def scores_for(card, tone, correct):
    tone_c, correct_c = card.criteria.all()
    return {tone_c.pk: tone, correct_c.pk: correct}


def post_review(client, ticket, card, tone, correct, comment=""):
    tone_c, correct_c = card.criteria.all()
    return client.post(
        f"/desk/qa/tickets/{ticket.pk}/review/",
        {f"criterion_{tone_c.pk}": tone, f"criterion_{correct_c.pk}": correct, "comment": comment},
        follow=True,
    )


def test_supervisor_reviews_a_resolved_ticket_and_sees_a_confirmation(
    client, people, card, handled
):
    ticket = handled("Printer", agent=people.alice, day=10)
    login(client, people.sam)
    page = client.get(f"/desk/qa/tickets/{ticket.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Answer to Printer: restart the spooler." in html  # the agent's reply, to judge
    assert "Tone" in html and "Friendly, plain words" in html

    response = post_review(client, ticket, card, 4, 5, comment="Clear steps.")
    assert response.status_code == 200
    assert response.redirect_chain[-1][0].startswith("/desk/qa/reviews/")
    html = response.content.decode()
    assert "Review saved: 4.50 of 5 for Alice Agent on #" in html
    review = QaReview.objects.get()
    # (4 + 5) / 2
    assert (review.agent, review.reviewer, review.score) == (
        people.alice,
        people.sam,
        Decimal("4.50"),
    )
    assert (review.team, review.comment) == (people.first_line, "Clear steps.")
    assert sorted(QaScore.objects.values_list("score", flat=True)) == [4, 5]


def test_reviewing_again_changes_the_one_review(people, card, handled):
    ticket = handled("Printer", agent=people.alice, day=10)
    review_ticket(ticket, scores=scores_for(card, 2, 3), comment="Slow", by=people.sam)
    again = review_ticket(ticket, scores=scores_for(card, 5, 4), comment="Fine", by=people.ada)
    assert QaReview.objects.count() == 1 and QaScore.objects.count() == 2
    assert (again.score, again.reviewer, again.comment) == (Decimal("4.50"), people.ada, "Fine")


def test_the_teams_own_scorecard_comes_before_the_one_for_every_team(people, card, handled):
    own = Scorecard.objects.create(name="Second line's", team=people.second_line)
    depth = own.criteria.create(name="Depth of diagnosis")
    ticket = handled("Server", agent=people.bob, day=10, team=people.second_line)
    with pytest.raises(ValidationError, match="Depth of diagnosis"):
        review_ticket(ticket, scores=scores_for(card, 5, 5), by=people.sam)
    review = review_ticket(ticket, scores={depth.pk: 2}, by=people.sam)
    assert (review.scorecard, review.score) == (own, Decimal("2.00"))


def test_what_cannot_be_reviewed_is_refused(people, card, handled):
    ticket = handled("Printer", agent=people.alice, day=10)
    for outsider in (people.alice, people.bob, people.carol):
        with pytest.raises(PermissionDenied):
            review_ticket(ticket, scores=scores_for(card, 5, 5), by=outsider)
    with pytest.raises(ValidationError, match="from 1 to 5"):
        review_ticket(ticket, scores=scores_for(card, 6, 5), by=people.sam)
    with pytest.raises(ValidationError, match="Score every criterion"):
        review_ticket(ticket, scores={card.criteria.first().pk: 5}, by=people.sam)
    people.first_line.members.add(people.sam)
    own_work = handled("Mine", agent=people.sam, day=10)
    with pytest.raises(ValidationError, match="own work"):
        review_ticket(own_work, scores=scores_for(card, 5, 5), by=people.sam)
    actions.change_status(ticket, status=Status.OPEN, by=people.alice)
    with pytest.raises(ValidationError, match="resolved or closed"):
        review_ticket(ticket, scores=scores_for(card, 5, 5), by=people.sam)
    card.is_active = False
    card.save()
    other = handled("Other", agent=people.alice, day=10)
    with pytest.raises(ValidationError, match="No scorecard"):
        review_ticket(other, scores={}, by=people.sam)
    assert not QaReview.objects.exists()


def test_bad_scores_over_http_are_form_errors_not_500(client, people, card, handled):
    ticket = handled("Printer", agent=people.alice, day=10)
    login(client, people.sam)
    for tone in ("7", "", "four"):
        response = post_review(client, ticket, card, tone, "5")
        assert response.status_code == 400
        assert "errorlist" in response.content.decode() or "error" in response.content.decode()
    open_one = actions.open_ticket(
        requester=people.carol, by=people.carol, subject="Open", body="x"
    )
    response = post_review(client, open_one, card, "5", "5")
    assert response.status_code == 400
    assert "Only resolved or closed tickets are reviewed." in response.content.decode()
    assert not QaReview.objects.exists()


def test_only_reviewers_review_and_agents_see_only_their_own_reviews(client, people, card, handled):
    alices = handled("Printer", agent=people.alice, day=10)
    bobs = handled("Server", agent=people.bob, day=10, team=people.second_line)
    review = review_ticket(alices, scores=scores_for(card, 3, 4), comment="Ask less", by=people.sam)
    bobs_review = review_ticket(bobs, scores=scores_for(card, 5, 5), by=people.sam)

    login(client, people.alice)
    for url in (
        "/desk/qa/",
        f"/desk/qa/agents/{people.alice.pk}/",
        f"/desk/qa/tickets/{alices.pk}/",
    ):
        assert client.get(url).status_code == 404
    assert post_review(client, alices, card, "5", "5").status_code == 404
    assert QaReview.objects.get(pk=review.pk).score == Decimal("3.50")  # unchanged
    page = client.get(f"/desk/qa/reviews/{review.pk}/")
    assert page.status_code == 200 and "Ask less" in page.content.decode()
    assert client.get(f"/desk/qa/reviews/{bobs_review.pk}/").status_code == 404
    mine = client.get("/desk/qa/mine/").content.decode()
    assert f"#{alices.pk} Printer" in mine and f"#{bobs.pk} Server" not in mine
    assert 'href="/desk/qa/"' not in mine  # no way in shown to an agent

    for customer in (people.carol, people.maria):
        login(client, customer)
        assert client.get(f"/desk/qa/reviews/{review.pk}/").status_code == 404
        assert client.get("/desk/qa/mine/").status_code == 404
    assert list(visible_reviews(people.carol)) == []
    assert set(visible_reviews(people.sam)) == {review, bobs_review}

    login(client, people.sam)
    home = client.get("/desk/qa/?start=2026-03-01&end=2026-03-31")
    assert home.status_code == 200
    assert client.get(f"/desk/qa/reviews/{bobs_review.pk}/").status_code == 200


def test_the_sample_is_the_agents_resolved_tickets_not_yet_reviewed(
    people, card, handled, django_capture_on_commit_callbacks
):
    tickets = [handled(f"P{i}", agent=people.alice, day=10) for i in range(7)]
    handled("Bob's", agent=people.bob, day=10, team=people.second_line)
    handled("Earlier", agent=people.alice, day=2)  # before the period
    with django_capture_on_commit_callbacks(execute=True):  # reopened: not resolved
        actions.change_status(tickets[6], status=Status.OPEN, by=people.alice)
    review_ticket(tickets[0], scores=scores_for(card, 4, 4), by=people.sam)
    sample = review_sample(people.alice, start=MONDAY, end=MONDAY + datetime.timedelta(days=6))
    # Five of the five left: P1..P5 (P0 reviewed, P6 open, Bob's and Earlier outside)
    assert sorted(t.subject for t in sample) == ["P1", "P2", "P3", "P4", "P5"]
    assert review_sample(people.alice, start=MONDAY, end=MONDAY, size=5) == []
    three = review_sample(
        people.alice, start=MONDAY, end=MONDAY + datetime.timedelta(days=6), size=3
    )
    assert len(three) == 3 and {t.subject for t in three} <= {"P1", "P2", "P3", "P4", "P5"}
    # The same pick when the reviewer comes back the same day.
    assert three == review_sample(
        people.alice, start=MONDAY, end=MONDAY + datetime.timedelta(days=6), size=3
    )


def test_the_report_has_each_teams_average_score(client, people, card, handled):
    a = handled("A", agent=people.alice, day=10)
    b = handled("B", agent=people.alice, day=10)
    c = handled("C", agent=people.bob, day=10, team=people.second_line)
    with time_machine.travel(at(11, 12), tick=False):
        review_ticket(a, scores=scores_for(card, 5, 4), by=people.sam)  # 4.50
        review_ticket(b, scores=scores_for(card, 3, 3), by=people.sam)  # 3.00
        review_ticket(c, scores=scores_for(card, 2, 3), by=people.sam)  # 2.50
    report = build_report(MONDAY, MONDAY + datetime.timedelta(days=6), by="team")
    by_team = {r.label: (r.qa_reviews, r.qa_average) for r in report.rows}
    # First line: (4.5 + 3) / 2 = 3.75; all three: (4.5 + 3 + 2.5) / 3 = 3.33
    assert by_team["First line"] == (2, 3.75)
    assert by_team["Second line"] == (1, 2.5)
    assert (report.total.qa_reviews, report.total.qa_average) == (3, 3.33)
    assert (report.previous.qa_reviews, report.previous.qa_average) == (0, None)
    alone = build_report(
        MONDAY, MONDAY + datetime.timedelta(days=6), by="agent", agent=people.alice
    )
    assert (alone.total.qa_reviews, alone.total.qa_average) == (2, 3.75)

    login(client, people.sam)
    rows = list(
        csv.reader(
            io.StringIO(
                client.get(
                    "/desk/reports/report.csv?start=2026-03-09&end=2026-03-15&by=team"
                ).content.decode()
            )
        )
    )
    assert rows[0][-2:] == ["QA reviews", "QA score (average)"]
    assert {r[0]: r[-2:] for r in rows[1:]}["First line"] == ["2", "3.75"]
    login(client, people.alice)
    mine = client.get("/desk/reports/me/?start=2026-03-09&end=2026-03-15").content.decode()
    assert '<th scope="row">QA score (average)</th><td>3.75</td>' in mine


def test_review_pages_take_a_fixed_number_of_queries(
    client, people, card, django_assert_num_queries, handled
):
    tickets = [handled(f"P{i}", agent=people.alice, day=10) for i in range(3)]
    for t in tickets:
        review_ticket(t, scores=scores_for(card, 4, 5), by=people.sam)
    login(client, people.alice)
    # session, user; the reviews, their scores with criteria; the bell
    with django_assert_num_queries(5):
        assert client.get("/desk/qa/mine/").status_code == 200
    for t in [handled(f"Q{i}", agent=people.alice, day=10) for i in range(5)]:
        review_ticket(t, scores=scores_for(card, 3, 5), by=people.sam)
    with django_assert_num_queries(5):
        assert client.get("/desk/qa/mine/").status_code == 200
    login(client, people.sam)
    url = f"/desk/qa/agents/{people.alice.pk}/?start=2026-03-01&end=2026-03-31"
    handled("S", agent=people.alice, day=12)
    # session, user; the agent; the sample's pool and its tickets; the reviews
    # and their scores; the bell
    with django_assert_num_queries(8):
        assert client.get(url).status_code == 200
    for i in range(4):
        handled(f"R{i}", agent=people.alice, day=12)
    with django_assert_num_queries(8):
        assert client.get(url).status_code == 200


def test_the_demo_has_a_scorecard_and_reviews_to_show(client, db):
    from io import StringIO

    from django.core.management import call_command

    from frontline.accounts.models import User

    call_command("demo", stdout=StringIO())
    sam = User.objects.get(username="sam")
    reviews = QaReview.objects.all()
    assert reviews.exists() and all(r.reviewer == sam and r.agent != sam for r in reviews)
    login(client, sam)
    assert client.get("/desk/qa/").status_code == 200
    agent = reviews.first().agent
    login(client, agent)
    assert (
        f"#{reviews.filter(agent=agent).first().ticket_id} "
        in client.get("/desk/qa/mine/").content.decode()
    )
