from django.contrib import messages
from django.conf import settings
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from cheatsheets import selectors as sheet_selectors
from courseware.forms import HonestPasswordResetForm, SignUpForm
from labs import selectors as lab_selectors
from quizzes import selectors as quiz_selectors


def home(request):
    progress = sheet_selectors.review_progress(request.user) if request.user.is_authenticated else None
    return render(request, "courseware/home.html", {"progress": progress})


@login_required
def dashboard(request):
    groups = sheet_selectors.sheets_by_category(request.user)
    next_up = next((sheet for group in groups for sheet in group.sheets if not sheet.is_reviewed), None)
    return render(request, "courseware/dashboard.html", {
        "groups": groups,
        "progress": sheet_selectors.progress_of(groups),
        "next_up": next_up,
        "quiz_summary": quiz_selectors.dashboard_summary(request.user),
        "lab_summary": lab_selectors.lab_summary(request.user),
    })


@require_http_methods(["GET", "POST"])
def signup(request):
    if request.user.is_authenticated:
        return redirect("dashboard")
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, f"Welcome, {user.username}. Your progress is saved from now on.")
        return redirect("dashboard")
    return render(request, "registration/signup.html", {"form": form})


def coming_soon(request, pillar):
    return render(request, "courseware/coming_soon.html", {"pillar": pillar})


def _mail_goes_to_files() -> bool:
    return settings.EMAIL_BACKEND.endswith("filebased.EmailBackend")


class PasswordResetView(auth_views.PasswordResetView):
    """Says plainly when the reset mail could not be sent, and where it goes on a laptop."""

    form_class = HonestPasswordResetForm

    def form_valid(self, form):
        response = super().form_valid(form)
        if form.failed:
            form.add_error(None, "The reset email could not be sent: the site's mail server refused it or could not "
                                 "be reached. Nothing was sent. Try again later, or ask the site's operator.")
            return self.form_invalid(form)
        return response

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "mail_to_files": _mail_goes_to_files()}


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "mail_to_files": _mail_goes_to_files(),
                "mail_folder": getattr(settings, "EMAIL_FILE_PATH", "")}
