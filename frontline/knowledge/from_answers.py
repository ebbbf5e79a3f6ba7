"""An agent's answer becomes a draft article in one step, without the customer in it.

The draft is internal, owned by the agent, in the category they pick (the first
one if they do not), with the customer's personal data taken out
(``knowledge.scrub``) and a note at its top saying what was replaced and what
to check before publishing. It stays a draft until someone publishes it.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from frontline.accounts.models import User
from frontline.tickets.models import Message, MessageKind

from .actions import create_article
from .models import Article, ArticleCategory, Visibility
from .scrub import Scrubbed, scrub


def _customer_names(message: Message) -> list[str]:
    """Whose names to take out: the requester, the people on the ticket, the
    requester's organisation."""
    ticket = message.ticket
    people = [ticket.requester, *ticket.participants.all()]
    names = []
    for person in people:
        names += [person.get_full_name(), person.first_name, person.last_name]
        names.append(person.email.split("@")[0])
    organisation = ticket.requester.organisation
    if organisation is not None:
        names.append(organisation.name)
    return [n for n in names if n]


def _review_note(found: Scrubbed) -> str:
    said = ", ".join(f"{kind}: {count}" for kind, count in sorted(found.replaced.items()))
    return (
        "> "
        + _("Made from an answer on a ticket. Replaced: %(what)s.") % {"what": said or "—"}
        + "\n> "
        + _(
            "Check for addresses, names and numbers that were not recognised, "
            "then remove this note before publishing."
        )
        + "\n\n"
    )


@transaction.atomic
def article_from_answer(
    message: Message, *, by: User, category: ArticleCategory | None = None
) -> tuple[Article, Scrubbed]:
    """A draft internal article from ``message`` (a public reply written by staff;
    the caller fetched it through ``tickets.access``), titled after the ticket's
    subject, both without the customer's personal data. Raises
    ``ValidationError`` for another kind of message or with no category at all."""
    if not (by.is_active and by.is_staff_member):
        raise PermissionDenied("Only staff write articles.")
    author = message.author
    if message.kind != MessageKind.REPLY or author is None or not author.is_staff_member:
        raise ValidationError(_("Only an answer from staff can become an article."))
    category = category or ArticleCategory.objects.order_by("position", "name").first()
    if category is None:
        raise ValidationError(_("Make a knowledge-base category first."))
    names = _customer_names(message)
    body = scrub(message.body, names=names)
    title = scrub(message.ticket.subject, names=names)
    for kind, count in title.replaced.items():
        body.replaced[kind] = body.replaced.get(kind, 0) + count
    language = message.ticket.requester.language
    if language not in {code for code, _name in settings.LANGUAGES}:
        language = settings.LANGUAGE_CODE
    article = create_article(
        category=category,
        title=title.text[:200],
        body=_review_note(body) + body.text,
        language=language,
        visibility=Visibility.INTERNAL,
        by=by,
    )
    return article, body
