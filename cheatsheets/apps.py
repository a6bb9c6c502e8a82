from django.apps import AppConfig


class CheatsheetsConfig(AppConfig):
    name = "cheatsheets"
    verbose_name = "Cheat sheets"
