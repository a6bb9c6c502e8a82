import json

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST

from cheatsheets import rendering, services
from cheatsheets.models import CheatSheet, SheetReview, validate_exam_tips
from cheatsheets.sync import ContentError


@admin.register(CheatSheet)
class CheatSheetAdmin(admin.ModelAdmin):
    list_display = ("title", "category", "order", "last_reviewed", "edited_in_admin", "updated_at")
    list_filter = ("category", "last_reviewed", "edited_in_admin")
    search_fields = ("title", "slug", "summary", "body_markdown")
    prepopulated_fields = {"slug": ("title",)}
    readonly_fields = ("preview", "source_path", "created_at", "updated_at")
    actions = ["reload_from_file"]
    fieldsets = (
        (None, {"fields": ("title", "slug", "summary", "category", "services", "order", "last_reviewed", "diagram")}),
        ("Content", {
            "fields": ("body_markdown", "preview", "exam_tips", "sources"),
            "description": "Markdown with tables, fenced code, !!! tip / !!! warning callouts and ??? collapsible "
                           "blocks. Press “Preview changes” to see the page before saving.",
        }),
        ("Sync", {
            "fields": ("edited_in_admin", "source_path", "created_at", "updated_at"),
            "description": "Saving here marks the sheet as edited: `sync_content` then keeps your version. "
                           "Use the list action “Discard admin edits and reload from file” to take the file again.",
        }),
    )

    class Media:
        css = {"all": ("cheatsheets/admin-preview.css",)}
        js = ("cheatsheets/admin-preview.js",)

    @admin.display(description="Rendered preview")
    def preview(self, obj):
        # body_html was sanitised by rendering.sanitize when the row was saved.
        saved = mark_safe(obj.body_html) if obj and obj.pk else ""  # noqa: S308
        return format_html(
            '<button type="button" class="button" data-preview-url="{}">Preview changes</button>'
            '<div class="sheet-preview prose" aria-live="polite">{}</div>',
            reverse("admin:cheatsheets_cheatsheet_preview"), saved,
        )

    def save_model(self, request, obj, form, change):
        obj.edited_in_admin = True
        super().save_model(request, obj, form, change)

    def get_urls(self):
        return [
            path("preview/", self.admin_site.admin_view(self.preview_view), name="cheatsheets_cheatsheet_preview"),
            *super().get_urls(),
        ]

    def preview_view(self, request):
        """Render posted Markdown exactly as a saved sheet would be (sanitised); saves nothing."""
        if not (self.has_change_permission(request) or self.has_add_permission(request)):
            raise PermissionDenied
        return require_POST(self._render_preview)(request)

    def _render_preview(self, request):
        tips, notice = [], ""
        try:
            tips = json.loads(request.POST.get("exam_tips") or "[]")
            validate_exam_tips(tips)
        except (ValueError, ValidationError) as error:
            tips = []
            message = "; ".join(error.messages) if isinstance(error, ValidationError) else f"not valid JSON ({error})"
            notice = format_html('<p class="errornote">Exam tips not shown: {}</p>', message)
        rendered = rendering.render_sheet(request.POST.get("body_markdown", ""), tips)
        return HttpResponse(notice + rendered.html)

    @admin.action(description="Discard admin edits and reload from file")
    def reload_from_file(self, request, queryset):
        slugs = set(queryset.values_list("slug", flat=True))
        try:
            report = services.cheatsheets_sync(force=slugs)
        except ContentError as error:
            self.message_user(request, "Nothing reloaded: " + "; ".join(error.problems), messages.ERROR)
            return
        missing = slugs - set(report.updated) - set(report.unchanged) - set(report.created)
        self.message_user(request, report.summary())
        if missing:
            self.message_user(request, f"No file for: {', '.join(sorted(missing))} (created in the admin).", messages.WARNING)


@admin.register(SheetReview)
class SheetReviewAdmin(admin.ModelAdmin):
    list_display = ("user", "sheet", "reviewed_at")
    list_filter = ("sheet__category",)
    search_fields = ("user__username", "sheet__title")
    list_select_related = ("user", "sheet")
    readonly_fields = ("user", "sheet", "reviewed_at")

    def has_add_permission(self, request):
        return False
