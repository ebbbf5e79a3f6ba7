from django.contrib import admin

from .models import ArticleCategory, ReplyTemplate


@admin.register(ReplyTemplate)
class ReplyTemplateAdmin(admin.ModelAdmin):
    list_display = ("name", "language", "is_active")
    list_filter = ("is_active", "language")
    search_fields = ("name", "body")


@admin.register(ArticleCategory)
class ArticleCategoryAdmin(admin.ModelAdmin):
    """Headings of the knowledge base; articles themselves are written in the desk."""

    list_display = ("name", "parent", "position")
    list_select_related = ("parent",)
    search_fields = ("name",)
