from django.urls import path

from . import help

app_name = "help"
urlpatterns = [
    path("", help.home, name="home"),
    path("search/", help.search, name="search"),
    path("sitemap.xml", help.sitemap, name="sitemap"),
    path("suggest/", help.suggest, name="suggest"),
    path("c/<int:pk>/", help.category, name="category"),
    path("articles/<int:pk>/", help.article, name="article"),
    path("articles/<int:pk>/feedback/", help.feedback, name="feedback"),
    path("files/<int:file_id>/", help.article_file, name="file"),
]
