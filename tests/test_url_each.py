"""``url_each``: the links of a big table built once and filled in per row must be the links
``url_for`` gives, for text and number path arguments, with and without a query string."""

from flask import url_for

from hsbtrack.views_support import url_each


def test_url_each_gives_the_links_url_for_gives(app):
    with app.test_request_context("/"):
        statement = url_each("moderation.statement", "code", area_id=3, audit_id=7, disagreements="1", low="1")
        for code in ("1.1", "4.1a", "10.2", "a b/ç"):
            assert statement(code) == url_for("moderation.statement", area_id=3, audit_id=7, code=code,
                                              disagreements="1", low="1")
        detail = url_each("actions.detail", "action_id", area_id=3)
        for action_id in (1, 42, 918273645):
            assert detail(action_id) == url_for("actions.detail", area_id=3, action_id=action_id)
