"""`frontline erase_contact ADDRESS`: a customer's right to be forgotten.

Shows what would change and asks, unless ``--yes``. See ``frontline.ops.privacy``.
"""

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from frontline.ops.privacy import contact_by_address, erase_contact


class Command(BaseCommand):
    help = (
        "Erase a customer: their name, address and words become a placeholder in every "
        "ticket, message, attachment, event and mail; the tickets stay, for the numbers."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("address", help="the customer's email address (or user name)")
        parser.add_argument("--yes", action="store_true", help="do not ask for confirmation")

    def handle(self, *args: Any, address: str, yes: bool, **options: Any) -> None:
        try:
            contact = contact_by_address(address)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        if not yes:
            tickets = contact.requested_tickets.count()
            answer = input(
                f"Erase {contact.display_name} <{contact.email}> (#{contact.pk}, requester of "
                f"{tickets} tickets)? This cannot be undone. Type 'erase': "
            )
            if answer.strip() != "erase":
                raise CommandError("Nothing erased.")
        try:
            erasure = erase_contact(contact, by=None)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        changed = ", ".join(f"{k} {v}" for k, v in erasure.counts.items()) or "nothing else"
        self.stdout.write(f"Contact #{contact.pk} erased (erasure #{erasure.pk}): {changed}.")
