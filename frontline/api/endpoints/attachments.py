"""Files on tickets, downloaded through the same check as in the desk and portal."""

from __future__ import annotations

from django.http import FileResponse
from ninja import Router

from frontline.lib.http import AuthedRequest
from frontline.tickets.access import access_attachment
from frontline.tickets.downloads import attachment_response

from ..schemas import Problem

router = Router(tags=["attachments"])


@router.get(
    "/{int:attachment_id}",
    response={401: Problem, 404: Problem, 429: Problem},
    summary="Download a file",
    openapi_extra={
        "responses": {
            "200": {
                "description": "The file (a download unless it is a harmless image or PDF).",
                "content": {"application/octet-stream": {}},
            }
        }
    },
)
def download(request: AuthedRequest, attachment_id: int) -> FileResponse:
    """Customers never get the files of internal notes or call logs."""
    return attachment_response(access_attachment(request.user, attachment_id))
