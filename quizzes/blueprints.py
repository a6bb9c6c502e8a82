"""The shipped exam blueprints and their domain weights, from the AWS exam guides
(DVA-C02 and SAA-C03). A data migration creates them; `ensure_blueprints` recreates any that
are missing (after a `manage.py flush`, say) so the bank always has its domains."""

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


def ensure_blueprints(blueprint_model=None, domain_model=None) -> None:
    if blueprint_model is None:
        from quizzes.models import Blueprint as blueprint_model, Domain as domain_model
    for (code, name), domains in BLUEPRINTS.items():
        blueprint, _ = blueprint_model.objects.get_or_create(code=code, defaults={"name": name})
        for order, (key, label, weight) in enumerate(domains):
            domain_model.objects.get_or_create(
                blueprint=blueprint, key=key, defaults={"name": label, "weight": weight, "order": order})
