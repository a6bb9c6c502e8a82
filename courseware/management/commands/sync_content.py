from django.core.management.base import BaseCommand, CommandError

from cheatsheets.services import cheatsheets_sync
from cheatsheets.sync import ContentError


class Command(BaseCommand):
    help = (
        "Load the shipped content (cheat sheets from cheatsheets/content/) into the database. "
        "Idempotent and atomic; sheets edited in the admin are kept unless --force."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--force", action="store_true",
            help="Overwrite sheets edited in the admin with the version in their file.",
        )

    def handle(self, *args, force=False, **options):
        try:
            report = cheatsheets_sync(force=force)
        except ContentError as error:
            raise CommandError(
                "Nothing was imported; fix these problems and run again:\n  - " + "\n  - ".join(error.problems)
            ) from error
        self.stdout.write(report.summary())
