import pytest
from django.urls import reverse

pytestmark = [pytest.mark.django_db, pytest.mark.embedded]


def test_every_page_renders_for_a_member(client_for, member, registered, checkpoint, project):
    client = client_for(member)
    urls = [
        reverse("registry:home"),
        reverse("artifacts:profile"),
        reverse("artifacts:entity_detail", args=["acme"]),
        reverse("artifacts:project_runs", args=["acme", "nature"]),
        reverse("artifacts:project_artifacts", args=["acme", "nature"]),
        reverse("artifacts:version_detail", args=["acme", "nature", "nature-ckpt", 0]),
        reverse("artifacts:version_files", args=["acme", "nature", "nature-ckpt", 0]),
        reverse("registry:model_list", args=["acme"]),
        reverse("registry:model_detail", args=["acme", "Nature Classifier"]),
        reverse("registry:card_edit", args=["acme", "Nature Classifier"]),
        reverse("registry:card_history", args=["acme", "Nature Classifier"]),
        reverse("registry:link", args=["acme", "nature", "nature-ckpt", 0]),
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url


def test_every_page_has_the_banner_that_reports_failed_htmx_requests(client_for, member):
    from django.contrib.staticfiles import finders

    html = client_for(member).get("/").content.decode()
    assert 'id="problem"' in html and "registry.js" in html
    script = open(finders.find("registry.js")).read()
    assert 'addEventListener("htmx:responseError"' in script
    assert 'addEventListener("htmx:sendError"' in script


def test_pages_name_an_svg_favicon_so_browsers_do_not_ask_for_favicon_ico(client_for, member):
    from django.contrib.staticfiles import finders

    html = client_for(member).get("/").content.decode()
    assert '<link rel="icon" type="image/svg+xml" href="/static/favicon.svg">' in html
    assert open(finders.find("favicon.svg")).read().startswith("<svg")
