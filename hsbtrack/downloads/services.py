"""The download log: who took what out of the application, and when.

Every response that leaves as a file (``Content-Disposition: attachment``: exports, spreadsheets,
documents) and every page marked with :func:`logged_as_download` (printable reports and board
papers) is written down once, for pages and the API alike, by one ``after_request`` hook, so a new
export cannot forget to log itself. Admins read the log at /admin/downloads.
"""

from flask import g, request
from sqlalchemy import select

from hsbtrack.downloads.models import DownloadEntry
from hsbtrack.extensions import db
from hsbtrack.permissions import current_actor


def logged_as_download(kind: str):
    """Mark a page that is a report people print or circulate (it is logged like a file)."""

    def decorator(view):
        view.download_kind = kind
        return view

    return decorator


def _attachment_name(response) -> str | None:
    disposition = response.headers.get("Content-Disposition", "")
    if not disposition.lower().startswith("attachment"):
        return None
    _head, _sep, rest = disposition.partition("filename=")
    return rest.strip().strip('"')[:255]


def _scope() -> tuple[int | None, int | None, str]:
    """The area and region the request was about, and the records its URL named."""
    area = g.get("area")
    region = g.get("region")
    area_id = getattr(area, "id", None)
    region_id = getattr(region, "id", None)
    names = []
    for argument, target in (g.get("_loaded") or {}).items():
        area_id = area_id or target.area_id
        region_id = region_id or target.region_id
        names.append(f"{argument}={(request.view_args or {}).get(argument)}")
    return area_id, region_id, " ".join(names) or request.path


def record_download_if_any(response):
    """``after_request``: log the response if it is a file or a report read by a signed-in user."""
    from flask import current_app


    if response.status_code != 200 or request.endpoint is None:
        return response
    view = current_app.view_functions.get(request.endpoint)
    filename = _attachment_name(response)
    kind = getattr(view, "download_kind", None)
    if filename is None and kind is None:
        return response
    user = current_actor()
    if not getattr(user, "is_authenticated", False):
        return response
    area_id, region_id, ref = _scope()
    db.session.add(DownloadEntry(
        user_id=user.id, area_id=area_id, region_id=region_id, kind=(kind or request.endpoint)[:80],
        ref=ref[:200], filename=filename or "", via="api" if request.path.startswith("/api/") else "page"))
    db.session.commit()
    return response


def recent(limit: int = 500, user_id: int | None = None, area_id: int | None = None) -> list[DownloadEntry]:
    query = select(DownloadEntry).order_by(DownloadEntry.at.desc(), DownloadEntry.id.desc()).limit(limit)
    if user_id is not None:
        query = query.where(DownloadEntry.user_id == user_id)
    if area_id is not None:
        query = query.where(DownloadEntry.area_id == area_id)
    return db.session.scalars(query.options(db.joinedload(DownloadEntry.user), db.joinedload(DownloadEntry.area))).all()
