"""Operating labs in learners' own AWS accounts.

    manage.py lab_account template [--external-id ID] [--site-account ID]   # print the role's CloudFormation template
    manage.py lab_account rotate-keys                                        # re-encrypt stored keys with the newest key
    manage.py lab_account identify                                           # which AWS account the site's credentials are
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from own_account import aws_role
from own_account import vault
from labs.models import Sandbox


class Command(BaseCommand):
    help = "Print the labs' cross-account role template; re-encrypt stored AWS keys after a key rotation."

    def add_arguments(self, parser):
        commands = parser.add_subparsers(dest="command", required=True)
        template = commands.add_parser("template", help="The CloudFormation template (publish it in S3 and set "
                                                        "LABS_AWS_TEMPLATE_URL for one-click links).")
        template.add_argument("--external-id", default="", help="Fill in a learner's external id (default: none).")
        template.add_argument("--site-account", default=settings.LABS_AWS_SITE_ACCOUNT_ID,
                              help="The site's AWS account id (default: LABS_AWS_SITE_ACCOUNT_ID).")
        commands.add_parser("rotate-keys", help="Re-encrypt every stored key pair with the first of LABS_SECRET_KEYS.")
        commands.add_parser("identify", help="Ask AWS (STS GetCallerIdentity, short timeout) which account the site's "
                                             "own credentials belong to, to set LABS_AWS_SITE_ACCOUNT_ID.")

    def handle(self, *args, command, **options):
        if command == "template":
            self.stdout.write(aws_role.template_yaml(regions=settings.LABS_AWS_REGIONS,
                                                     external_id=options["external_id"],
                                                     site_account_id=options["site_account"]), ending="")
            return
        if command == "identify":
            from botocore.exceptions import BotoCoreError, ClientError

            from labs import aws

            try:
                identity = aws.site_identity()
            except (ClientError, BotoCoreError) as error:
                raise CommandError("The site's AWS credentials could not be checked: "
                                   + aws.error_message(error, service="sts", operation="GetCallerIdentity")) from None
            self.stdout.write(f"The site's credentials are {identity['Arn']} in account {identity['Account']}.\n"
                              f"Set LABS_AWS_SITE_ACCOUNT_ID={identity['Account']} in the site's environment.")
            return
        rotated = 0
        for sandbox in Sandbox.objects.exclude(keys_encrypted=""):
            try:
                token = vault.rotate(sandbox.keys_encrypted)
            except vault.SecretUnreadable as error:
                raise CommandError(f"Sandbox {sandbox.pk}: {error} Nothing after it was rotated.") from None
            Sandbox.objects.filter(pk=sandbox.pk).update(keys_encrypted=token)
            rotated += 1
        self.stdout.write(f"Re-encrypted {rotated} stored key pair(s) with the newest key. The older keys in "
                          "LABS_SECRET_KEYS can now be removed.")
