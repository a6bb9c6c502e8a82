from django.contrib import admin, messages

from labs import services
from labs.models import LabRun, LedgerEntry, RunEvent, Sandbox


@admin.register(Sandbox)
class SandboxAdmin(admin.ModelAdmin):
    list_display = ("user", "kind", "account_id", "account_alias", "connection", "region", "confirmed_at", "created_at")
    list_filter = ("kind", "connection", "region")
    search_fields = ("user__username", "account_id", "account_alias")
    list_select_related = ("user",)
    # The encrypted key pair is not editable, so it is never in this form; only its hint shows.
    readonly_fields = ("user", "kind", "account_id", "region", "connection", "external_id", "role_arn", "key_hint",
                       "caller_arn", "account_alias", "permissions_boundary", "connected_at", "checked_at",
                       "confirmed_at", "disconnected_at", "created_at")

    def has_add_permission(self, request):
        return False


class LedgerInline(admin.TabularInline):
    model = LedgerEntry
    extra = 0
    can_delete = False
    fields = ("kind", "name", "physical_id", "region", "status", "adopted", "error", "created_at", "deleted_at")
    readonly_fields = fields


class EventInline(admin.TabularInline):
    model = RunEvent
    extra = 0
    can_delete = False
    fields = ("at", "kind", "status", "step", "message")
    readonly_fields = fields
    ordering = ("-id",)

    def get_queryset(self, request):
        return super().get_queryset(request).order_by("-id")


@admin.register(LabRun)
class LabRunAdmin(admin.ModelAdmin):
    list_display = ("id", "lab_slug", "user", "mode", "status", "outcome", "token", "created_at", "finished_at")
    list_filter = ("lab_slug", "mode", "status", "outcome")
    search_fields = ("user__username", "token", "lab_slug")
    list_select_related = ("user",)
    readonly_fields = ("user", "sandbox", "lab_slug", "token", "mode", "status", "outcome", "pending_action", "pending_step",
                       "abandon_requested", "step_states", "verify_state", "outputs", "website_origin", "keep_after_verify",
                       "explore_seconds", "teardown_after", "expires_at", "message", "worker", "heartbeat_at", "task_id", "created_at",
                       "finished_at", "updated_at")
    inlines = [LedgerInline, EventInline]
    actions = ["tear_down"]

    def has_add_permission(self, request):
        return False

    @admin.action(description="Tear down the selected runs (delete what they left deployed)")
    def tear_down(self, request, queryset):
        count = 0
        for run in queryset:
            services.lab_run_teardown(run=run)
            count += 1
        self.message_user(request, f"Asked {count} run(s) to tear down; the task worker does it.", messages.SUCCESS)


@admin.register(LedgerEntry)
class LedgerEntryAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "run", "status", "adopted", "region", "created_at", "deleted_at")
    list_filter = ("status", "kind", "adopted")
    search_fields = ("name", "physical_id", "arn")
    list_select_related = ("run",)
    readonly_fields = ("run", "kind", "name", "physical_id", "arn", "region", "status", "adopted", "error", "created_at",
                       "deleted_at")

    def has_add_permission(self, request):
        return False
