import logging

from django.contrib.auth.forms import PasswordResetForm, UserCreationForm
from django.contrib.auth.models import User


class SignUpForm(UserCreationForm):
    class Meta(UserCreationForm.Meta):
        model = User
        fields = ("username", "email")
        help_texts = {"email": "Optional. Only used to reset your password."}


class HonestPasswordResetForm(PasswordResetForm):
    """Django's reset form logs a failed send and carries on, so the learner is told the mail is
    on its way when it is not. This one remembers the failure for the view to say so."""

    failed = False

    def send_mail(self, subject_template_name, email_template_name, context, from_email, to_email,
                  html_email_template_name=None):
        from django.core.mail import EmailMultiAlternatives
        from django.template import loader

        subject = "".join(loader.render_to_string(subject_template_name, context).splitlines())
        body = loader.render_to_string(email_template_name, context)
        message = EmailMultiAlternatives(subject, body, from_email, [to_email])
        try:
            message.send()
        except Exception:  # noqa: BLE001 - any transport error means the learner gets no mail
            logging.getLogger(__name__).exception("Could not send the password reset mail to user %s", context["user"].pk)
            self.failed = True
