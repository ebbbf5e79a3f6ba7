"""The customer portal: sign-up, new requests by category, my requests, replies."""

from __future__ import annotations

from typing import Any, cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from frontline.accounts.actions import (
    register_customer,
    request_email_verification,
    user_for_verification_token,
)
from frontline.accounts.actions import verify_email as verify_email_action
from frontline.accounts.forms import MailedPasswordForm
from frontline.accounts.models import User
from frontline.lib.http import AuthedRequest
from frontline.lib.prepared import Prepared, prefetched
from frontline.lib.ratelimit import over_hourly_limit
from frontline.reports.access import access_estimate, billed_work
from frontline.reports.actions import answer_survey, approve_estimate, decline_estimate
from frontline.reports.estimates import estimate_for_link
from frontline.reports.surveys import (
    LinkRefused,
    closes_at,
    invitation_for_link,
    open_survey_path,
)
from frontline.routing.actions import request_callback, request_callback_anonymously
from frontline.tickets import actions
from frontline.tickets.access import (
    LinkExpired,
    access_attachment,
    access_ticket_by_answers_token,
    access_ticket_for_requester,
    answers_token,
    can_see_ticket,
    requester_tickets,
)
from frontline.tickets.downloads import attachment_response
from frontline.tickets.forms import CategoryFieldsForm, ReplyForm, RequestForm
from frontline.tickets.models import (
    Category,
    Channel,
    FormField,
    Status,
    Ticket,
    TicketQuerySet,
)
from frontline.tickets.queues import page_of
from frontline.tickets.timeline import form_answers, ticket_timeline

from .forms import (
    CallbackForm,
    DeclineForm,
    NotSolvedForm,
    PublicCallbackForm,
    SignupForm,
    SurveyForm,
)

# Posts of the public callback form per address and hour: enough for a person
# who mistypes, too few to fill the callback queue.
PUBLIC_CALLBACKS_PER_HOUR = 5


def _customer(request: AuthedRequest) -> None:
    # Staff use the desk; the portal is the customer's side.
    if request.user.is_staff_member:
        raise Http404


def _limited(request: HttpRequest, form: str) -> HttpResponse | None:
    """The "too many tries" page when this address posted ``form`` too often this hour."""
    limit = settings.FRONTLINE["ACCOUNT_FORMS_PER_HOUR"]
    if request.method == "POST" and over_hourly_limit(request, form, limit):
        return render(request, "rate_limited.html", status=429)
    return None


@login_not_required
def signup(request: HttpRequest) -> HttpResponse:
    """A new account. The answer is the same whether or not the address has one
    (then its owner is mailed a link to set a password instead): sign-up does
    not tell strangers who is a customer here."""
    if request.user.is_authenticated:
        return redirect("home")
    if limited := _limited(request, "signup"):
        return limited
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            register_customer(
                email=form.cleaned_data["email"],
                name=form.cleaned_data["name"],
                password=form.cleaned_data["password"],
                language=get_language() or "",
            )
        except ValidationError as exc:
            form.add_error("password", exc)
        else:
            request.session["signup_email"] = form.cleaned_data["email"]
            return redirect("portal:signup_sent")
    return render(request, "portal/signup.html", {"form": form})


@login_not_required
def signup_sent(request: HttpRequest) -> HttpResponse:
    email = request.session.get("signup_email")
    return render(request, "portal/signup_sent.html", {"email": email})


class PasswordResetView(auth_views.PasswordResetView):
    """ "Forgot your password?", limited per address and hour like sign-up (the
    mails themselves are limited per recipient)."""

    form_class = MailedPasswordForm

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if limited := _limited(request, "password-reset"):
            return limited
        return super().post(request, *args, **kwargs)


