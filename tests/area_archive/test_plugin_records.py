"""A plugin's records travel through its ``hsbtrack_area_archive_types`` (the example plugin's notes), and an area
can be copied within one install under another name: everyone is matched to the account they have."""

import io

import pytest
from sqlalchemy import select

from hsbtrack.area_archive import importing
from hsbtrack.area_archive.export import export_area
from hsbtrack.errors import ForbiddenError
from hsbtrack.extensions import db


def test_a_plugins_records_travel_with_the_area(ctx, world, tmp_path):
    from hsbtrack.plugins.services import set_area_plugin
    from tests.example_plugin.models import ExampleNote

    area = world.area("Marshfield")
    board = world.user("board@marshfield.example", area, "board_manager")
    set_area_plugin(area, "example", True)
    db.session.add_all([ExampleNote(area_id=area.id, text="First note"), ExampleNote(area_id=area.id, text="Second")])
    db.session.commit()
    path = tmp_path / "marshfield.zip"
    with ctx.test_request_context(), open(path, "wb") as out:
        manifest = export_area(area, out)
    assert manifest["record_types"]["example.notes"] == {"version": 1, "plugin": "example", "count": 2,
                                                         "file": "records/example.notes.json",
                                                         "csv": "csv/example.notes.csv"}
    assert "example" in manifest["plugins"]
    with ctx.test_request_context():
        with pytest.raises(ForbiddenError):  # (a board manager may not: administrators only)
            importing.import_archive(io.BytesIO(path.read_bytes()), name="Marshfield (copy)", user=board)
        admin = world.user("admin@marshfield.example", admin=True)
        result = importing.import_archive(io.BytesIO(path.read_bytes()), name="Marshfield (copy)", user=admin)
        copy = result.area
        assert result.counts["example.notes"] == 2
        assert sorted(db.session.scalars(select(ExampleNote.text).where(ExampleNote.area_id == copy.id))) == [
            "First note", "Second"]
        assert result.matched_people == ["board@marshfield.example"] and result.new_people == []
        from hsbtrack.history.models import HistoryEntry

        entry = db.session.scalar(select(HistoryEntry).where(HistoryEntry.area_id == copy.id,
                                                             HistoryEntry.field == "imported"))
        assert entry.user_id == admin.id
        from hsbtrack.plugins.services import is_enabled

        assert is_enabled(copy, "example")
