from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, HttpResponseForbidden
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from labs import aws, sandbox, selectors, services, workspace
from own_account import views as account_views
from own_account import pricing
from labs.catalog import get_lab
from labs.engine.endpoints import api_call, site_origin, website_get
from labs.models import LabRun, Sandbox

API_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"]
# The deployed app runs on the site's origin: keep it to its own files and its own API.
APP_CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
           "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")


def _lab_or_404(slug):
    lab = get_lab(slug)
    if lab is None:
        raise Http404("No lab with this address.")
    return lab


def index(request):
    return render(request, "labs/index.html", {
        "cards": selectors.lab_cards(request.user),
        "runs": selectors.recent_runs(request.user),
        "sandbox": sandbox.status() if sandbox.enabled() else None, "local_enabled": sandbox.enabled(),
        "holding": selectors.runs_holding_resources(request.user), "aws_sandbox": Sandbox.aws_for(request.user),
    })


def detail(request, slug):
    lab = _lab_or_404(slug)
    active = None
    if request.user.is_authenticated:
        active = LabRun.objects.of(request.user).active().filter(lab_slug=slug).first()
    return render(request, "labs/detail.html", {
        "lab": lab, "sandbox": sandbox.status() if sandbox.enabled() else None, "active": active,
        "local_enabled": sandbox.enabled(),
        "sandbox_enforced": sandbox.ENFORCED, "sandbox_not_enforced": sandbox.NOT_ENFORCED,
        "neutral_parts": {part: "plan" for part in lab.parts},
        "aws_sandbox": Sandbox.aws_for(request.user), "estimate": pricing.estimate(lab.slug),
    })


@require_POST
@login_required
def start(request, slug):
    lab = _lab_or_404(slug)
    mode = request.POST.get("mode", LabRun.Mode.GUIDED)
    if mode not in LabRun.Mode.values:
        messages.error(request, "Choose guided or automatic mode.")
        return redirect("labs:detail", slug=slug)
    active = LabRun.objects.of(request.user).active().filter(lab_slug=slug).first()
    if active:
        messages.error(request, "You already have a run of this lab going: continue it, or tear it down first.")
        return redirect(active)
    chosen, elsewhere = account_views.chosen_sandbox(request, lab, mode)  # the learner's AWS account, if chosen
    if elsewhere:
        return elsewhere
    if chosen is None and not sandbox.enabled():
        messages.error(request, aws.LOCAL_OFF)
        return redirect("labs:account")
    if chosen is None and not sandbox.status(max_age=0).up:
        messages.error(request, "The local sandbox is not running, so nothing can be deployed. Start it with "
                                "`make run` or `python manage.py sandbox`.")
        return redirect("labs:detail", slug=slug)
    try:
        run = services.lab_run_start(user=request.user, lab=lab, mode=mode, website_origin=site_origin(request),
                                     sandbox=chosen)
    except aws.SandboxUnavailable as error:
        messages.error(request, str(error))
        return redirect("labs:detail", slug=slug)
    return redirect(run)


def _run_context(request, run):
    view = selectors.run_view(run)
    return {
        "view": view, "run": run, "lab": view.lab,
        "sandbox": sandbox.status() if run.sandbox.is_local and not run.is_finished and sandbox.enabled() else None,
        "sandbox_url": sandbox.status().url,
        "shell_env": workspace.environment(run) if run.sandbox.is_local and view.lab is not None else {},
        "file_names": workspace.file_names(run),
    }


@login_required
def run(request, pk):
    run = selectors.run_for(request.user, pk)
    return render(request, "labs/run.html", _run_context(request, run))


@require_GET
def run_live(request, pk):
    """The run page's live parts (htmx polls this): new events, status, steps, diagram, ledger."""
    run = selectors.run_for(request.user, pk)
    after = _int(request.GET.get("after"))
    version = request.GET.get("v", "")
    if selectors.latest_event_id(run) == after and version == run.updated_at.isoformat():
        return HttpResponse(status=204)
    return _live(request, run, after)


def _live(request, run, after):
    context = _run_context(request, run)
    context["new_events"] = [event for event in context["view"].events if event.id > after]
    return render(request, "labs/_run_live.html", context)


