"""System checks for operators (`manage.py check`): setup problems belong in their console, not
on learners' pages."""

from django.conf import settings
from django.core.checks import Info, register


@register(deploy=True)  # `manage.py check --deploy`: what an operator runs before hosting
def own_account_role_setup(app_configs, **kwargs):
    """Role connections need the site's own AWS account id (learners' roles trust it)."""
    if getattr(settings, "LABS_AWS_SITE_ACCOUNT_ID", ""):
        return []
    return [Info(
        "LABS_AWS_SITE_ACCOUNT_ID is not set: learners cannot connect their AWS account with a role (the "
        "recommended way), only with an access key.",
        hint="Run `manage.py lab_account identify` with the site's AWS credentials and set the account id it prints.",
        id="labs.I001",
    )]
