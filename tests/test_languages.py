# ruff: noqa: RUF001 - Russian and Chinese text on purpose
"""Category names, form questions and mail in the customer's language."""

from __future__ import annotations

import re

import pytest
from django.core import mail as sent
from django.urls import reverse

from frontline.accounts.models import User
from frontline.lib.languages import detect_language
from frontline.mail.inbound import receive
from frontline.mail.models import Mailbox
from frontline.tickets import actions
from frontline.tickets.models import FormField
from tests.conftest import login


@pytest.fixture
def translated(people):
    """Hardware in Russian and Chinese: name, serial question and model choices."""
    hardware = people.hardware
    hardware.name_ru, hardware.name_zh_hans = "Оборудование", "硬件"
    hardware.description = "Broken devices"
    hardware.description_ru = "Сломанные устройства"
    hardware.save()
    FormField.objects.filter(category=hardware, key="serial").update(
        label_ru="Серийный номер", label_zh_hans="序列号"
    )
    FormField.objects.filter(category=hardware, key="model").update(
        label_ru="Модель", choices_ru="Ноутбук\nНастольный\nПринтер"
    )
    return hardware


def _mail(sender: str, body: str, subject: str = "Help", message_id: str = "<m@x.test>") -> bytes:
    return (
        f"From: {sender}\r\nTo: hardware@frontline.test\r\nSubject: {subject}\r\n"
        f"Message-ID: {message_id}\r\nMIME-Version: 1.0\r\n"
        'Content-Type: text/plain; charset="utf-8"\r\nContent-Transfer-Encoding: 8bit\r\n\r\n'
        f"{body}\r\n"
    ).encode()


def test_the_portal_shows_categories_and_questions_in_the_readers_language(
    people, translated, client
):
    login(client, people.carol)
    page = client.get(reverse("portal:choose_category"), HTTP_ACCEPT_LANGUAGE="ru")
    assert "Оборудование" in page.text and "Сломанные устройства" in page.text
    page = client.get(
        reverse("portal:new_request", args=[translated.pk]), HTTP_ACCEPT_LANGUAGE="ru"
    )
    assert "Серийный номер" in page.text and "Ноутбук" in page.text
    assert "Serial number" not in page.text
    # A language with nothing filled in falls back to English.
    page = client.get(reverse("portal:choose_category"), HTTP_ACCEPT_LANGUAGE="en")
    assert "Hardware" in page.text and "Оборудование" not in page.text


def test_help_texts_and_choices_are_shown_in_chinese_and_russian(people, translated, client):
    FormField.objects.filter(category=translated, key="serial").update(
        help_text="On the sticker underneath.",
        help_text_ru="На наклейке снизу.",
        help_text_zh_hans="在底部的标签上。",
    )
    FormField.objects.filter(category=translated, key="model").update(
        choices_zh_hans="笔记本\n台式机\n打印机"
    )
    login(client, people.carol)
    url = reverse("portal:new_request", args=[translated.pk])
    russian = client.get(url, HTTP_ACCEPT_LANGUAGE="ru").text
    assert "На наклейке снизу." in russian and "On the sticker" not in russian
    chinese = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").text
    assert "在底部的标签上。" in chinese and "序列号" in chinese and "笔记本" in chinese
    assert "On the sticker" not in chinese and ">Laptop<" not in chinese
    english = client.get(url, HTTP_ACCEPT_LANGUAGE="en").text
    assert "On the sticker underneath." in english and "在底部" not in english


def test_a_choice_is_kept_in_english_and_shown_in_the_readers_language(people, translated, client):
    login(client, people.carol)
    response = client.post(
        reverse("portal:new_request", args=[translated.pk]),
        {"subject": "Сломался", "body": "Не включается.", "f_serial": "SN-1", "f_model": "Laptop"},
        HTTP_ACCEPT_LANGUAGE="ru",
    )
    assert response.status_code == 302, response.text
    ticket = people.carol.requested_tickets.get()
    assert ticket.fields["model"] == "Laptop"
    page = client.get(response.url, HTTP_ACCEPT_LANGUAGE="ru")
    assert "Модель" in page.text and "Ноутбук" in page.text
    login(client, people.alice)
    desk = client.get(reverse("desk:ticket", args=[ticket.pk]), HTTP_ACCEPT_LANGUAGE="en")
    assert "Laptop" in desk.text


def test_the_language_of_a_first_mail_is_learnt_and_the_answer_goes_out_in_it(
    people, translated, client, django_capture_on_commit_callbacks
):
    mailbox = Mailbox.objects.create(
        name="Hardware", address="hardware@frontline.test", default_category=translated
    )
    body = "Здравствуйте! Мой ноутбук не включается с самого утра, экран остаётся чёрным."
    with django_capture_on_commit_callbacks(execute=True):
        receive(_mail("Иван <ivan@example.ru>", body), mailbox=mailbox)
    ivan = User.objects.get(email="ivan@example.ru")
    assert ivan.language == "ru"
    (ack,) = sent.outbox
    assert "Здравствуйте" in ack.body and "Серийный номер" in ack.body
    link = re.search(r"/portal/answers/[^\s]+/", ack.body).group(0)
    page = client.get(link)
    assert '<html lang="ru">' in page.text and "Серийный номер" in page.text


def test_a_language_the_customer_chose_is_never_overridden(
    people, django_capture_on_commit_callbacks
):
    people.carol.language = "en"
    people.carol.email_verified_at = people.carol.date_joined
    people.carol.save()
    body = "Здравствуйте! Мой ноутбук не включается с самого утра, экран остаётся чёрным."
    with django_capture_on_commit_callbacks(execute=True):
        receive(_mail("Carol <carol@example.com>", body))
    people.carol.refresh_from_db()
    assert people.carol.language == "en"
    assert "Thank you for writing" in sent.outbox[0].body


def test_a_language_that_cannot_be_told_is_left_to_the_site_default(
    db, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        receive(
            _mail(
                "Jean <jean@example.fr>", "Bonjour, mon ordinateur ne démarre plus depuis ce matin."
            )
        )
        receive(_mail("Kim <kim@example.test>", "Thanks!", message_id="<m2@x.test>"))
    assert User.objects.get(email="jean@example.fr").language == ""
    assert User.objects.get(email="kim@example.test").language == ""
    assert all("Thank you for writing" in m.body for m in sent.outbox)


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Hello, my laptop shows a black screen since this morning.", "en"),
        ("Здравствуйте, ноутбук не включается с утра.", "ru"),
        ("您好，我的笔记本电脑从早上开始就黑屏了。", "zh-hans"),
        ("Guten Tag, mein Laptop startet seit heute Morgen nicht mehr.", ""),
        ("ok", ""),
        ("", ""),
    ],
)
def test_detect_language(text, language):
    assert detect_language(text) == language


def test_merge_notice_uses_each_customers_language(people, django_capture_on_commit_callbacks):
    people.erin.language = "zh-hans"
    people.erin.save(update_fields=["language"])
    first = actions.open_ticket(
        requester=people.carol, by=people.carol, subject="Down", body="Down."
    )
    second = actions.open_ticket(
        requester=people.erin, by=people.erin, subject="Down too", body="Down."
    )
    sent.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        actions.merge_tickets(first, into=second, by=people.sam)
    bodies = {m.to[0]: m.body for m in sent.outbox}
    assert "合并" in bodies["erin@example.com"]
    assert "merged" in bodies["carol@example.com"]
