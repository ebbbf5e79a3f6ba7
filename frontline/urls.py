from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from frontline.ops import views as ops_views

urlpatterns = [
    path("", ops_views.home, name="home"),
    path("healthz", ops_views.healthz, name="healthz"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("portal/", include("frontline.portal.urls")),
    path("desk/", include("frontline.desk.urls")),
    path("admin/", admin.site.urls),
]
