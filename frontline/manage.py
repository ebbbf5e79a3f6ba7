"""The `frontline` console script: Django's manage.py for this project."""

import os
import sys


def main() -> None:
    # Files Frontline writes (database, uploads, outbox, cache) are its user's only,
    # whatever umask the shell or service manager gave: 0600 files, 0700 folders.
    os.umask(0o077)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "frontline.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
