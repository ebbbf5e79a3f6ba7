# ruff: noqa: RUF001 (Cyrillic and Chinese text on purpose)
"""Demo configuration, so ``make run`` shows what a team sets up: macros in
English, Russian and Chinese, triage rules (a dry run on a ticket's rules page
explains them), an SLA policy on a business calendar with public holidays
(beside the callback policy every install has), a
mailbox, and the phone: a call logged on a ticket, a ticket opened by a call,
and a customer's callback request waiting in the callback queue.

Everything is found by name and reused, so a second ``frontline demo`` adds
no copies (the calls are new tickets each time, like the scripted ones).
"""

from __future__ import annotations

from frontline.accounts.models import Team, User
from frontline.knowledge.models import ReplyTemplate
from frontline.mail.models import Mailbox
from frontline.routing import actions as routing_actions
from frontline.routing.models import RuleAction, RuleCondition, TriageRule
from frontline.sla.models import BusinessCalendar, SlaPolicy
from frontline.tickets import actions
from frontline.tickets.models import CallDetails, Status, Ticket

# (name, language, text, set_status, add_tags, note): a macro is a template with steps.
MACROS = [
    (
        "Ask for the logs",
        "",
        "Hello {customer_first_name},\n\ncould you send us the log file from the device? ",
        Status.WAITING_CUSTOMER,
        "logs-requested",
        "Asked for the logs; waiting for the customer.",
    ),
    (
        "Ask for the logs",
        "ru",
        "Здравствуйте, {customer_first_name}!\n\nПришлите, пожалуйста, файл журнала с устройства. ",
        Status.WAITING_CUSTOMER,
        "logs-requested",
        "Запросили журналы; ждём клиента.",
    ),
    (
        "Ask for the logs",
        "zh-hans",
        "{customer_first_name}，您好！\n\n请发送设备的日志文件。",
        Status.WAITING_CUSTOMER,
        "logs-requested",
        "已请求日志；等待客户回复。",
    ),
]

# (name, condition field, operator, value, action kind, action value)
RULES = [
    (
        "Printers are hardware",
        RuleCondition.Field.TEXT,
        RuleCondition.Operator.CONTAINS,
        "printer",
        RuleAction.Kind.ADD_TAGS,
        "printer",
    ),
    (
        "Urgent in the subject",
        RuleCondition.Field.SUBJECT,
        RuleCondition.Operator.CONTAINS,
        "urgent",
        RuleAction.Kind.SET_PRIORITY,
        "high",
    ),
]


def load_setup(users: dict[str, User]) -> None:
    """Macros, rules, the SLA calendar and policies, and a mailbox (each once)."""
    second_line = Team.objects.filter(name="Second line").first()
    for name, language, body, status, tags, note in MACROS:
        ReplyTemplate.objects.get_or_create(
            name=name,
            language=language,
            defaults={"body": body, "set_status": status, "add_tags": tags, "note": note},
        )
    if second_line is not None:
        ReplyTemplate.objects.get_or_create(
            name="Hand to the second line",
            language="",
            defaults={
                "body": "",
                "set_team": second_line,
                "note": "First line checked the basics; needs a deeper look.",
            },
        )
    for position, (name, field, operator, value, kind, argument) in enumerate(RULES, start=1):
        rule, made = TriageRule.objects.get_or_create(name=name, defaults={"position": position})
        if made:
            RuleCondition.objects.create(rule=rule, field=field, operator=operator, value=value)
            RuleAction.objects.create(rule=rule, kind=kind, value=argument)
    office, _made = BusinessCalendar.objects.get_or_create(
        name="Office hours (London)",
        defaults={"time_zone": "Europe/London", "holiday_country": "GB"},
    )
    # Callbacks have their own policy already (sla migration 0004); the rest:
    SlaPolicy.objects.get_or_create(
        name="Standard",
        defaults={
            "position": 10,
            "calendar": office,
            "first_response_minutes": 4 * 60,
            "resolution_minutes": 3 * 8 * 60,
        },
    )
    Mailbox.objects.get_or_create(
        name="Support",
        defaults={
            "address": "support@frontline.test",
            "default_team": Team.objects.filter(name="First line").first(),
        },
    )


def play_calls(users: dict[str, User]) -> None:
    """A call logged on an open ticket, a ticket opened by a call, a callback request."""
    alice, carol, olga = users["alice"], users["carol"], users["olga"]
    ticket = Ticket.objects.filter(requester=carol).exclude(status=Status.CLOSED).first()
    if ticket is not None:
        actions.log_call(
            ticket,
            by=alice,
            direction=CallDetails.Direction.OUTBOUND,
            phone="+44 20 7946 0321",
            duration_seconds=4 * 60 + 12,
            summary="Called Carol: she will try the steps this afternoon.",
        )
    routing_actions.open_ticket_by_call(
        by=alice,
        name=olga.get_full_name(),
        email=olga.email,
        phone="+7 495 123-45-68",
        subject="Не печатает принтер на третьем этаже",
        body="Принтер на третьем этаже выдаёт пустые листы.",
        direction=CallDetails.Direction.INBOUND,
        duration_seconds=3 * 60,
    )
    routing_actions.request_callback(
        requester=users["grace"],
        phone="+12025550143",
        preferred_time="After 2 pm",
        reason="My laptop will not connect to the VPN since this morning.",
    )
