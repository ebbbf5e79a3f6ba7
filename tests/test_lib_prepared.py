"""Queries compiled once (frontline.lib.prepared): the same rows as the ORM, on
both databases, and model instances that behave like the ORM's."""

import datetime

import pytest
from django.db import connection
from django.db.models import Q, Subquery, Value
from django.db.models.functions import Lower
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from frontline.accounts.models import User
from frontline.lib.prepared import Prepared, insert
from frontline.mail.inbound import receive
from frontline.mail.models import InboundMessage
from frontline.tickets.models import Message, Ticket
from tests.mail.test_inbound import mail

pytestmark = pytest.mark.django_db


def by_address_or_name(key, name):
    return (
        User.objects.alias(email_key=Lower("email"), username_key=Lower("username"))
        .filter(Q(email_key=key) | Q(username_key=name))
        .order_by("pk")
    )


BY_ADDRESS_OR_NAME = Prepared(lambda p: by_address_or_name(p.key, p.name))


def rows(users):
    return [(u.pk, u.username, u.email, u.date_joined, u.email_verified_at) for u in users]


def test_the_same_rows_as_the_orm_for_any_values():
    User.objects.create(username="Ann", email="ann@example.com")
    User.objects.create(username="bob", email="ANN@example.com")
    User.objects.create(username="carl", email="carl@example.com")
    for key, name in [
        ("ann@example.com", "nobody"),
        ("carl@example.com", "bob"),
        ("zed@example.com", "ann"),
        ("zed@example.com", "zed"),
        ("x' OR '1'='1", "y%sz"),  # values are parameters, never SQL
    ]:
        expected = rows(by_address_or_name(key, name))
        assert rows(BY_ADDRESS_OR_NAME(key=key, name=name)) == expected, (key, name)
    assert len(BY_ADDRESS_OR_NAME(key="ann@example.com", name="carl")) == 3


def test_rows_are_model_instances_as_the_orm_makes_them():
    ann = User.objects.create(
        username="ann", email="ann@example.com", email_verified_at=timezone.now()
    )
    (found,) = BY_ADDRESS_OR_NAME(key="ann@example.com", name="-")
    assert found == ann and not found._state.adding and found._state.db == "default"
    assert isinstance(found.email_verified_at, datetime.datetime)
    assert found.email_verified_at == ann.email_verified_at  # converted as the ORM does
    found.first_name = "Ann"
    found.save(update_fields=["first_name"])
    assert User.objects.get(pk=ann.pk).first_name == "Ann"


def test_lists_of_any_length_and_subqueries():
    def latest_ticket(ids):
        received = InboundMessage.objects.filter(message_id_header__in=ids, ticket__isnull=False)
        return Ticket.objects.filter(
            pk=Subquery(received.order_by("-received_at").values("ticket_id")[:1])
        )

    prepared = Prepared(lambda p: latest_ticket(p.ids))
    first = receive(mail(message_id="<a@x>")).inbound.ticket
    second = receive(mail(message_id="<b@x>", subject="Other")).inbound.ticket
    for ids in (
        ["<a@x>"],
        ["<b@x>", "<a@x>"],
        ["<zz@x>"],
        ["<a@x>"] * 5,
        [f"<{i}@x>" for i in range(9)],
    ):
        assert list(prepared(ids=ids)) == list(latest_ticket(ids)), ids
    assert prepared(ids=["a@x", "none@x", "none2@x"]) == [first]
    assert prepared(ids=["a@x", "b@x"]) == [second]  # the latest received
    with pytest.raises(ValueError, match="empty list"):
        prepared(ids=[])


def test_compiled_once_per_list_length_then_only_run():
    built: list[object] = []

    def build(p):
        built.append(p)
        return Ticket.objects.filter(pk__in=p.pks)

    prepared = Prepared(build)
    ticket = receive(mail()).inbound.ticket
    with CaptureQueriesContext(connection) as ran:
        assert prepared(pks=[ticket.pk]) == [ticket]
        assert prepared(pks=[ticket.pk + 1]) == []
        assert prepared(pks=[ticket.pk, ticket.pk + 1, ticket.pk + 2]) == [ticket]  # padded to 4
        assert prepared(pks=[0, 0, 0, ticket.pk]) == [ticket]
    assert len(built) == 2  # one query built for one value, one for four
    assert len(ran) == 4  # and nothing but the queries themselves was run


SHAPES = {
    "select_related": lambda pk: Ticket.objects.filter(pk=pk).select_related("requester", "team"),
    "only": lambda pk: Ticket.objects.filter(pk=pk).only("subject", "status"),
    "only_related": lambda pk: (
        Ticket.objects.filter(pk=pk).select_related("requester").only("subject", "requester__email")
    ),
    "values": lambda pk: Ticket.objects.filter(pk=pk).values("subject", "requester__email"),
    "values_list": lambda pk: Ticket.objects.filter(pk__gte=pk).values_list("pk", flat=True),
    "annotate": lambda pk: Ticket.objects.filter(pk=pk).annotate(low=Lower("subject")),
    "sliced": lambda pk: Ticket.objects.filter(pk__gte=pk).order_by("-pk")[:2],
}