def _int(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


@require_POST
def run_action(request, pk):
    run = selectors.run_for(request.user, pk)
    after = selectors.latest_event_id(run)
    try:
        services.lab_run_request(run=run, action=request.POST.get("action", ""), step=request.POST.get("step", ""))
    except services.RunBusy as error:
        if request.htmx:
            response = _live(request, run, after)
            response["HX-Trigger"] = '{"labs:notice": "' + str(error).replace('"', "'") + '"}'
            return response
        messages.error(request, str(error))
    if request.htmx:
        return _live(request, run, after)
    anchor = f"#step-{request.POST.get('step')}" if request.POST.get("step") else ""
    return redirect(run.get_absolute_url() + anchor)


@require_POST
def run_teardown(request, pk):
    run = selectors.run_for(request.user, pk)
    after = selectors.latest_event_id(run)
    services.lab_run_teardown(run=run)
    if request.htmx:
        return _live(request, run, after)
    return redirect(run)


@require_GET
def run_files(request, pk, name):
    """The lab's files for a learner doing a step by hand: the function's code, the website."""
    run = selectors.run_for(request.user, pk)
    package = workspace.run_file(run, name)
    if package is None:
        raise Http404("No such file for this lab.")
    response = HttpResponse(package, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{name}.zip"'
    return response


def _unavailable(message, status):
    return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")


@require_GET
def run_site(request, pk, path):
    """The run's S3 static website, served the way the S3 website endpoint would."""
    run = selectors.run_for(request.user, pk)
    if not run.sandbox.is_local:
        return redirect(run.outputs["website_url"]) if run.outputs.get("website_url") else _unavailable(
            "This run has no website yet.", 404)
    bucket = run.outputs.get("bucket")
    if not bucket or run.status == LabRun.Status.CLEANED:
        return _unavailable("This run's website is not deployed" + (" any more: the run was torn down." if bucket else
                            " yet: publish it in the website step."), 404)
    if not sandbox.enabled():
        return _unavailable(aws.LOCAL_OFF, 404)
    if not sandbox.status().up:
        return _unavailable("The local sandbox is not running, so the website cannot be served.", 503)
    s3 = aws.clients_for(run.sandbox).s3
    result = website_get(s3, bucket, path)
    response = HttpResponse(result.body, status=result.status, content_type=result.content_type or "text/plain")
    response["Cache-Control"] = "no-store"
    response["Content-Security-Policy"] = APP_CSP
    return response


@csrf_exempt  # the deployed app's own JavaScript calls this; see the origin check below
@require_http_methods(API_METHODS)
def run_api(request, pk, path):
    """The front door of a local run's API: the call goes to the emulator in the learner's account."""
    run = selectors.run_for(request.user, pk)
    origin = request.headers.get("Origin")
    if request.method not in ("GET", "HEAD", "OPTIONS") and origin and origin != site_origin(request):
        # The app is served from this site; a cross-site page must not drive a learner's API.
        return HttpResponseForbidden("Cross-origin calls to a lab's API through the site are refused.")
    if not run.sandbox.is_local or not run.outputs.get("api_id") or run.status == LabRun.Status.CLEANED:
        return _unavailable('{"message": "This run has no API deployed."}', 404)
    if not sandbox.enabled():
        return _unavailable('{"message": "The local sandbox is switched off on this site."}', 404)
    if not sandbox.status().up:
        return _unavailable('{"message": "The local sandbox is not running."}', 503)
    headers = {name: value for name, value in request.headers.items()}
    if origin:
        # The deployed API answers CORS for the website's origin, which is this site's.
        headers["Origin"] = run.website_origin
    result = api_call(aws.target_for(run.sandbox), run.outputs["api_id"], run.outputs["stage"], request.method,
                      "/" + path, query=request.META.get("QUERY_STRING", ""), body=request.body or None, headers=headers)
    response = HttpResponse(result.body, status=result.status,
                            content_type=result.headers.get("content-type", "application/json"))
    for name in ("access-control-allow-origin", "access-control-allow-methods", "access-control-allow-headers", "vary"):
        if name in result.headers:
            response[name] = result.headers[name]
    response["Cache-Control"] = "no-store"
    return response
