"""Compressed pages (hsbtrack/compression.py): the demo's largest pages go over the wire compressed when
the browser asks from our own pages, and are sent as they are when another site could have made the
request (BREACH: docs/security.md)."""

import zlib

from sqlalchemy import select

from tests.conftest import login

OWN_PAGES = {"Accept-Encoding": "gzip, deflate, br, zstd", "Sec-Fetch-Site": "same-origin"}


def _demo_pages(ctx):
    from hsbtrack.areas.models import Area
    from hsbtrack.audits.models import Audit
    from hsbtrack.extensions import db

    result = ctx.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    area = db.session.scalar(select(Area).where(Area.name == "Riverside Safeguarding Partnership"))
    t1 = db.session.scalars(select(Audit).where(Audit.area_id == area.id).order_by(Audit.cycle)).first()
    base = f"/areas/{area.id}/audits/{t1.id}"
    return {"matrix": f"{base}/moderation", "overview": f"{base}/overview"}


def test_the_largest_pages_travel_compressed_from_our_own_pages_and_whole_from_another_site(ctx, client):
    pages = _demo_pages(ctx)
    login(client, "board@example.org", "demo-password-2019")
    for name, url in pages.items():
        plain = client.get(url)
        assert plain.status_code == 200, (name, plain.status_code)
        assert "Content-Encoding" not in plain.headers  # a client that does not ask gets it as it is
        body = plain.get_data()
        assert len(body) > 60_000, (name, len(body))

        packed = client.get(url, headers=OWN_PAGES)
        encoding = packed.headers["Content-Encoding"]
        wire = packed.get_data()
        assert len(wire) < 40_000, (name, encoding, len(wire))  # the budget on the wire
        assert len(wire) < len(body) / 4, (name, len(wire), len(body))
        assert {"Accept-Encoding", "Sec-Fetch-Site"} <= {v.strip() for v in packed.headers["Vary"].split(",")}
        gzipped = client.get(url, headers={**OWN_PAGES, "Accept-Encoding": "gzip"})
        assert gzipped.headers["Content-Encoding"] == "gzip"
        page = zlib.decompress(gzipped.get_data(), wbits=31).decode()
        assert "Riverside" in page and "</html>" in page  # the same page, whole

        # a request another site made the browser send, with the person's cookie: sent uncompressed
        for site in ("cross-site", "same-site"):
            foreign = client.get(url, headers={**OWN_PAGES, "Sec-Fetch-Site": site})
            assert foreign.status_code == 200
            assert "Content-Encoding" not in foreign.headers, (name, site)
            assert len(foreign.get_data()) > 60_000
        # a browser that does not say where the request came from: the same
        unknown = client.get(url, headers={"Accept-Encoding": "gzip"})
        assert "Content-Encoding" not in unknown.headers


def test_requests_without_a_session_are_compressed_whoever_made_them(ctx, client, world):
    """An API client's token or a signed-out visitor: no session cookie, so nothing of anyone's that another
    site could read through sizes."""
    from tests.conftest import api_headers

    area = world.area()
    board = world.user("board@example.org", area=area, role="board_manager")
    fresh = ctx.test_client()
    sign_in = fresh.get("/login", headers={"Accept-Encoding": "gzip", "Sec-Fetch-Site": "cross-site"})
    assert sign_in.status_code == 200
    assert sign_in.headers.get("Content-Encoding") == "gzip"
    api = ctx.test_client().get("/api/v1/frameworks/nspcc-hsb-2019",
                                headers={**api_headers(board), "Accept-Encoding": "gzip"})
    assert api.status_code == 200
    assert api.headers.get("Content-Encoding") == "gzip"


def test_an_operator_can_leave_compression_to_the_proxy(ctx):
    from hsbtrack.testing import make_app

    app = make_app(HSBTRACK_COMPRESS=False)
    response = app.test_client().get("/login", headers=OWN_PAGES)
    assert response.status_code == 200
    assert "Content-Encoding" not in response.headers
