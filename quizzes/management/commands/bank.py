"""The question bank from the command line.

    manage.py bank stats             # counts per exam, domain, service, type; giveaway rates; the linter's verdict
    manage.py bank forms --check     # does quizzes/bank/forms.yaml match the bank?
    manage.py bank forms --write     # regenerate the six fixed forms per exam from the bank
"""

import yaml
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from quizzes import bank_files, bank_format, bank_lint, exam_forms


class Command(BaseCommand):
    help = "Bank statistics and the linter's verdict; generate or check the fixed mock-exam forms."

    def add_arguments(self, parser):
        commands = parser.add_subparsers(dest="command", required=True)
        commands.add_parser("stats", help="Counts per exam, domain, service and type; giveaway rates; lint problems.")
        forms = commands.add_parser("forms", help="The six fixed forms per exam (quizzes/bank/forms.yaml).")
        action = forms.add_mutually_exclusive_group(required=True)
        action.add_argument("--write", action="store_true", help="Regenerate forms.yaml from the bank.")
        action.add_argument("--check", action="store_true", help="Fail when forms.yaml does not match the bank.")

    def _bank(self):
        anchors, services = bank_files.sheet_anchors(settings.CHEATSHEET_CONTENT_DIR)
        try:
            return bank_files.read_bank(settings.QUIZ_BANK_DIR, anchors), services
        except bank_format.BankError as error:
            raise CommandError("The bank has problems:\n" + "\n".join(error.problems)) from None

    def handle(self, *args, command, **options):
        questions, services = self._bank()
        if command == "stats":
            return self.stats(questions, services)
        path = settings.QUIZ_BANK_DIR / bank_files.FORMS_FILE
        try:
            text = forms_yaml(questions)
        except exam_forms.FormsError as error:
            raise CommandError(str(error)) from None
        if options["write"]:
            path.write_text(text, encoding="utf-8")
            self.stdout.write(f"Wrote {path} (12 forms of 65 questions).")
        elif not path.exists() or path.read_text(encoding="utf-8") != text:
            raise CommandError(f"{path} does not match the bank: run `manage.py bank forms --write`.")
        else:
            self.stdout.write(f"{path} matches the bank.")

    def stats(self, questions, services):
        published = [q for q in questions if q["status"] == "published"]
        stats = bank_lint.bank_statistics(published)
        out = self.stdout.write
        out(f"Published questions: {stats['total']} ({stats['types']['single']} single answer, "
            f"{stats['types']['multiple']} multiple response)")
        quotas = bank_lint.domain_quotas()
        for exam in bank_lint.EXAM_WEIGHTS:
            out(f"\n{exam}: {stats['exams'][exam]} questions tagged with one of its domains")
            for domain in bank_lint.EXAM_WEIGHTS[exam]:
                label = f"{exam}/{domain}"
                out(f"  {domain:<16} {stats['domains'][label]:>4}   (six forms need {quotas[label]})")
        out("\nServices (the cheat sheets' services marked *):")
        for service, count in stats["services"].most_common():
            out(f"  {'*' if service in services else ' '} {service:<34} {count:>4}")
        missing = sorted(services - set(stats["services"]))
        if missing:
            out("  missing: " + ", ".join(missing))
        difficulty = {}
        for q in published:
            difficulty[q["difficulty"]] = difficulty.get(q["difficulty"], 0) + 1
        out("\nDifficulty: " + ", ".join(f"{k} {difficulty.get(k, 0)}" for k in ("easy", "medium", "hard")))
        rates = stats["giveaways"]
        out(f"\nGiveaways: the correct option is the longest in {rates.single_longest} of {rates.single_total} "
            f"single-answer questions ({rates.single_rate:.0%}; at most {bank_lint.LONGEST_SINGLE_MAX:.0%}), the shortest in "
            f"{rates.single_shortest} ({rates.single_shortest_rate:.0%}; at most {bank_lint.SHORTEST_SINGLE_MAX:.0%}), "
            f"neither in {rates.single_middle} ({rates.single_middle_rate:.0%}; at most {bank_lint.MIDDLE_SINGLE_MAX:.0%}); "
            f"{rates.multiple_rate:.0%} of correct options in multiple response are among the k longest "
            f"(chance {rates.multiple_chance_rate:.0%})")
        problems = bank_lint.bank_lint(questions, sheet_services=services)
        out(f"\nLinter: {'no problems' if not problems else f'{len(problems)} problem(s)'}")
        for problem in problems:
            out(f"  {problem}")


def forms_yaml(questions: list[dict]) -> str:
    header = ("# The six fixed mock-exam forms per certification, generated from the bank by\n"
              "# `manage.py bank forms --write` (quizzes/exam_forms.py). Do not edit by hand: a test checks\n"
              "# that this file matches the bank.\n")
    return header + yaml.safe_dump({"quizzes": exam_forms.form_definitions(questions)}, sort_keys=False, width=100,
                                   allow_unicode=True)
