"""Way-finding (issue 15, finding 8 in part): the header's area picker shows the area you are in (and
no area where you are in none), and a plugin's "Settings" link appears only where the plugin has a
settings form (the page would answer 404 otherwise)."""

import re
from urllib.parse import urlsplit

from hsbtrack.plugins.services import set_area_plugin
from tests.conftest import login


def selected_area(html: str) -> str:
    select = re.search(r'<select[^>]*id="area-switcher".*?</select>', html, re.S).group(0)
    return re.search(r"<option[^>]*selected[^>]*>([^<]*)</option>", select).group(1)


def test_the_area_picker_shows_where_you_are(client, world):
    alder = world.area("Alderley")
    zeal = world.area("Zeals")
    board = world.user("board@example.org", alder, "board_manager")
    world.user("board@example.org", zeal, "board_manager")
    login(client, board)
    assert selected_area(client.get(f"/areas/{zeal.id}/").get_data(as_text=True)) == "Zeals"
    assert selected_area(client.get(f"/areas/{alder.id}/agencies").get_data(as_text=True)) == "Alderley"
    assert selected_area(client.get("/my/actions").get_data(as_text=True)) == "Choose an area"
    response = client.get("/areas/switch?area_id=")
    assert response.status_code == 302 and urlsplit(response.headers["Location"]).path == "/"  # the list of areas


def test_settings_only_for_plugins_that_have_a_settings_form(client, world):
    area = world.area("Glenmore")
    board = world.user("board@example.org", area, "board_manager")
    for name in ("scotland", "training"):
        set_area_plugin(area, name, True)
    login(client, board)
    page = client.get(f"/areas/{area.id}/plugins").get_data(as_text=True)
    assert f"/areas/{area.id}/plugins/scotland/settings" in page  # CARM review intervals
    assert f"/areas/{area.id}/plugins/training/settings" not in page
    assert client.get(f"/areas/{area.id}/plugins/training/settings").status_code == 404
