from tests.conftest import login


def test_pages_render(client, people, ticket):
    login(client, people.alice)
    for url in ["/desk/q/open/", "/desk/q/mine/", "/desk/q/team/", f"/desk/tickets/{ticket.pk}/"]:
        r = client.get(url)
        assert r.status_code == 200, (url, r.content[:2000])
    client.logout()
    login(client, people.carol)
    for url in [
        "/portal/",
        "/portal/new/",
        f"/portal/new/{people.hardware.pk}/",
        f"/portal/tickets/{ticket.pk}/",
    ]:
        r = client.get(url)
        assert r.status_code == 200, (url, r.content[:2000])
