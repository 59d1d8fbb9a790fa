"""Welsh (cy): every interface string of the core and of each plugin is translated and served; the
chosen language sticks; dates, exports and invitations come out in the reader's language."""

import io
import re
from datetime import date
from pathlib import Path

import pytest

from hsbtrack import i18n_catalogues
from tests.conftest import login, post_form

SOURCES = i18n_catalogues.sources()


@pytest.mark.parametrize("source", SOURCES, ids=[s.name for s in SOURCES])
def test_every_interface_string_has_a_welsh_translation(source):
    problems = i18n_catalogues.untranslated(source, "cy")
    assert not problems, (
        f"{len(problems)} untranslated string(s); run `make translations-extract`, translate the empty "
        "msgstr entries, then `make translations`:\n" + "\n".join(problems[:40]))


def test_the_check_fails_on_a_string_nobody_translated(tmp_path):
    package = tmp_path / "hsbtrack_newplugin"
    (package / "templates").mkdir(parents=True)
    (package / "__init__.py").write_text('from flask_babel import lazy_gettext as _l\nTITLE = _l("Translated")\n')
    (package / "templates" / "page.html").write_text('<p>{{ _("A sentence someone forgot") }}</p>\n')
    source = i18n_catalogues.CatalogueSource(package.name, package, (("**.py", "python"), ("templates/**.html", "jinja2")))
    assert i18n_catalogues.untranslated(source, "cy") == [f"{package.name}: no cy catalogue at {source.po_path('cy')}"]

    catalog = i18n_catalogues.update(source, "cy")
    catalog.get("Translated").string = "Wedi'i gyfieithu"
    i18n_catalogues.save(source, "cy", catalog)
    problems = i18n_catalogues.untranslated(source, "cy")
    assert problems == [f"{package.name}: untranslated 'A sentence someone forgot' (templates/page.html:1)"]

    catalog.get("A sentence someone forgot").string = "Brawddeg %(x)s"  # a placeholder the English lacks
    i18n_catalogues.save(source, "cy", catalog)
    (problem,) = i18n_catalogues.untranslated(source, "cy")
    assert "A sentence someone forgot" in problem and "placeholder" in problem


def test_the_running_app_serves_every_compiled_translation(app):
    """The .mo files the app reads match the .po files (a stale build would show English)."""
    from flask_babel import force_locale, get_translations

    checked = 0
    # the core's catalogue and those of the plugins installed here (the core's own suite runs without any)
    installed = {Path(folder).parent.name for folder in app.extensions["hsbtrack_plugins"].translation_dirs()}
    with app.test_request_context(), force_locale("cy"):
        served = get_translations()
        for source in (s for s in SOURCES if s.name == "core" or s.name in installed):
            for message in i18n_catalogues.load(source, "cy"):
                if not message.id or not isinstance(message.id, str) or message.context:
                    continue
                assert served.ugettext(message.id) == message.string, f"{source.name}: {message.id!r}"
                checked += 1
    assert checked > 800  # (the core alone has about 840)


def test_language_link_cookie_and_preference(client, world):
    area = world.area()
    user = world.user("lead@example.org", area, "board_manager")

    page = client.get("/login")
    assert 'lang="en"' in page.text and ">Cymraeg</a>" in page.text
    welsh = client.get("/login?lang=cy")
    assert '<html lang="cy"' in welsh.text
    assert "Mewngofnodi" in welsh.text and "Sign in" not in welsh.text
    assert ">English</a>" in welsh.text  # the way back

    # Signed out, the choice is kept in a cookie
    response = client.get("/language/cy?next=/login")
    assert response.status_code == 302 and response.headers["Location"].endswith("/login")
    assert "Mewngofnodi" in client.get("/login").text

    # Signed in, it becomes the user's preference, also on the next visit from another browser
    login(client, user)
    client.get("/language/cy?next=/")
    client.delete_cookie("hsbtrack_lang")
    from hsbtrack.extensions import db
    db.session.refresh(user)
    assert user.locale == "cy"
    dashboard = client.get(f"/areas/{area.id}/", follow_redirects=True)
    assert '<html lang="cy"' in dashboard.text and "Allgofnodi" in dashboard.text
    client.get("/language/en?next=/")
    db.session.refresh(user)
    assert user.locale == "en"


