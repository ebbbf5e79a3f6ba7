"""Back office: people, organisations and teams, configured by admins without code."""

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_lazy as _

from .branding import check_accent, check_logo, forget_brand, save_brand
from .models import Brand, Organisation, OrganisationDomain, SecurityKey, Team, User


@admin.register(User)
class FrontlineUserAdmin(UserAdmin):
    list_display = (
        "username",
        "email",
        "first_name",
        "last_name",
        "role",
        "organisation",
        "is_active",
    )
    list_filter = ("role", "is_active", "is_org_manager", "organisation")
    search_fields = ("username", "email", "first_name", "last_name")
    list_select_related = ("organisation",)
    fieldsets = (
        *(UserAdmin.fieldsets or ()),
        (
            _("Help desk"),
            {
                "fields": (
                    "role",
                    "organisation",
                    "is_org_manager",
                    "phone",
                    "language",
                    "email_verified_at",
                )
            },
        ),
    )
    add_fieldsets = (
        *UserAdmin.add_fieldsets,
        (
            _("Help desk"),
            {
                "fields": (
                    "email",
                    "first_name",
                    "last_name",
                    "role",
                    "organisation",
                    "is_org_manager",
                )
            },
        ),
    )

    def has_delete_permission(self, request, obj=None):
        # People are deactivated, never deleted: their tickets keep their authors.
        return False


class OrganisationDomainInline(admin.TabularInline):
    # The model's clean() writes each domain as stored (lower case, checked);
    # the unique index refuses one that another organisation has.
    model = OrganisationDomain
    fields = ("domain", "subdomains")
    extra = 1


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ("name", "created_at")
    search_fields = ("name", "domains__domain")
    inlines = [OrganisationDomainInline]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ("name", "tier", "is_active", "assign_on_reply", "confirm_templates")
    list_filter = ("tier", "is_active")
    filter_horizontal = ("members",)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "members":
            kwargs["queryset"] = User.objects.agents()
        return super().formfield_for_manytomany(db_field, request, **kwargs)


@admin.register(SecurityKey)
class SecurityKeyAdmin(admin.ModelAdmin[SecurityKey]):
    """An administrator removes a lost key here; keys are added only by their owner."""

    list_display = ("name", "user", "created_at", "last_used_at")
    search_fields = ("name", "user__username", "user__email")
    list_select_related = ("user",)
    readonly_fields = ("user", "name", "credential_id", "sign_count", "created_at", "last_used_at")
    exclude = ("public_key", "confirmed")

    def has_add_permission(self, request: Any) -> bool:
        return False


class BrandForm(forms.ModelForm):
    class Meta:
        model = Brand
        fields = ("name", "logo", "accent")

    def clean_logo(self) -> Any:
        logo = self.cleaned_data.get("logo")
        if logo and hasattr(logo, "content_type"):  # a new upload, not the stored file
            check_logo(logo)
        return logo

    def clean_accent(self) -> str:
        return check_accent(self.cleaned_data.get("accent", ""))


@admin.register(Brand)
class BrandAdmin(admin.ModelAdmin):
    """One row: the site's name, logo and accent colour."""

    form = BrandForm
    list_display = ("__str__", "accent", "updated_at")

    def has_add_permission(self, request: Any) -> bool:
        return super().has_add_permission(request) and not Brand.objects.exists()

    def save_model(self, request: Any, obj: Brand, form: Any, change: bool) -> None:
        save_brand(obj)

    def delete_model(self, request: Any, obj: Brand) -> None:
        super().delete_model(request, obj)
        forget_brand()

    def delete_queryset(self, request: Any, queryset: Any) -> None:
        super().delete_queryset(request, queryset)
        forget_brand()
