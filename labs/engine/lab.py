"""What a lab is made of, and what its steps get to work with. No ORM here.

A lab (one folder in ``labs/catalog/``) declares a :class:`Lab`: its use case, services,
diagram, SAM template and ordered :class:`Step` s. A step has Markdown instructions for the
learner, an ``apply(ctx)`` that builds the step with boto3 and may run any number of times
without creating anything twice, and a ``check(ctx)`` that inspects the sandbox and returns a
:class:`CheckResult` whose message a learner can act on. The lab's ``verify`` checks test
the deployed system end to end over HTTP.

Steps talk to AWS only through ``ctx.clients`` and announce every resource they are about
to create with ``ctx.creating(...)``: the run's ledger holds it *before* the create call
returns, so a crash mid-call still leaves a record that teardown can act on.
"""

import contextlib
import hashlib
import io
import zipfile
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Callable, Protocol

RUN_TAG = "serverless-academy:run"


@dataclass(frozen=True)
class Found:
    """A resource a check saw in the sandbox under the name the lab expects."""

    kind: str
    name: str
    physical_id: str = ""
    arn: str = ""


@dataclass(frozen=True)
class CheckResult:
    ok: bool
    message: str
    found: tuple[Found, ...] = ()

    @classmethod
    def passed(cls, message: str, *found: Found) -> "CheckResult":
        return cls(True, message, tuple(found))

    @classmethod
    def failed(cls, message: str) -> "CheckResult":
        return cls(False, message)


class StepBlocked(Exception):
    """A step cannot be applied yet (an earlier step is missing); the message says which."""


@dataclass(frozen=True)
class Step:
    slug: str
    title: str
    summary: str
    instructions: str  # Markdown
    apply: Callable[["Context"], None]
    check: Callable[["Context"], CheckResult]
    parts: tuple[str, ...] = ()  # the diagram parts this step builds
    # In the local sandbox the step builds nothing in the account and its check is a precondition of
    # this machine (the video lab's ffmpeg): a fresh account already passes it.
    local_precondition: bool = False
    # The services this step builds, when its diagram parts do not say (see Lab.step_services).
    services: tuple[str, ...] = ()

    @cached_property
    def instructions_html(self) -> str:
        from cheatsheets.rendering import render_markdown

        # Tabs are radio groups named __tabbed_N: several steps on one page must not share them.
        return render_markdown(self.instructions).html.replace("__tabbed_", f"__tabbed_{self.slug}_")


@dataclass(frozen=True)
class VerifyCheck:
    slug: str
    title: str
    run: Callable[["Context"], CheckResult]


@dataclass(frozen=True)
class Sabotage:
    """A mistake a learner makes, for the lab's grader self-test (tests/labs/test_self_test.py): after
    the steps up to ``after`` are built, ``breaks(ctx)`` makes the mistake; each (where, says) in
    ``fails`` must then fail with a message containing ``says``. ``where`` is a step slug, or
    ``verify:<slug>`` for a verify check (the verify runs when one is named)."""

    slug: str
    description: str
    breaks: Callable[["Context"], None]
    fails: tuple[tuple[str, str], ...]
    after: str = ""  # the last step built before the mistake; "" means all of them