def test_dates_and_framework_headings_in_welsh_statements_marked_english(client, world):
    from hsbtrack.actions import services as actions
    from hsbtrack.audits import services as audits

    area = world.area()
    user = world.user("lead@example.org", area, "board_manager", locale="cy")
    audit = audits.open_audit(area, title="T1", user=user)
    action = actions.create_action(area, title="Llwybr atgyfeirio newydd", owner=user, due_on=date(2027, 3, 31),
                                   statements=["1.1"], user=user)
    login(client, user)
    matrix = client.get(f"/areas/{area.id}/audits/{audit.id}/moderation").text
    assert "Datblygu'r gweithlu" in matrix.replace("&#39;", "'")  # domain 5's title, from the framework file
    assert "Workforce development" not in matrix
    # the statements have no Welsh text: English, and marked as English for screen readers
    marked = re.findall(r'<span class="hsb-matrix__text" lang="en">([^<]*)</span>', matrix)
    assert len(marked) >= 46 and any(text.startswith("There is a clear") or text for text in marked)
    detail = client.get(f"/areas/{area.id}/actions/{action.id}").text
    assert "31 Mawrth 2027" in detail and "March" not in detail


def test_spreadsheet_export_in_the_readers_language(client, world):
    from openpyxl import load_workbook

    from hsbtrack.audits import services as audits

    area = world.area()
    user = world.user("lead@example.org", area, "board_manager", locale="cy")
    audit = audits.open_audit(area, title="T1", user=user)
    login(client, user)
    response = client.get(f"/areas/{area.id}/audits/{audit.id}/export.xlsx")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.data))
    texts = {str(c.value) for ws in book.worksheets for row in ws.iter_rows() for c in row if c.value}
    assert "Sylwadau" in texts  # the framework's "Comments" box, translated by the framework file
    assert not texts & {"Comments", "Statement", "Agreed score", "Evidence supporting this score"}


def test_someone_invited_from_a_welsh_page_gets_a_welsh_invitation(client, world, outbox):
    area = world.area()
    manager = world.user("board@example.org", area, "board_manager", locale="cy")
    login(client, manager)
    response = post_form(client, f"/areas/{area.id}/members",
                         {"email": "newlead@example.org", "name": "Nia Roberts", "role": "viewer"})
    assert response.status_code == 302
    (mail,) = [m for m in outbox if "newlead@example.org" in m["To"]]
    assert mail["Subject"] == "Rydych chi wedi cael gwahoddiad i hsbtrack"
    from hsbtrack.auth.models import User
    from hsbtrack.extensions import db
    assert db.session.scalar(db.select(User.locale).where(User.email == "newlead@example.org")) == "cy"


def test_a_string_shared_by_two_catalogues_has_one_translation():
    """Flask-Babel merges the catalogues, so the last one would silently win; a word that needs two
    translations (an audit *area* and a checklist *area*) takes a context (pgettext) instead."""
    seen, clashes = {}, []
    for source in SOURCES:
        for message in i18n_catalogues.load(source, "cy"):
            if not message.id:
                continue
            key = (message.context, message.id if isinstance(message.id, str) else tuple(message.id))
            string = message.string if isinstance(message.string, str) else tuple(message.string)
            if key in seen and seen[key][1] != string:
                clashes.append(f"{key}: {seen[key][0]} {seen[key][1]!r} / {source.name} {string!r}")
            seen.setdefault(key, (source.name, string))
    assert not clashes, "\n".join(clashes)
