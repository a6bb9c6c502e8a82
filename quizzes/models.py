from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse

from cheatsheets import rendering


class Blueprint(models.Model):
    """An exam blueprint (e.g. DVA-C02) whose weighted domains quizzes draw by."""

    code = models.CharField(max_length=20, unique=True)
    name = models.CharField(max_length=200)

    class Meta:
        ordering = ["code"]

    def __str__(self):
        return f"{self.code} {self.name}"


class Domain(models.Model):
    blueprint = models.ForeignKey(Blueprint, on_delete=models.CASCADE, related_name="domains")
    key = models.SlugField(max_length=40)
    name = models.CharField(max_length=200)
    weight = models.PositiveSmallIntegerField(help_text="Percent of the exam.")
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["blueprint__code", "order"]
        constraints = [models.UniqueConstraint(fields=["blueprint", "key"], name="domain_key_per_blueprint")]

    def __str__(self):
        return f"{self.blueprint.code}: {self.name}"

    @property
    def label(self):
        return f"{self.blueprint.code}/{self.key}"


class QuestionType(models.TextChoices):
    SINGLE = "single", "Single answer"
    MULTIPLE = "multiple", "Multiple response"


class Difficulty(models.TextChoices):
    EASY = "easy", "Easy"
    MEDIUM = "medium", "Medium"
    HARD = "hard", "Hard"


class Status(models.TextChoices):
    DRAFT = "draft", "Draft"
    PUBLISHED = "published", "Published"


class QuestionQuerySet(models.QuerySet):
    def published(self):
        return self.filter(status=Status.PUBLISHED)

    def needing_review(self):
        return self.filter(flagged_for_review=True)


class Question(models.Model):
    key = models.SlugField(max_length=100, unique=True, help_text="Stable id used by import and export.")
    qtype = models.CharField("type", max_length=10, choices=QuestionType.choices, default=QuestionType.SINGLE)
    stem = models.TextField(help_text="Markdown: a situation, a requirement, a constraint, then one question.")
    explanation = models.TextField(blank=True, help_text="Markdown: why the answer meets the requirement and the constraint.")
    difficulty = models.CharField(max_length=10, choices=Difficulty.choices, default=Difficulty.MEDIUM)
    services = models.JSONField(default=list, blank=True)
    sheet_links = models.JSONField(default=list, blank=True, help_text='Cheat sheet sections, e.g. ["sqs#key-numbers"].')
    references = models.JSONField(default=list, blank=True, help_text="AWS documentation URLs (https).")
    domains = models.ManyToManyField(Domain, related_name="questions")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)

    stem_html = models.TextField(editable=False, default="")
    explanation_html = models.TextField(editable=False, default="")

    # Item statistics, recomputed from submitted exam attempts (quizzes/statistics.py).
    stat_responses = models.PositiveIntegerField("responses", default=0, editable=False)
    stat_facility = models.FloatField("facility %", null=True, blank=True, editable=False)
    stat_discrimination = models.FloatField("discrimination", null=True, blank=True, editable=False)
    stat_option_counts = models.JSONField(default=dict, blank=True, editable=False)
    flagged_for_review = models.BooleanField(default=False, editable=False)

    edited_in_admin = models.BooleanField(default=False, help_text="Sync keeps admin edits (see README).")
    source_hash = models.CharField(max_length=64, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = QuestionQuerySet.as_manager()

    class Meta:
        ordering = ["key"]

    def __str__(self):
        return self.key

    def save(self, *args, render: bool = True, **kwargs):
        # render=False: the caller set the HTML already (an import renders before it takes the write lock).
        if render:
            self.stem_html = rendering.render_markdown(self.stem).html
            self.explanation_html = rendering.render_markdown(self.explanation).html
        super().save(*args, **kwargs)

    def clean(self):
        for url in self.references or []:
            if not isinstance(url, str) or not url.startswith("https://"):
                raise ValidationError({"references": f"Reference {url!r} must be an https:// URL."})
        for link in self.sheet_links or []:
            if not isinstance(link, str) or "#" not in link:
                raise ValidationError({"sheet_links": f"Sheet link {link!r} must look like slug#section."})


class Option(models.Model):
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="options")
    text = models.TextField(help_text="Markdown, one line.")
    is_correct = models.BooleanField("correct", default=False)
    explanation = models.TextField(blank=True, help_text="Why this option is right or wrong.")
    order = models.PositiveSmallIntegerField(default=0)

    text_html = models.TextField(editable=False, default="")
    explanation_html = models.TextField(editable=False, default="")

    class Meta:
        ordering = ["question", "order", "pk"]

    def __str__(self):
        return self.text[:80]

    def save(self, *args, render: bool = True, **kwargs):
        if render:
            self.text_html = rendering.render_inline(self.text)
            self.explanation_html = rendering.render_markdown(self.explanation).html
        super().save(*args, **kwargs)


class QuizMode(models.TextChoices):
    PRACTICE = "practice", "Practice (instant feedback)"
    EXAM = "exam", "Exam (timed, results at the end)"


class Selection(models.TextChoices):
    FIXED = "fixed", "Fixed questions"
    RANDOM = "random", "Random by domain weights"
    REVIEW = "review", "The learner's due mistakes"
    FINAL = "final", "Final exam: by domain weights, questions the learner has not seen first"


class QuizQuerySet(models.QuerySet):
    def published(self):
        return self.filter(is_published=True)


