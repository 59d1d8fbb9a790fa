"""``hsbtrack backup`` / ``hsbtrack restore``: a full database (the demo partnership: core and
plugin data) round-trips exactly, every table row by row, alembic_version included.

The restore goes into a database of its own (PostgreSQL: one the test creates, so the test role
needs CREATEDB; SQLite: another file), never into the suite's database."""

from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text

from hsbtrack.testing import spare_database
from tests.conftest import is_postgres, make_app


def dump(url: str) -> dict:
    """Every table's rows, sorted, and (PostgreSQL) every sequence's position."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            tables = {}
            for name in inspect(conn).get_table_names():
                rows = conn.execute(text(f'SELECT * FROM "{name}"')).all()
                tables[name] = sorted((tuple(r) for r in rows), key=repr)
            sequences = {}
            if engine.dialect.name == "postgresql":
                sequences = dict(conn.execute(text(
                    "SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = 'public'")).all())
        return {"tables": tables, "sequences": sequences}
    finally:
        engine.dispose()


@pytest.fixture()
def other_database(app, tmp_path):
    """An empty database beside the suite's one, dropped afterwards."""
    with spare_database(app, tmp_path, "restore") as url:
        yield url


def cli(app, *args, input=None):
    with app.app_context():  # (the command would otherwise run in the test's context: the suite's app)
        return app.test_cli_runner().invoke(args=list(args), input=input)


def test_backup_and_restore_round_trip_every_table(app, ctx, other_database, tmp_path):
    from hsbtrack.areas.demo import load_demo
    from hsbtrack.extensions import db

    assert load_demo()
    db.session.commit()
    db.session.remove()
    original = dump(app.config["SQLALCHEMY_DATABASE_URI"])
    counts = {name: len(rows) for name, rows in original["tables"].items()}
    assert counts["alembic_version"] >= 5  # the core and every plugin's branch
    assert counts["audit_responses"] and counts["actions"] and counts["training_completions"]
    assert counts["schools_schools"] and counts["regional_rounds"]

    backup = tmp_path / "hsbtrack.backup"
    result = cli(app, "backup", str(backup))
    assert result.exit_code == 0, result.output
    assert "Backed up" in result.output and backup.stat().st_size > 0

    restored_app = make_app(SQLALCHEMY_DATABASE_URI=other_database)
    # refuses without --yes (no terminal to ask on)
    result = cli(restored_app, "restore", str(backup))
    assert result.exit_code != 0 and "--yes" in result.output
    result = cli(restored_app, "restore", str(backup), "--yes")
    assert result.exit_code == 0, result.output
    assert f"Restored the {'PostgreSQL' if is_postgres() else 'SQLite'} database" in result.output
    assert dump(other_database) == original

    # change and delete data in the restored database, then restore over it again
    engine = create_engine(other_database)
    with engine.begin() as conn:
        conn.execute(text("UPDATE users SET name = 'Changed'"))
        conn.execute(text("DELETE FROM training_completions"))
        conn.execute(text("DELETE FROM history_entries"))
        conn.execute(text("UPDATE alembic_version SET version_num = version_num || '_x'"))
    engine.dispose()
    assert dump(other_database) != original
    result = cli(restored_app, "restore", str(backup), "--yes")
    assert result.exit_code == 0, result.output
    assert dump(other_database) == original


def test_restore_refuses_a_file_of_another_kind(app, ctx, tmp_path):
    not_a_backup = tmp_path / "notes.txt"
    not_a_backup.write_text("hello")
    result = cli(app, "restore", str(not_a_backup), "--yes")
    assert result.exit_code != 0 and "is not an hsbtrack backup" in result.output

    other_kind = tmp_path / "other.backup"
    if is_postgres():  # an SQLite backup offered to PostgreSQL
        import sqlite3

        sqlite3.connect(other_kind).execute("CREATE TABLE alembic_version (version_num TEXT)").connection.commit()
        expected = "is an SQLite backup, but this database is PostgreSQL"
    else:  # a pg_dump archive offered to SQLite
        other_kind.write_bytes(b"PGDMP\x01\x0f\x00" + bytes(100))
        expected = "is a PostgreSQL backup, but this database is SQLite"
    result = cli(app, "restore", str(other_kind), "--yes")
    assert result.exit_code != 0 and expected in result.output
    assert Path(other_kind).exists()
