"""``make load``: gunicorn (several workers, production settings) on PostgreSQL with the benchmark
data, and locust headless: USERS board managers for SECONDS seconds through the main pages and the
API. Prints median, p95, p99 and requests per second per endpoint, appends the run to
docs/benchmarks.md, and exits non-zero if a single request failed.

Environment: DATABASE_URL (PostgreSQL, required), LOAD_USERS (50), LOAD_SECONDS (60),
LOAD_WORKERS (4), LOAD_SCALE (1: the benchmark data; reused when already there), LOAD_PORT (8765),
LOAD_DOCS (docs/benchmarks.md; empty: do not write).
"""

import csv
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
START, END = "<!-- load -->", "<!-- /load -->"


def wait_for(url: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310  (our own loopback URL)
                if response.status == 200:
                    return
        except OSError:
            if time.monotonic() > deadline:
                raise SystemExit(f"the server did not answer {url} within {seconds:.0f} s") from None
        time.sleep(0.3)


def read_stats(prefix: str) -> list[dict]:
    with open(f"{prefix}_stats.csv", newline="") as handle:
        return list(csv.DictReader(handle))


def table(rows: list[dict]) -> str:
    lines = ["| endpoint | requests | failures | median ms | p95 ms | p99 ms | req/s |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for row in rows:
        name = "**all**" if row["Name"] == "Aggregated" else f"{row['Type']} {row['Name']}"
        lines.append(f"| {name} | {int(row['Request Count']):,} | {int(row['Failure Count']):,} | "
                     f"{row['50%']} | {row['95%']} | {row['99%']} | {float(row['Requests/s']):.1f} |")
    return "\n".join(lines)


def write_docs(path: Path, text: str) -> None:
    current = path.read_text() if path.exists() else "# Benchmarks\n"
    if START in current and END in current:
        before, rest = current.split(START, 1)
        old, after = rest.split(END, 1)
        current = before + START + old.rstrip("\n") + "\n\n" + text + "\n" + END + after
    else:
        current = (current.rstrip("\n") + f"\n\n{START}\n## Load (`make load`)\n\nEach run is appended: gunicorn "
                   "with sync workers in production mode on PostgreSQL, locust headless on the same machine, "
                   "every user a different board manager signing in through the form (CSRF) and calling the "
                   "API with its own bearer token. Zero failures required."
                   " Sign-in throttling counts failed attempts only, so distinct accounts with the right password never meet it: nothing is relaxed for the run. The p95 and p99 are mostly the first seconds, when the users sign in (argon2, ten a second) on the same two CPUs as locust; see the per-endpoint medians.\n\n" + text + f"\n{END}\n")
    path.write_text(current)


def main() -> int:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql")):
        print("make load needs DATABASE_URL=postgresql://user:password@host:5432/db (a database it may fill "
              "with benchmark data)", file=sys.stderr)
        return 2
    users, seconds = int(os.environ.get("LOAD_USERS", "50")), int(os.environ.get("LOAD_SECONDS", "60"))
    workers, scale = int(os.environ.get("LOAD_WORKERS", "4")), float(os.environ.get("LOAD_SCALE", "1"))
    port = int(os.environ.get("LOAD_PORT", "8765"))
    docs = os.environ.get("LOAD_DOCS", "docs/benchmarks.md")
    work = Path(tempfile.mkdtemp(prefix="hsbtrack-load-"))
    accounts = work / "accounts.json"
    env = {**os.environ, "HSBTRACK_INSTANCE_PATH": str(work)}
    upgrade = [str(BIN / "hsbtrack"), "db", "upgrade"]
    subprocess.run(upgrade, env={**env, "HSBTRACK_ENV": "development"}, check=True, capture_output=True)  # noqa: S603
    prepare = [sys.executable, str(HERE / "prepare.py"), str(accounts), str(users), str(scale)]
    subprocess.run(prepare, env=env, check=True)  # noqa: S603

    # Production settings; plain HTTP on the loopback, so cookies may not be secure-only.
    server_env = {**env, "HSBTRACK_ENV": "production", "SECRET_KEY": secrets.token_hex(32),
                  "HSBTRACK_SECURE_COOKIES": "0", "HSBTRACK_SCHEDULER": "off"}
    command = [str(BIN / "gunicorn"), "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
               "--access-logfile", "-" if os.environ.get("LOAD_ACCESS_LOG") else str(work / "access.log"),
               "--error-logfile", str(work / "gunicorn.log"), "hsbtrack:create_app()"]
    server = subprocess.Popen(command, env=server_env, start_new_session=True)  # noqa: S603
    try:
        wait_for(f"http://127.0.0.1:{port}/healthz")
        prefix = str(work / "locust")
        began = datetime.now(UTC)
        locust = subprocess.run(  # noqa: S603
            [str(BIN / "locust"), "-f", str(HERE / "locustfile.py"), "--headless", "-u", str(users),
             "-r", str(max(1, users // 5)), "-t", f"{seconds}s", "--host", f"http://127.0.0.1:{port}",
             "--csv", prefix, "--only-summary", "--loglevel", "WARNING"],
            env={**env, "HSBTRACK_LOAD_ACCOUNTS": str(accounts)})
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    rows = read_stats(prefix)
    total = next(r for r in rows if r["Name"] == "Aggregated")
    failures = int(total["Failure Count"])
    summary = (f"### {began.strftime('%Y-%m-%d %H:%M UTC')}: {users} users, {seconds} s, {workers} gunicorn "
               f"workers, scale {scale:g}\n\n{int(total['Request Count']):,} requests, {failures} failures; "
               f"median {total['50%']} ms, p95 {total['95%']} ms, p99 {total['99%']} ms, "
               f"{float(total['Requests/s']):.1f} req/s overall.\n\n{table(rows)}\n")
    print("\n" + summary)
    if docs:
        from hsbtrack.bench.measure import machine

        write_docs(Path(docs), summary.replace("\n\n", f"\n\nMachine: {machine()}.\n\n", 1))
        print(f"Appended to {docs}")
    if failures or locust.returncode:
        print(f"FAILED: {failures} failed requests (locust exit code {locust.returncode}); see {work}",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
