"""Uploaded import files and their state, kept in the instance folder between the steps.

State lives in a JSON file beside the upload (not in memory), so that every web worker sees the
progress of an import that another one runs. The state names the process running the import
(``runner``: host and pid): if that process died mid-import (a worker killed or restarted), the
import's single transaction was rolled back, and the state says so ("failed", nothing saved, run
it again) instead of showing the progress bar forever.
"""

import json
import os
import secrets
import socket
import threading
from pathlib import Path

from flask import current_app

from hsbtrack.areas.models import Area
from hsbtrack.auth.models import User
from hsbtrack.extensions import db
from hsbtrack.scheduler.runner import holder_is_dead

from . import importer

STATE_NAME = "state.json"
RUNNING = ("queued", "validate", "insert")
DIED = ("The import stopped before it finished (the server process running it ended). Nothing was saved: "
        "run it again.")


def _runner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _root() -> Path:
    root = Path(current_app.instance_path) / "training-imports"
    root.mkdir(parents=True, exist_ok=True)
    return root


def _dir(import_id: str) -> Path | None:
    if not import_id or not all(c.isalnum() or c in "-_" for c in import_id):
        return None
    path = _root() / import_id
    return path if path.is_dir() else None


def save_upload(area, user, filename: str, data: bytes) -> str:
    """Check the file can be read, keep it; returns the import id. Raises ImportFileError."""
    headers, rows = importer.read_table(filename, data)
    import_id = secrets.token_urlsafe(12)
    path = _root() / import_id
    path.mkdir()
    suffix = ".xlsx" if filename.lower().endswith(".xlsx") else ".csv"
    (path / f"upload{suffix}").write_bytes(data)
    write_state(import_id, {"area_id": area.id, "user_id": getattr(user, "id", None), "filename": filename[:200],
                            "suffix": suffix, "headers": headers, "rows": len(rows),
                            "mapping": importer.guess_mapping(headers), "stage": "uploaded", "done": 0, "total": 0})
    return import_id


def state(area, import_id: str) -> dict | None:
    """The state of an import of ``area`` (None if unknown or another area's)."""
    path = _dir(import_id)
    if path is None:
        return None
    try:
        data = json.loads((path / STATE_NAME).read_text())
    except (OSError, ValueError):
        return None
    if data.get("area_id") != area.id:
        return None
    if data.get("stage") in RUNNING and data.get("runner") and holder_is_dead(data["runner"]):
        data.update(stage="failed", message=DIED)
        write_state(import_id, data)
    return data


def write_state(import_id: str, data: dict) -> None:
    path = _root() / import_id
    tmp = path / f".{STATE_NAME}.{os.getpid()}.{threading.get_ident()}"
    tmp.write_text(json.dumps(data, default=str))
    tmp.replace(path / STATE_NAME)


def rows_of(import_id: str, data: dict):
    path = _root() / import_id / f"upload{data['suffix']}"
    return importer.read_table(f"upload{data['suffix']}", path.read_bytes())


def run(app, area_id: int, user_id, import_id: str) -> None:
    """Validate and import (in a thread in production), writing progress into the state file."""

    with app.app_context():
        area = db.session.get(Area, area_id)
        user = db.session.get(User, user_id) if user_id else None
        data = state(area, import_id)
        data.update(stage="validate", done=0, total=data["rows"], runner=_runner())
        write_state(import_id, data)
        last = [0]

        def progress(stage, done, total):
            # write at most ~50 times per stage
            if stage != data["stage"] or done - last[0] >= max(1, total // 50) or done >= total:
                data.update(stage=stage, done=done, total=total)
                write_state(import_id, data)
                last[0] = done

        try:
            _headers, rows = rows_of(import_id, data)
            result = importer.import_rows(area, rows, data["mapping"], user=user, progress=progress)
        except Exception as error:  # report, never leave the page waiting
            current_app.logger.exception("training import %s failed", import_id)
            data.update(stage="failed", message=str(error)[:500])
            write_state(import_id, data)
            return
        finally:
            db.session.remove()
        data.update(stage="done" if result.ok else "refused", imported=result.imported,
                    new_people=len(result.new_people), skipped=len(result.skipped),
                    errors=[(n, [importer.problem_data(r) for r in reasons])
                            for n, reasons in result.errors[:importer.MAX_ERRORS_SHOWN]],
                    error_count=len(result.errors))
        write_state(import_id, data)


def start(area, user, import_id: str) -> None:
    app = current_app._get_current_object()
    data = state(area, import_id)
    data.update(stage="queued", done=0, total=data["rows"], runner=_runner())
    write_state(import_id, data)
    # End this request's transaction first: the import writes through its own session, and on SQLite
    # a request that may write holds the write lock from its first statement (hsbtrack.transactions).
    area_id, user_id = area.id, getattr(user, "id", None)  # (read before the commit expires them)
    db.session.commit()
    if app.testing:
        run(app, area_id, user_id, import_id)
    else:  # pragma: no cover - a real server
        threading.Thread(target=run, args=(app, area_id, user_id, import_id), daemon=True).start()
