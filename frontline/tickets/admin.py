"""Back office: categories and their forms. Tickets are read here, changed in the desk."""

from django.contrib import admin

from .models import Category, FormField, Tag, Ticket, TicketEvent


class FormFieldInline(admin.StackedInline):
    model = FormField
    extra = 1
    # Each text with its translations on one line, side by side.
    fields = (
        ("position", "key", "field_type", "required"),
        ("label", "label_ru", "label_zh_hans"),
        ("help_text", "help_text_ru", "help_text_zh_hans"),
        ("choices", "choices_ru", "choices_zh_hans"),
    )
    prepopulated_fields = {"key": ("label",)}


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("name", "default_team", "default_priority", "is_active", "position")
    list_editable = ("position", "is_active")
    fields = (
        ("name", "name_ru", "name_zh_hans"),
        ("description", "description_ru", "description_zh_hans"),
        ("default_team", "default_priority"),
        ("is_active", "position"),
    )
    inlines = [FormFieldInline]


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    search_fields = ("name",)


class EventInline(admin.TabularInline):
    model = TicketEvent
    extra = 0
    can_delete = False
    readonly_fields = ("created_at", "kind", "actor", "data")
    fields = readonly_fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    """Read-only: every change goes through the desk, so it leaves an event."""

    list_display = ("id", "subject", "status", "priority", "team", "assignee", "updated_at")
    list_filter = ("status", "priority", "channel")
    list_select_related = ("team", "assignee")
    search_fields = ("=id", "subject")
    show_full_result_count = False
    raw_id_fields = ("requester", "assignee", "handoff_by", "organisation")
    inlines = [EventInline]

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
