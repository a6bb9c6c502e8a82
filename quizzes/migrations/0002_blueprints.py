"""The shipped exam blueprints and their domain weights (AWS exam guides)."""

from django.db import migrations

BLUEPRINTS = {
    ("DVA-C02", "AWS Certified Developer - Associate"): [
        ("development", "Development with AWS Services", 32),
        ("security", "Security", 26),
        ("deployment", "Deployment", 24),
        ("troubleshooting", "Troubleshooting and Optimization", 18),
    ],
    ("SAA-C03", "AWS Certified Solutions Architect - Associate"): [
        ("secure", "Design Secure Architectures", 30),
        ("resilient", "Design Resilient Architectures", 26),
        ("high-performing", "Design High-Performing Architectures", 24),
        ("cost-optimized", "Design Cost-Optimized Architectures", 20),
    ],
}


def create(apps, schema_editor):
    Blueprint = apps.get_model("quizzes", "Blueprint")
    Domain = apps.get_model("quizzes", "Domain")
    for (code, name), domains in BLUEPRINTS.items():
        blueprint, _ = Blueprint.objects.get_or_create(code=code, defaults={"name": name})
        for order, (key, label, weight) in enumerate(domains):
            Domain.objects.get_or_create(blueprint=blueprint, key=key, defaults={"name": label, "weight": weight, "order": order})


def remove(apps, schema_editor):
    apps.get_model("quizzes", "Blueprint").objects.filter(code__in=[code for code, _ in BLUEPRINTS]).delete()


class Migration(migrations.Migration):
    dependencies = [("quizzes", "0001_initial")]
    operations = [migrations.RunPython(create, remove)]
