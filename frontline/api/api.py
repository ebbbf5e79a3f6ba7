"""The API object: its routers, authentication and error format.

Errors are RFC 9457 problem details (``application/problem+json``): ``title``
and ``status`` always, ``detail`` for a sentence, ``errors`` for per-field
messages. Nothing a client sends should end in a 500.
"""

from __future__ import annotations

import datetime
import json
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as SchemaValidationError
from ninja.openapi.docs import Swagger
from ninja.renderers import JSONRenderer
from ninja.responses import NinjaJSONEncoder
from pydantic_core import to_jsonable_python

from .auth import PerCallerThrottle, read_auth
from .endpoints import attachments, calls, catalogue, me, people, reviews, tickets


class FrontlineAPI(NinjaAPI):
    def get_openapi_schema(self, **kwargs: Any) -> Any:
        """The document says what is sent: errors are ``application/problem+json``."""
        schema = super().get_openapi_schema(**kwargs)
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                for code, response in operation.get("responses", {}).items():
                    content = response.get("content", {})
                    if int(code) >= 400 and "application/json" in content:
                        content["application/problem+json"] = content.pop("application/json")
        return schema


class TimesAsPydantic(NinjaJSONEncoder):
    """Times as pydantic writes them (to the microsecond, ``Z``), as in the
    answers ``tickets.json_response`` writes with pydantic itself: ninja's
    encoder is Django's, which cuts them to the millisecond, so one ticket's
    ``updated_at`` read differently in a get and in an act's answer."""

    def default(self, o: Any) -> Any:
        if isinstance(o, datetime.date | datetime.time):
            return to_jsonable_python(o)
        return super().default(o)


class Renderer(JSONRenderer):
    encoder_class = TimesAsPydantic


class LocalSwagger(Swagger):
    """ninja's Swagger page from its own template and files, served by us (no
    CDN). ninja does that only when it is listed as an app, which the settings
    avoid (see ``_NINJA`` there)."""

    def render_page(self, request: HttpRequest, api: Any, **kwargs: Any) -> HttpResponse:
        self.settings["url"] = self.get_openapi_url(api, kwargs)
        context = {
            "swagger_settings": json.dumps(self.settings, indent=1),
            "api": api,
            # "Try it out" signed in by the session cookie sends the CSRF token.
            "add_csrf": any(getattr(auth, "csrf", False) for auth in api.auth),
        }
        return render(request, self.template, context)


api = FrontlineAPI(
    title="Frontline",
    version="1",
    description="Everything an agent or a customer can do in Frontline, for other systems.",
    urls_namespace="api-v1",
    auth=read_auth,
    throttle=[PerCallerThrottle()],
    docs=LocalSwagger(),
    renderer=Renderer(),
)


def problem(
    request: HttpRequest,
    status: int,
    title: str,
    *,
    detail: str = "",
    errors: dict[str, list[str]] | None = None,
) -> HttpResponse:
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status}
    if detail:
        body["detail"] = detail
    if errors:
        body["errors"] = errors
    response = api.create_response(request, body, status=status)
    response["Content-Type"] = "application/problem+json"
    return response


def _location(loc: list[Any] | tuple[Any, ...]) -> str:
    """``("body", "payload", "fields", "serial")`` to ``fields.serial``: ninja puts
    where the value came from and the parameter's name first, which say nothing
    to a client."""
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query", "path", "form", "header", "cookie"):
        parts = parts[1:]
    if parts and parts[0] in ("payload", "filters"):
        parts = parts[1:]
    return ".".join(parts) or "__all__"


@api.exception_handler(SchemaValidationError)
def _schema_invalid(request: HttpRequest, exc: SchemaValidationError) -> HttpResponse:
    errors: dict[str, list[str]] = {}
    for error in exc.errors:
        errors.setdefault(_location(error.get("loc", ())), []).append(str(error.get("msg")))
    return problem(request, 400, _("The request is not valid."), errors=errors)


@api.exception_handler(ValidationError)
def _action_refused(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    if hasattr(exc, "error_dict"):
        errors = {k: [str(m) for m in v] for k, v in exc.message_dict.items()}
        return problem(request, 400, _("The request is not valid."), errors=errors)
    return problem(request, 400, _("The request is not valid."), detail=" ".join(exc.messages))


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return problem(request, 404, _("Not found."))


@api.exception_handler(PermissionDenied)
def _forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return problem(request, 403, _("Not allowed."), detail=str(exc))


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    response = problem(
        request,
        401,
        _("Authentication required."),
        detail=_("Send a valid token as “Authorization: Bearer …”, or sign in."),
    )
    response["WWW-Authenticate"] = "Bearer"
    return response


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return problem(request, exc.status_code, str(exc.message))


api.add_router("/me", me.router)
api.add_router("/tickets", tickets.router)
api.add_router("/attachments", attachments.router)
api.add_router("", catalogue.router)
api.add_router("", people.router)
api.add_router("", calls.router)
api.add_router("", reviews.router)
