"""The admin app, with Frontline's admin site (one that asks for a second factor)."""

from django.contrib.admin.apps import AdminConfig


class FrontlineAdminConfig(AdminConfig):
    default_site = "frontline.accounts.admin_site.VerifiedAdminSite"
