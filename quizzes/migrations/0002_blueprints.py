"""The shipped exam blueprints and their domain weights (quizzes/blueprints.py)."""

from django.db import migrations

from quizzes.blueprints import BLUEPRINTS, ensure_blueprints


def create(apps, schema_editor):
    ensure_blueprints(apps.get_model("quizzes", "Blueprint"), apps.get_model("quizzes", "Domain"))


def remove(apps, schema_editor):
    apps.get_model("quizzes", "Blueprint").objects.filter(code__in=[code for code, _ in BLUEPRINTS]).delete()


class Migration(migrations.Migration):
    dependencies = [("quizzes", "0001_initial")]
    operations = [migrations.RunPython(create, remove)]
