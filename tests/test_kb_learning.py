"""Training: articles marked for new agents make a learning path; the trainee's
page shows what they have read, and their mentor sees it too."""

import pytest
from django.core.exceptions import ValidationError

from frontline.knowledge import actions
from frontline.knowledge.models import ArticleCategory, ArticleRead, Traineeship
from tests.conftest import login


@pytest.fixture
def path(people):
    category = ArticleCategory.objects.create(name="How we work")
    made = {}
    for key, title, visibility, for_trainees in [
        ("tone", "How we write to customers", "internal", True),
        ("refunds", "Refunds step by step", "public", True),
        ("other", "Office plants", "internal", False),
    ]:
        article = actions.create_article(
            category=category, title=title, body="Read this.", language="en",
            visibility=visibility, for_trainees=for_trainees, by=people.sam,
        )  # fmt: skip
        actions.publish_article(article, by=people.sam)
        made[key] = article
    Traineeship.objects.create(trainee=people.alice, mentor=people.bob)
    return made


def test_a_trainee_sees_their_path_and_what_they_have_read(client, people, path):
    login(client, people.alice)
    page = client.get("/desk/learning/").content.decode()
    assert "My learning path" in page and "Mentor: Bob Builder" in page
    assert "0 of 2 articles read" in page and "Office plants" not in page
    client.get(f"/desk/kb/{path['tone'].pk}/")  # read in the desk
    client.get(f"/help/articles/{path['refunds'].pk}/")  # or in the help centre
    client.get(f"/desk/kb/{path['other'].pk}/")  # not on the path: not recorded
    client.get(f"/desk/kb/{path['tone'].pk}/")  # again: the first read is kept
    assert ArticleRead.objects.filter(user=people.alice).count() == 2
    page = client.get("/desk/learning/").content.decode()
    assert "2 of 2 articles read" in page and "not read yet" not in page


def test_the_mentor_and_supervisors_see_a_trainees_path_others_do_not(client, people, path):
    actions.record_article_read(path["tone"], by=people.alice)
    url = f"/desk/learning/{people.alice.pk}/"
    login(client, people.bob)  # the mentor
    mentor_home = client.get("/desk/learning/").content.decode()
    assert f'href="{url}"' in mentor_home  # their trainees are listed
    page = client.get(url).content.decode()
    assert "Learning path of Alice Agent" in page and "1 of 2 articles read" in page
    login(client, people.sam)  # a supervisor
    assert client.get(url).status_code == 200
    Traineeship.objects.update(mentor=people.sam)
    login(client, people.bob)  # no longer her mentor
    assert client.get(url).status_code == 404
    login(client, people.carol)
    assert client.get(url).status_code == 404
    assert client.get("/desk/learning/").status_code == 404
    assert client.get(f"/desk/learning/{people.carol.pk}/").status_code == 404


def test_customers_reading_a_path_article_record_nothing(client, people, path):
    login(client, people.carol)
    assert client.get(f"/help/articles/{path['refunds'].pk}/").status_code == 200
    assert client.get(f"/help/articles/{path['tone'].pk}/").status_code == 404  # internal
    assert not ArticleRead.objects.exists()


def test_an_editor_puts_an_article_on_the_path(client, people, path):
    login(client, people.sam)
    article = path["other"]
    response = client.post(
        f"/desk/kb/{article.pk}/edit/",
        {
            "title": article.title,
            "category": article.category_id,
            "visibility": "internal",
            "body": article.body,
            "for_trainees": "on",
        },
    )
    assert response.status_code == 302
    article.refresh_from_db()
    assert article.for_trainees
    login(client, people.alice)
    assert "0 of 3 articles read" in client.get("/desk/learning/").content.decode()


def test_a_trainee_cannot_be_their_own_mentor(people):
    with pytest.raises(ValidationError):
        Traineeship(trainee=people.alice, mentor=people.alice).full_clean()


def test_the_learning_page_takes_a_bounded_number_of_queries(
    client, people, path, django_assert_max_num_queries
):
    login(client, people.bob)
    with django_assert_max_num_queries(10):
        client.get(f"/desk/learning/{people.alice.pk}/")
