"""The site's name, logo and accent colour, set by an admin in the back office:
shown in the header of the desk and the portal, used in mail; the logo is
checked by its content like every upload."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from frontline.accounts.branding import LOGO_MAX_BYTES
from frontline.accounts.models import Brand
from frontline.tickets import actions
from tests.conftest import login

# The smallest PNG: one transparent pixel.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000100e221bc330000000049454e44ae426082"
)
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


def set_brand(client, people, **data):
    login(client, people.ada)
    fields = {"name": "", "accent": "", **data}
    return client.post("/admin/accounts/brand/add/", fields)


def test_an_admin_names_the_site_and_both_uis_and_mail_show_it(
    client, people, ticket, mailoutbox, django_capture_on_commit_callbacks
):
    logo = SimpleUploadedFile("logo.png", PNG, content_type="image/png")
    response = set_brand(client, people, name="Acme Help", accent="#AA3300", logo=logo)
    assert response.status_code == 302, response.content.decode()[:2000]
    brand = Brand.objects.get()
    assert brand.accent == "#aa3300"
    for user, url in ((people.alice, "/desk/q/open/"), (people.carol, "/portal/")):
        login(client, user)
        page = client.get(url).content.decode()
        assert ">Acme Help</a>" in page and "· Acme Help</title>" in page
        assert '<img class="brand-logo" src="/brand/logo?v=' in page
        assert '<link rel="stylesheet" href="/brand.css">' in page
    client.logout()
    response = client.get("/brand/logo")
    assert response.status_code == 200
    assert (response["Content-Type"], response["X-Content-Type-Options"]) == (
        "image/png",
        "nosniff",
    )
    assert response.content == PNG
    assert client.get("/brand.css").content.decode().strip() == ":root { --accent: #aa3300; }"
    # Mail signs with the site's name (with no mailbox, its sender name too).
    with django_capture_on_commit_callbacks(execute=True):
        actions.add_reply(ticket, body="Refunded.", by=people.alice)
    (mail,) = [m for m in mailoutbox if people.carol.email in m.to]
    assert "Acme Help" in mail.body and "Acme Help" in mail.from_email


def test_without_a_brand_the_environment_names_the_site(client, people, settings):
    settings.FRONTLINE = {**settings.FRONTLINE, "SITE_NAME": "Helpdesk of Globex"}
    from django.core.cache import cache

    cache.clear()
    login(client, people.alice)
    page = client.get("/desk/q/open/").content.decode()
    assert ">Helpdesk of Globex</a>" in page and "brand-logo" not in page
    assert "brand.css" not in page
    assert client.get("/brand/logo").status_code == 404


def test_a_change_is_shown_at_once(client, people):
    set_brand(client, people, name="First name")
    brand = Brand.objects.get()
    response = client.post(
        f"/admin/accounts/brand/{brand.pk}/change/", {"name": "Second name", "accent": ""}
    )
    assert response.status_code == 302
    login(client, people.carol)
    assert ">Second name</a>" in client.get("/portal/").content.decode()


@pytest.mark.parametrize(
    ("filename", "data", "why"),
    [
        ("logo.png", SVG, "must be a PNG, JPEG, GIF or WebP image"),  # an SVG called .png
        ("logo.png", b"<html><script>alert(1)</script>", "must be a PNG"),
        ("logo.png", PNG + b"\0" * LOGO_MAX_BYTES, "the limit is 256 KB"),
    ],
)
def test_a_logo_is_checked_by_its_content(client, people, filename, data, why):
    logo = SimpleUploadedFile(filename, data, content_type="image/png")
    response = set_brand(client, people, name="Acme Help", logo=logo)
    assert response.status_code == 200
    assert why in response.content.decode()
    assert not Brand.objects.exists()


@pytest.mark.parametrize("accent", ["red", "#12345", "#1234567", "#gggggg", "#fff;}"])
def test_a_bad_accent_colour_is_refused(client, people, accent):
    response = set_brand(client, people, name="Acme Help", accent=accent)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Give the colour as #rrggbb" in page or "at most 7 characters" in page
    assert not Brand.objects.exists()


def test_there_is_one_brand(client, people):
    set_brand(client, people, name="Acme Help")
    assert client.get("/admin/accounts/brand/add/").status_code == 403
    assert Brand.objects.count() == 1


def test_the_logo_link_is_not_a_way_to_serve_other_files(client, people, settings):
    # A row written around the admin's checks (e.g. by hand) is still not served
    # as anything but an image.
    from django.core.files.base import ContentFile

    brand = Brand(name="x")
    brand.logo.save("evil.png", ContentFile(SVG), save=True)
    assert client.get("/brand/logo").status_code == 404
