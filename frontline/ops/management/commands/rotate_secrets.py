"""`frontline rotate_secrets`: seal every stored secret again under the current key.

After a new ``SECRET_KEY`` (or ``FIELD_ENCRYPTION_KEY``), with the old one in
``SECRET_KEY_FALLBACKS`` (or ``FIELD_ENCRYPTION_KEY_FALLBACKS``): run this, then
drop the old key. Values stored before sealing existed are sealed too.
"""

from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import TextField
from django.db.models.functions import Cast

from frontline.lib.sealed import CannotUnseal, SealedTextField, unseal


class Command(BaseCommand):
    help = "Encrypt every stored secret (IMAP passwords) again under the current key."

    def handle(self, *args: Any, **options: Any) -> None:
        total = 0
        for model in apps.get_models():
            fields = [f.name for f in model._meta.fields if isinstance(f, SealedTextField)]
            if not fields:
                continue
            # Read as stored (a cast to plain text skips the field's decryption), so
            # a value no key opens stops the command instead of being saved back empty.
            stored = {f"stored_{name}": Cast(name, output_field=TextField()) for name in fields}
            with transaction.atomic():
                rows = model._default_manager.select_for_update().annotate(**stored)
                for row in rows.values("pk", *stored):
                    try:
                        plain = {name: unseal(row[f"stored_{name}"] or "") for name in fields}
                    except CannotUnseal as exc:
                        raise CommandError(f"{model.__name__} {row['pk']}: {exc}") from exc
                    # update() runs each value through the field: sealed anew.
                    model._default_manager.filter(pk=row["pk"]).update(**plain)
                    total += 1
        self.stdout.write(f"Sealed the secrets of {total} row{'s' if total != 1 else ''} again.")
