from django.apps import AppConfig


class CoursewareConfig(AppConfig):
    name = "courseware"
    verbose_name = "Site"

    def ready(self):
        from courseware import readers, security

        security.install_csrf_strings()  # one os.urandom call per CSRF mask, not 32 (courseware/security.py)
        readers.connect()  # a learner's cached user row and reviewed sheets follow every change at once
