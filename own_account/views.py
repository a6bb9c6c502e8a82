"""The labs' account pages: connecting an AWS account (a role, or an access key pair), confirming it
before the first deploy, and the runs that still hold resources. Every page is the learner's own:
a sandbox is only ever looked up through ``request.user``."""

import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from labs import aws, selectors, services
from own_account import accounts
from own_account import aws_role
from own_account import guardrails
from own_account import pricing
from own_account.forms import ConfirmForm, KeysForm, RoleForm
from labs.catalog import all_labs, get_lab
from labs.engine.endpoints import site_origin
from labs.models import LabRun, Sandbox

logger = logging.getLogger(__name__)


def _page(request, sandbox, *, role_form=None, keys_form=None, status=200, error=""):
    site_account, site_error = accounts.site_account_id()
    if not site_account:
        # The operator's problem, told to the operator (logs, `manage.py check`), not to learners.
        logger.warning("Own-account labs: role connections are unavailable: %s", site_error)
    template_url = settings.LABS_AWS_TEMPLATE_URL
    region = sandbox.region or settings.LABS_AWS_REGIONS[0]
    return render(request, "labs/account.html", {
        "sandbox": sandbox,
        "role_form": role_form or RoleForm(initial={"region": region}),
        "keys_form": keys_form or KeysForm(initial={"region": region}),
        "site_account": site_account, "site_error": site_error,
        "quick_create_url": aws_role.quick_create_url(
            template_url=template_url, region=region, external_id=sandbox.external_id,
            site_account_id=site_account or "") if template_url and site_account else "",
        "console_url": aws_role.console_upload_url(region),
        "regions": settings.LABS_AWS_REGIONS, "ttl": guardrails.ttl_text(),
        "holding": list(accounts.runs_holding(sandbox).select_related("sandbox")) if sandbox.is_connected else [],
        "role_name": aws_role.ROLE_NAME, "access_policy_name": aws_role.ACCESS_POLICY_NAME,
        "error": error,
    }, status=status)


@login_required
@require_GET
def account(request):
    return _page(request, Sandbox.aws_pending_for(request.user))


@login_required
@require_GET
def account_template(request):
    """The CloudFormation template with the learner's external id (and the site's account) filled in."""
    sandbox = Sandbox.aws_pending_for(request.user)
    site_account, _ = accounts.site_account_id()
    body = aws_role.template_yaml(regions=settings.LABS_AWS_REGIONS, external_id=sandbox.external_id,
                                  site_account_id=site_account or "")
    response = HttpResponse(body, content_type="application/x-yaml; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="serverless-academy-labs-role.yaml"'
    return response


@login_required
@require_POST
def account_role(request):
    sandbox = Sandbox.aws_pending_for(request.user)
    form = RoleForm(request.POST)
    if not form.is_valid():
        return _page(request, sandbox, role_form=form, status=400)
    try:
        accounts.sandbox_connect_role(sandbox=sandbox, role_arn=form.cleaned_data["role_arn"],
                                      region=form.cleaned_data["region"])
    except accounts.ConnectionRefused as error:
        form.add_error("role_arn", str(error))
        return _page(request, sandbox, role_form=form, status=400)
    messages.success(request, f"Connected: the site assumed your role in account {sandbox.account_display}. Confirm the "
                              "account before the first deploy.")
    return redirect("labs:account_confirm")


@sensitive_post_parameters("access_key_id", "secret_access_key")
@login_required
@require_POST
def account_keys(request):
    sandbox = Sandbox.aws_pending_for(request.user)
    form = KeysForm(request.POST)
    if not form.is_valid():
        return _page(request, sandbox, keys_form=form, status=400)
    try:
        accounts.sandbox_connect_keys(sandbox=sandbox, access_key_id=form.cleaned_data["access_key_id"],
                                      secret_access_key=form.cleaned_data["secret_access_key"],
                                      region=form.cleaned_data["region"])
    except accounts.ConnectionRefused as error:
        form.add_error(None, str(error))
        return _page(request, sandbox, keys_form=form, status=400)  # its key fields never render a value
    messages.success(request, f"Connected with the access key ending {sandbox.key_hint} in account "
                              f"{sandbox.account_display}. Confirm the account before the first deploy.")
    return redirect("labs:account_confirm")


@login_required
@require_POST
def account_check(request):
    sandbox = _connected(request)
    try:
        accounts.sandbox_check(sandbox=sandbox)
    except accounts.ConnectionRefused as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"The connection works: the site reached account {sandbox.account_display}.")
    return redirect("labs:account")


