"""`frontline demo [--if-empty]`: load the demo help desk and print its logins."""

import os
from typing import Any

from django.core.management.base import BaseCommand

from frontline.accounts.models import User
from frontline.ops.demo import DEMO_PASSWORD, demo_logins, demo_url, load_demo


class Command(BaseCommand):
    help = (
        "Load demo organisations, teams, people, forms and about fifty tickets, then print "
        "the demo logins."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Load only into a database with no users; otherwise just print the logins.",
        )
        parser.add_argument(
            "--password",
            default=DEMO_PASSWORD,
            help="Password for every demo user (default: %(default)r).",
        )
        parser.add_argument("--host", default=os.environ.get("HOST") or "127.0.0.1")
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT") or 8000))

    def handle(
        self, *args: Any, if_empty: bool, password: str, host: str, port: int, **options: Any
    ) -> None:
        url = demo_url(host, port)
        if if_empty and User.objects.exists():
            self.stdout.write("The database has users already: demo data not loaded.")
            self.print_logins(url, f"{password} (unless changed since)")
            return
        result = load_demo(password=password)
        self.stdout.write(
            self.style.SUCCESS(f"Loaded the demo: {result.users} people, {result.tickets} tickets.")
        )
        self.print_logins(url, password)

    def print_logins(self, url: str, password: str) -> None:
        logins = demo_logins()
        if not logins:
            self.stdout.write("No demo users in this database.")
            return
        width = max(len(username) for username, _, _ in logins)
        role_width = max(len(role) for _, role, _ in logins)
        self.stdout.write(f"\nDemo logins at {url} — password for all: {password}\n")
        self.stdout.write(f"  {'username':<{width}}  {'role':<{role_width}}  who")
        for username, role, who in logins:
            self.stdout.write(f"  {username:<{width}}  {role:<{role_width}}  {who}")
        self.stdout.write("")
