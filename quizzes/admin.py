from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from quizzes import bank_format, gift, services
from quizzes.forms import ImportForm, OptionInlineFormSet, QuestionAdminForm
from quizzes.models import Answer, Attempt, Blueprint, Domain, Option, Question, Quiz, QuizQuestion, ReviewItem


class LabelledTabularInline(admin.TabularInline):
    """A tabular inline whose inputs carry their column's name (a table header is not a label for
    assistive technology: axe's "label" rule)."""

    def get_formset(self, request, obj=None, **kwargs):
        base = super().get_formset(request, obj, **kwargs)

        class LabelledFormSet(base):
            def add_fields(self, form, index):
                super().add_fields(form, index)  # adds the DELETE box and the hidden keys
                row = f"row {index + 1}" if index is not None else "new row"
                for name, field in form.fields.items():
                    field.widget.attrs["aria-label"] = f"{str(field.label or name).capitalize()}, {row}"

        return LabelledFormSet


class OptionInline(LabelledTabularInline):
    model = Option
    formset = OptionInlineFormSet
    formfield_overrides = {models.TextField: {"widget": forms.Textarea(attrs={"rows": 2, "cols": 50})}}
    extra = 0
    min_num = 4
    fields = ("order", "text", "is_correct", "explanation")


class ServiceFilter(admin.SimpleListFilter):
    title = "service"
    parameter_name = "service"

    def lookups(self, request, model_admin):
        names = sorted({name for services_ in Question.objects.values_list("services", flat=True) for name in services_})
        return [(name, name) for name in names]

    def queryset(self, request, queryset):
        if self.value():
            ids = [q.pk for q in queryset.only("pk", "services") if self.value() in q.services]
            return queryset.filter(pk__in=ids)
        return queryset


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin):
    form = QuestionAdminForm
    inlines = [OptionInline]
    # Compact enough for 1280 px: the statistics in one column, a warning only where there is one.
    list_display = ("key", "qtype", "difficulty", "status", "domain_list", "item_stats", "review_flag")
    list_filter = ("domains", ServiceFilter, "qtype", "status", "difficulty", "flagged_for_review")
    search_fields = ("key", "stem", "explanation", "options__text")
    actions = ["publish", "unpublish", "duplicate", "export_yaml", "export_gift"]
    readonly_fields = ("preview", "statistics", "edited_in_admin", "created_at", "updated_at")
    fieldsets = (
        (None, {"fields": ("key", "qtype", "status", "difficulty", "domains")}),
        ("Scenario", {"fields": ("stem", "explanation", "preview"),
                      "description": "Markdown. A multiple-response stem says how many to choose: “(Choose two.)”. "
                                     "Press “Preview” to see the stem and explanation as learners will."}),
        ("Links", {"fields": ("services", "sheet_links", "references")}),
        ("Item statistics (from submitted exam attempts)", {"fields": ("statistics",)}),
        ("Sync", {"fields": ("edited_in_admin", "created_at", "updated_at")}),
    )
    change_list_template = "admin/quizzes/question/change_list.html"

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("domains__blueprint")

    class Media:
        js = ("cheatsheets/admin-preview.js",)  # the sheets' preview button, told which fields to post
        css = {"all": ("quizzes/admin-question.css",)}

    @admin.display(description="domains")
    def domain_list(self, obj):
        return ", ".join(f"{d.blueprint.code[:3]} {d.key}" for d in obj.domains.all())

    @admin.display(description="facility · discrimination (n)", ordering="stat_facility")
    def item_stats(self, obj):
        if not obj.stat_responses:
            return "—"
        facility = "—" if obj.stat_facility is None else f"{obj.stat_facility:.0f}%"
        discrimination = "—" if obj.stat_discrimination is None else f"{obj.stat_discrimination:+.2f}"
        return f"{facility} · {discrimination} ({obj.stat_responses})"

    @admin.display(description="review", ordering="flagged_for_review")
    def review_flag(self, obj):
        return mark_safe('<strong class="review-flag">⚠ review</strong>') if obj.flagged_for_review else ""

    @admin.display(description="Preview")
    def preview(self, obj):
        saved = mark_safe(obj.stem_html + obj.explanation_html) if obj and obj.pk else ""  # noqa: S308 - sanitised at save
        return format_html(
            '<button type="button" class="button" data-preview-url="{}" data-preview-fields="stem,explanation">Preview</button>'
            '<div class="question-preview prose" aria-live="polite">{}</div>',
            reverse("admin:quizzes_question_preview"), saved)

    def preview_view(self, request):
        """The posted stem and explanation rendered and sanitised as a saved question's; saves nothing."""
        if request.method != "POST":
            return HttpResponse(status=405)
        if not (self.has_change_permission(request) or self.has_add_permission(request)):
            raise PermissionDenied
        from cheatsheets import rendering

        stem = rendering.render_markdown(request.POST.get("stem", "")).html
        explanation = rendering.render_markdown(request.POST.get("explanation", "")).html
        return HttpResponse(format_html('<div class="preview-stem">{}</div><h4>Explanation</h4>{}',
                                        mark_safe(stem), mark_safe(explanation)))  # noqa: S308 - sanitised above

    @admin.display(description="facility %", ordering="stat_facility")
    def facility(self, obj):
        return "—" if obj.stat_facility is None else f"{obj.stat_facility:.0f}"

    @admin.display(description="discrimination", ordering="stat_discrimination")
    def discrimination(self, obj):
        if obj.stat_discrimination is None:
            return "—"
        value = f"{obj.stat_discrimination:+.2f}"
        return format_html('<strong style="color:#c2410c">{} ⚠</strong>', value) if obj.flagged_for_review else value

    @admin.display(description="How learners answered")
    def statistics(self, obj):
        if not obj.pk or not obj.stat_responses:
            return "No submitted exam attempt has answered this question yet."
        rows = []
        for option in obj.options.all():
            count = obj.stat_option_counts.get(str(option.pk), 0)
            rows.append((option.order + 1, "✓" if option.is_correct else "", option.text[:90], count,
                         round(100 * count / obj.stat_responses)))
        table = format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}%</td></tr>", rows)
        return format_html(
            "<p>{} responses · facility {}% · discrimination {}{}</p>"
            "<table><thead><tr><th>#</th><th>Correct</th><th>Option</th><th>Chosen</th><th>Share</th></tr></thead>"
            "<tbody>{}</tbody></table>",
            obj.stat_responses, f"{obj.stat_facility:.0f}" if obj.stat_facility is not None else "—",
            f"{obj.stat_discrimination:+.2f}" if obj.stat_discrimination is not None else "—",
            " — flagged for review: strong learners do no better than weak ones" if obj.flagged_for_review else "",
            table,
        )

    def save_model(self, request, obj, form, change):
        obj.edited_in_admin = True
        super().save_model(request, obj, form, change)

    @admin.action(description="Publish selected questions")
    def publish(self, request, queryset):
        missing = list(queryset.filter(Q(references=[]) | Q(references__isnull=True)).values_list("key", flat=True))
        updated = queryset.exclude(key__in=missing).update(status="published", edited_in_admin=True)
        self.message_user(request, f"Published {updated} question(s).")
        if missing:
            self.message_user(request, f"Not published (no AWS documentation reference): {', '.join(missing)}", messages.WARNING)

    @admin.action(description="Unpublish (back to draft)")
    def unpublish(self, request, queryset):
        self.message_user(request, f"Unpublished {queryset.update(status='draft', edited_in_admin=True)} question(s).")

    @admin.action(description="Duplicate as drafts")
    def duplicate(self, request, queryset):
        copies = [services.question_duplicate(question=q) for q in queryset.prefetch_related("options", "domains")]
        self.message_user(request, f"Created {len(copies)} draft copies: {', '.join(c.key for c in copies)}")

    @admin.action(description="Export selected as YAML")
    def export_yaml(self, request, queryset):
        return _download(bank_format.dump(services.questions_for_export(queryset)), "questions.yaml", "application/yaml")

    @admin.action(description="Export selected as Moodle GIFT")
    def export_gift(self, request, queryset):
        return _download(gift.dump(services.questions_for_export(queryset)), "questions.gift.txt", "text/plain")

    def get_urls(self):
        return [
            path("import/", self.admin_site.admin_view(self.import_view), name="quizzes_question_import"),
            path("preview/", self.admin_site.admin_view(self.preview_view), name="quizzes_question_preview"),
            path("export/<str:fmt>/", self.admin_site.admin_view(self.export_all), name="quizzes_question_export"),
            *super().get_urls(),
        ]

    def export_all(self, request, fmt):
        # The whole bank, answer keys and drafts included: only for those allowed to see questions.
        if not self.has_view_permission(request):
            raise PermissionDenied("You need permission to view questions to export the bank.")
        questions = services.questions_for_export()
        if fmt == "gift":
            return _download(gift.dump(questions), "question-bank.gift.txt", "text/plain")
        return _download(bank_format.dump(questions), "question-bank.yaml", "application/yaml")

    def import_view(self, request):
        if not self.has_add_permission(request):
            return redirect("admin:index")
        form = ImportForm(request.POST or None, request.FILES or None)
        problems = []
        if request.method == "POST" and form.is_valid():
            name = request.FILES["file"].name
            try:
                questions = _parse_upload(form, name)
                report = services.questions_import(questions, admin_import=True)
            except (bank_format.BankError, gift.GiftError) as error:
                problems = error.problems
            else:
                self.message_user(request, f"Imported {name}: {report.summary()}")
                return redirect("admin:quizzes_question_changelist")
        context = {**self.admin_site.each_context(request), "form": form, "problems": problems,
                   "title": "Import questions", "opts": self.model._meta}
        return TemplateResponse(request, "admin/quizzes/question/import.html", context)


