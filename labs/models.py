import secrets
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.urls import reverse
from django.utils import timezone


class Sandbox(models.Model):
    """Where a learner's labs deploy.

    ``local``: the embedded emulator, in an emulated AWS account of the learner's own (MiniStack
    picks the account from the 12-digit access key id). ``aws``: the learner's own AWS account,
    reached through a cross-account role (assumed with the learner's external id, sessions kept
    in memory only) or an IAM user's access key pair (stored encrypted, :mod:`own_account.vault`).

    An ``aws`` sandbox starts *pending* (an external id, nothing connected), is *connected* once
    the site has checked the role or keys (:mod:`own_account.accounts`), and is *confirmed* when the
    learner has typed its account id, which every deploy requires. Disconnecting wipes the
    credentials and keeps the row for the runs' history; a learner has one active ``aws`` sandbox.
    """

    class Kind(models.TextChoices):
        LOCAL = "local", "Local sandbox"
        AWS = "aws", "Your AWS account"

    class Connection(models.TextChoices):
        NONE = "", "Not connected"
        ROLE = "role", "Cross-account IAM role"
        KEYS = "keys", "Access key of an IAM user"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="lab_sandboxes")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.LOCAL)
    account_id = models.CharField(max_length=12, blank=True, help_text="The AWS account (emulated for a local sandbox).")
    region = models.CharField(max_length=30)
    connection = models.CharField(max_length=10, choices=Connection.choices, blank=True, default=Connection.NONE)
    external_id = models.CharField(max_length=64, blank=True,
                                   help_text="The learner's external id: the role's trust policy must require it.")
    role_arn = models.CharField(max_length=300, blank=True)
    keys_encrypted = models.TextField(blank=True, editable=False,
                                      help_text="The access key pair, Fernet-encrypted (own_account.vault); never shown.")
    key_hint = models.CharField(max_length=8, blank=True, help_text="The access key id's last four characters.")
    caller_arn = models.CharField(max_length=300, blank=True, help_text="Who the site is in the account.")
    account_alias = models.CharField(max_length=63, blank=True)
    permissions_boundary = models.CharField(
        max_length=300, blank=True, help_text="Set on every IAM role a lab creates in this account, when present.")
    connected_at = models.DateTimeField(null=True, blank=True)
    checked_at = models.DateTimeField(null=True, blank=True, help_text="When the connection last worked.")
    confirmed_at = models.DateTimeField(null=True, blank=True,
                                        help_text="When the learner typed the account id to allow deploys into it.")
    disconnected_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user"], condition=models.Q(kind="local"), name="one_local_sandbox_per_user"),
            models.UniqueConstraint(fields=["account_id"], condition=models.Q(kind="local"), name="local_accounts_are_unique"),
            models.UniqueConstraint(fields=["user"], condition=models.Q(kind="aws", disconnected_at__isnull=True),
                                    name="one_aws_account_per_user"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} of {self.user} ({self.account_id or 'not connected'})"

    @staticmethod
    def new_local_account_id() -> str:
        # Never 000000000000: the emulator's default account, where unsigned calls land.
        return str(secrets.randbelow(9 * 10**11) + 10**11)

    @classmethod
    def local_for(cls, user) -> "Sandbox":
        """The learner's local sandbox, created with a fresh account id on first use."""
        existing = cls.objects.filter(user=user, kind=cls.Kind.LOCAL).first()
        if existing:
            return existing
        for _ in range(5):
            try:
                with transaction.atomic():
                    return cls.objects.create(user=user, kind=cls.Kind.LOCAL, account_id=cls.new_local_account_id(),
                                              region=settings.LABS_REGION)
            except IntegrityError:
                existing = cls.objects.filter(user=user, kind=cls.Kind.LOCAL).first()
                if existing:
                    return existing
        raise RuntimeError("could not allocate a local sandbox account id")

    @classmethod
    def aws_for(cls, user) -> "Sandbox | None":
        """The learner's active AWS-account sandbox (pending or connected), or None."""
        if not user.is_authenticated:
            return None
        return cls.objects.filter(user=user, kind=cls.Kind.AWS, disconnected_at__isnull=True).first()

    @classmethod
    def aws_pending_for(cls, user) -> "Sandbox":
        """The learner's active AWS-account sandbox, created pending on first use. A learner keeps one
        external id: a role made for it before a disconnect still works after."""
        existing = cls.aws_for(user)
        if existing:
            return existing
        earlier = cls.objects.filter(user=user, kind=cls.Kind.AWS).exclude(external_id="").order_by("-id").first()
        external_id = earlier.external_id if earlier else cls.new_external_id()
        try:
            with transaction.atomic():
                return cls.objects.create(user=user, kind=cls.Kind.AWS, region=settings.LABS_AWS_REGIONS[0],
                                          external_id=external_id)
        except IntegrityError:
            return cls.aws_for(user)

    @staticmethod
    def new_external_id() -> str:
        # AWS allows 2-1224 characters of [\w+=,.@:/-]; 128 random bits is plenty.
        return "sa-" + secrets.token_hex(16)

    @property
    def is_local(self) -> bool:
        return self.kind == self.Kind.LOCAL

    @property
    def is_aws(self) -> bool:
        return self.kind == self.Kind.AWS

    @property
    def is_connected(self) -> bool:
        """An AWS-account sandbox whose role or keys the site has checked (local ones always are)."""
        if self.is_local:
            return True
        return bool(self.connection and self.connected_at and not self.disconnected_at)

    @property
    def is_confirmed(self) -> bool:
        return self.is_local or (self.is_connected and self.confirmed_at is not None)

    @property
    def account_display(self) -> str:
        """The account id as AWS prints it in the console: 1234-5678-9012."""
        digits = self.account_id
        return f"{digits[:4]}-{digits[4:8]}-{digits[8:]}" if len(digits) == 12 else digits

    @property
    def where(self) -> str:
        """Where a run deploys, in a sentence: "your local sandbox (account …, us-east-1)"."""
        if self.is_local:
            return f"your local sandbox (account {self.account_id}, {self.region})"
        alias = f" “{self.account_alias}”" if self.account_alias else ""
        return f"your AWS account {self.account_id}{alias} ({self.region})"


