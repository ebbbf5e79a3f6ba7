from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "frontline.search"
    label = "search"
