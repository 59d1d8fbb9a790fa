"""Test-only fault injection: run an hsbtrack command in a child process that stops dead at a
chosen point, so that a test can SIGKILL it there (the application has no hook for this; the
environment variables below are read only here).

    python -m tests.integration.faults.inject cli ARGS...          # ``hsbtrack ARGS...`` (env: DATABASE_URL, ...)
    python -m tests.integration.faults.inject post EMAIL PATH k=v...   # sign in as EMAIL, POST the form at PATH

``HSBTRACK_TEST_FAULT`` chooses the point (empty: no fault):

* ``insert:<table>:<n>`` — right after the n-th INSERT into <table> has run (inside its transaction);
* ``flush:<table>:<n>`` — right after the n-th ORM flush that writes a row of <table>;
* ``send:<n>`` — when the n-th notification email is about to be handed to the SMTP server.

There the child writes ``paused`` to the file ``HSBTRACK_TEST_FAULT_FILE`` and sleeps until it is
killed. ``wait_until_paused`` is the test's side.
"""

import os
import sys
import time
from pathlib import Path

ARMED = {"on": True}


def _pause(what: str) -> None:
    path = os.environ["HSBTRACK_TEST_FAULT_FILE"]
    Path(path + ".tmp").write_text(f"paused {what}\n")
    os.replace(path + ".tmp", path)
    while True:  # until SIGKILL
        time.sleep(60)


def install(spec: str) -> None:
    if not spec:
        return
    kind, _sep, rest = spec.partition(":")
    if kind == "insert":
        table, n = rest.rsplit(":", 1)
        _after_nth_insert(table, int(n))
    elif kind == "flush":
        table, n = rest.rsplit(":", 1)
        _after_nth_flush(table, int(n))
    elif kind == "send":
        _before_nth_send(int(rest))
    else:
        raise SystemExit(f"unknown HSBTRACK_TEST_FAULT {spec!r}")


def _after_nth_insert(table: str, n: int) -> None:
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    seen = {"n": 0}
    prefix = f"INSERT INTO {table} "

    @event.listens_for(Engine, "after_cursor_execute")
    def after(conn, cursor, statement, parameters, context, executemany):
        if ARMED["on"] and statement.lstrip().startswith(prefix):
            seen["n"] += 1
            if seen["n"] == n:
                _pause(f"after INSERT #{n} into {table}")


def _after_nth_flush(table: str, n: int) -> None:
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    seen = {"n": 0}

    @event.listens_for(Session, "after_flush")
    def after(session, flush_context):
        # new/dirty/deleted still show what this flush wrote
        touched = {getattr(o, "__tablename__", None) for o in (*session.new, *session.dirty, *session.deleted)}
        if ARMED["on"] and table in touched:
            seen["n"] += 1
            if seen["n"] == n:
                _pause(f"after flush #{n} writing {table}")


def _before_nth_send(n: int) -> None:
    from hsbtrack.notifications import services

    real = services.send_email
    seen = {"n": 0}

    def send(*args, **kwargs):
        seen["n"] += 1
        if ARMED["on"] and seen["n"] == n:
            _pause(f"before email #{n}")
        return real(*args, **kwargs)

    services.send_email = send


def _post(email: str, path: str, pairs: list[str]) -> int:
    from tests.conftest import IsolatedClient, login, make_app, post_form

    app = make_app(SQLALCHEMY_DATABASE_URI=os.environ["TEST_DB_URI"])
    app.test_client_class = IsolatedClient
    client = app.test_client()
    ARMED["on"] = False  # signing in writes too
    login(client, email)
    data = dict(pair.split("=", 1) for pair in pairs)
    page = path.rsplit("/", 1)[0]  # the form lives on the statement page
    token_page = os.environ.get("TEST_FORM_PAGE", page)
    ARMED["on"] = True
    response = post_form(client, path, data, page=token_page)
    print(response.status_code, flush=True)
    return 0 if response.status_code in (200, 302) else 1


def main(argv: list[str]) -> int:
    install(os.environ.get("HSBTRACK_TEST_FAULT", ""))
    mode, *rest = argv
    if mode == "cli":
        from hsbtrack.cli import main as cli

        return cli.main(args=rest, prog_name="hsbtrack")  # exits with the command's status
    if mode == "post":
        return _post(rest[0], rest[1], rest[2:])
    if mode == "training-upload-run":  # what the web worker's thread runs after "Import" is pressed
        from hsbtrack_training import uploads

        from hsbtrack import create_app

        area_id, user_id, import_id = rest
        uploads.run(create_app(), int(area_id), int(user_id), import_id)
        return 0
    raise SystemExit(f"unknown mode {mode!r}")


# -- the test's side ---------------------------------------------------------------------------


def child_env(tmp_path: Path, **extra) -> dict:
    root = Path(__file__).resolve().parents[3]
    env = {k: v for k, v in os.environ.items() if k not in ("HSBTRACK_TEST_FAULT", "HSBTRACK_TEST_FAULT_FILE")}
    env.update({"HSBTRACK_ENV": "testing", "SECRET_KEY": "testing-only-key", "HSBTRACK_SCHEDULER": "off",
                "HSBTRACK_INSTANCE_PATH": str(tmp_path), "PYTHONPATH": str(root), "MAIL_SERVER": "",
                "HSBTRACK_TEST_FAULT_FILE": str(tmp_path / "fault")})
    env.update({k: str(v) for k, v in extra.items()})
    return env


def spawn(args: list[str], env: dict, tmp_path: Path, name: str = "child"):
    """Start ``python -m tests.integration.faults.inject ARGS`` with its output in files beside the test."""
    import subprocess

    root = Path(__file__).resolve().parents[3]
    out = open(tmp_path / f"{name}.out", "w")  # noqa: SIM115 (closed by finish())
    process = subprocess.Popen([sys.executable, "-m", "tests.integration.faults.inject", *args], cwd=root, env=env,
                               stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)
    process.output_file = out
    process.output_path = tmp_path / f"{name}.out"
    return process


def output(process) -> str:
    process.output_file.flush()
    return process.output_path.read_text()


def wait_until_paused(process, env: dict, timeout: float = 60) -> str:
    """Wait for the child to reach its fault point (fails if it exits or takes too long)."""
    flag = Path(env["HSBTRACK_TEST_FAULT_FILE"])
    deadline = time.monotonic() + timeout
    while not flag.exists():
        if process.poll() is not None:
            raise AssertionError(f"the child exited ({process.returncode}) before its fault point:\n"
                                 f"{output(process)[-3000:]}")
        if time.monotonic() > deadline:
            process.kill()
            raise AssertionError(f"the child never reached its fault point:\n{output(process)[-3000:]}")
        time.sleep(0.02)
    return flag.read_text().strip()


def kill(process) -> None:
    """SIGKILL: no ``finally``, no atexit, no rollback by the process itself."""
    if process.poll() is None:
        process.kill()
    process.wait(timeout=30)
    process.output_file.close()


def finish(process, timeout: float = 60) -> tuple[int, str]:
    """Wait for a child that runs to its end; its exit status and output."""
    try:
        process.wait(timeout=timeout)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        process.output_file.close()
    return process.returncode, process.output_path.read_text()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