@pytest.mark.parametrize("shape", SHAPES)
def test_other_shapes_read_as_the_orm_reads_them(shape, django_assert_num_queries):
    """Joined rows, some columns, values and annotations: the same rows, made by
    the ORM's own iterables, related rows attached without another query."""
    build = SHAPES[shape]
    prepared = Prepared(lambda p: build(p.pk))
    tickets = [
        receive(mail(message_id=f"<{i}@x>", subject=f"S{i}")).inbound.ticket for i in range(3)
    ]
    for ticket in tickets:
        expected = list(build(ticket.pk))
        with django_assert_num_queries(1):
            found = prepared(pk=ticket.pk)
            if shape in ("select_related", "only_related"):
                assert [t.requester.email for t in found] == [t.requester.email for t in expected]
            if shape == "annotate":
                assert [t.low for t in found] == [t.subject.lower() for t in expected]
        assert found == expected, shape
        if shape in ("only", "only_related"):
            assert found[0].get_deferred_fields() == expected[0].get_deferred_fields()


def test_other_shapes_are_compiled_once_then_only_run(django_assert_num_queries, monkeypatch):
    """The point of it, and what fails loudly if a Django upgrade stops reading
    the compiler through ``query.get_compiler`` or the rows' layout from
    ``compiler.select``/``klass_info``: no SQL is compiled again."""
    from django.db.models.sql.compiler import SQLCompiler

    prepared = Prepared(lambda p: SHAPES["only_related"](p.pk))
    ticket = receive(mail()).inbound.ticket
    prepared(pk=ticket.pk)  # compiled here
    compiled = []
    original = SQLCompiler.as_sql

    def counting(self, *args, **kwargs):
        compiled.append(self.query.model)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(SQLCompiler, "as_sql", counting)
    with django_assert_num_queries(1):
        (found,) = prepared(pk=ticket.pk)
        assert found.requester.email == ticket.requester.email
    assert compiled == []


def test_other_shapes_convert_columns_as_the_orm_with_converters_found_once(monkeypatch):
    """A shaped read's columns are converted as the ORM converts them (text to an
    aware datetime, 0/1 to a bool on SQLite, JSON to a dict) on every run, and
    which functions convert which column is worked out on the first run only."""
    from django.db.models.sql.compiler import SQLCompiler

    columns = ("pk", "created_at", "fields", "requester__is_active", "requester__date_joined")
    prepared = Prepared(lambda p: Ticket.objects.filter(pk=p.pk).values_list(*columns))
    whole = Prepared(lambda p: Ticket.objects.filter(pk=p.pk).select_related("requester"))
    tickets = [receive(mail(message_id=f"<{i}@x>")).inbound.ticket for i in range(3)]
    Ticket.objects.filter(pk=tickets[1].pk).update(fields={"serial": "X1"})
    prepared(pk=tickets[0].pk), whole(pk=tickets[0].pk)  # compiled, converters found
    asked = []
    original = SQLCompiler.get_converters

    def counting(self, expressions):
        asked.append(len(expressions))
        return original(self, expressions)

    monkeypatch.setattr(SQLCompiler, "get_converters", counting)
    for ticket in tickets:
        expected = list(Ticket.objects.filter(pk=ticket.pk).values_list(*columns))
        asked.clear()
        found = prepared(pk=ticket.pk)
        (joined,) = whole(pk=ticket.pk)
        assert asked == []
        assert found == expected
        assert found[0][1].tzinfo is not None and found[0][3] is True
        orm = Ticket.objects.select_related("requester").get(pk=ticket.pk)
        assert (joined.created_at, joined.fields, joined.requester.date_joined) == (
            orm.created_at,
            orm.fields,
            orm.requester.date_joined,
        )
    assert found[0][2] == {} and prepared(pk=tickets[1].pk)[0][2] == {"serial": "X1"}


def test_a_compiled_query_runs_on_each_threads_own_connection():
    """Django's connections are per thread: a compiler kept from one thread
    must not send another thread's query down the first one's connection."""
    import threading

    from django.db import connections

    prepared = Prepared(lambda p: SHAPES["select_related"](p.pk))
    ticket = receive(mail()).inbound.ticket
    assert [t.pk for t in prepared(pk=ticket.pk)] == [ticket.pk]
    seen = []

    def other_thread():
        with CaptureQueriesContext(connections["default"]) as ran:
            try:
                prepared(pk=ticket.pk)
            except Exception as exc:  # the test database may be invisible there
                seen.append(type(exc).__name__)
        seen.append(len(ran))
        connections.close_all()

    with CaptureQueriesContext(connection) as here:
        worker = threading.Thread(target=other_thread)
        worker.start()
        worker.join()
    assert here.captured_queries == []  # nothing ran on this thread's connection
    assert seen[-1] == 1  # it ran on the other thread's