@login_not_required
def verify_email(request: HttpRequest, token: str) -> HttpResponse:
    """The link in the confirmation mail, for the signed-in owner of the account.
    Opening it shows a button; pressing it confirms (mail scanners that open
    links do not confirm anything)."""
    user = user_for_verification_token(token)
    if user is None:
        return render(request, "portal/verify_email.html", {"invalid": True}, status=400)
    if request.user != user:
        # The link proves the mailbox; signing in proves the account. Both are
        # needed, or someone who signed up with another's address would take
        # over that person's mail the day they press the button.
        return redirect_to_login(request.get_full_path())
    if request.method == "POST":
        verify_email_action(user)
        messages.success(request, _("Thank you: your address is confirmed."))
        return redirect("portal:requests" if request.user.is_authenticated else "login")
    return render(request, "portal/verify_email.html", {"person": user})


@require_POST
def resend_verification(request: AuthedRequest) -> HttpResponse:
    _customer(request)
    if request.user.email_verified_at is None:
        request_email_verification(request.user)
        messages.success(
            request,
            _("We sent a new link to %(email)s.") % {"email": request.user.email},
        )
    return redirect("portal:requests")


def requests(request: AuthedRequest) -> HttpResponse:
    _customer(request)
    user = request.user
    scope = request.GET.get("scope", "mine")
    if not (scope == "org" and user.is_org_manager and user.organisation_id):
        scope = "mine"
    qs = requester_tickets(user, organisation=scope == "org")
    try:
        page = max(int(request.GET.get("page", "1")), 1)
    except ValueError:
        page = 1
    tickets, has_next = page_of(
        qs.order_by("-updated_at"), page, rows=_list_rows(with_requester=scope == "org")
    )
    return render(
        request,
        "portal/requests.html",
        {"tickets": tickets, "scope": scope, "page": page, "has_next": has_next},
    )


def _list_rows(*, with_requester: bool) -> TicketQuerySet:
    """The columns a row of the request list shows (who is on it, and who asked
    on an organisation's list), not every column of five tables."""
    columns = ["subject", "status", "updated_at", "team__tier", "team", "assignee"]
    columns += [f"assignee__{name}" for name in ("first_name", "last_name", "username")]
    relations = ["team", "assignee"]
    if with_requester:
        columns += ["requester"] + [
            f"requester__{name}" for name in ("first_name", "last_name", "username")
        ]
        relations.append("requester")
    return Ticket.objects.select_related(*relations).only(*columns)


def choose_category(request: AuthedRequest) -> HttpResponse:
    _customer(request)
    categories = Category.objects.filter(is_active=True)
    return render(request, "portal/choose_category.html", {"categories": categories})


# Read for every new request through the portal: compiled once (lib.prepared).
_CATEGORY = Prepared(
    lambda p: Category.objects.select_related("default_team").filter(pk=p.pk, is_active=True)
)
_QUESTIONS = Prepared(lambda p: FormField.objects.filter(category_id=p.category))


def new_request(request: AuthedRequest, category_id: int) -> HttpResponse:
    _customer(request)
    # The team and the questions come with the category: the form and
    # ``open_ticket`` both read them, and would each fetch the questions again.
    category = next(iter(_CATEGORY(pk=category_id)), None)
    if category is None:
        raise Http404
    prefetched(category, "fields", _QUESTIONS(category=category.pk))
    form = RequestForm(request.POST or None, request.FILES or None, category=category)
    if request.method == "POST" and form.is_valid():
        try:
            ticket = actions.open_ticket(
                requester=request.user,
                by=request.user,
                subject=form.cleaned_data["subject"],
                body=form.cleaned_data["body"],
                category=category,
                fields=form.field_values(),
                files=form.cleaned_data["attachments"],
                channel=Channel.WEB,
            )
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                for key, errors in exc.message_dict.items():
                    name = key if key in form.fields else f"f_{key}"
                    form.add_error(name if name in form.fields else None, errors)
            else:
                form.add_error(None, exc)
        else:
            messages.success(
                request,
                _("Your request %(ref)s is registered. We will answer here and by email.")
                % {"ref": ticket.reference},
            )
            return redirect("portal:ticket", number=ticket.pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request, "portal/new_request.html", {"form": form, "category": category}, status=status
    )


