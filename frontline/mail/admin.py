from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

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


class MailboxForm(forms.ModelForm):
    # The stored password is never sent back to the browser; leaving the field
    # empty keeps it.
    imap_password = forms.CharField(
        label=_("IMAP password"),
        required=False,
        max_length=255,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_("Leave empty to keep the current password."),
    )

    class Meta:
        model = Mailbox
        fields = (
            "name",
            "address",
            "default_category",
            "default_team",
            "stranger_replies",
            "suspect_mail",
            "is_active",
            "imap_host",
            "imap_port",
            "imap_security",
            "imap_username",
            "imap_password",
            "imap_folder",
            "imap_poll_seconds",
            "imap_after",
            "imap_move_to",
        )

    def clean_imap_password(self) -> str:
        return self.cleaned_data.get("imap_password") or (
            self.instance.imap_password if self.instance.pk else ""
        )


@admin.register(Mailbox)
class MailboxAdmin(admin.ModelAdmin):
    form = MailboxForm
    list_display = (
        "name",
        "address",
        "default_category",
        "is_active",
        "imap_host",
        "imap_last_polled_at",
        "imap_problem",
    )
    readonly_fields = (
        "imap_uidvalidity",
        "imap_last_polled_at",
        "imap_last_error",
        "imap_lease_owner",
        "imap_lease_until",
    )
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "name",
                    "address",
                    ("default_category", "default_team"),
                    "stranger_replies",
                    "suspect_mail",
                    "is_active",
                )
            },
        ),
        (
            _("IMAP (leave the host empty for mail piped in or imported)"),
            {
                "fields": (
                    ("imap_host", "imap_port", "imap_security"),
                    ("imap_username", "imap_password"),
                    ("imap_folder", "imap_poll_seconds"),
                    ("imap_after", "imap_move_to"),
                    ("imap_last_polled_at", "imap_uidvalidity"),
                    "imap_last_error",
                    ("imap_lease_owner", "imap_lease_until"),
                )
            },
        ),
    )

    @admin.display(description=_("last IMAP error"))
    def imap_problem(self, obj: Mailbox) -> str:
        error = obj.imap_last_error
        return error if len(error) <= 120 else error[:119] + "…"


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
