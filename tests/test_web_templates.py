"""The about pages and templates: a deployment's overrides, the default: prefix, the shared macros.

Through Flask's test client over a real store, real files and a real embedded
index (tests/web_site.py; the `site` and `client` fixtures are in conftest.py).
Pages are parsed with BeautifulSoup."""

from __future__ import annotations

from pathlib import Path

from flask.testing import FlaskClient
from web_site import (
    Site,
    soup,
)

from diarium.web.app import create_app


def test_about_and_accessibility_pages(client: FlaskClient) -> None:
    about = soup(client.get("/om"))
    assert about.h1.get_text() == "Om diariet"
    statement = soup(client.get("/tillganglighet"))
    assert statement.h1.get_text() == "Tillgänglighetsredogörelse"
    assert "WCAG 2.1" in statement.get_text()


def test_deployment_can_override_templates(tmp_path: Path, site: Site) -> None:
    data = site.settings.data_dir
    (data / "templates").mkdir(exist_ok=True)
    (data / "static").mkdir(exist_ok=True)
    try:
        (data / "templates" / "site_logo.html").write_text(
            '<a href="/" class="site-name"><img src="/static/org/logo.svg" alt="">'
            "Exempelkommunens diarium</a>", encoding="utf-8")
        (data / "static" / "logo.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
        client = create_app(site.settings, backend=site.backend).test_client()
        page = soup(client.get("/om"))
        assert page.select_one(".site-name").get_text() == "Exempelkommunens diarium"
        logo = client.get("/static/org/logo.svg")
        assert logo.status_code == 200 and logo.mimetype == "image/svg+xml"
    finally:
        (data / "templates" / "site_logo.html").unlink()


def test_an_override_extends_the_builtin_template(site: Site) -> None:
    """As in datasette: <data>/templates/search.html replaces the built-in one, and can
    extend it as "default:search.html" to change one block instead of copying the page."""
    templates = site.settings.data_dir / "templates"
    templates.mkdir(exist_ok=True)
    override = templates / "search.html"
    try:
        override.write_text(
            '{% extends "default:search.html" %}\n'
            "{% block title %}Exempelkommunens diarium{% endblock %}\n"
            '{% block content %}<p class="org-notice">Registraturen har öppet 8–16.</p>'
            "{{ super() }}{% endblock %}\n", encoding="utf-8")
        client = create_app(site.settings, backend=site.backend).test_client()
        page = soup(client.get("/?q=bygglov"))
        assert page.title.get_text().startswith("Exempelkommunens diarium")
        assert page.select_one("main .org-notice + h1").get_text() == "Sök i diariet"
        assert page.select("ol.hits li.hit .snippet mark")     # the built-in page, whole
        assert page.select_one("form.search-form")
    finally:
        override.unlink()


def test_an_override_can_use_the_shared_macros(site: Site) -> None:
    templates = site.settings.data_dir / "templates"
    templates.mkdir(exist_ok=True)
    override = templates / "case.html"
    try:
        override.write_text(
            '{% extends "default:case.html" %}\n'
            '{% from "_macros.html" import record_title, register_row %}\n'
            "{% block content %}{{ super() }}<ul class=\"titles\">{% for d in case.documents %}"
            "<li>{{ record_title(d) }}</li>{% endfor %}</ul>"
            '<dl class="extra">{{ register_row("Tom", "") }}'
            '{{ register_row("Diarium", "KS") }}</dl>'
            "{% endblock %}\n", encoding="utf-8")
        client = create_app(site.settings, backend=site.backend).test_client()
        page = soup(client.get(f"/arende/{site.case_ids['hamn']}"))
        rows = page.select("table.documents tbody tr")
        titles = [li.get_text() for li in page.select("ul.titles li")]
        assert titles == [r.select("td")[4].get_text(" ", strip=True) for r in rows]
        assert [dt.get_text() for dt in page.select("dl.extra dt")] == ["Diarium"]
    finally:
        override.unlink()


def test_record_title_falls_back_to_the_document_type(client: FlaskClient) -> None:
    app = client.application
    with app.test_request_context():
        macros = app.jinja_env.get_template("_macros.html").module
        title = macros.record_title  # type: ignore[attr-defined]
        assert title({"rubrik": "Ansökan <om> bygglov", "handlingstyp": "Ansökan"}) == \
            "Ansökan &lt;om&gt; bygglov"
        assert title({"rubrik": "", "handlingstyp": "Beslut"}) == "Beslut"
        assert title({"rubrik": None, "handlingstyp": ""}) == "Handling"