# Who else takes part, on every portal ticket page: compiled once (lib.prepared).
_PARTICIPANTS = Prepared(
    lambda p: User.objects.filter(participations__ticket_id=p.ticket).order_by(
        "participations__created_at"
    )
)


def _ticket_page(request: AuthedRequest, ticket: Ticket, status: int = 200, **forms):
    entries = ticket_timeline(ticket, for_customer=True)
    return render(
        request,
        "portal/ticket.html",
        {
            "ticket": ticket,
            "entries": entries,
            "answers": form_answers(ticket),
            "participants": _PARTICIPANTS(ticket=ticket.pk),
            "reply_form": forms.get("reply_form") or ReplyForm(),
            "not_solved_form": forms.get("not_solved_form") or NotSolvedForm(),
            "may_reply": ticket.status != Status.CLOSED or ticket.requester_may_reopen(),
            "may_confirm": ticket.speaks_for_requester(request.user),
            "billed": billed_work(request.user, ticket),
            "survey_path": open_survey_path(request.user, ticket),
            "decline_form": forms.get("decline_form") or DeclineForm(),
            "answers_url": _answers_url(request, ticket),
            # A known incident this request is part of (its number, not its words:
            # it may be another customer's ticket).
            "incident": ticket.incident(),
            "error": forms.get("error"),
        },
        status=status,
    )


def _answers_url(request: AuthedRequest, ticket: Ticket) -> str:
    """The form for the answers a mail left open, for whoever speaks for the
    requester (only a ticket waiting for the customer can lack them)."""
    if (
        ticket.status != Status.WAITING_CUSTOMER
        or ticket.category_id is None
        or not ticket.speaks_for_requester(request.user)
        or not ticket.missing_answers()
    ):
        return ""
    return reverse("portal:answers", args=[answers_token(ticket)])


def ticket_detail(request: AuthedRequest, number: int) -> HttpResponse:
    _customer(request)
    ticket = access_ticket_for_requester(request.user, number)
    into = ticket.merged_into_id
    if into is not None and can_see_ticket(request.user, Ticket(pk=into)):
        messages.info(
            request,
            _("%(old)s was merged into this request: the conversation goes on here.")
            % {"old": ticket.reference},
        )
        return redirect("portal:ticket", number=into)
    return _ticket_page(request, ticket)


