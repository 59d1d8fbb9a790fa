"""``make load``: gunicorn (several workers, production settings) on PostgreSQL with the benchmark
data, and locust headless: USERS board managers for SECONDS seconds through the main pages and the
API. Prints median, p95, p99 and requests per second per endpoint. Then the **capacity steps**: users
with no think time (locust's FastHttpUser, loadtest/capacity.py), doubled step by step, over the main
pages and then over the trivial page, each step LOAD_STEP_SECONDS long; the highest request rate
held with a p95 under 300 ms and no failure, for both, and the client's share of the CPU at each step
(the client shares the machine's CPUs with the server). Appends the run to docs/benchmarks.md, and
exits non-zero if a single request failed.

Every user signs in with both factors: the benchmark board managers are enrolled in TOTP
(``hsbtrack.bench.generate.enrol_two_factor``, under this run's ``HSBTRACK_ENCRYPTION_KEY``) and the
clients give the code their app would show (loadtest/signin.py); the server keeps the install's
default ``HSBTRACK_TWO_FACTOR_REQUIRED_ROLES``. The capacity steps reuse one session per account,
signed in here before the first step (a code is accepted once per 30-second step and account).

Environment: DATABASE_URL (PostgreSQL, required), LOAD_USERS (50), LOAD_SECONDS (60),
LOAD_WORKERS (4), LOAD_SCALE (1: the benchmark data; reused when already there), LOAD_PORT (8765),
LOAD_DOCS (docs/benchmarks.md; empty: do not write), LOAD_STEPS (users per step: 1,2,4,8,16,32),
LOAD_STEP_SECONDS (20; 0: no capacity steps), LOAD_P95_MS (300).
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
                   "every user a different board manager signing in through the form (CSRF) with its password and its "
                   "two-factor code, and calling the API with its own bearer token. Zero failures required."
                   " Sign-in throttling counts failed attempts only, so distinct accounts with the right password and code never meet it: nothing is relaxed for the run. The p95 and p99 are mostly the first seconds, when the users sign in (argon2, ten a second) on the same two CPUs as locust; see the per-endpoint medians.\n\n" + text + f"\n{END}\n")
    path.write_text(current)


def _cpu_seconds(pids) -> float:
    """User + system CPU seconds of these processes so far (from /proc; 0 for one that is gone)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def _server_pids(master: int) -> list[int]:
    pids = [master]
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == master:
                    pids.append(int(entry.name))
            except (OSError, IndexError, ValueError):
                continue
    return pids


def sessions(port: int, accounts: Path, count: int, path: Path) -> Path:
    """Sign the first ``count`` accounts in once (password and two-factor code, loadtest/signin.py) and
    write each one's session cookies to ``path``, for every capacity step to reuse."""
    import json

    import requests

    sys.path.insert(0, str(HERE))
    from signin import USER_AGENT, sign_in

    signed = []
    for account in json.loads(accounts.read_text())["accounts"][:count]:
        client = requests.Session()
        client.headers["User-Agent"] = USER_AGENT  # the capacity clients' (session protection)
        problem = sign_in(client, account, base=f"http://127.0.0.1:{port}")
        if problem:
            raise SystemExit(f"capacity steps: could not sign in as {account['email']}: {problem}")
        signed.append([{"name": c.name, "value": c.value, "domain": c.domain, "path": c.path}
                       for c in client.cookies])
    path.write_text(json.dumps(signed))
    return path


def capacity(port: int, env: dict, work: Path, accounts: Path, master: int) -> dict:
    """``{target: [step, ...]}`` for the main pages and the trivial page, each step a dict of users,
    requests, failures, req/s, median and p95 ms, and the client's and the server's CPU share (% of
    the machine). Stops a target's steps once its p95 is over the limit or a request failed."""
    steps = [int(n) for n in os.environ.get("LOAD_STEPS", "1,2,4,8,16,32").split(",") if n.strip()]
    seconds = int(os.environ.get("LOAD_STEP_SECONDS", "20"))
    limit = float(os.environ.get("LOAD_P95_MS", "300"))
    cpus = os.cpu_count() or 1
    signed_in = sessions(port, accounts, max(steps, default=1), work / "sessions.json")
    results = {}
    for target in ("pages", "trivial"):
        results[target] = []
        for users in steps:
            prefix = str(work / f"capacity-{target}-{users}")
            server = _server_pids(master)
            client_before, server_before = os.times(), _cpu_seconds(server)
            began = time.monotonic()
            with open(f"{prefix}.log", "w") as log:  # locust's own summary, kept beside its CSV files
                subprocess.run(  # noqa: S603
                    [str(BIN / "locust"), "-f", str(HERE / "capacity.py"), "--headless", "-u", str(users), "-r",
                     str(users), "-t", f"{seconds}s", "--host", f"http://127.0.0.1:{port}", "--csv", prefix,
                     "--only-summary", "--loglevel", "ERROR"],
                    env={**env, "HSBTRACK_LOAD_ACCOUNTS": str(accounts), "HSBTRACK_LOAD_SESSIONS": str(signed_in),
                         "HSBTRACK_LOAD_TARGET": target},
                    stdout=log, stderr=subprocess.STDOUT)
            wall = time.monotonic() - began
            client_after = os.times()
            client_cpu = (client_after.children_user + client_after.children_system
                          - client_before.children_user - client_before.children_system)
            server_cpu = _cpu_seconds(server) - server_before
            row = next((r for r in read_stats(prefix) if r["Name"] in ("main pages", "trivial page")), None)
            login = next((r for r in read_stats(prefix) if r["Name"] == "/login"), None)
            if row is None:
                step = {"users": users, "requests": 0, "failures": 1, "rate": 0.0, "median": None, "p95": None}
            else:
                step = {"users": users, "requests": int(row["Request Count"]),
                        "failures": int(row["Failure Count"]) + int(login["Failure Count"] if login else 0),
                        "rate": float(row["Requests/s"]), "median": float(row["50%"]), "p95": float(row["95%"])}
            step["client_cpu"] = 100 * client_cpu / (wall * cpus)
            step["server_cpu"] = 100 * server_cpu / (wall * cpus)
            step["held"] = step["failures"] == 0 and step["p95"] is not None and step["p95"] <= limit
            results[target].append(step)
            print(f"  {target}: {users} users, {step['rate']:.1f} req/s, p95 {step['p95']} ms, "
                  f"{step['failures']} failures, client CPU {step['client_cpu']:.0f}%, "
                  f"server CPU {step['server_cpu']:.0f}%", flush=True)
            if not step["held"]:
                break
    return results


