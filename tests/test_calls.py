"""Phone calls logged by agents: on the desk timeline, never on the portal."""

from django.core.files.uploadedfile import SimpleUploadedFile

from frontline.tickets.models import Attachment, CallDetails, MessageKind
from tests.conftest import login

SUMMARY = "CALL-SUMMARY customer is upset about the second charge"


def test_agent_logs_a_call_with_a_recording_and_the_customer_never_sees_it(client, people, ticket):
    login(client, people.alice)
    r = client.post(
        f"/desk/tickets/{ticket.pk}/call/",
        {
            "direction": "out",
            "phone": "+44 20 7946 0958",
            "minutes": "4",
            "summary": SUMMARY,
            "recording": SimpleUploadedFile("call.txt", b"not really audio"),
        },
    )
    assert r.status_code == 302
    call = ticket.messages.get(kind=MessageKind.CALL)
    details = CallDetails.objects.get(message=call)
    assert (details.direction, details.phone, details.duration_seconds) == (
        "out",
        "+442079460958",
        240,
    )
    recording = Attachment.objects.get(message=call)
    assert recording.is_internal
    page = client.get(f"/desk/tickets/{ticket.pk}/").content.decode()
    assert SUMMARY in page and "Outbound · +442079460958 · 4 minutes" in page
    login(client, people.carol)
    portal = client.get(f"/portal/tickets/{ticket.pk}/").content.decode()
    assert SUMMARY not in portal and "Phone call" not in portal
    assert client.get(f"/portal/attachments/{recording.pk}/").status_code == 404


def test_a_call_needs_a_summary_and_a_valid_number(client, people, ticket):
    login(client, people.alice)
    r = client.post(
        f"/desk/tickets/{ticket.pk}/call/",
        {"direction": "in", "phone": "12", "minutes": "1", "summary": "x"},
    )
    assert r.status_code == 400
    r = client.post(
        f"/desk/tickets/{ticket.pk}/call/",
        {"direction": "in", "phone": "", "minutes": "1", "summary": ""},
    )
    assert r.status_code == 400
    assert not ticket.messages.filter(kind=MessageKind.CALL).exists()


def test_customers_cannot_log_calls(client, people, ticket):
    login(client, people.carol)
    r = client.post(
        f"/desk/tickets/{ticket.pk}/call/", {"direction": "in", "minutes": "1", "summary": "x"}
    )
    assert r.status_code == 404
