"""``hsbtrack backup PATH`` and ``hsbtrack restore PATH``: the whole database, core and plugins.

* SQLite: the sqlite3 online backup API, page by page, so the copy is consistent even while the app
  and the scheduler are writing; the backup is itself an SQLite database file. Restoring copies it
  back over the live database with the same API (one write lock, so the restored state appears at
  once to every connection).
* PostgreSQL: ``pg_dump --format=custom`` (one consistent snapshot, the server keeps serving) and
  ``pg_restore --clean --if-exists --single-transaction``: the restore replaces every object of the
  dump, or changes nothing if it fails. The programs are Debian's (``/usr/lib/postgresql/<newest>/bin``)
  or the first on ``PATH`` (``HSBTRACK_PG_BIN`` names a folder to use instead). The connection
  settings, password included, go to them through ``PG*`` environment variables, never on the
  command line (where ``ps`` would show them).

Documents' bytes (every key of :func:`hsbtrack.storage.storage`, local disk or S3) go beside the
database backup, in ``PATH.documents`` (a tar archive, one member per storage key, streamed one file
at a time); a restore puts every member back into the app's storage (an empty folder or bucket, or the
same one). A backup without that file restores the database only.

A restore refuses a file that is not a backup of the same kind (an SQLite file for a PostgreSQL
database, or anything else), and asks before overwriting unless given ``--yes``. Stop the web
workers and the scheduler while restoring: requests in flight would see the database change under
them.
"""

import os
import shutil
import sqlite3
import subprocess  # nosec B404  # pg_dump and pg_restore, argv lists, no shell
import sys
import tarfile
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy.engine import make_url

from hsbtrack import storage as storage_package
from hsbtrack.extensions import db

SQLITE_MAGIC = b"SQLite format 3\x00"
PGDUMP_MAGIC = b"PGDMP"


class BackupError(click.ClickException):
    """A backup or restore that cannot be done; the message says why."""

def _url():
    return make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])


def _kind(url) -> str:
    backend = url.get_backend_name()
    if backend in ("sqlite", "postgresql"):
        return backend
    raise BackupError(f"Backups of {backend} databases are not supported (SQLite and PostgreSQL are).")


def file_kind(path: Path) -> str | None:
    """``"sqlite"``, ``"postgresql"`` (a pg_dump custom-format archive) or None, from the first bytes."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(len(SQLITE_MAGIC))
    except OSError:
        return None
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(PGDUMP_MAGIC):
        return "postgresql"
    return None


# -- SQLite -------------------------------------------------------------------------------------


def _sqlite_path(url) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("An in-memory SQLite database cannot be backed up.")
    return Path(url.database)


def _sqlite_backup(url, target: Path) -> None:
    source = sqlite3.connect(f"file:{_sqlite_path(url)}?mode=ro", uri=True, timeout=30)
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    destination = sqlite3.connect(partial)
    try:
        # pages=-1: the whole database in one step, under one read lock: a consistent snapshot.
        source.backup(destination, pages=-1)
    finally:
        destination.close()
        source.close()
    os.replace(partial, target)  # never a half-written file under the name asked for


def _check_sqlite_backup(path: Path) -> None:
    try:
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            ok = connection.execute("PRAGMA quick_check").fetchone()[0]
            has_version = connection.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'").fetchone()
        finally:
            connection.close()
    except sqlite3.DatabaseError as error:
        raise BackupError(f"{path} is not a readable SQLite database: {error}") from None
    if ok != "ok":
        raise BackupError(f"{path} is damaged (SQLite quick_check: {ok})")
    if not has_version:
        raise BackupError(f"{path} is an SQLite database but not an hsbtrack backup (no alembic_version table)")


def _sqlite_restore(url, source_path: Path) -> None:
    _check_sqlite_backup(source_path)
    target = _sqlite_path(url)
    source = sqlite3.connect(f"file:{source_path}?mode=ro", uri=True)
    destination = sqlite3.connect(target, timeout=30)
    try:
        source.backup(destination, pages=-1)
    finally:
        destination.close()
        source.close()


# -- PostgreSQL ---------------------------------------------------------------------------------


def pg_program(name: str) -> str:
    """The path of ``pg_dump`` / ``pg_restore``: ``HSBTRACK_PG_BIN``, else Debian's newest
    ``/usr/lib/postgresql/<version>/bin``, else ``PATH``."""
    folder = os.environ.get("HSBTRACK_PG_BIN")
    if folder:
        candidate = Path(folder) / name
        if not os.access(candidate, os.X_OK):
            raise BackupError(f"HSBTRACK_PG_BIN={folder} has no {name}")
        return str(candidate)
    versions = []
    for candidate in Path("/usr/lib/postgresql").glob(f"*/bin/{name}"):
        version = candidate.parent.parent.name
        if version.isdigit() and os.access(candidate, os.X_OK):
            versions.append((int(version), str(candidate)))
    if versions:
        return max(versions)[1]
    found = shutil.which(name)
    if found:
        return found
    raise BackupError(f"{name} was not found (install postgresql-client, or set HSBTRACK_PG_BIN)")


def pg_environment(url) -> dict:
    """The connection as libpq environment variables (the password never reaches a command line)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    values = {"PGHOST": url.host, "PGPORT": url.port, "PGUSER": url.username, "PGPASSWORD": url.password,
              "PGDATABASE": url.database}
    for key, option in (("PGSSLMODE", "sslmode"), ("PGSSLROOTCERT", "sslrootcert"),
                        ("PGAPPNAME", "application_name")):
        values[key] = url.query.get(option)
    env.update({k: str(v) for k, v in values.items() if v not in (None, "")})
    return env