def best(steps: list) -> dict | None:
    held = [s for s in steps if s["held"]]
    return max(held, key=lambda s: s["rate"]) if held else None


def capacity_text(results: dict, limit: float, seconds: int) -> str:
    pages, trivial = best(results["pages"]), best(results["trivial"])
    lines = [f"Capacity (no think time, {seconds} s a step, users doubled until the p95 passes {limit:g} ms; "
             "locust FastHttpUser on the same machine):", "",
             "| mix | users | req/s | median ms | p95 ms | failures | client CPU | server CPU | held |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"]
    for target, label in (("pages", "main pages"), ("trivial", "trivial page")):
        for s in results[target]:
            lines.append(f"| {label} | {s['users']} | {s['rate']:.1f} | {s['median'] if s['median'] is not None else '–'} "
                         f"| {s['p95'] if s['p95'] is not None else '–'} | {s['failures']} | {s['client_cpu']:.0f}% "
                         f"| {s['server_cpu']:.0f}% | {'yes' if s['held'] else 'no'} |")
    if pages and trivial:
        ratio = pages["rate"] / trivial["rate"] if trivial["rate"] else 0
        verdict = "met" if ratio >= 1 / 3 else "MISSED"
        lines += ["", f"Highest rate held with p95 ≤ {limit:g} ms: main pages {pages['rate']:.1f} req/s "
                      f"({pages['users']} users, client CPU {pages['client_cpu']:.0f}%), trivial page "
                      f"{trivial['rate']:.1f} req/s ({trivial['users']} users, client CPU "
                      f"{trivial['client_cpu']:.0f}%): {ratio:.2f} of the trivial page's rate (target ≥ 0.33: "
                      f"{verdict})."]
    else:
        lines += ["", f"No step held a p95 ≤ {limit:g} ms without failures for "
                      + " and ".join(n for n, b in (("the main pages", pages), ("the trivial page", trivial)) if not b)
                      + "."]
    return "\n".join(lines)


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
    # the key the two-factor secrets are encrypted with, the same for prepare.py and the server
    env = {**os.environ, "HSBTRACK_INSTANCE_PATH": str(work), "HSBTRACK_ENCRYPTION_KEY": secrets.token_hex(32)}
    upgrade = [str(BIN / "hsbtrack"), "db", "upgrade"]
    subprocess.run(upgrade, env={**env, "HSBTRACK_ENV": "development"}, check=True, capture_output=True)  # noqa: S603
    prepare = [sys.executable, str(HERE / "prepare.py"), str(accounts), str(users), str(scale)]
    subprocess.run(prepare, env=env, check=True)  # noqa: S603

    # Production settings; plain HTTP on the loopback, so cookies may not be secure-only. Two-factor as
    # an install has it (HSBTRACK_TWO_FACTOR_REQUIRED_ROLES left to its default): the board managers sign
    # in with their password and a code (prepare.py enrolled them under this run's encryption key).
    server_env = {**env, "HSBTRACK_ENV": "production", "SECRET_KEY": secrets.token_hex(32),
                  "HSBTRACK_SECURE_COOKIES": "0", "HSBTRACK_SCHEDULER": "off"}
    # the app with make bench's trivial page, the baseline of the capacity steps
    command = [str(BIN / "gunicorn"), "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
               "--access-logfile", "-" if os.environ.get("LOAD_ACCESS_LOG") else str(work / "access.log"),
               "--error-logfile", str(work / "gunicorn.log"), "hsbtrack.bench.measure:app_with_trivial_page()"]
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
        step_seconds = int(os.environ.get("LOAD_STEP_SECONDS", "20"))
        steps = None
        if step_seconds > 0:
            print("Capacity steps (no think time):", flush=True)
            steps = capacity(port, env, work, accounts, server.pid)
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
    if steps is not None:
        summary += "\n" + capacity_text(steps, float(os.environ.get("LOAD_P95_MS", "300")), step_seconds) + "\n"
    print("\n" + summary)
    if docs:
        from hsbtrack.bench.measure import machine

        write_docs(Path(docs), summary.replace("\n\n", f"\n\nMachine: {machine()}.\n\n", 1))
        print(f"Appended to {docs}")
    step_failures = sum(s["failures"] for target in (steps or {}).values() for s in target)
    if failures or locust.returncode or step_failures:
        print(f"FAILED: {failures} failed requests (locust exit code {locust.returncode}); see {work}",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