@dataclass(frozen=True)
class Lab:
    slug: str
    title: str
    summary: str
    use_case: str  # Markdown
    services: tuple[str, ...]
    minutes: int
    aws_cost: str
    diagram: str  # template of an inline SVG whose parts carry data-part="..."
    parts: dict[str, str]  # diagram part -> label
    steps: tuple[Step, ...]
    verify: tuple[VerifyCheck, ...]
    folder: Path  # labs/catalog/<slug>/: template.sam.yaml, text/, functions/<name>/app.py, site/
    variables: Callable[["Names", str, str, str], dict] = field(default=lambda names, account, region, origin: {})
    functions: tuple[str, ...] = ()  # folders in <folder>/functions/ the lab deploys
    runtime: str = "python3.12"  # the Lambda runtime its functions declare (tests/labs/test_parity.py holds them to it)
    order: int = 100  # where the labs index lists it
    sabotage: tuple[Sabotage, ...] = ()  # the mistakes its grader must catch, with the message it gives
    usage: dict = field(default_factory=dict)  # what one run uses in AWS (own_account.pricing.PRICES keys)
    # The site files a learner downloads to publish by hand: (key, body, content type), given the API's URL.
    site_files: Callable[[str], list] | None = None
    # (clients, names, account id, since in ms) -> how much work its functions have yet to finish
    # (uploads not yet processed): teardown waits for it, bounded, before deleting anything.
    in_flight: Callable[..., int] | None = None
    # (clients, names, account id, local) -> True when the lab can show, from what the account holds, that
    # every record its event sources took has been handled, so nothing can invoke a function late:
    # teardown then skips its second look (LABS_TEARDOWN_GRACE_SECONDS). False keeps the look.
    settled: Callable[..., bool] | None = None
    # What the local sandbox really runs for this lab's services, and what it only stores (the lab page
    # lists both, beside labs.sandbox.ENFORCED / NOT_ENFORCED).
    local_real: tuple[str, ...] = ()
    local_stored: tuple[str, ...] = ()
    # The learner packages the SAM template by hand: the run offers it with the functions' code (sam-app.zip).
    offers_sam_app: bool = False

    def step(self, slug: str) -> Step:
        for step in self.steps:
            if step.slug == slug:
                return step
        raise KeyError(f"lab {self.slug} has no step {slug!r}")

    def step_services(self, step: Step) -> tuple[str, ...]:
        """What a step builds, by the lab's service names: those it declares, else each service of the
        lab whose short name ("Amazon DynamoDB": "dynamodb") begins one of its parts' labels
        ("DynamoDB", "S3 uploads bucket"). Questions link to the step that builds their services."""
        if step.services:
            return step.services
        labels = [self.parts.get(part, "").lower() for part in step.parts]
        found = []
        for service in self.services:
            short = service.removeprefix("Amazon ").removeprefix("AWS ").lower()
            if any(label == short or label.startswith(short + " ") for label in labels):
                found.append(service)
        return tuple(found)

    @property
    def sam_template(self) -> Path:
        return self.folder / "template.sam.yaml"

    def function_folder(self, name: str) -> Path:
        return self.folder / "functions" / name

    def source_path(self, path: Path) -> str:
        """Where a file of the lab is in the repository, as the lab page names it (labs/catalog/...)."""
        return str(path.relative_to(self.folder.parent.parent.parent))

    @property
    def sam_template_path(self) -> str:
        return self.source_path(self.sam_template)

    @cached_property
    def use_case_html(self) -> str:
        from cheatsheets.rendering import render_markdown

        return render_markdown(self.use_case).html

    @cached_property
    def sam_source(self) -> str:
        return self.sam_template.read_text()

    @cached_property
    def sam_html(self) -> str:
        return _highlighted(self.sam_source, "yaml")

    @cached_property
    def function_sources(self) -> list[tuple[str, str]]:
        return [(self.source_path(self.function_folder(name) / "app.py"),
                 _highlighted((self.function_folder(name) / "app.py").read_text(), "python")) for name in self.functions]


def _highlighted(source: str, language: str) -> str:
    from cheatsheets.rendering import render_markdown

    fence = "~~~~" if "```" in source else "```"
    return render_markdown(f"{fence}{language}\n{source}\n{fence}\n").html


@dataclass(frozen=True)
class Names:
    """Every resource a run creates is named ``<prefix>-<what>``: sa-3f9a1c2e-items."""

    prefix: str

    def __call__(self, what: str) -> str:
        return f"{self.prefix}-{what}"


