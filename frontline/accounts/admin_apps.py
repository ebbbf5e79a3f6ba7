"""The admin app, with Frontline's admin site (one that asks for a second factor).

The admin modules are discovered by the URL configuration (``frontline/urls.py``),
not when Django starts: a process that serves no pages (the task worker,
a management command) does not import them (about 6 MiB each).
"""

from django.contrib.admin.apps import SimpleAdminConfig


class FrontlineAdminConfig(SimpleAdminConfig):
    default_site = "frontline.accounts.admin_site.VerifiedAdminSite"
