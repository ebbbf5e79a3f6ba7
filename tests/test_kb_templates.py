"""Reply templates kept in the desk: every agent their own, supervisors the shared
ones (for a team or for everyone); the reply box offers each agent what they may use."""

import pytest
from django.core.exceptions import PermissionDenied

from frontline.knowledge import actions
from frontline.knowledge.models import ReplyTemplate
from frontline.knowledge.render import render, values_for
from tests.conftest import login


def post_template(client, **data):
    form = {"name": "Thanks", "language": "", "body": "Thank you, {customer_first_name}."}
    return client.post("/desk/templates/new/", {**form, **data})


def test_an_agent_makes_a_personal_template_and_only_they_are_offered_it(client, people, ticket):
    login(client, people.alice)
    response = post_template(client, scope="everyone")  # agents cannot share: ignored
    assert response.status_code == 302
    template = ReplyTemplate.objects.get()
    assert template.owner == people.alice and template.team is None
    assert "Template “Thanks” saved." in client.get("/desk/templates/").content.decode()
    page = client.get(f"/desk/tickets/{ticket.pk}/").content.decode()
    assert f'<option value="{template.pk}">Thanks</option>' in page
    filled = client.get(f"/desk/tickets/{ticket.pk}/template/", {"template": template.pk})
    assert filled.content.decode() == "Thank you, Carol."
    login(client, people.sam)  # a supervisor sees every ticket, not Alice's own templates
    page = client.get(f"/desk/tickets/{ticket.pk}/").content.decode()
    assert f'<option value="{template.pk}">Thanks</option>' not in page
    url = f"/desk/tickets/{ticket.pk}/template/"
    assert client.get(url, {"template": template.pk}).status_code == 404
    assert client.get(f"/desk/templates/{template.pk}/").status_code == 404


def test_a_supervisor_shares_a_template_with_one_team(client, people, ticket):
    login(client, people.sam)
    response = post_template(client, scope="team", team=people.alice.teams.get().pk)
    assert response.status_code == 302
    template = ReplyTemplate.objects.get()
    assert template.owner is None and template.team == people.alice.teams.get()
    login(client, people.alice)  # First line: offered it
    page = client.get(f"/desk/tickets/{ticket.pk}/").content.decode()
    assert f'<option value="{template.pk}">Thanks</option>' in page
    assert client.get(f"/desk/templates/{template.pk}/").status_code == 404  # not hers to edit
    login(client, people.bob)  # Second line: not offered it
    assert "Thanks" not in client.get("/desk/templates/").content.decode()


def test_a_supervisor_edits_and_deactivates_a_shared_template(client, people, ticket):
    shared = ReplyTemplate.objects.create(name="Hello", body="Hello {customer_name}")
    login(client, people.sam)
    response = client.post(
        f"/desk/templates/{shared.pk}/",
        {"name": "Hello", "language": "", "body": "Hi {customer_name}", "scope": "everyone"},
    )
    assert response.status_code == 302
    shared.refresh_from_db()
    assert shared.body == "Hi {customer_name}" and not shared.is_active  # box left unticked
    login(client, people.alice)
    page = client.get(f"/desk/tickets/{ticket.pk}/").content.decode()
    assert f'<option value="{shared.pk}">Hello</option>' not in page


def test_agents_cannot_edit_shared_templates(client, people):
    shared = ReplyTemplate.objects.create(name="Hello", body="Hello")
    login(client, people.alice)
    assert client.get(f"/desk/templates/{shared.pk}/").status_code == 404
    assert client.post(f"/desk/templates/{shared.pk}/", {"body": "x"}).status_code == 404
    with pytest.raises(PermissionDenied):
        actions.save_template(
            None, name="Shared", body="x", language="", team=None, personal=False,
            by=people.alice,
        )  # fmt: skip
    with pytest.raises(PermissionDenied):
        actions.save_template(
            shared, name="Hello", body="x", language="", team=None, personal=True,
            by=people.alice,
        )  # fmt: skip


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"name": ""}, "name"),
        ({"body": "  "}, "body"),
        ({"language": "fr"}, "language"),
        ({"scope": "team"}, "team"),  # a team template needs its team
        ({"scope": "galaxy"}, "scope"),
    ],
)
def test_bad_template_data_gets_form_errors(client, people, data, field):
    login(client, people.sam)
    response = post_template(client, **{"scope": "everyone", **data})
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert not ReplyTemplate.objects.exists()


def test_a_name_is_unique_per_scope_and_language(client, people):
    login(client, people.alice)
    assert post_template(client).status_code == 302
    response = post_template(client)
    assert response.status_code == 400
    assert "already a template of that name" in response.content.decode()
    login(client, people.bob)  # another agent's own template of the same name is fine
    assert post_template(client).status_code == 302
    assert post_template(client, language="ru").status_code == 302
    assert ReplyTemplate.objects.count() == 3


def test_customers_never_reach_templates(client, people):
    login(client, people.carol)
    for url in ("/desk/templates/", "/desk/templates/new/"):
        assert client.get(url).status_code == 404
    assert post_template(client).status_code == 404


def test_a_template_number_that_is_not_a_plain_number_is_a_400(client, people, ticket):
    login(client, people.alice)
    url = f"/desk/tickets/{ticket.pk}/template/"
    for bad in ("²", "9" * 40, "-1"):
        assert client.get(url, {"template": bad}).status_code == 400


def test_placeholders_with_missing_values_become_empty_and_unknown_ones_stay(people, ticket):
    values = values_for(ticket, agent=None)  # unassigned, no agent: empty name
    text = render(
        "Hi {customer_first_name} from {organisation}, {agent_name}|{team}|{nope} {portal_link}",
        values,
    )
    assert text.startswith("Hi Carol from Acme, |First line|{nope} http")
    assert text.endswith(f"/portal/tickets/{ticket.pk}/")
    people.carol.organisation = None
    people.carol.save(update_fields=["organisation"])
    ticket.organisation = None
    assert "from ," in render("from {organisation},", values_for(ticket, agent=people.alice))


def test_inserting_a_template_is_counted_per_template_and_agent(client, people, ticket):
    used = ReplyTemplate.objects.create(name="Used", body="Hello")
    ReplyTemplate.objects.create(name="Unused", body="Bye")
    url = f"/desk/tickets/{ticket.pk}/template/"
    login(client, people.alice)
    client.get(url, {"template": used.pk})
    client.get(url, {"template": used.pk})
    login(client, people.sam)
    client.get(url, {"template": used.pk})
    assert dict(used.uses.values_list("user__username", "count")) == {"alice": 2, "sam": 1}
    listing = client.get("/desk/templates/").content.decode()
    assert "inserted 3 times" in listing and "never inserted" in listing
    page = client.get(f"/desk/templates/{used.pk}/").content.decode()
    assert "Alice Agent: 2 times" in page and "Sam Supervisor: 1 time" in page
    client.get(url, {"template": "x"})  # a refused request counts nothing
    assert sum(used.uses.values_list("count", flat=True)) == 3