@login_required
@require_POST
def account_disconnect(request):
    sandbox = _connected(request)
    try:
        accounts.sandbox_disconnect(sandbox=sandbox)
    except accounts.ConnectionRefused as error:
        messages.error(request, str(error))
        return redirect("labs:account")
    messages.success(request, "Disconnected: the site no longer holds anything that reaches your account. Delete the "
                              "stack (or the access key) in AWS to take the access away there too.")
    return redirect("labs:account")


def _connected(request) -> Sandbox:
    sandbox = Sandbox.aws_for(request.user)
    if sandbox is None or not sandbox.is_connected:
        raise Http404("No AWS account is connected.")
    return sandbox


def _lab_choice(request):
    """The lab (and mode) the learner was starting when sent to confirm, if any."""
    source = request.POST if request.method == "POST" else request.GET
    lab = get_lab(source.get("lab", "")) if source.get("lab") else None
    mode = source.get("mode") if source.get("mode") in LabRun.Mode.values else LabRun.Mode.GUIDED
    return lab, mode


@login_required
@require_http_methods(["GET", "POST"])
def account_confirm(request):
    sandbox = Sandbox.aws_for(request.user)
    if sandbox is None or not sandbox.is_connected:
        messages.error(request, "Connect your AWS account first.")
        return redirect("labs:account")
    lab, mode = _lab_choice(request)
    form = ConfirmForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            accounts.sandbox_confirm(sandbox=sandbox, typed=form.cleaned_data["account_id"])
        except accounts.ConnectionRefused as error:
            form.add_error("account_id", str(error))
        else:
            if lab is None:
                messages.success(request, f"Account {sandbox.account_display} confirmed: labs may deploy there.")
                return redirect("labs:account")
            try:
                run = services.lab_run_start(user=request.user, lab=lab, mode=mode, website_origin=site_origin(request),
                                             sandbox=sandbox)
            except aws.SandboxUnavailable as error:
                messages.error(request, str(error))
                return redirect("labs:detail", slug=lab.slug)
            return redirect(run)
    if form.errors:
        # The refusal sits under the estimates: focus the field, which scrolls it into view.
        form.fields["account_id"].widget.attrs.update(
            {"autofocus": True, "aria-describedby": f"{form['account_id'].id_for_label}-errors"})
    estimates = [(one.title, pricing.estimate(one.slug)) for one in ([lab] if lab else _labs())]
    return render(request, "labs/account_confirm.html", {
        "sandbox": sandbox, "form": form, "lab": lab, "mode": mode, "estimates": estimates,
        "ttl": guardrails.ttl_text(), "confirmed": sandbox.confirmed_at is not None,
    }, status=400 if form.errors else 200)


def _labs():
    return all_labs()


def chosen_sandbox(request, lab, mode):
    """For the start view: the sandbox the learner chose, or a redirect that says what is missing."""
    if request.POST.get("sandbox", Sandbox.Kind.LOCAL) != Sandbox.Kind.AWS:
        return None, None
    sandbox = Sandbox.aws_for(request.user)
    if sandbox is None or not sandbox.is_connected:
        messages.error(request, "Connect your AWS account first: then labs can deploy there.")
        return None, redirect("labs:account")
    if sandbox.confirmed_at is None:
        return None, redirect(reverse("labs:account_confirm") + "?" + urlencode({"lab": lab.slug, "mode": mode}))
    return sandbox, None


@login_required
@require_GET
def holding(request):
    return render(request, "labs/holding.html", {"runs": selectors.runs_holding_resources(request.user),
                                                 "ttl": guardrails.ttl_text()})


@login_required
@require_POST
def holding_teardown(request):
    count = services.lab_runs_teardown_all(user=request.user)
    if count:
        messages.success(request, f"Tearing down {count} run{'s' if count != 1 else ''}: each page shows its progress.")
    else:
        messages.success(request, "Nothing to tear down: none of your runs holds resources.")
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect("labs:holding")