def _parse_upload(form, name):
    """The upload as question dicts, or BankError naming every problem of the file at once."""
    from cheatsheets.models import CheatSheet

    domains = services.known_domains()
    sheets = {s.slug: {x["id"] for x in s.sections if x["id"]} for s in CheatSheet.objects.only("slug", "sections")}
    limit = bank_format.MAX_IMPORT_QUESTIONS
    if form.cleaned_data["format"] == "gift":
        defaults = {"domains": [d.label for d in form.cleaned_data["default_domains"]],
                    "difficulty": form.cleaned_data["default_difficulty"], "status": "draft"}
        try:
            questions, problems = gift.parse(form.cleaned_data["file"], source=name, defaults=defaults, limit=limit), []
        except gift.GiftError as error:
            questions, problems = error.questions, list(error.problems)
        for q in questions:
            found = bank_format.question_problems(q, known_domains=set(domains), known_sheets=sheets)
            problems += [f"{q['_where']}: {p}" for p in found]
        keys = [q["key"] for q in questions]
        problems += [f"{name}: duplicate question id '{k}'" for k in sorted({k for k in keys if keys.count(k) > 1})]
        if problems:
            raise bank_format.BankError(problems)
        return questions
    return bank_format.parse(form.cleaned_data["file"], source=name, known_domains=set(domains), known_sheets=sheets,
                             limit=limit)


