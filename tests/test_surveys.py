"""The satisfaction survey: invited when a ticket is resolved, answered by a
signed link without signing in, changed within the window, refused with a
clear page when tampered with, meant for another ticket, or expired."""

import datetime
import re

import pytest
import time_machine

from frontline.mail.models import OutboundMessage
from frontline.reports.actions import answer_survey
from frontline.reports.models import SurveyInvitation, SurveyResponse
from frontline.reports.reactions import ask_for_rating
from frontline.tickets import actions
from frontline.tickets.models import EventKind, Status, TicketEvent
from tests.conftest import make_user

START = datetime.datetime(2026, 3, 10, 12, tzinfo=datetime.UTC)


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def resolve(ticket, by):
    actions.change_status(ticket, status=Status.RESOLVED, by=by)
    return TicketEvent.objects.filter(ticket=ticket, kind=EventKind.STATUS).latest("id")


@pytest.fixture
def invited(people, ticket, clock, django_capture_on_commit_callbacks):
    """Carol's ticket resolved by Alice, the reactions run: (invitation, link path)."""
    actions.assign_ticket(ticket, by=people.alice, assignee=people.alice)
    with django_capture_on_commit_callbacks(execute=True):
        resolve(ticket, people.alice)
    mail = OutboundMessage.objects.get(notice="survey")
    path = re.search(r"https?://[^/\s]+(/portal/survey/\S+?/)\?rating=5", mail.body).group(1)
    return SurveyInvitation.objects.get(), path


def test_resolving_invites_the_customer_by_mail_once(people, ticket, invited, settings):
    invitation, path = invited
    assert (invitation.ticket, invitation.customer, invitation.agent, invitation.team) == (
        ticket,
        people.carol,
        people.alice,
        people.first_line,
    )
    mail = OutboundMessage.objects.get(notice="survey")
    assert mail.to_address == people.carol.email
    assert ticket.reference in mail.subject
    assert path in mail.body and "1/5" in mail.body
    # The reaction tried again changes nothing.
    ask_for_rating(invitation.event_id)
    assert SurveyInvitation.objects.count() == 1
    assert OutboundMessage.objects.filter(notice="survey").count() == 1


def test_other_events_invite_nobody(people, ticket, clock):
    actions.change_status(ticket, status=Status.WAITING_CUSTOMER, by=people.alice)
    event = TicketEvent.objects.filter(ticket=ticket, kind=EventKind.STATUS).latest("id")
    ask_for_rating(event.pk)
    created = TicketEvent.objects.get(ticket=ticket, kind=EventKind.CREATED)
    ask_for_rating(created.pk)
    ask_for_rating(10**9)
    assert not SurveyInvitation.objects.exists()


def test_a_ticket_reopened_before_the_reaction_runs_is_not_surveyed(people, ticket, clock):
    event = resolve(ticket, people.alice)
    actions.add_reply(ticket, body="Still broken", by=people.carol)
    ask_for_rating(event.pk)
    assert not SurveyInvitation.objects.exists()


def test_a_staff_requester_is_not_surveyed(people, clock):
    ticket = actions.open_ticket(requester=people.bob, by=people.bob, subject="Mine", body="x")
    event = resolve(ticket, people.sam)
    ask_for_rating(event.pk)
    assert not SurveyInvitation.objects.exists()


def test_customer_answers_without_signing_in_and_can_change_it(client, invited):
    invitation, path = invited
    page = client.get(path + "?rating=2")
    assert page.status_code == 200
    html = page.content.decode()
    assert re.search(r'value="2"[^>]*checked', html)
    assert not SurveyResponse.objects.exists()  # opening the link answers nothing
    response = client.post(path, {"rating": 4, "comment": "Quick and kind"}, follow=True)
    assert "Thank you! Your answer is saved." in response.content.decode()
    assert "You rated it 4 out of 5" in response.content.decode()
    response = client.post(path, {"rating": 2, "comment": "On second thought"}, follow=True)
    assert "Thank you! Your answer is changed." in response.content.decode()
    answer = SurveyResponse.objects.get()
    assert (answer.rating, answer.comment, answer.invitation) == (
        2,
        "On second thought",
        invitation,
    )
    assert answer.changed_at >= answer.answered_at


@pytest.mark.parametrize("rating", ["", "0", "6", "nine"])
def test_a_bad_rating_is_refused_with_the_form_again(client, invited, rating):
    _invitation, path = invited
    response = client.post(path, {"rating": rating})
    assert response.status_code == 400
    assert 'role="alert"' in response.content.decode()
    assert not SurveyResponse.objects.exists()


