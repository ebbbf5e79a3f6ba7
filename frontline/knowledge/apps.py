from django.apps import AppConfig


class KnowledgeConfig(AppConfig):
    name = "frontline.knowledge"
    label = "knowledge"
