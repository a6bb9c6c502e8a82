"""Forms of the labs' account page. The key pair's fields never render a value back: a form shown
again after an error is empty there, and a connected key shows as its last four characters."""

from django import forms
from django.conf import settings


class BlankTextInput(forms.TextInput):
    """A text box that never renders its value (for the access key id)."""

    def format_value(self, value):
        return None


def region_choices():
    return [(region, region) for region in settings.LABS_AWS_REGIONS]


class RegionField(forms.ChoiceField):
    def __init__(self, **kwargs):
        super().__init__(choices=region_choices, label="Region",
                         help_text="Where the labs deploy: the regions this site allows.", **kwargs)


class RoleForm(forms.Form):
    role_arn = forms.CharField(
        label="Role ARN", max_length=300,
        widget=forms.TextInput(attrs={"placeholder": "arn:aws:iam::123456789012:role/ServerlessAcademyLabs",
                                      "autocomplete": "off", "spellcheck": "false", "class": "mono-input"}),
        help_text="The stack's RoleArn output (CloudFormation → your stack → Outputs).")
    region = RegionField()


class KeysForm(forms.Form):
    access_key_id = forms.CharField(
        label="Access key ID", max_length=128,
        widget=BlankTextInput(attrs={"autocomplete": "off", "spellcheck": "false", "placeholder": "AKIA…",
                                     "class": "mono-input"}))
    secret_access_key = forms.CharField(
        label="Secret access key", max_length=128, strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password", "class": "mono-input"}))
    region = RegionField()
    understood = forms.BooleanField(
        label="I understand: this is a long-lived secret of my account. I give it to an IAM user with only the labs' "
              "policy, in a sandbox account, and delete the key when I am done.")


class ConfirmForm(forms.Form):
    account_id = forms.CharField(
        label="Account ID", max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "numeric", "spellcheck": "false",
                                      "placeholder": "123456789012", "class": "mono-input account-input"}))
