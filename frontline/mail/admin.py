from django.contrib import admin, messages

from .inbound import reprocess
from .models import InboundMessage, Mailbox, Outcome


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
