from django.apps import AppConfig


class CheatsheetsConfig(AppConfig):
    name = "cheatsheets"
    verbose_name = "Cheat sheets"

    def ready(self):
        from cheatsheets.models import CheatSheet
        from courseware.versions import connect

        connect(CheatSheet)  # cached sheet pages follow an admin edit or a sync at once
