"""`frontline export_contact ADDRESS FILE.zip`: everything held about a customer,
for an access request (see ``frontline.ops.privacy.export_contact``)."""

import os
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from frontline.ops.privacy import contact_by_address, export_contact


class Command(BaseCommand):
    help = "Write everything held about a customer into a ZIP of JSON and files."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("address", help="the customer's email address (or user name)")
        parser.add_argument("output", help="the ZIP file to write (not overwritten)")

    def handle(self, *args: Any, address: str, output: str, **options: Any) -> None:
        try:
            contact = contact_by_address(address)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        path = Path(output)
        try:
            # Personal data: readable by the owner only, and never over another file.
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except OSError as exc:
            raise CommandError(f"Cannot write {path}: {exc.strerror}.") from exc
        with os.fdopen(fd, "wb") as handle:
            handle.write(export_contact(contact))
        self.stdout.write(f"Everything held about contact #{contact.pk} is in {path}.")
