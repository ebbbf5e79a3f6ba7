from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "frontline.accounts"
    label = "accounts"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from .middleware import mark_active_at_sign_in

        # Session bookkeeping, not domain flow: signing in is activity, written in
        # the session save that signing in does anyway (as Django's last_login is).
        user_logged_in.connect(mark_active_at_sign_in, dispatch_uid="frontline-last-active")
