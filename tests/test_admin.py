"""Admins set up categories, forms, teams and people in the Django admin."""

from frontline.tickets.models import Category, FormField
from tests.conftest import login


def test_admin_defines_a_category_with_a_required_field_and_the_portal_asks_for_it(client, people):
    login(client, people.ada)
    response = client.post(
        "/admin/tickets/category/add/",
        {
            "name": "VPN access",
            "description": "Remote access problems",
            "default_team": people.first_line.pk,
            "default_priority": 2,
            "is_active": "on",
            "position": 3,
            "fields-TOTAL_FORMS": "1",
            "fields-INITIAL_FORMS": "0",
            "fields-MIN_NUM_FORMS": "0",
            "fields-MAX_NUM_FORMS": "1000",
            "fields-0-position": "1",
            "fields-0-key": "vpn-client",
            "fields-0-label": "VPN client version",
            "fields-0-field_type": "text",
            "fields-0-required": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    category = Category.objects.get(name="VPN access")
    assert FormField.objects.get(category=category).required
    login(client, people.carol)
    r = client.post(f"/portal/new/{category.pk}/", {"subject": "VPN", "body": "down"})
    assert r.status_code == 400 and "This field is required." in r.content.decode()


def test_people_cannot_be_deleted_in_the_admin(client, people):
    login(client, people.ada)
    assert client.get(f"/admin/accounts/user/{people.carol.pk}/delete/").status_code == 403
    assert client.get("/admin/accounts/user/").status_code == 200
    assert client.get("/admin/accounts/team/").status_code == 200


def test_agents_have_no_admin(client, people):
    login(client, people.alice)
    assert client.get("/admin/tickets/category/").status_code == 302


def test_admin_edits_a_category_and_its_questions_in_every_language_side_by_side(client, people):
    login(client, people.ada)
    page = client.get(f"/admin/tickets/category/{people.billing.pk}/change/").content.decode()
    for name in ("name_ru", "name_zh_hans", "description_ru", "fields-0-label_ru"):
        assert f'name="{name}"' in page, name
    # One line per text: the English and its translations in one fieldset row.
    assert (
        page.index('name="name"')
        < page.index('name="name_ru"')
        < page.index('name="name_zh_hans"')
        < page.index('name="description"')
    )
    response = client.post(
        "/admin/tickets/category/add/",
        {
            "name": "Printers",
            "name_ru": "Принтеры",
            "name_zh_hans": "打印机",
            "default_priority": 2,
            "is_active": "on",
            "position": 4,
            "fields-TOTAL_FORMS": "1",
            "fields-INITIAL_FORMS": "0",
            "fields-MIN_NUM_FORMS": "0",
            "fields-MAX_NUM_FORMS": "1000",
            "fields-0-position": "1",
            "fields-0-key": "model",
            "fields-0-label": "Model",
            "fields-0-label_ru": "Модель",
            "fields-0-label_zh_hans": "型号",
            "fields-0-field_type": "text",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    category = Category.objects.get(name="Printers")
    assert (category.name_ru, category.name_zh_hans) == ("Принтеры", "打印机")
    question = FormField.objects.get(category=category)
    assert (question.label_ru, question.label_zh_hans) == ("Модель", "型号")