class LabRunQuerySet(models.QuerySet):
    def of(self, user):
        return self.filter(user=user)

    def active(self):
        return self.exclude(status__in=LabRun.FINISHED)

    def holding_resources(self):
        """Runs whose ledger still has something not deleted (whatever their status)."""
        return self.filter(ledger__status__in=LedgerEntry.PRESENT).distinct()


class LabRun(models.Model):
    """One learner working through one lab in one sandbox."""

    class Mode(models.TextChoices):
        GUIDED = "guided", "Guided"
        AUTO = "auto", "Automatic"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Working"
        WAITING = "waiting", "Waiting for you"
        LIVE = "live", "Deployed and verified"
        TEARING_DOWN = "tearing_down", "Tearing down"
        CLEANED = "cleaned", "Cleaned up"
        TEARDOWN_FAILED = "teardown_failed", "Teardown failed"
        KEPT = "kept", "Kept (not torn down)"

    class Outcome(models.TextChoices):
        NONE = "", "In progress"
        PASSED = "passed", "Passed"
        FAILED = "failed", "Failed"
        ABANDONED = "abandoned", "Abandoned"
        EXPIRED = "expired", "Expired"
        CRASHED = "crashed", "Interrupted"

    class Action(models.TextChoices):
        APPLY = "apply", "Do it for me"
        CHECK = "check", "Check my progress"
        AUTO = "auto", "Run the rest automatically"
        VERIFY = "verify", "Verify end to end"
        TEARDOWN = "teardown", "Tear down"

    FINISHED = (Status.CLEANED, Status.TEARDOWN_FAILED, Status.KEPT)
    BUSY = (Status.QUEUED, Status.RUNNING, Status.TEARING_DOWN)

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="lab_runs")
    sandbox = models.ForeignKey(Sandbox, on_delete=models.PROTECT, related_name="runs")
    lab_slug = models.SlugField(max_length=60)
    token = models.CharField(max_length=8, unique=True, editable=False,
                             help_text="Resource names start with sa-<token>; resources are tagged with it.")
    mode = models.CharField(max_length=10, choices=Mode.choices, default=Mode.GUIDED)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.WAITING, db_index=True)
    outcome = models.CharField(max_length=20, choices=Outcome.choices, default=Outcome.NONE, blank=True)
    pending_action = models.CharField(max_length=20, choices=Action.choices, blank=True)
    pending_step = models.SlugField(max_length=60, blank=True)
    abandon_requested = models.BooleanField(default=False)
    step_states = models.JSONField(default=dict, blank=True, help_text="step slug -> pending/running/passed/failed")
    verify_state = models.CharField(max_length=10, default="pending", blank=True)
    outputs = models.JSONField(default=dict, blank=True, help_text="What the steps built: ids, names, URLs.")
    website_origin = models.CharField(max_length=200, help_text="The origin the deployed API allows (CORS).")
    keep_after_verify = models.BooleanField(default=False, help_text="Leave everything deployed (CLI --keep).")
    explore_seconds = models.PositiveIntegerField(
        default=0, help_text="After a passed verify, how long the app stays up for the learner before teardown.")
    teardown_after = models.DateTimeField(null=True, blank=True, help_text="Torn down by the periodic task after this.")
    expires_at = models.DateTimeField(
        null=True, blank=True, help_text="Its time-to-live: torn down when this passes, whatever it is doing.")
    message = models.TextField(blank=True, help_text="The latest explanation: what failed, or what is left.")
    worker = models.CharField(max_length=120, blank=True, help_text="host:pid of the process working on it.")
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    task_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = LabRunQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "-created_at"])]

    def __str__(self):
        return f"{self.lab_slug} run {self.prefix} by {self.user}"

    def save(self, *args, **kwargs):
        if not self.token:
            self.token = secrets.token_hex(4)
        if self._state.adding and self.expires_at is None:
            self.expires_at = timezone.now() + timedelta(seconds=settings.LABS_RUN_TTL_SECONDS)
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("labs:run", kwargs={"pk": self.pk})

    @property
    def prefix(self) -> str:
        return f"sa-{self.token}"

    @property
    def lab(self):
        from labs.catalog import get_lab

        return get_lab(self.lab_slug)

    @property
    def is_finished(self) -> bool:
        return self.status in self.FINISHED

    @property
    def is_busy(self) -> bool:
        return self.status in self.BUSY

    @property
    def accepts_actions(self) -> bool:
        return self.status in (self.Status.WAITING, self.Status.LIVE)

    @property
    def teardown_pending(self) -> bool:
        """Teardown left only what AWS must finish first (a Lambda@Edge function's replicas): waiting, not failed."""
        if self.status != self.Status.TEARDOWN_FAILED:
            return False
        left = list(self.ledger.filter(status=LedgerEntry.Status.DELETE_FAILED).values_list("error", flat=True))
        return bool(left) and all(error.startswith("Pending deletion:") for error in left)

    def touch(self, **fields):
        """Update ``fields`` (and the heartbeat) in one UPDATE, on the row and this instance."""
        fields.setdefault("heartbeat_at", timezone.now())
        fields["updated_at"] = timezone.now()
        type(self).objects.filter(pk=self.pk).update(**fields)
        for name, value in fields.items():
            setattr(self, name, value)


