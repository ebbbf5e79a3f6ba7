from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "frontline.accounts"
    label = "accounts"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from . import checks  # noqa: F401  (registers the single sign-on checks)
        from .middleware import note_sign_in

        # Session bookkeeping, not domain flow: signing in is activity, and whether
        # a second factor is due, written in the session save that signing in does
        # anyway (as Django's last_login is).
        user_logged_in.connect(note_sign_in, dispatch_uid="frontline-sign-in")