def _run(args: list[str], env: dict, what: str) -> None:
    # args: the program's absolute path and our own options; no shell
    completed = subprocess.run(args, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True)  # noqa: S603  # nosec B603  # argv list, no shell
    if completed.returncode != 0:
        raise BackupError(f"{what} failed (exit {completed.returncode}):\n{completed.stderr.strip()}")


def _pg_backup(url, target: Path) -> None:
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    _run([pg_program("pg_dump"), "--format=custom", "--no-owner", "--no-privileges", f"--file={partial}"],
         pg_environment(url), "pg_dump")
    os.replace(partial, target)


def _pg_restore(url, source_path: Path) -> None:
    env = pg_environment(url)
    # `pg_restore --list` reads the archive's table of contents: refuses damaged files early.
    _run([pg_program("pg_restore"), "--list", str(source_path)], env, "reading the backup")
    _run([pg_program("pg_restore"), "--clean", "--if-exists", "--single-transaction", "--no-owner",
          "--no-privileges", "--exit-on-error", f"--dbname={url.database}", str(source_path)], env, "pg_restore")


# -- documents' bytes ---------------------------------------------------------------------------

DOCUMENTS_SUFFIX = ".documents"


def documents_path(backup: Path) -> Path:
    """Where the documents of the backup ``backup`` are kept."""
    backup = Path(backup)
    return backup.with_name(backup.name + DOCUMENTS_SUFFIX)


def backup_documents(target: Path) -> int:
    """Every stored key's bytes into the tar archive ``target``; returns how many."""
    store = storage_package.storage()
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    count = 0
    with tarfile.open(partial, "w") as archive:
        for key in store.keys():
            info = tarfile.TarInfo(key)
            info.size = store.size(key)
            info.mode = 0o640
            with store.open(key) as stream:
                archive.addfile(info, stream)
            count += 1
    os.replace(partial, target)
    return count


def restore_documents(source: Path) -> int:
    """Put every member of the tar archive ``source`` back into the app's storage; returns how many."""
    store = storage_package.storage()
    count = 0
    try:
        with tarfile.open(source, "r") as archive:
            for member in archive:
                if not member.isfile():
                    continue
                storage_package.validate_key(member.name)  # (a key, never a path outside the store)
                with archive.extractfile(member) as stream:
                    store.put(member.name, stream)
                count += 1
    except tarfile.TarError as error:
        raise BackupError(f"{source} is not a readable documents archive: {error}") from None
    return count


# -- commands -----------------------------------------------------------------------------------


def backup_database(target: Path) -> str:
    """Write a backup of the app's database to ``target``; returns its kind."""
    url = _url()
    kind = _kind(url)
    target = Path(target).resolve()
    if target.is_dir():
        raise BackupError(f"{target} is a folder: give the file name of the backup")
    if not target.parent.is_dir():
        raise BackupError(f"The folder {target.parent} does not exist")
    (_sqlite_backup if kind == "sqlite" else _pg_backup)(url, target)
    backup_documents(documents_path(target))
    return kind


def restore_database(source: Path) -> str:
    """Replace the app's database by the backup ``source`` (checked to be of the same kind)."""
    url = _url()
    kind = _kind(url)
    source = Path(source).resolve()
    found = file_kind(source)
    if found is None:
        raise BackupError(f"{source} is not an hsbtrack backup (neither an SQLite file nor a pg_dump archive)")
    if found != kind:
        names = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
        article = "an" if found == "sqlite" else "a"
        raise BackupError(f"{source} is {article} {names[found]} backup, but this database is {names[kind]}: "
                          "restore it into a database of the same kind")

    db.session.remove()
    db.engine.dispose()  # no pooled connection of ours holds a lock on what is replaced
    (_sqlite_restore if kind == "sqlite" else _pg_restore)(url, source)
    if documents_path(source).is_file():
        restore_documents(documents_path(source))
    return kind


def _describe(url) -> str:
    if url.get_backend_name() == "sqlite":
        return f"the SQLite database {url.database}"
    return f"the PostgreSQL database {url.database} on {url.host or 'localhost'}:{url.port or 5432}"


@click.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def backup_command(path):
    """Back up the whole database (core and plugins) to PATH, and the documents to PATH.documents."""
    url = _url()
    kind = backup_database(path)
    size = Path(path).stat().st_size
    click.echo(f"Backed up {_describe(url)} to {path} ({kind}, {size} bytes).")


@click.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Overwrite the database without asking.")
@with_appcontext
def restore_command(path, yes):
    """Replace the whole database by the backup in PATH (stop the web app and scheduler first)."""
    url = _url()
    if not yes:
        if not sys.stdin.isatty():
            raise BackupError("Restoring overwrites every table: confirm with --yes.")
        click.confirm(f"Replace everything in {_describe(url)} by {path}?", abort=True)
    restore_database(path)
    click.echo(f"Restored {_describe(url)} from {path}. Run `hsbtrack db upgrade` if this version of "
               "hsbtrack is newer than the backup.")


def register(cli) -> None:
    cli.add_command(backup_command)
    cli.add_command(restore_command)

