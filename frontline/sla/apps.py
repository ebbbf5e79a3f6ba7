from django.apps import AppConfig


class SlaConfig(AppConfig):
    name = "frontline.sla"
    label = "sla"
