from django.contrib import admin, messages

from .inbound import reprocess
from .models import (
    Delivery,
    InboundMessage,
    Mailbox,
    NotificationTemplate,
    OutboundMessage,
    Outcome,
)
from .outbound import send_again


@admin.register(Mailbox)
class MailboxAdmin(admin.ModelAdmin):
    list_display = ("name", "address", "default_category", "is_active")


@admin.register(InboundMessage)
class InboundMessageAdmin(admin.ModelAdmin):
    """Every received message; the quarantine is the filter outcome = quarantined."""

    list_display = ("received_at", "sender", "subject", "outcome", "reason", "ticket")
    list_filter = ("outcome", "source", "mailbox")
    search_fields = ("sender", "subject", "message_id_header")
    readonly_fields = [f.name for f in InboundMessage._meta.fields if f.name != "raw"]
    exclude = ("raw",)
    actions = ["process_again"]
    show_full_result_count = False

    @admin.action(description="Process again (after a fix)")
    def process_again(self, request, queryset):
        done = 0
        for inbound in queryset.exclude(outcome__in=[Outcome.NEW_TICKET, Outcome.REPLY]):
            reprocess(inbound)
            done += 1
        self.message_user(request, f"{done} processed again.", messages.SUCCESS)

    def has_add_permission(self, request):
        return False


@admin.register(OutboundMessage)
class OutboundMessageAdmin(admin.ModelAdmin):
    """Every message we sent or tried to send; failures are the filter status = failed."""

    list_display = ("created_at", "to_address", "subject", "notice", "status", "attempts", "ticket")
    list_filter = ("status", "notice")
    search_fields = ("to_address", "subject", "message_id_header")
    readonly_fields = [f.name for f in OutboundMessage._meta.fields]
    actions = ["send_failed_again"]
    show_full_result_count = False

    @admin.action(description="Send again (failed messages)")
    def send_failed_again(self, request, queryset):
        failed = list(queryset.filter(status=Delivery.FAILED))
        for message in failed:
            send_again(message)
        self.message_user(request, f"{len(failed)} queued again.", messages.SUCCESS)

    def has_add_permission(self, request):
        return False


@admin.register(NotificationTemplate)
class NotificationTemplateAdmin(admin.ModelAdmin):
    list_display = ("notice", "language", "subject", "is_active")
    list_filter = ("notice", "language", "is_active")
