from django.apps import AppConfig


class QuizzesConfig(AppConfig):
    name = "quizzes"

    def ready(self):
        from courseware.versions import connect
        from quizzes.models import Option, Question, Quiz, QuizQuestion

        connect(Question, Option, Quiz, QuizQuestion)