def _download(text, filename, content_type):
    response = HttpResponse(text, content_type=f"{content_type}; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


class QuizQuestionInline(LabelledTabularInline):
    model = QuizQuestion
    extra = 0
    autocomplete_fields = ("question",)


@admin.register(Quiz)
class QuizAdmin(admin.ModelAdmin):
    list_display = ("title", "blueprint", "mode", "selection", "question_count", "time_limit_minutes", "is_published",
                    "stat_attempts", "mean", "sd", "alpha")
    list_filter = ("blueprint", "mode", "selection", "is_published")
    search_fields = ("title", "slug")
    prepopulated_fields = {"slug": ("title",)}
    inlines = [QuizQuestionInline]
    readonly_fields = ("stat_attempts", "stat_mean", "stat_sd", "stat_alpha", "stat_note")

    def save_model(self, request, obj, form, change):
        obj.edited_in_admin = True
        super().save_model(request, obj, form, change)

    @admin.display(description="mean %")
    def mean(self, obj):
        return "—" if obj.stat_mean is None else f"{obj.stat_mean:.1f}"

    @admin.display(description="SD")
    def sd(self, obj):
        return "—" if obj.stat_sd is None else f"{obj.stat_sd:.1f}"

    @admin.display(description="α")
    def alpha(self, obj):
        return "—" if obj.stat_alpha is None else f"{obj.stat_alpha:.2f}"


class DomainInline(LabelledTabularInline):
    model = Domain
    extra = 0


@admin.register(Blueprint)
class BlueprintAdmin(admin.ModelAdmin):
    list_display = ("code", "name")
    inlines = [DomainInline]


@admin.register(Domain)
class DomainAdmin(admin.ModelAdmin):
    list_display = ("name", "blueprint", "key", "weight")
    list_filter = ("blueprint",)


class AnswerInline(admin.TabularInline):
    model = Answer
    extra = 0
    can_delete = False
    fields = ("position", "question", "selected", "flagged", "credit", "time_spent_seconds")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Attempt)
class AttemptAdmin(admin.ModelAdmin):
    list_display = ("user", "quiz", "mode", "status", "scaled_score", "passed", "started_at", "submitted_at")
    list_filter = ("mode", "status", "quiz")
    search_fields = ("user__username", "quiz__title")
    list_select_related = ("user", "quiz")
    inlines = [AnswerInline]
    readonly_fields = [f.name for f in Attempt._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(ReviewItem)
class ReviewItemAdmin(admin.ModelAdmin):
    list_display = ("user", "question", "box", "due_at", "lapses")
    list_filter = ("box",)
    list_select_related = ("user", "question")
    readonly_fields = ("user", "question", "box", "due_at", "last_reviewed_at", "lapses")

    def has_add_permission(self, request):
        return False
