from django.contrib import messages
from django.conf import settings
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from cheatsheets import selectors as sheet_selectors
from courseware import readers
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
    quiz_summary = quiz_selectors.dashboard_summary(request.user)
    from courseware import paths

    # Study next spans the three: the weakest domain's sheet, its practice quiz, the lab that builds it.
    focus = (quiz_summary.get("study_next") or ([next_up] if next_up else []))[:1]
    return render(request, "courseware/dashboard.html", {
        "groups": groups,
        "progress": sheet_selectors.progress_of(groups),
        "next_up": next_up,
        "quiz_summary": quiz_summary,
        "lab_summary": lab_selectors.lab_summary(request.user),
        "focus": focus[0] if focus else None,
        "focus_path": paths.for_sheet(focus[0], request.user) if focus else None,
    })


@require_http_methods(["GET", "POST"])
def signup(request):
    if request.user.is_authenticated:
        return redirect("dashboard")
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user, backend=readers.BACKEND)
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


WORKER_STALE_SECONDS = 300  # the scheduler enqueues every minute: a worker this quiet is not working


def health(request):
    """For load balancers and monitors: 200 when the database and the cache answer (503 if not),
    with the task workers' and the local sandbox's state reported alongside (they do not make
    the web process unhealthy, but a monitor should alert on them)."""
    import time

    from django.core.cache import cache
    from django.db import connection
    from django.http import JsonResponse
    from django.utils import timezone

    checks, healthy = {}, True
    started = time.monotonic()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = {"ok": True, "vendor": connection.vendor}
    except Exception as error:  # noqa: BLE001 - any failure is the answer
        checks["database"], healthy = {"ok": False, "error": str(error)[:200]}, False
    try:
        probe = f"health-{time.monotonic_ns()}"
        cache.set(probe, "1", 10)
        ok = cache.get(probe) == "1"
        cache.delete(probe)
        checks["cache"] = {"ok": ok, "backend": settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1]}
        healthy = healthy and ok
    except Exception as error:  # noqa: BLE001
        checks["cache"], healthy = {"ok": False, "error": str(error)[:200]}, False
    if checks["database"]["ok"]:
        from django_tasks_db.models import DBTaskResult

        last = DBTaskResult.objects.exclude(started_at=None).order_by("-started_at").values_list("started_at", flat=True).first()
        age = (timezone.now() - last).total_seconds() if last else None
        checks["worker"] = {"ok": age is not None and age < WORKER_STALE_SECONDS,
                            "last_task_started_seconds_ago": None if age is None else round(age)}
    if getattr(settings, "LABS_LOCAL_SANDBOX", True) is not False:
        from labs import sandbox

        checks["sandbox"] = {"ok": sandbox.status().up}
    body = {"status": "ok" if healthy else "unhealthy", "checks": checks,
            "seconds": round(time.monotonic() - started, 3)}
    response = JsonResponse(body, status=200 if healthy else 503)
    response["Cache-Control"] = "no-store"
    return response


def sheet_path(request, slug):
    """The end of a sheet: practise it (with the learner's best score) and build it (htmx fragment)."""
    from django.shortcuts import get_object_or_404

    from cheatsheets.models import CheatSheet
    from courseware import paths

    sheet = get_object_or_404(CheatSheet.objects.listing(), slug=slug)
    return render(request, "courseware/_path.html", {"path": paths.for_sheet(sheet, request.user), "sheet": sheet})


def lab_path(request, slug):
    """On a lab page: the sheets of its services and their practice quiz (htmx fragment)."""
    from django.http import Http404

    from courseware import paths
    from labs.catalog import get_lab

    lab = get_lab(slug)
    if lab is None:
        raise Http404("No such lab.")
    return render(request, "courseware/_path.html", {"path": paths.for_lab(lab, request.user), "lab": lab})
