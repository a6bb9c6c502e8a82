from django.apps import AppConfig


class LabsConfig(AppConfig):
    name = "labs"

    def ready(self):
        from labs import checks  # noqa: F401 - registers the operators' system checks