def test_tampered_link_gets_a_clear_page(client, invited):
    _invitation, path = invited
    token = path.rstrip("/").rsplit("/", 1)[1]
    number = path.split("/")[3]
    for bad in (token[:-1] + ("A" if token[-1] != "A" else "B"), token[:10], "x"):
        response = client.post(f"/portal/survey/{number}/{bad}/", {"rating": 1})
        assert response.status_code == 400
        assert 'data-refused="tampered"' in response.content.decode()
    assert not SurveyResponse.objects.exists()


def test_link_for_another_ticket_is_refused(client, people, invited):
    _invitation, path = invited
    other = actions.open_ticket(requester=people.carol, by=people.carol, subject="2nd", body="x")
    token = path.rstrip("/").rsplit("/", 1)[1]
    response = client.post(f"/portal/survey/{other.pk}/{token}/", {"rating": 1})
    assert response.status_code == 400
    assert 'data-refused="other_ticket"' in response.content.decode()
    assert not SurveyResponse.objects.exists()


def test_expired_link_is_refused_even_after_an_answer(client, invited, clock, settings):
    _invitation, path = invited
    client.post(path, {"rating": 5})
    clock.shift(datetime.timedelta(days=settings.FRONTLINE["SURVEY_DAYS"], seconds=1))
    response = client.post(path, {"rating": 1})
    assert response.status_code == 410
    assert "The time to answer this survey is over" in response.content.decode()
    assert SurveyResponse.objects.get().rating == 5


def test_answer_survey_refuses_ratings_out_of_range(invited):
    from django.core.exceptions import ValidationError

    invitation, _path = invited
    for rating in (0, 6):
        with pytest.raises(ValidationError):
            answer_survey(invitation, rating=rating)


def test_survey_page_works_signed_in_as_someone_else(client, invited):
    """A forwarded link or a shared computer: the link, not the session, decides."""
    _invitation, path = invited
    client.force_login(make_user("zed", "customer"))
    assert client.get(path).status_code == 200


def test_the_customer_finds_the_survey_on_the_portal_too(client, people, ticket, invited):
    _invitation, path = invited
    client.force_login(people.carol)
    page = client.get(f"/portal/tickets/{ticket.pk}/").content.decode()
    assert f'href="{path}"' in page
    client.force_login(people.maria)  # the manager sees the ticket, not the survey
    assert "data-survey" not in client.get(f"/portal/tickets/{ticket.pk}/").content.decode()


def test_the_portal_stops_offering_the_survey_when_it_closes_without_asking(
    client, people, ticket, invited, clock, settings
):
    """Past the window the ticket's own resolution time tells: no survey query."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(people.carol)
    window = datetime.timedelta(days=settings.FRONTLINE["SURVEY_DAYS"])
    clock.shift(window - datetime.timedelta(seconds=1))
    assert "data-survey" in client.get(f"/portal/tickets/{ticket.pk}/").content.decode()
    clock.shift(datetime.timedelta(seconds=1))
    client.force_login(people.carol)  # the session lasts as long as the survey
    with CaptureQueriesContext(connection) as queries:
        page = client.get(f"/portal/tickets/{ticket.pk}/").content.decode()
    assert ticket.subject in page
    assert "data-survey" not in page
    assert not [q for q in queries if "reports_surveyinvitation" in q["sql"]]


def test_a_bad_rating_is_mailed_to_the_teams_supervisors_once(people, invited):
    invitation, _path = invited
    team_boss = make_user("tess", "supervisor", name="Tess Teamlead")
    people.first_line.members.add(team_boss)
    answer_survey(invitation, rating=4)
    assert not OutboundMessage.objects.filter(notice="bad_rating").exists()
    answer_survey(invitation, rating=1, comment="Nobody read my mail")
    (mail,) = OutboundMessage.objects.filter(notice="bad_rating")
    assert mail.recipient == team_boss  # the team's supervisor, not Sam
    assert "1 out of 5" in mail.body and "Nobody read my mail" in mail.body
    answer_survey(invitation, rating=2)  # still bad: nobody is told again
    assert OutboundMessage.objects.filter(notice="bad_rating").count() == 1


def test_a_bad_rating_without_a_team_supervisor_goes_to_every_supervisor(people, invited):
    invitation, _path = invited
    answer_survey(invitation, rating=2)
    assert list(
        OutboundMessage.objects.filter(notice="bad_rating").values_list("recipient", flat=True)
    ) == [people.sam.pk]
