from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from frontline.accounts.forms import MailedSetPasswordForm
from frontline.accounts.middleware import second_factor_exempt
from frontline.api import views as api_views
from frontline.ops import account, security_keys, sso
from frontline.ops import views as ops_views
from frontline.portal.views import PasswordResetView

# Here rather than at start-up (FrontlineAdminConfig): only processes that serve
# pages import the admin modules.
admin.autodiscover()

urlpatterns = [
    path("", ops_views.home, name="home"),
    path("healthz", ops_views.healthz, name="healthz"),
    path("brand/logo", ops_views.brand_logo, name="brand_logo"),
    path("brand.css", ops_views.brand_css, name="brand_css"),
    path("login/", sso.LoginView.as_view(), name="login"),
    path("login/sso/", sso.StartView.as_view(), name="sso_start"),
    path("login/sso/callback/", sso.CallbackView.as_view(), name="sso_callback"),
    path("logout/", second_factor_exempt(sso.LogoutView.as_view()), name="logout"),
    path("account/two-factor/", account.second_factor, name="second_factor"),
    path("account/two-factor/verify/", account.second_factor_verify, name="second_factor_verify"),
    path(
        "account/two-factor/recovery-codes/",
        account.recovery_codes,
        name="second_factor_recovery_codes",
    ),
    path("account/two-factor/off/", account.second_factor_off, name="second_factor_off"),
    path(
        "account/security-keys/new/options/",
        security_keys.new_key_options,
        name="security_key_new_options",
    ),
    path("account/security-keys/new/", security_keys.add_key, name="security_key_add"),
    path(
        "account/security-keys/<int:key_id>/remove/",
        security_keys.remove_key,
        name="security_key_remove",
    ),
    path(
        "account/security-keys/sign-in/options/",
        security_keys.sign_in_key_options,
        name="security_key_sign_in_options",
    ),
    path(
        "account/security-keys/sign-in/",
        security_keys.sign_in_with_key,
        name="security_key_sign_in",
    ),
    path("login/passkey/options/", security_keys.passkey_options, name="passkey_options"),
    path("login/passkey/", security_keys.sign_in_with_passkey, name="passkey_sign_in"),
    path("logout/everywhere/", ops_views.sign_out_everywhere, name="sign_out_everywhere"),
    path("password/", PasswordResetView.as_view(), name="password_reset"),
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
    # The person's own API tokens: a page of the api app, in the desk and on the portal.
    path("portal/tokens/", api_views.tokens, {"side": "portal"}, name="portal_tokens"),
    path(
        "portal/tokens/<int:token_id>/revoke/",
        api_views.revoke,
        {"side": "portal"},
        name="portal_token_revoke",
    ),
    path("desk/tokens/", api_views.tokens, {"side": "desk"}, name="desk_tokens"),
    path(
        "desk/tokens/<int:token_id>/revoke/",
        api_views.revoke,
        {"side": "desk"},
        name="desk_token_revoke",
    ),
    path("portal/", include("frontline.portal.urls")),
    path("help/", include("frontline.portal.help_urls")),
    path("desk/", include("frontline.desk.urls")),
    path("api/v1/", include("frontline.api.urls")),
    path("admin/", admin.site.urls),
]
