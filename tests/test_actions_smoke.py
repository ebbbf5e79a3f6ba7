from frontline.tickets.models import Status


def test_a_new_ticket_gets_a_message_an_event_and_a_deadline(ticket):
    assert ticket.status == Status.NEW
    assert ticket.messages.count() == 1
    assert ticket.events.filter(kind="created").exists()
    assert ticket.due_at > ticket.created_at
    assert ticket.team.name == "First line"
