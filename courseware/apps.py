from django.apps import AppConfig


class CoursewareConfig(AppConfig):
    name = "courseware"
    verbose_name = "Site"

    def ready(self):
        from courseware import readers

        readers.connect()  # a learner's cached user row and reviewed sheets follow every change at once
