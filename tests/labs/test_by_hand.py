"""A learner doing a guided lab by hand: each step's "AWS CLI" tab (and, in another run, its
"Python (boto3)" tab) is run as written, in the shell `manage.py lab shell RUN_ID` opens (the AWS CLI
`make run` installs, the run's variables, the lab's files), against the real local sandbox; the
learner then presses "Check my progress" and finally "Verify". If an instruction is wrong, its
step's check fails here. Teardown then finds what was made by hand and leaves nothing."""

import re
import sys
import textwrap
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from labs import services, workspace
from labs.catalog import all_labs, get_lab
from labs.engine import runner
from labs.models import LabRun
from tests.factories import UserFactory
from tests.labs.conftest import leftovers
from labs import aws

pytestmark = pytest.mark.django_db(transaction=True)

TABS = {"AWS CLI": "bash", "Python (boto3)": "python"}


def tab_code(markdown: str, tab: str) -> str:
    """The first code block of the tab titled `tab` (Markdown tabs indent their content by 4 spaces)."""
    start = markdown.index(f'=== "{tab}"')
    fence = TABS[tab]
    match = re.compile(rf"^    ```{fence}\n(.*?)^    ```$", re.S | re.M).search(markdown, start)
    assert match, f"no ```{fence} block under the {tab} tab"
    return textwrap.dedent(match.group(1))


def as_shell(tab: str, code: str) -> str:
    if TABS[tab] == "bash":
        return "set -euo pipefail\n" + code
    return f"python - <<'PYTHON'\n{code}PYTHON\n"


def request(run, action, step=""):
    services.lab_run_request(run=run, action=action, step=step)
    runner.execute(run.pk)  # what the worker does with the queued action
    run.refresh_from_db()
    return run


def test_every_step_of_every_lab_has_the_three_tabs():
    for lab in all_labs():
        for step in lab.steps:
            for tab in ("Console", "AWS CLI", "Python (boto3)"):
                assert f'=== "{tab}"' in step.instructions, f"{lab.slug}/{step.slug} has no {tab} tab"
            html = step.instructions_html
            assert "Python (boto3)" in html and "<code" in html


# The video lab's CLI tab is written for an AWS account (it attaches the ffmpeg layer; the local
# variant is a comment in it), so only its Python tab, which handles both, runs as written here.
@pytest.mark.parametrize("slug,tab", [("fullstack", "AWS CLI"), ("fullstack", "Python (boto3)"),
                                      ("video", "Python (boto3)"),
                                      # about 50 s each on a loaded 2-core machine: the verify waits out real retries
                                      pytest.param("workflow", "AWS CLI", marks=pytest.mark.slow),
                                      pytest.param("workflow", "Python (boto3)", marks=pytest.mark.slow),
                                      ("relational", "AWS CLI"), ("relational", "Python (boto3)"),
                                      ("containers", "AWS CLI"), ("containers", "Python (boto3)"),
                                      ("clickstream", "AWS CLI"), ("clickstream", "Python (boto3)"),
                                      ("securedapi", "AWS CLI"), ("securedapi", "Python (boto3)"),
                                      # 80 to 140 s each on a loaded machine: five functions, two waits for roles
                                      pytest.param("fanout", "AWS CLI", marks=pytest.mark.slow),
                                      pytest.param("fanout", "Python (boto3)", marks=pytest.mark.slow)])
def test_a_lab_built_by_hand_from_a_tab_passes_its_checks_and_verify(sandbox_url, slug, tab, tmp_path):
    lab = get_lab(slug)
    run = services.lab_run_start(user=UserFactory(), lab=lab, mode=LabRun.Mode.GUIDED,
                                 website_origin="http://testserver", explore_seconds=0)
    for step in lab.steps:
        script = as_shell(tab, tab_code(step.instructions, tab))
        call_command("lab", "shell", str(run.pk), "-c", script, "--dir", str(tmp_path / step.slug))
        run = request(run, LabRun.Action.CHECK, step.slug)
        assert run.step_states[step.slug] == "passed", (
            f"{tab}, step {step.slug}: " + run.events.filter(step=step.slug).order_by("-id").first().message)
    run = request(run, LabRun.Action.VERIFY)
    assert run.verify_state == "passed", run.message
    # Hand-made resources were adopted by the checks: teardown deletes them and finds nothing after.
    call_command("lab", "teardown", str(run.pk))
    run.refresh_from_db()
    assert run.status == LabRun.Status.CLEANED
    assert not any(leftovers(aws.target_for(run.sandbox), run.prefix).values())


def test_lab_shell_gives_the_runs_account_files_and_the_projects_cli(sandbox_url, tmp_path):
    lab = get_lab("fullstack")
    run = services.lab_run_start(user=UserFactory(), lab=lab, mode=LabRun.Mode.GUIDED,
                                 website_origin="http://testserver", explore_seconds=0)
    out = tmp_path / "out.txt"
    call_command("lab", "shell", str(run.pk), "--dir", str(tmp_path / "files"), "-c",
                 f'command -v aws > {out}; command -v python >> {out}; ls >> {out}; '
                 f'aws sts get-caller-identity --query Account --output text >> {out}; '
                 f'echo "$TABLE ${{SECRET_KEY:-no-secret}} ${{DATABASE_URL:-no-db}}" >> {out}')
    lines = out.read_text().split()
    assert lines[0] == str(Path(sys.executable).parent / "aws") and lines[1] == str(Path(sys.executable).parent / "python")
    assert {"items_api.zip", "website.zip"} <= set(lines)
    assert run.sandbox.account_id in lines  # the CLI talks to the run's own account in the sandbox
    assert lines[-3:] == [workspace.environment(run)["TABLE"], "no-secret", "no-db"]
    with pytest.raises(CommandError, match="status 3"):
        call_command("lab", "shell", str(run.pk), "-c", "exit 3", "--dir", str(tmp_path / "files"))
    run.status = LabRun.Status.CLEANED
    run.save(update_fields=["status"])
    with pytest.raises(CommandError, match="start a new run"):
        call_command("lab", "shell", str(run.pk), "-c", "true")


def test_the_graphql_step_writes_out_exactly_the_labs_schema_and_resolvers():
    """The secured-API lab's GraphQL step carries its schema and resolvers in both tabs (the shell's
    folder gets function code only): they must stay the files the lab itself deploys."""
    text = get_lab("securedapi").step("graphql").instructions
    cli, python = tab_code(text, "AWS CLI"), tab_code(text, "Python (boto3)")
    folder = get_lab("securedapi").folder / "graphql"
    for name, variable in (("schema.graphql", "SCHEMA"), ("addNote.js", "ADD_NOTE"), ("listNotes.js", "LIST_NOTES"),
                           ("notice.js", "NOTICE")):
        body = (folder / name).read_text()
        fence = "GRAPHQL" if name.endswith(".graphql") else "JS"
        assert f"cat > {name} <<'{fence}'\n{body}{fence}\n" in cli, f"the CLI tab's {name} differs from the lab's"
        assert f'{variable} = """{body}"""' in python, f"the Python tab's {name} differs from the lab's"