class Quiz(models.Model):
    slug = models.SlugField(max_length=100, unique=True)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    blueprint = models.ForeignKey(Blueprint, on_delete=models.PROTECT, related_name="quizzes")
    mode = models.CharField(max_length=10, choices=QuizMode.choices, default=QuizMode.PRACTICE)
    selection = models.CharField(max_length=10, choices=Selection.choices, default=Selection.RANDOM)
    questions = models.ManyToManyField(Question, blank=True, related_name="quizzes", through="QuizQuestion",
                                       help_text="For fixed selection, in this order.")
    question_count = models.PositiveSmallIntegerField(default=10)
    time_limit_minutes = models.PositiveSmallIntegerField(null=True, blank=True, help_text="Empty: untimed.")
    passing_score = models.PositiveSmallIntegerField(default=720, help_text="On the 100-1000 scale.")
    cut_percent = models.PositiveSmallIntegerField(
        default=70, help_text="Percent correct that maps to the passing score (see quizzes/grading.py).")
    filter_services = models.JSONField(default=list, blank=True, help_text="Only questions on these services.")
    filter_difficulties = models.JSONField(default=list, blank=True)
    filter_sheet_categories = models.JSONField(default=list, blank=True,
                                               help_text="Only questions linked to sheets of these categories.")
    order = models.PositiveSmallIntegerField(default=100)
    is_published = models.BooleanField(default=True)

    # Test statistics over submitted exam attempts (quizzes/statistics.py).
    stat_attempts = models.PositiveIntegerField("attempts", default=0, editable=False)
    stat_mean = models.FloatField("mean %", null=True, blank=True, editable=False)
    stat_sd = models.FloatField("standard deviation", null=True, blank=True, editable=False)
    stat_alpha = models.FloatField("Cronbach's alpha", null=True, blank=True, editable=False)
    stat_note = models.CharField(max_length=200, blank=True, editable=False)

    edited_in_admin = models.BooleanField(default=False)

    objects = QuizQuerySet.as_manager()

    class Meta:
        ordering = ["order", "title"]
        verbose_name_plural = "quizzes"

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("quizzes:detail", kwargs={"slug": self.slug})

    @property
    def is_exam(self):
        return self.mode == QuizMode.EXAM


class QuizQuestion(models.Model):
    quiz = models.ForeignKey(Quiz, on_delete=models.CASCADE)
    question = models.ForeignKey(Question, on_delete=models.CASCADE)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["quiz", "position"]
        constraints = [models.UniqueConstraint(fields=["quiz", "question"], name="question_once_per_quiz")]

    def __str__(self):
        return f"{self.quiz} #{self.position}: {self.question}"


class AttemptStatus(models.TextChoices):
    IN_PROGRESS = "in_progress", "In progress"
    SUBMITTED = "submitted", "Submitted"


class AttemptQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.filter(user=user)

    def submitted(self):
        return self.filter(status=AttemptStatus.SUBMITTED)

    def expired(self, now):
        return self.filter(status=AttemptStatus.IN_PROGRESS, deadline__lt=now)


class Attempt(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="quiz_attempts")
    quiz = models.ForeignKey(Quiz, on_delete=models.CASCADE, related_name="attempts")
    mode = models.CharField(max_length=10, choices=QuizMode.choices)
    status = models.CharField(max_length=12, choices=AttemptStatus.choices, default=AttemptStatus.IN_PROGRESS)
    started_at = models.DateTimeField(auto_now_add=True)
    deadline = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    submitted_automatically = models.BooleanField(default=False)
    current_position = models.PositiveSmallIntegerField(default=0)

    # Results, written once by grading.
    total = models.PositiveSmallIntegerField(default=0)
    raw_score = models.FloatField(null=True, blank=True)
    scaled_score = models.PositiveSmallIntegerField(null=True, blank=True)
    passed = models.BooleanField(null=True, blank=True)
    domain_results = models.JSONField(default=list, blank=True)
    time_used_seconds = models.PositiveIntegerField(null=True, blank=True)

    objects = AttemptQuerySet.as_manager()

    class Meta:
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["status", "deadline"])]

    def __str__(self):
        return f"{self.user} · {self.quiz} · {self.started_at:%Y-%m-%d %H:%M}"

    def get_absolute_url(self):
        return reverse("quizzes:attempt", kwargs={"pk": self.pk})

    @property
    def is_open(self):
        return self.status == AttemptStatus.IN_PROGRESS


class Answer(models.Model):
    """One question of an attempt: drawn and ordered at start, filled in as the learner answers."""

    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="answers")
    position = models.PositiveSmallIntegerField()
    option_order = models.JSONField(help_text="Option ids in the order this learner sees them.")
    selected = models.JSONField(default=list, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    time_spent_seconds = models.PositiveIntegerField(default=0)
    flagged = models.BooleanField(default=False)
    credit = models.FloatField(null=True, blank=True, help_text="0-1, set when graded.")

    class Meta:
        ordering = ["attempt", "position"]
        constraints = [models.UniqueConstraint(fields=["attempt", "position"], name="one_answer_per_position")]

    def __str__(self):
        return f"{self.attempt_id} #{self.position + 1}"

    @property
    def is_answered(self):
        return bool(self.selected)


class ReviewItem(models.Model):
    """A question the learner got wrong, scheduled with Leitner boxes (see quizzes/scheduling.py)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="review_items")
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="review_items")
    box = models.PositiveSmallIntegerField(default=1)
    due_at = models.DateTimeField()
    last_reviewed_at = models.DateTimeField(null=True, blank=True)
    lapses = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["due_at"]
        constraints = [models.UniqueConstraint(fields=["user", "question"], name="one_review_item_per_question")]

    def __str__(self):
        return f"{self.user} · {self.question} · box {self.box}"