class RunEvent(models.Model):
    """One thing that happened on a run: a step, a check, an AWS action, a verify, a teardown."""

    class Kind(models.TextChoices):
        RUN = "run", "Run"
        STEP = "step", "Step"
        CHECK = "check", "Check"
        AWS = "aws", "AWS action"
        NOTE = "note", "Note"
        VERIFY = "verify", "Verify"
        TEARDOWN = "teardown", "Teardown"

    class Status(models.TextChoices):
        INFO = "info", "Info"
        START = "start", "Started"
        OK = "ok", "OK"
        FAIL = "fail", "Failed"

    run = models.ForeignKey(LabRun, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(default=timezone.now)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.INFO)
    step = models.CharField(max_length=60, blank=True)
    message = models.TextField()
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return f"{self.kind} {self.status}: {self.message[:60]}"


class LedgerEntry(models.Model):
    """A resource a run created (or is creating), recorded before the create call returns."""

    class Status(models.TextChoices):
        CREATING = "creating", "Being created"
        CREATED = "created", "Created"
        DELETED = "deleted", "Deleted"
        GONE = "gone", "Already gone"
        DELETE_FAILED = "delete_failed", "Could not delete"

    PRESENT = (Status.CREATING, Status.CREATED, Status.DELETE_FAILED)

    run = models.ForeignKey(LabRun, on_delete=models.CASCADE, related_name="ledger")
    kind = models.CharField(max_length=40, help_text="e.g. dynamodb:table, lambda:function")
    name = models.CharField(max_length=300)
    physical_id = models.CharField(max_length=300, blank=True, help_text="What the delete call takes (id or name).")
    arn = models.CharField(max_length=400, blank=True)
    region = models.CharField(max_length=30)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.CREATING)
    adopted = models.BooleanField(default=False, help_text="Made by the learner by hand and found by a check.")
    leftover = models.BooleanField(
        default=False, help_text="Not in the ledger: found after teardown by the run's name prefix or tag.")
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["run", "kind", "name"], name="one_ledger_entry_per_resource")]
        verbose_name_plural = "ledger entries"

    def __str__(self):
        return f"{self.kind} {self.name} ({self.status})"

    @property
    def is_present(self) -> bool:
        return self.status in self.PRESENT

    @property
    def kind_label(self) -> str:
        from labs.engine.resources import KINDS

        return KINDS[self.kind].label if self.kind in KINDS else self.kind

    def manual_command(self, endpoint_url: str | None = None, *, account: str = "") -> str:
        from labs.engine.resources import manual_command

        return manual_command(self.kind, self.physical_id, self.name, endpoint_url=endpoint_url, region=self.region,
                              account=account)
