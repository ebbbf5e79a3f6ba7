from django.contrib import admin

from .models import ReplyTemplate


@admin.register(ReplyTemplate)
class ReplyTemplateAdmin(admin.ModelAdmin):
    list_display = ("name", "language", "is_active")
    list_filter = ("is_active", "language")
    search_fields = ("name", "body")
