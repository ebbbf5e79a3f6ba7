from django.urls import path

from . import search, views

app_name = "portal"
urlpatterns = [
    path("", views.requests, name="requests"),
    path("search/", search.results, name="search"),
    path("signup/", views.signup, name="signup"),
    path("signup/sent/", views.signup_sent, name="signup_sent"),
    path("verify/", views.resend_verification, name="resend_verification"),
    path("verify/<str:token>/", views.verify_email, name="verify_email"),
    path("new/", views.choose_category, name="choose_category"),
    path("callback/", views.callback, name="callback"),
    path("callback/new/", views.public_callback, name="public_callback"),
    path("callback/sent/", views.callback_sent, name="callback_sent"),
    path("new/<int:category_id>/", views.new_request, name="new_request"),
    path("tickets/<int:number>/", views.ticket_detail, name="ticket"),
    path("tickets/<int:number>/reply/", views.reply, name="reply"),
    path("tickets/<int:number>/solved/", views.solved, name="solved"),
    path("tickets/<int:number>/not-solved/", views.not_solved, name="not_solved"),
    path("survey/<int:number>/<str:token>/", views.survey, name="survey"),
    path("estimate/<int:number>/<str:token>/", views.estimate_link, name="estimate_link"),
    path(
        "tickets/<int:number>/estimates/<int:estimate_id>/approve/",
        views.approve,
        name="approve_estimate",
    ),
    path(
        "tickets/<int:number>/estimates/<int:estimate_id>/decline/",
        views.decline,
        name="decline_estimate",
    ),
    path("answers/done/", views.answers_done, name="answers_done"),
    path("answers/<str:token>/", views.answers, name="answers"),
    path("attachments/<int:attachment_id>/", views.attachment, name="attachment"),
]
