"""What a learner needs to do a run's steps by hand: the lab's files and the shell environment that
points the AWS CLI and boto3 at the run's account in the local sandbox.

The run page shows the same environment as `export` lines; `manage.py lab shell RUN_ID` opens a
shell with it set, in a folder holding the files (`labs/management/commands/lab.py`).
"""

import io
import os
import sys
import zipfile
from pathlib import Path

from django.conf import settings
from django.urls import reverse

from labs.engine.lab import Names, function_zip


def file_names(run) -> list[str]:
    """The zips a run offers: each function's code, and the website when the lab publishes one."""
    lab = run.lab
    if lab is None:
        return []
    return [*lab.functions, *(["website"] if lab.site_files is not None else []),
            *(["sam-app"] if lab.offers_sam_app else [])]


def run_file(run, name: str) -> bytes | None:
    """The zip named `name` (a function of the lab, or "website"), or None when the lab has no such file."""
    lab = run.lab
    if lab is None:
        return None
    if name in lab.functions:
        return function_zip(lab.function_folder(name))
    if name == "sam-app" and lab.offers_sam_app:
        return sam_app_zip(lab)
    if name == "website" and lab.site_files is not None:
        api_url = run.outputs.get("api_url") or reverse("labs:run_api_root", kwargs={"pk": run.pk}).rstrip("/")
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for key, body, _ in lab.site_files(api_url):
                archive.writestr(key, body)
        return buffer.getvalue()
    return None


def sam_app_zip(lab) -> bytes:
    """The lab's SAM template with each function's folder where its CodeUri expects it (functions/<name>/):
    what `sam package` or `aws cloudformation package` reads."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("template.sam.yaml", lab.sam_source)
        for name in lab.functions:
            for path in sorted(lab.function_folder(name).rglob("*.py")):
                if path.name != "__init__.py" and "__pycache__" not in path.parts:
                    archive.writestr(f"functions/{name}/{path.relative_to(lab.function_folder(name))}", path.read_bytes())
    return buffer.getvalue()


def environment(run) -> dict[str, str]:
    """The variables a terminal needs for the run's local-sandbox account: the AWS CLI and boto3 read
    AWS_ENDPOINT_URL, so every call goes to the sandbox, never to AWS. The secret is not checked there."""
    values = {
        "AWS_ACCESS_KEY_ID": run.sandbox.account_id,
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": run.sandbox.region,
        "AWS_ENDPOINT_URL": settings.LABS_SANDBOX_URL,
    }
    if run.lab is not None:
        names = Names(run.prefix)
        values.update({name: str(value) for name, value in
                       run.lab.variables(names, run.sandbox.account_id, run.sandbox.region, run.website_origin).items()})
    return values


def write_files(run, folder: Path) -> list[Path]:
    """Write the run's zips into `folder` (created if missing); returns their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name in file_names(run):
        path = folder / f"{name}.zip"
        path.write_bytes(run_file(run, name))
        written.append(path)
    return written


def shell_environment(run, base: dict | None = None) -> dict[str, str]:
    """The process environment for `lab shell`: the caller's, the run's variables, and the project's
    virtualenv first on PATH so that `aws` and `python` (with boto3) are the ones `make run` installed.
    Nothing of the site's own configuration (SECRET_KEY, DATABASE_URL) is passed on."""
    env = {key: value for key, value in (base if base is not None else os.environ).items()
           if key not in ("SECRET_KEY", "DATABASE_URL", "LABS_SECRET_KEYS", "AWS_PROFILE", "AWS_SESSION_TOKEN")}
    env.update(environment(run))
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env["PS1"] = f"(lab run {run.pk}) \\w $ "
    return env
