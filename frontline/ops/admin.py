"""Back office for people's data: erase a contact (the list of erasures is the
audit trail), export what is held about one (an action on people), and the
retention rules with what each would delete now."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as gettext_now
from django.utils.translation import gettext_lazy as _

from frontline.accounts.admin import FrontlineUserAdmin
from frontline.accounts.models import Role, User
from frontline.tickets.models import Attachment

from .models import Erasure, RetentionDelete, RetentionRule, RetentionRun
from .privacy import erase_contact, export_contact
from .retention import due_tickets


class ErasureForm(forms.ModelForm):
    confirm = forms.CharField(
        label=_("Type the contact's address to confirm"),
        help_text=_(
            "Their name, address and words are replaced by a placeholder everywhere. "
            "This cannot be undone; export their data first if they asked for it."
        ),
    )

    class Meta:
        model = Erasure
        fields = ["contact"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        contact: Any = self.fields["contact"]
        contact.queryset = User.objects.filter(role=Role.CUSTOMER).exclude(
            username__startswith="erased-"
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        contact = data.get("contact")
        if contact is not None and data.get("confirm", "").strip().lower() != (
            contact.email.lower()
        ):
            raise ValidationError({"confirm": _("This is not the contact's address.")})
        return data


@admin.register(Erasure)
class ErasureAdmin(admin.ModelAdmin):
    form = ErasureForm
    list_display = ("contact", "erased_by", "erased_at", "counts")
    date_hierarchy = "erased_at"
    raw_id_fields = ("contact",)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return ("contact", "erased_by", "erased_at", "counts") if obj else ()

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Erasure, form: Any, change: bool) -> None:
        done = erase_contact(obj.contact, by=request.user)  # type: ignore[arg-type]
        obj.pk, obj.erased_at, obj.counts = done.pk, done.erased_at, done.counts
        obj._state.adding = False


@admin.action(description=_("Export their data (ZIP)"))
def export_data(
    modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[User]
) -> HttpResponse | None:
    people = list(queryset[:2])
    if len(people) != 1:
        modeladmin.message_user(request, _("Choose one person to export."), messages.ERROR)
        return None
    response = HttpResponse(export_contact(people[0]), content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="contact-{people[0].pk}.zip"'
    return response


# On the people's list, beside Django's own actions.
FrontlineUserAdmin.actions = [export_data]  # type: ignore[misc]


@admin.register(RetentionRule)
class RetentionRuleAdmin(admin.ModelAdmin):
    list_display = ("name", "category", "organisation", "what", "after_days", "is_active", "due")
    list_filter = ("is_active", "what")

    @admin.display(description=_("due now (preview)"))
    def due(self, rule: RetentionRule) -> str:
        tickets = due_tickets(rule, now=timezone.now())
        files = Attachment.objects.filter(ticket__in=tickets).count()
        if rule.what == RetentionDelete.TICKETS:
            return gettext_now("%(tickets)s tickets, %(files)s attachments") % {
                "tickets": tickets.count(),
                "files": files,
            }
        return gettext_now("%(files)s attachments") % {"files": files}


@admin.register(RetentionRun)
class RetentionRunAdmin(admin.ModelAdmin):
    list_display = ("rule", "ran_at", "tickets", "attachments", "bytes")
    date_hierarchy = "ran_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