def test_prefetch_related_is_refused():
    with pytest.raises(ValueError, match="prefetch_related"):
        Prepared(lambda p: Ticket.objects.filter(pk=p.pk).prefetch_related("messages"))(pk=1)


@pytest.mark.parametrize("lookup", ["iexact", "contains", "startswith"])
def test_lookups_that_rewrite_their_value_are_refused(lookup):
    """``iexact`` escapes ``_`` and ``%`` for LIKE as it compiles: a placeholder
    would be escaped and the value it stands for not, so ``a_b`` would match ``axb``."""
    prepared = Prepared(lambda p: User.objects.filter(**{f"email__{lookup}": p.email}))
    with pytest.raises(ValueError, match=f"cannot pass a value to “{lookup}”"):
        prepared(email="a_b@example.com")
    in_subquery = Prepared(
        lambda p: Ticket.objects.filter(
            requester__in=User.objects.filter(**{f"email__{lookup}": p.email})
        )
    )
    with pytest.raises(ValueError, match="cannot pass a value"):
        in_subquery(email="a_b@example.com")


def test_values_that_need_a_fields_conversion_are_refused():
    """A datetime or a UUID goes to SQLite as text in the ORM's own format, which
    only the field knows: passed raw it would compare wrongly, so it is refused."""
    import uuid

    by_joined = Prepared(lambda p: User.objects.filter(date_joined__lt=p.when))
    with pytest.raises(TypeError, match="when: Prepared passes str, int, float or bool"):
        by_joined(when=timezone.now())
    by_pks = Prepared(lambda p: User.objects.filter(pk__in=p.pks))
    with pytest.raises(TypeError, match="pks: Prepared passes"):
        by_pks(pks=[1, uuid.uuid4()])
    assert by_pks(pks=[1, 2]) == []


def _stored(model, pk):
    """A row as read back, every column."""
    return model.objects.filter(pk=pk).values().get()


def test_insert_writes_the_row_the_orms_create_writes(people):
    now = timezone.now()
    values = dict(
        subject="Printer",
        requester=people.carol,
        organisation_id=people.carol.organisation_id,
        category=people.billing,
        team=people.billing.default_team,
        fields={"impact": "high", "n": 2},
        created_at=now,
        updated_at=now,
        due_at=now,
    )
    made = Ticket.objects.create(**values, reply_token="abc")
    written = insert(Ticket(**values, reply_token="def"))
    assert written.pk is not None and written.pk != made.pk
    assert not written._state.adding and written._state.db == "default"
    expected = _stored(Ticket, made.pk) | {"id": written.pk, "reply_token": "def"}
    assert _stored(Ticket, written.pk) == expected
    assert Ticket.objects.get(pk=written.pk).fields == {"impact": "high", "n": 2}
    # An instance with its key given keeps it.
    message = insert(Message(id=written.pk * 100, ticket=written, author=people.carol, body="Hi"))
    assert Message.objects.get(pk=written.pk * 100).body == "Hi" == message.body


def test_insert_is_compiled_once_then_only_run(people, ticket, monkeypatch):
    from django.db.models.sql.compiler import SQLInsertCompiler

    insert(Message(ticket=ticket, body="a"))
    compiled = []
    original = SQLInsertCompiler.as_sql

    def counting(self, *args, **kwargs):
        compiled.append(self.query.model)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(SQLInsertCompiler, "as_sql", counting)
    Message.objects.create(ticket=ticket, body="c")  # the ORM compiles
    with CaptureQueriesContext(connection) as ctx:
        message = insert(Message(ticket=ticket, body="b", author=people.carol))
    assert compiled == [Message] and len(ctx.captured_queries) == 1
    assert Message.objects.get(pk=message.pk).ticket_id == ticket.pk


def test_insert_leaves_an_expression_to_the_orm(ticket):
    message = insert(Message(ticket=ticket, body=Lower(Value("SHOUT"))))
    assert Message.objects.get(pk=message.pk).body == "shout"


def test_insert_leaves_a_model_someone_listens_to_to_the_orm(ticket):
    from django.db.models.signals import post_save

    heard = []

    def listener(sender, instance, created, **kwargs):
        heard.append((instance.body, created))

    post_save.connect(listener, sender=Message)
    try:
        insert(Message(ticket=ticket, body="heard"))
        insert(Message(ticket=ticket, body="quiet"), signals=False)
    finally:
        post_save.disconnect(listener, sender=Message)
    assert heard == [("heard", True)]
    assert Message.objects.filter(ticket=ticket, body="quiet").exists()
