"""Background work of routing. Tasks take ids and call one action."""

from __future__ import annotations

from django.tasks import task

from . import actions


@task
def auto_assign(
    ticket_id: int, *, tell_team_id: int | None = None, actor_id: int | None = None
) -> int | None:
    """Offer a ticket to its team's assignment strategy; returns the assignee's id.
    With ``tell_team_id``, that team is mailed if the strategy picks nobody."""
    user = actions.assign_automatically(ticket_id, tell_team_id=tell_team_id, actor_id=actor_id)
    return user.pk if user else None


@task
def triage(ticket_id: int) -> None:
    """A new ticket: run the triage rules, then the team's assignment strategy."""
    actions.triage_and_assign(ticket_id)


@task
def rules_on_reply(ticket_id: int, message_id: int) -> list[str]:
    """A customer replied: run the rules that run on replies; the names applied."""
    return actions.apply_rules(ticket_id, message_id=message_id)
