from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


class RoutingConfig(AppConfig):
    name = "frontline.routing"
    label = "routing"

    def ready(self) -> None:
        from .actions import rules_changed
        from .models import TriageRule

        # has_reply_rules caches its answer: a rule saved or deleted anywhere forgets it.
        post_save.connect(rules_changed, sender=TriageRule, dispatch_uid="routing-rules-saved")
        post_delete.connect(rules_changed, sender=TriageRule, dispatch_uid="routing-rules-deleted")