@require_POST
def reply(request: AuthedRequest, number: int) -> HttpResponse:
    _customer(request)
    ticket = access_ticket_for_requester(request.user, number)
    form = ReplyForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            actions.add_reply(
                ticket,
                body=form.cleaned_data["body"],
                by=request.user,
                files=form.cleaned_data["attachments"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Your message is added to the request."))
            return redirect("portal:ticket", number=ticket.pk)
    return _ticket_page(request, ticket, status=400, reply_form=form)


@require_POST
def solved(request: AuthedRequest, number: int) -> HttpResponse:
    _customer(request)
    ticket = access_ticket_for_requester(request.user, number)
    try:
        actions.confirm_solved(ticket, by=request.user)
    except ValidationError as exc:
        return _ticket_page(request, ticket, status=400, error=" ".join(exc.messages))
    messages.success(request, _("Thank you! The request is closed."))
    return redirect("portal:ticket", number=ticket.pk)


@require_POST
def not_solved(request: AuthedRequest, number: int) -> HttpResponse:
    _customer(request)
    ticket = access_ticket_for_requester(request.user, number)
    form = NotSolvedForm(request.POST)
    if form.is_valid():
        try:
            actions.add_reply(ticket, body=form.cleaned_data["body"], by=request.user)
        except ValidationError as exc:
            return _ticket_page(request, ticket, status=400, error=" ".join(exc.messages))
        messages.success(request, _("The request is open again; we are on it."))
        return redirect("portal:ticket", number=ticket.pk)
    return _ticket_page(request, ticket, status=400, not_solved_form=form)


def attachment(request: AuthedRequest, attachment_id: int) -> FileResponse:
    return attachment_response(access_attachment(request.user, attachment_id))


def callback(request: AuthedRequest) -> HttpResponse:
    """ "Call me back": a number, a good time and a reason; a person calls."""
    _customer(request)
    form = CallbackForm(request.POST or None, initial={"phone": request.user.phone})
    if request.method == "POST" and form.is_valid():
        ticket = request_callback(
            requester=request.user,
            phone=form.cleaned_data["phone"],
            preferred_time=form.cleaned_data["preferred_time"],
            reason=form.cleaned_data["reason"],
        )
        messages.success(
            request,
            _("We will call you back soon. Your request is %(ref)s.") % {"ref": ticket.reference},
        )
        return redirect("portal:ticket", number=ticket.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "portal/callback.html", {"form": form}, status=status)


@login_not_required
def public_callback(request: HttpRequest) -> HttpResponse:
    """ "Call me back" without an account: name, number, a good time and a reason.

    Guarded by CSRF, a honeypot field and a per-address hourly limit. The
    visitor becomes a contact (found by address or number, or new).
    """
    if request.method == "POST" and over_hourly_limit(
        request, "public-callback", PUBLIC_CALLBACKS_PER_HOUR
    ):
        return render(request, "portal/callback_limited.html", status=429)
    form = PublicCallbackForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if not form.is_bot:  # a bot is thanked like a person and nothing is stored
            request_callback_anonymously(
                name=form.cleaned_data["name"],
                email=form.cleaned_data["email"],
                phone=form.cleaned_data["phone"],
                preferred_time=form.cleaned_data["preferred_time"],
                reason=form.cleaned_data["reason"],
            )
        return redirect("portal:callback_sent")
    status = 400 if request.method == "POST" else 200
    return render(request, "portal/public_callback.html", {"form": form}, status=status)


@login_not_required
def callback_sent(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/callback_sent.html")


@login_not_required
def survey(request: HttpRequest, number: int, token: str) -> HttpResponse:
    """The satisfaction survey behind the signed link in the mail: no sign-in.
    Opening a one-click link (``?rating=5``) only fills the form in (mail
    scanners open links); sending it answers, and sending again changes the
    answer while the link is valid. A refused link gets a page saying why."""
    try:
        invitation = invitation_for_link(number, token)
    except LinkRefused as refused:
        status = 410 if refused.reason == "expired" else 400
        return render(request, "portal/survey.html", {"refused": refused.reason}, status=status)
    previous = getattr(invitation, "response", None)
    initial = {"rating": request.GET.get("rating")}
    if previous is not None:
        initial = {"rating": previous.rating, "comment": previous.comment}
        if request.GET.get("rating"):
            initial["rating"] = request.GET["rating"]
    form = SurveyForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        answer_survey(
            invitation, rating=form.cleaned_data["rating"], comment=form.cleaned_data["comment"]
        )
        messages.success(
            request,
            _("Thank you! Your answer is saved.")
            if previous is None
            else _("Thank you! Your answer is changed."),
        )
        return redirect(request.path)
    context = {
        "form": form,
        "ticket": invitation.ticket,
        "answered": previous,
        "closes_at": closes_at(invitation),
    }
    return render(request, "portal/survey.html", context, status=400 if form.errors else 200)


@require_POST
def approve(request: AuthedRequest, number: int, estimate_id: int) -> HttpResponse:
    _customer(request)
    ticket = access_ticket_for_requester(request.user, number)
    estimate = access_estimate(request.user, ticket, estimate_id)
    try:
        approve_estimate(estimate, by=request.user)
    except (ValidationError, PermissionDenied) as exc:
        return _ticket_page(request, ticket, status=400, error=_refusal(exc))
    messages.success(request, _("Thank you: the estimate is approved and we start the work."))
    return redirect("portal:ticket", number=ticket.pk)


@require_POST
def decline(request: AuthedRequest, number: int, estimate_id: int) -> HttpResponse:
    _customer(request)
    ticket = access_ticket_for_requester(request.user, number)
    estimate = access_estimate(request.user, ticket, estimate_id)
    form = DeclineForm(request.POST)
    if not form.is_valid():
        return _ticket_page(request, ticket, status=400, decline_form=form)
    try:
        decline_estimate(estimate, by=request.user, reason=form.cleaned_data["reason"])
    except (ValidationError, PermissionDenied) as exc:
        return _ticket_page(request, ticket, status=400, error=_refusal(exc))
    messages.success(request, _("The estimate is declined. We will come back to you."))
    return redirect("portal:ticket", number=ticket.pk)


def _refusal(exc: Exception) -> str:
    if isinstance(exc, PermissionDenied):
        return _("Only the person who asked (or their organisation's manager) can answer this.")
    return " ".join(cast(ValidationError, exc).messages)


@login_not_required
def estimate_link(request: HttpRequest, number: int, token: str) -> HttpResponse:
    """The estimate behind the signed link in the mail: approve or decline it
    without signing in. Opening the link decides nothing (mail scanners open
    links); a button does."""
    try:
        estimate = estimate_for_link(number, token)
    except LinkRefused as refused:
        return render(request, "portal/estimate.html", {"refused": refused.reason}, status=400)
    form = DeclineForm(request.POST if request.POST.get("decision") == "decline" else None)
    if request.method == "POST":
        try:
            if request.POST.get("decision") == "approve":
                approve_estimate(estimate, by=None)
                messages.success(request, _("Thank you: the estimate is approved."))
                return redirect(request.path)
            if request.POST.get("decision") == "decline" and form.is_valid():
                decline_estimate(estimate, by=None, reason=form.cleaned_data["reason"])
                messages.success(request, _("The estimate is declined. We will come back to you."))
                return redirect(request.path)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect(request.path)
    status = 400 if request.method == "POST" else 200
    return render(
        request, "portal/estimate.html", {"estimate": estimate, "form": form}, status=status
    )


@login_not_required
def answers(request: HttpRequest, token: str) -> HttpResponse:
    """The signed link of an acknowledgement: the questions the customer's mail
    left open, answered without signing in. Good until answered or expired.
    In the customer's language, as the mail that carried the link was."""
    try:
        ticket = access_ticket_by_answers_token(token)
    except LinkExpired:
        return render(request, "portal/answers.html", {"expired": True}, status=410)
    with translation.override(ticket.requester.language or get_language()):
        return _answers(request, ticket)


def _answers(request: HttpRequest, ticket: Ticket) -> HttpResponse:
    specs = ticket.missing_answers()
    if not specs:
        return render(request, "portal/answers.html", {"ticket": ticket, "done": True}, status=410)
    assert ticket.category is not None  # questions come from a category
    form = CategoryFieldsForm(
        request.POST or None, request.FILES or None, category=ticket.category, specs=specs
    )
    if request.method == "POST" and form.is_valid():
        try:
            actions.answer_missing_fields(ticket, values=form.field_values(), by=ticket.requester)
        except actions.NothingMissing:
            return render(
                request, "portal/answers.html", {"ticket": ticket, "done": True}, status=410
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(
                request,
                _("Thank you: your answers are added to %(ref)s.") % {"ref": ticket.reference},
            )
            return redirect("portal:answers_done")
    status = 400 if request.method == "POST" else 200
    return render(request, "portal/answers.html", {"ticket": ticket, "form": form}, status=status)


@login_not_required
def answers_done(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/answers.html", {"thanks": True})
