from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from cheatsheets.services import cheatsheets_sync
from cheatsheets.sync import ContentError
from quizzes.bank_format import BankError
from quizzes.services import bank_sync


class Command(BaseCommand):
    help = (
        "Load the shipped content into the database: cheat sheets (cheatsheets/content/*.md), then the "
        "question bank and quizzes (quizzes/bank/*.yaml). Idempotent and atomic; items edited in the admin "
        "are kept unless --force."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--force", action="store_true",
            help="Overwrite sheets, questions and quizzes edited in the admin with the shipped version.",
        )

    def handle(self, *args, force=False, **options):
        try:
            with transaction.atomic():
                sheets = cheatsheets_sync(force=force)
                questions, quizzes = bank_sync(directory=settings.QUIZ_BANK_DIR, force=force)
        except (ContentError, BankError) as error:
            raise CommandError(
                "Nothing was imported; fix these problems and run again:\n  - " + "\n  - ".join(error.problems)
            ) from error
        from courseware.versions import content_changed

        content_changed()  # bulk updates (retired questions) send no signals
        self.stdout.write(sheets.summary())
        self.stdout.write(questions.summary())
        self.stdout.write(quizzes.summary())
