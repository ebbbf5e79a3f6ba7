from django.apps import AppConfig


class DeskConfig(AppConfig):
    name = "frontline.desk"
    label = "desk"
