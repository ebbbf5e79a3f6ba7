"""What the team knows and reuses: reply templates and knowledge-base articles."""

from __future__ import annotations

import datetime
import re
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

PLACEHOLDERS_HELP = _(
    "Plain text. Placeholders: {customer_first_name}, {customer_name}, {ticket_number}, "
    "{subject}, {agent_name}, {team}, {organisation}, {portal_link}."
)


class ReplyTemplate(models.Model):
    """A starting point for a reply, filled in with the ticket's names and facts.

    Shared with everyone (no team, no owner), with one team's agents, or one
    agent's own (``owner``). Supervisors manage shared ones in the desk; every
    agent manages their own (``knowledge.access``)."""

    name = models.CharField(_("name"), max_length=100)
    body = models.TextField(_("text"), help_text=PLACEHOLDERS_HELP)
    language = models.CharField(
        _("language"),
        max_length=10,
        blank=True,
        help_text=_("e.g. en, ru, zh-hans; empty for any. Customers get theirs when it exists."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    team = models.ForeignKey(
        "accounts.Team",
        verbose_name=_("team"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="reply_templates",
        help_text=_("Empty: for everyone."),
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("personal template of"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="reply_templates",
    )
    # A macro: what applying the template also does, in one step (``knowledge.macros``).
    set_status = models.CharField(
        _("set the status to"),
        max_length=20,
        blank=True,
        choices=[
            ("open", _("Open")),
            ("waiting_customer", _("Waiting for customer")),
            ("waiting_third_party", _("Waiting for third party")),
            ("resolved", _("Resolved")),
        ],
    )
    set_priority = models.PositiveSmallIntegerField(
        _("set the priority to"),
        null=True,
        blank=True,
        choices=[(1, _("Low")), (2, _("Normal")), (3, _("High")), (4, _("Urgent"))],
    )
    add_tags = models.CharField(
        _("add tags"), max_length=200, blank=True, help_text=_("Separated by spaces or commas.")
    )
    set_team = models.ForeignKey(
        "accounts.Team",
        verbose_name=_("hand over to team"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    note = models.TextField(
        _("internal note"),
        blank=True,
        help_text=_("Added as an internal note (placeholders work here too)."),
    )

    class Meta:
        ordering = ["name", "language"]
        verbose_name = _("reply template")
        constraints = [
            models.UniqueConstraint(
                fields=["name", "language"],
                condition=models.Q(team__isnull=True, owner__isnull=True),
                name="replytemplate_unique",
            ),
            models.UniqueConstraint(
                fields=["team", "name", "language"],
                condition=models.Q(team__isnull=False, owner__isnull=True),
                name="replytemplate_unique_team",
            ),
            models.UniqueConstraint(
                fields=["owner", "name", "language"],
                condition=models.Q(owner__isnull=False),
                name="replytemplate_unique_personal",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.language})" if self.language else self.name

    @property
    def is_personal(self) -> bool:
        return self.owner_id is not None

    @property
    def is_macro(self) -> bool:
        """It also changes the ticket or adds a note when applied."""
        return bool(
            self.set_status
            or self.set_priority
            or self.add_tags.strip()
            or self.set_team_id
            or self.note.strip()
        )

    @property
    def tag_names(self) -> list[str]:
        return [t for t in re.split(r"[\s,]+", self.add_tags.strip().lower()) if t][:10]


# --- knowledge base ------------------------------------------------------------


def language_choices() -> list[tuple[str, str]]:
    """The site's languages, read when asked (no settings at import time)."""
    return [(code, str(name)) for code, name in settings.LANGUAGES]


class Visibility(models.TextChoices):
    PUBLIC = "public", _("Public: anyone, without signing in")
    INTERNAL = "internal", _("Internal: staff only")


class ArticleStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")


class ArticleCategory(models.Model):
    """A heading of the knowledge base; categories nest one level deep."""

    name = models.CharField(_("name"), max_length=100)
    description = models.CharField(_("description"), max_length=300, blank=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("inside"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        limit_choices_to={"parent__isnull": True},
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "name"]
        verbose_name = _("article category")
        verbose_name_plural = _("article categories")

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return f"{self.parent.name} / {self.name}" if self.parent_id and self.parent else self.name

    def clean(self) -> None:
        if self.parent_id is None:
            return
        if self.pk is not None and self.parent_id == self.pk:
            raise ValidationError({"parent": _("A category cannot be inside itself.")})
        if self.parent and self.parent.parent_id is not None:
            raise ValidationError({"parent": _("Categories nest one level deep only.")})
        if self.pk is not None and self.children.exists():
            raise ValidationError({"parent": _("This category has categories inside it.")})


class ArticleQuerySet(models.QuerySet["Article"]):
    def published(self) -> ArticleQuerySet:
        return self.filter(status=ArticleStatus.PUBLISHED)

    def public(self) -> ArticleQuerySet:
        return self.filter(visibility=Visibility.PUBLIC)

    def due_review(self, now: datetime.datetime) -> ArticleQuerySet:
        """Published articles whose review date has come, the oldest first."""
        return self.published().filter(review_due_at__lte=now).order_by("review_due_at", "pk")


class Article(models.Model):
    """One knowledge-base article in one language, written in Markdown.

    ``body_html`` is the Markdown rendered and sanitised when the article is
    saved (by the actions), so pages show it as it is. Translations point to
    the original (``translation_of``), never to another translation.
    """

    category = models.ForeignKey(
        ArticleCategory,
        verbose_name=_("category"),
        on_delete=models.PROTECT,
        related_name="articles",
    )
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"), blank=True)
    body_html = models.TextField(blank=True, editable=False)
    language = models.CharField(_("language"), max_length=10, choices=language_choices)
    translation_of = models.ForeignKey(
        "self",
        verbose_name=_("translation of"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="translations",
    )
    visibility = models.CharField(
        _("visibility"), max_length=10, choices=Visibility.choices, default=Visibility.INTERNAL
    )
    status = models.CharField(
        _("status"), max_length=10, choices=ArticleStatus.choices, default=ArticleStatus.DRAFT
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="owned_articles",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created"))
    updated_at = models.DateTimeField(_("updated"))
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    reviewed_at = models.DateTimeField(_("last reviewed"), null=True, blank=True)
    review_due_at = models.DateTimeField(_("review due"), null=True, blank=True)
    for_trainees = models.BooleanField(
        _("on the learning path"),
        default=False,
        help_text=_("New agents read it while they learn; their mentor sees who has."),
    )
    view_count = models.PositiveIntegerField(_("views"), default=0)
    helpful_count = models.PositiveIntegerField(_("helpful"), default=0)
    unhelpful_count = models.PositiveIntegerField(_("not helpful"), default=0)

    objects = ArticleQuerySet.as_manager()

    class Meta:
        ordering = ["title", "pk"]
        verbose_name = _("article")
        constraints = [
            models.UniqueConstraint(
                fields=["translation_of", "language"], name="article_one_translation_per_language"
            )
        ]
        indexes = [
            # The help centre: most viewed published articles of a language.
            models.Index(
                fields=["status", "visibility", "language", "-view_count"],
                name="article_most_viewed",
            ),
            models.Index(fields=["status", "review_due_at"], name="article_review_due"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_public(self) -> bool:
        return self.visibility == Visibility.PUBLIC

    @property
    def is_published(self) -> bool:
        return self.status == ArticleStatus.PUBLISHED

    @property
    def original_id(self) -> int:
        return self.translation_of_id or self.pk


class ArticleRevision(models.Model):
    """The title and text of an article as one person saved them, kept forever."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField(_("revision"))
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"), blank=True)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("saved"))
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["article", "number"], name="articlerevision_unique")
        ]

    def __str__(self) -> str:
        return f"{self.article_id} r{self.number}"


class ArticleFeedback(models.Model):
    """An answer to "Was this helpful?", with an optional comment for staff."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="feedback")
    helpful = models.BooleanField(_("helpful"))
    comment = models.TextField(_("comment"), blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("given"))

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["article", "-created_at"], name="articlefeedback_recent")]

    def __str__(self) -> str:
        return f"{self.article_id}: {'+' if self.helpful else '-'}"


STAFF_SCOPE = "staff"


def public_scope(language: str) -> str:
    """The postings scope of the published public articles in ``language``."""
    return f"public:{language}"


class ArticleTerm(models.Model):
    """One word (or pair of Chinese characters) of a published article's title or
    text, for matching what someone types (``knowledge.suggest``), in one
    ``scope``: who may be offered the article. Every published article has its
    words in the ``staff`` scope; a public one also in ``public:<language>``.
    Drafts have none. So the postings of a word read for a customer are only
    articles they may see (``knowledge.actions`` writes them, ``article_terms``)."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="terms")
    term = models.CharField(max_length=16)
    scope = models.CharField(max_length=16, default=STAFF_SCOPE)
    weight = models.PositiveSmallIntegerField(default=1)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["article", "scope", "term"], name="articleterm_scope_unique"
            )
        ]
        # The suggestion reads only this index: the postings of each word typed
        # in the asker's scope, title words first, a bounded number of them
        # (``knowledge.suggest``).
        indexes = [
            models.Index(
                fields=["term", "scope", "-weight", "-article"], name="articleterm_scope_postings"
            )
        ]

    def __str__(self) -> str:
        return self.term


def article_file_path(instance: ArticleFile, filename: str) -> str:
    # The stored name is ours, never the uploader's: no path tricks, no collisions.
    return f"kb/{timezone.now():%Y/%m}/{secrets.token_hex(16)}"


class ArticleFile(models.Model):
    """An image or document of an article, referred to in its text as
    ``attachment:<id>``. Served only to those who may read the article
    (``knowledge.access.access_article_file``)."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="files")
    file = models.FileField(upload_to=article_file_path, max_length=200)
    filename = models.CharField(_("file name"), max_length=255)
    size = models.PositiveBigIntegerField(_("size"))
    content_type = models.CharField(_("type"), max_length=100)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("uploaded"))

    class Meta:
        ordering = ["pk"]
        verbose_name = _("article file")

    def __str__(self) -> str:
        return self.filename

    @property
    def reference(self) -> str:
        return f"attachment:{self.pk}"


class SuggestedRead(models.Model):
    """A customer opened an article that was suggested while they wrote a request.

    ``ticket`` is the request they sent anyway (set by the reaction to a new
    ticket of theirs within ``KB_DEFLECTION_HOURS``): then the agent knows what
    they read. A read with no ticket once that time has passed is a
    **deflection**: the article answered the question, nobody had to.
    """

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="suggested_reads")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    opened_at = models.DateTimeField(_("opened"))
    ticket = models.ForeignKey(
        "tickets.Ticket",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="articles_read",
    )

    class Meta:
        ordering = ["-opened_at", "-pk"]
        constraints = [
            # One row per article while the customer has not written: a reload is no new read.
            models.UniqueConstraint(
                fields=["user", "article"],
                condition=models.Q(ticket__isnull=True),
                name="suggestedread_one_pending",
            )
        ]
        indexes = [
            models.Index(fields=["user", "ticket", "opened_at"], name="suggestedread_pending"),
            models.Index(fields=["article", "opened_at"], name="suggestedread_article"),
            models.Index(fields=["opened_at"], name="suggestedread_opened"),
        ]

    def __str__(self) -> str:
        return f"{self.article_id} by {self.user_id}"


class Traineeship(models.Model):
    """A new agent learning the work, with the colleague who guides them."""

    trainee = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("trainee"),
        on_delete=models.CASCADE,
        related_name="traineeship",
        limit_choices_to={"role": "agent"},
    )
    mentor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("mentor"),
        on_delete=models.PROTECT,
        related_name="trainees",
        limit_choices_to={"role__in": ["agent", "supervisor", "admin"]},
    )
    started_at = models.DateTimeField(_("started"), default=timezone.now)

    class Meta:
        verbose_name = _("traineeship")

    def __str__(self) -> str:
        return f"{self.trainee} ({self.mentor})"

    def clean(self) -> None:
        if self.trainee_id is not None and self.trainee_id == self.mentor_id:
            raise ValidationError({"mentor": _("A trainee needs someone else as mentor.")})


class ArticleRead(models.Model):
    """A member of staff read an article of the learning path (first time kept)."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="reads")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    read_at = models.DateTimeField(_("read"))

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "article"], name="articleread_unique")
        ]

    def __str__(self) -> str:
        return f"{self.article_id} read by {self.user_id}"


class TemplateUse(models.Model):
    """How often one agent inserted one template, so a team sees which are used
    and which never are."""

    template = models.ForeignKey(ReplyTemplate, on_delete=models.CASCADE, related_name="uses")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    count = models.PositiveIntegerField(_("times inserted"), default=0)
    last_used_at = models.DateTimeField(_("last inserted"))

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["template", "user"], name="templateuse_unique")
        ]

    def __str__(self) -> str:
        return f"{self.template_id}: {self.count} by {self.user_id}"


class HeldReplyState(models.TextChoices):
    HELD = "held", _("Waiting for review")
    APPROVED = "approved", _("Approved and sent")
    RETURNED = "returned", _("Sent back")


class HeldReply(models.Model):
    """A trainee's public reply waiting for their mentor (``knowledge.reviews``).

    Kept apart from the ticket's messages, so no page, mail, search or API that
    reads messages can show it to the customer: it becomes a message only when
    approved (then ``message`` points at it)."""

    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="+")
    trainee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="held_replies"
    )
    body = models.TextField(_("reply"))
    state = models.CharField(
        _("state"), max_length=10, choices=HeldReplyState.choices, default=HeldReplyState.HELD
    )
    created_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    comment = models.TextField(_("mentor's comment"), blank=True)
    edited = models.BooleanField(_("edited by the mentor"), default=False)
    message = models.ForeignKey(
        "tickets.Message", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("held reply")
        indexes = [
            models.Index(fields=["state", "created_at"], name="heldreply_state"),
            models.Index(fields=["trainee", "-created_at"], name="heldreply_trainee"),
        ]

    def __str__(self) -> str:
        return f"{self.get_state_display()} on {self.ticket_id} by {self.trainee_id}"
