from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from frontline.accounts.forms import MailedPasswordForm, MailedSetPasswordForm
from frontline.ops import views as ops_views

urlpatterns = [
    path("", ops_views.home, name="home"),
    path("healthz", ops_views.healthz, name="healthz"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "password/",
        auth_views.PasswordResetView.as_view(form_class=MailedPasswordForm),
        name="password_reset",
    ),
    path("password/sent/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "password/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(form_class=MailedSetPasswordForm),
        name="password_reset_confirm",
    ),
    path(
        "password/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("i18n/", include("django.conf.urls.i18n")),
    path("portal/", include("frontline.portal.urls")),
    path("help/", include("frontline.portal.help_urls")),
    path("desk/", include("frontline.desk.urls")),
    path("admin/", admin.site.urls),
]
