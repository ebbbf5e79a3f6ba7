"""Webhooks in the admin: subscribe a URL to event kinds, rotate its secret, read
the delivery log, send a delivery again. API tokens are listed (not made) here:
people make their own on their token page."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from frontline.tickets.models import EventKind

from . import actions, webhooks
from .models import ApiToken, WebhookDelivery, WebhookSubscription


class SubscriptionForm(forms.ModelForm):
    event_kinds = forms.MultipleChoiceField(
        label=_("Event kinds"), choices=EventKind.choices, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = WebhookSubscription
        fields = ("name", "url", "event_kinds", "include_internal", "is_active")

    def clean_url(self) -> str:
        url = self.cleaned_data["url"]
        try:
            webhooks.check_url(url)
        except webhooks.Refused as exc:
            raise ValidationError(str(exc)) from None
        return url


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(admin.ModelAdmin):
    form = SubscriptionForm
    list_display = ("name", "url", "owner", "is_active", "failing_since", "disabled_at")
    readonly_fields = ("owner", "secret", "failing_since", "disabled_at", "created_at")
    actions = ["rotate_secret"]

    def has_module_permission(self, request: HttpRequest) -> bool:
        return bool(
            getattr(request.user, "sees_all_tickets", False)
        ) and super().has_module_permission(request)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if not change:
            obj.owner = request.user
            obj.secret = actions.new_webhook_secret()
        if obj.is_active:
            obj.failing_since = obj.disabled_at = None
        super().save_model(request, obj, form, change)
        actions.subscriptions_changed()

    @admin.action(description=_("Rotate the secret"))
    def rotate_secret(self, request: HttpRequest, queryset: QuerySet[WebhookSubscription]) -> None:
        for subscription in queryset:
            actions.rotate_webhook_secret(subscription, by=request.user)  # type: ignore[arg-type]
        messages.success(request, _("New secrets made: update the receivers."))


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = (
        "kind",
        "subscription",
        "status",
        "attempts",
        "last_status_code",
        "created_at",
        "delivered_at",
    )
    list_filter = ("status", "subscription")
    readonly_fields = [f.name for f in WebhookDelivery._meta.fields]
    actions = ["send_again"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description=_("Send again"))
    def send_again(self, request: HttpRequest, queryset: QuerySet[WebhookDelivery]) -> None:
        sent = 0
        for delivery in queryset.select_related("subscription__owner"):
            try:
                actions.send_again(delivery, by=request.user)  # type: ignore[arg-type]
            except ValidationError as exc:
                messages.error(request, f"{delivery}: {' '.join(exc.messages)}")
            else:
                sent += 1
        if sent:
            messages.success(request, _("Queued to be sent again."))


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("name", "user", "prefix", "scope", "created_at", "last_used_at", "revoked_at")
    readonly_fields = [f.name for f in ApiToken._meta.fields if f.name not in ("id", "key_hash")]
    exclude = ("key_hash",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