class Recorder(Protocol):
    """Where a run's events and ledger go: the database for real runs, memory in tests."""

    def event(self, kind: str, message: str, *, status: str = "info", step: str = "", detail: dict | None = None) -> None: ...

    def ledger_creating(self, kind: str, name: str, region: str, physical_id: str = "") -> int: ...

    def ledger_created(self, entry_id: int, *, physical_id: str = "", arn: str = "") -> None: ...


@dataclass
class MemoryEntry:
    kind: str
    name: str
    region: str
    physical_id: str = ""
    arn: str = ""
    status: str = "creating"

    @property
    def kind_label(self) -> str:
        return self.kind


class MemoryRecorder:
    """A :class:`Recorder` that keeps everything in lists: for tests and dry runs."""

    def __init__(self):
        self.events: list[dict] = []
        self.ledger: list[MemoryEntry] = []

    def event(self, kind, message, *, status="info", step="", detail=None):
        self.events.append({"kind": kind, "message": message, "status": status, "step": step, "detail": detail or {}})

    def ledger_creating(self, kind, name, region, physical_id=""):
        for index, entry in enumerate(self.ledger):
            if (entry.kind, entry.name) == (kind, name):
                return index
        self.ledger.append(MemoryEntry(kind, name, region, physical_id or name))
        return len(self.ledger) - 1

    def ledger_created(self, entry_id, *, physical_id="", arn=""):
        entry = self.ledger[entry_id]
        entry.physical_id = physical_id or entry.physical_id
        entry.arn = arn or entry.arn
        entry.status = "created"


class _Creating:
    """Handed out by ``ctx.creating``: set ``physical_id``/``arn`` once the call returns."""

    def __init__(self):
        self.physical_id = ""
        self.arn = ""


class Context:
    """Everything a step's apply/check and a verify check work with."""

    def __init__(self, *, clients, names: Names, region: str, account_id: str, recorder: Recorder,
                 website_origin: str, public_api_base: Callable[[str, str], str], outputs: dict | None = None,
                 deployment=None, tags: dict | None = None):
        self.clients = clients
        self.name = names
        self.region = region
        self.account_id = account_id
        self.recorder = recorder
        self.website_origin = website_origin
        self.public_api_base = public_api_base
        self.outputs = outputs if outputs is not None else {}
        self.deployment = deployment
        self.tags = tags or {RUN_TAG: names.prefix}
        self.scratch: dict = {}  # shared between one verify's checks
        self.step = ""

    def tag_list(self) -> list[dict]:
        return [{"Key": key, "Value": value} for key, value in self.tags.items()]

    @contextlib.contextmanager
    def creating(self, kind: str, name: str, physical_id: str = ""):
        """Record ``kind``/``name`` in the ledger, then let the caller create it."""
        entry_id = self.recorder.ledger_creating(kind, name, self.region, physical_id)
        handle = _Creating()
        yield handle
        self.recorder.ledger_created(entry_id, physical_id=handle.physical_id, arn=handle.arn)

    def note(self, message: str, *, status: str = "info", detail: dict | None = None) -> None:
        self.recorder.event("note", message, status=status, step=self.step, detail=detail)


def function_zip(folder: Path) -> bytes:
    """The Lambda source in ``folder`` (a lab's ``functions/<name>/``) as a deployment package.

    Built byte-for-byte the same each time (fixed timestamps, sorted names), so its SHA-256
    only changes when the code does and re-applying a step uploads nothing new.
    """
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_dir() or "__pycache__" in path.parts or path.name == "__init__.py" or path.suffix == ".pyc":
                continue
            info = zipfile.ZipInfo(str(path.relative_to(folder)), date_time=(2020, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, path.read_bytes())
    return buffer.getvalue()


def code_sha256(package: bytes) -> str:
    """The CodeSha256 Lambda reports for a package: base64 of its SHA-256."""
    import base64

    return base64.b64encode(hashlib.sha256(package).digest()).decode()
