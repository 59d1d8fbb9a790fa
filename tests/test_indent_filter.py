"""The app's ``indent`` filter (``views_support.indent``, used by every GOV.UK macro) must give what
Jinja's own gives, character for character, for markup and for text: it only does the work once
instead of per line. A page's markup indented by an accordion stays safe markup; text stays text (and
is escaped when shown)."""

import pytest
from jinja2.filters import do_indent
from markupsafe import Markup

from hsbtrack.views_support import indent

SAMPLES = ["", "one line", "first\nsecond\n\n  third\n", "<td>a &amp; b</td>\n<td>\n</td>", "\n\nx\r\ny\n",
           "line\u2028separator"]


@pytest.mark.parametrize("value", SAMPLES)
@pytest.mark.parametrize("width", [0, 4, 8, "--", "<i>"])
@pytest.mark.parametrize("first", [False, True])
@pytest.mark.parametrize("blank", [False, True])
def test_indent_gives_what_jinjas_filter_gives(value, width, first, blank):
    for given in (value, Markup(value)):
        ours, jinjas = indent(given, width, first, blank), do_indent(given, width, first, blank)
        assert ours == jinjas and type(ours) is type(jinjas)


def test_the_app_renders_with_it(app):
    assert app.jinja_env.filters["indent"] is indent
    with app.app_context():
        shown = app.jinja_env.from_string("{{ html | safe | indent(2) }}|{{ text | indent(2) }}").render(
            html="<p>a</p>\n<p>b</p>", text="<b>\nc")
    assert shown == "<p>a</p>\n  <p>b</p>|&lt;b&gt;\n  c"
