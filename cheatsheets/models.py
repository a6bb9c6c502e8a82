from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.urls import reverse

from cheatsheets import rendering, search


class Category(models.TextChoices):
    """Index groups, in the order the index shows them."""

    OVERVIEW = "overview", "Start here"
    COMPUTE = "compute", "Compute"
    STORAGE = "storage", "Storage"
    DATABASES = "databases", "Databases"
    API_ORCHESTRATION = "api-orchestration", "API and orchestration"
    INTEGRATION_ANALYTICS = "integration-analytics", "Integration and analytics"
    SECURITY_TOOLING = "security-tooling", "Security and tooling"
    COMPARISONS = "comparisons", "Comparisons"
    USE_CASES = "use-cases", "Use cases"


CATEGORY_ORDER = {value: position for position, value in enumerate(Category.values)}


class CheatSheetQuerySet(models.QuerySet):
    def listing(self):
        """Rows for lists and navigation: everything but the heavy text columns."""
        return self.defer("body_markdown", "body_html", "toc_html", "search_text", "sections")

    def with_reviewed_by(self, user):
        """Annotate ``is_reviewed`` for ``user`` in the same query (False for anonymous users)."""
        if not user.is_authenticated:
            return self.annotate(is_reviewed=models.Value(False, output_field=models.BooleanField()))
        reviews = SheetReview.objects.filter(user=user, sheet=models.OuterRef("pk"))
        return self.annotate(is_reviewed=models.Exists(reviews))


def validate_sources(value):
    if not isinstance(value, list):
        raise ValidationError("Sources must be a list of {title, url} entries.")
    for position, source in enumerate(value, start=1):
        if not isinstance(source, dict) or set(source) != {"title", "url"}:
            raise ValidationError(f"Source {position} must have exactly a title and a url.")
        if not str(source["url"]).startswith("https://"):
            raise ValidationError(f"Source {position} url must start with https:// (got {source['url']!r}).")


def validate_exam_tips(value):
    if not isinstance(value, list):
        raise ValidationError("Exam tips must be a list of {kind, text} entries.")
    for position, tip in enumerate(value, start=1):
        if not isinstance(tip, dict) or tip.get("kind") not in rendering.TIP_KINDS or not tip.get("text"):
            kinds = ", ".join(rendering.TIP_KINDS)
            raise ValidationError(f"Exam tip {position} needs a kind ({kinds}) and a text.")


def validate_services(value):
    if not isinstance(value, list) or not all(isinstance(item, str) and item for item in value):
        raise ValidationError("Services must be a list of service names.")


class CheatSheet(models.Model):
    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=100, unique=True)
    summary = models.CharField(max_length=400)
    category = models.CharField(max_length=40, choices=Category.choices)
    services = models.JSONField(default=list, blank=True, validators=[validate_services])
    order = models.PositiveIntegerField(default=100, help_text="Position inside its category.")
    exam_tips = models.JSONField(
        default=list, blank=True, validators=[validate_exam_tips],
        help_text='List of {"kind": "tip" | "watch_out", "text": "Markdown"}.',
    )
    sources = models.JSONField(
        default=list, blank=True, validators=[validate_sources],
        help_text='AWS documentation pages: list of {"title": ..., "url": "https://..."}.',
    )
    last_reviewed = models.DateField(help_text="When the facts were last checked against the AWS docs.")
    diagram = models.CharField(max_length=200, blank=True, help_text="Static path of an SVG diagram.")
    body_markdown = models.TextField()

    # Derived at save from body_markdown and exam_tips; never rendered per request.
    body_html = models.TextField(editable=False, default="")
    toc_html = models.TextField(editable=False, default="")
    sections = models.JSONField(editable=False, default=list)
    search_text = models.TextField(editable=False, default="")

    # Sync bookkeeping: see cheatsheets/sync.py for the rule.
    source_path = models.CharField(max_length=300, blank=True, editable=False)
    source_hash = models.CharField(max_length=64, blank=True, editable=False)
    edited_in_admin = models.BooleanField(
        default=False,
        help_text="Set when an instructor saves the sheet in the admin; sync then leaves it alone.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = CheatSheetQuerySet.as_manager()

    class Meta:
        ordering = ["order", "title"]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        self.render()
        with transaction.atomic():
            super().save(*args, **kwargs)
            SearchEntry.objects.index(self)

    def get_absolute_url(self):
        return reverse("cheatsheets:detail", kwargs={"slug": self.slug})

    def render(self):
        rendered = rendering.render_sheet(self.body_markdown, self.exam_tips)
        self.body_html = rendered.html
        self.toc_html = rendered.toc_html
        self.sections = rendered.sections
        self.search_text = rendered.text

    @property
    def category_label(self):
        return Category(self.category).label


class SheetReview(models.Model):
    """A learner marked a sheet as reviewed."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sheet_reviews")
    sheet = models.ForeignKey(CheatSheet, on_delete=models.CASCADE, related_name="reviews")
    reviewed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "sheet"], name="one_review_per_user_and_sheet")]
        ordering = ["-reviewed_at"]

    def __str__(self):
        return f"{self.user} reviewed {self.sheet}"


class SearchEntryQuerySet(models.QuerySet):
    def index(self, sheet: CheatSheet) -> None:
        """Replace the sheet's entries with ones for its current text (the database's full-text
        index follows: triggers on SQLite, a generated column on PostgreSQL)."""
        self.filter(sheet=sheet).delete()
        entries = search.index_entries(title=sheet.title, services=sheet.services, summary=sheet.summary,
                                       sections=sheet.sections)
        self.bulk_create(SearchEntry(sheet=sheet, **entry) for entry in entries)


class SearchEntry(models.Model):
    """One section of a sheet as the full-text index sees it, derived when the sheet is saved.

    The index itself is the database's: an FTS5 table over these rows on SQLite
    (``cheatsheets_searchentry_fts``), a weighted ``tsvector`` column with a GIN index on
    PostgreSQL (``search_vector``); see migration 0002. Reads are in ``selectors.search_sheets``.
    """

    sheet = models.ForeignKey(CheatSheet, on_delete=models.CASCADE, related_name="search_entries")
    position = models.PositiveIntegerField()
    anchor = models.CharField(max_length=200, blank=True)
    sheet_title = models.CharField(max_length=200)
    services = models.TextField(blank=True)
    section_title = models.CharField(max_length=300, blank=True)
    body = models.TextField(blank=True)

    objects = SearchEntryQuerySet.as_manager()

    class Meta:
        ordering = ["sheet", "position"]
        verbose_name_plural = "search entries"

    def __str__(self):
        return f"{self.sheet_title} › {self.section_title or 'introduction'}"
