from django.urls import path

from . import report_views, views

app_name = "desk"
urlpatterns = [
    path("", views.queue_home, name="queue"),
    path("q/<slug:name>/", views.queue, name="queue_page"),
    path("bulk/", views.bulk, name="bulk"),
    path("reports/", report_views.report, name="reports"),
    path("reports/report.csv", report_views.report_csv, name="reports_csv"),
    path("calls/new/", views.new_call, name="new_call"),
    path("tickets/<int:number>/", views.ticket_detail, name="ticket"),
    path("tickets/<int:number>/reply/", views.reply, name="reply"),
    path("tickets/<int:number>/note/", views.note, name="note"),
    path("tickets/<int:number>/request-info/", views.request_info, name="request_info"),
    path("tickets/<int:number>/assign/", views.assign, name="assign"),
    path("tickets/<int:number>/status/", views.status, name="status"),
    path("tickets/<int:number>/priority/", views.priority, name="priority"),
    path("tickets/<int:number>/category/", views.category, name="category"),
    path("tickets/<int:number>/tags/", views.tags, name="tags"),
    path("tickets/<int:number>/escalate/", views.escalate, name="escalate"),
    path("tickets/<int:number>/rules/", views.rules, name="rules"),
    path("tickets/<int:number>/call/", views.call, name="call"),
    path("tickets/<int:number>/template/", views.reply_template, name="reply_template"),
    path("tickets/<int:number>/fields/", views.fields, name="fields"),
    path("tickets/<int:number>/presence/", views.presence, name="presence"),
    path("tickets/<int:number>/participants/", views.add_participant, name="add_participant"),
    path(
        "tickets/<int:number>/participants/<int:user_id>/remove/",
        views.remove_participant,
        name="remove_participant",
    ),
    path("tickets/<int:number>/time/", views.log_time, name="log_time"),
    path("tickets/<int:number>/estimate/", views.send_estimate, name="send_estimate"),
    path("time/<int:entry_id>/delete/", views.delete_time, name="delete_time"),
    path("messages/<int:message_id>/html/", views.message_html, name="message_html"),
    path("attachments/<int:attachment_id>/", views.attachment, name="attachment"),
]
