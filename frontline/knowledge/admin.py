from django.contrib import admin

from .models import ArticleCategory, ReplyTemplate, Traineeship


@admin.register(ReplyTemplate)
class ReplyTemplateAdmin(admin.ModelAdmin):
    list_display = ("name", "language", "team", "owner", "is_active")
    list_filter = ("is_active", "language", "team")
    list_select_related = ("team", "owner")
    search_fields = ("name", "body")


@admin.register(ArticleCategory)
class ArticleCategoryAdmin(admin.ModelAdmin):
    """Headings of the knowledge base; articles themselves are written in the desk."""

    list_display = ("name", "parent", "position")
    list_select_related = ("parent",)
    search_fields = ("name",)


@admin.register(Traineeship)
class TraineeshipAdmin(admin.ModelAdmin):
    """Who is learning, with whom; their path is the articles marked for trainees."""

    list_display = ("trainee", "mentor", "started_at")
    list_select_related = ("trainee", "mentor")
    autocomplete_fields = ("trainee", "mentor")
