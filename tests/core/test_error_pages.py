"""Issue 11, point 10: an analyst opening an editor's page gets the site's styled 403
naming the role it needs; 403, 404 and 500 are the site's pages with DEBUG on (as
`make run` has it) and off."""

from __future__ import annotations

import pytest
from django.test import Client, override_settings
from django.urls import path, reverse

from config.urls import urlpatterns as site_patterns


def crash(request):
    raise RuntimeError("boom")


urlpatterns = [path("crash/", crash), *site_patterns]

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("debug", [True, False])
def test_an_analyst_gets_the_styled_403_naming_the_editor_role(analyst_client, debug):
    with override_settings(DEBUG=debug):
        response = analyst_client.get(reverse("editing:index"))
    assert response.status_code == 403
    html = response.content.decode()
    assert "Your account cannot open this page" in html
    assert "This needs the Editor role." in html
    assert "with the Analyst role" in html
    assert 'class="site-header"' in html  # the site's own page, with its navigation


@pytest.mark.parametrize("debug", [True, False])
def test_404_is_the_site_page_in_every_mode(client, debug):
    with override_settings(DEBUG=debug):
        unmatched = client.get("/no-such-page/")
        missing = client.get("/incidents/no-such-incident/")
    for response in (unmatched, missing):
        assert response.status_code == 404
        html = response.content.decode()
        assert "Page not found" in html and 'class="site-header"' in html
        assert "Using the URLconf" not in html and "technical" not in html.lower()


@override_settings(ROOT_URLCONF=__name__)
@pytest.mark.parametrize("debug", [True, False])
def test_500_is_the_site_page_in_every_mode(debug, caplog):
    client = Client(raise_request_exception=False)
    with override_settings(DEBUG=debug):
        response = client.get("/crash/")
    assert response.status_code == 500
    html = response.content.decode()
    assert "Something went wrong" in html and "Traceback" not in html
    # Still logged, with its traceback, for whoever runs the site.
    assert any("boom" in str(r.exc_info) for r in caplog.records if r.exc_info)


@override_settings(DEBUG=True, TECHNICAL_ERROR_PAGES=True)
def test_technical_pages_on_request(client):
    assert "Using the URLconf" in client.get("/no-such-page/").content.decode()
