"""The inspection pack at bench scale (``make inspection-pack-bench``): one area of the national-scale benchmark
data (10 agencies, 6 cycles, its share of the actions) with 200 documents of 1 MB each (random bytes in
valid-looking PDFs, uploaded through the documents' own services), packed by the job runner in its own process
(``hsbtrack jobs run``, as the area's board manager): prints the build time, the ZIP's size and the runner's
peak memory (against the same command with nothing to do). Budget: under a minute.

A throwaway instance (SQLite, local-disk storage) in a temporary folder, deleted afterwards.
"""
# ruff: noqa: S603 (every command run is this virtualenv's own hsbtrack, with fixed arguments)

import io
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

BIN = Path(sys.executable).parent
DOCUMENTS = int(os.environ.get("INSPECTION_PACK_DOCUMENTS", "200"))  # (0: the papers alone, to compare)
SIZE = 1024 * 1024
SCALE = 0.005  # one area: every area of the benchmark data has the same size whatever the scale
BUDGET_SECONDS = 60


def valid_looking_pdf(rnd: random.Random) -> bytes:
    """1 MB: a PDF header, incompressible bytes (as a scanned document's), an end-of-file marker."""
    head, tail = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", b"\n%%EOF\n"
    return head + rnd.randbytes(SIZE - len(head) - len(tail)) + tail


def setup(folder: Path) -> int:
    """Generate the area and its documents; queue its inspection pack. Returns the job's id."""
    from sqlalchemy import select

    from hsbtrack import create_app
    from hsbtrack.audits.models import Audit
    from hsbtrack.auth.models import User
    from hsbtrack.bench import generate
    from hsbtrack.dashboard import inspection_pack
    from hsbtrack.documents import services as documents
    from hsbtrack.extensions import db

    app = create_app(config={"HSBTRACK_SCHEDULER": "off"})
    with app.app_context():
        began = time.perf_counter()
        data = generate.generate(SCALE)
        print(f"benchmark area generated in {time.perf_counter() - began:.1f} s:",
              ", ".join(f"{k} {v:,}" for k, v in data.counts.items() if k in ("audits", "audit_responses", "actions")))
        audit = db.session.get(Audit, data.audit_id)
        framework = documents.audits.framework_of(audit)
        codes = [s.code for s in framework.scored_statements]
        agencies = [agency.id for _link, agency in documents.audits.participants(audit)]
        rnd = random.Random(2019)  # nosec B311  # synthetic data
        began = time.perf_counter()
        for n in range(DOCUMENTS):
            body = io.BytesIO(valid_looking_pdf(rnd))
            code = codes[n % len(codes)]
            if n % 4 == 0:  # a quarter the partnership's, the rest agencies'
                documents.upload_to_statement(audit, code, body, f"partnership-{n:03d}.pdf", title=f"Protocol {n}")
            else:
                documents.upload_to_response(audit, agencies[n % len(agencies)], code, body, f"evidence-{n:03d}.pdf",
                                             title=f"Evidence {n}")
        print(f"{DOCUMENTS} documents of {SIZE // 1024} KB uploaded in {time.perf_counter() - began:.1f} s")
        board = db.session.scalar(select(User).where(User.email == data.user_email))
        with app.test_request_context("/"):
            job = inspection_pack.start_pack(audit.area, board)
            return job.id


RUNNER = """
import resource, time
from hsbtrack import create_app
from hsbtrack.jobs import services
app = create_app(config={"HSBTRACK_SCHEDULER": "off"})
with app.app_context():
    import weasyprint  # (loaded before the baseline: every paper-making runner has it)
    ready = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    began = time.perf_counter()
    ran = services.run_pending()
    seconds = time.perf_counter() - began
print(ran, seconds, ready, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)
"""


def run_jobs(env) -> tuple[float, int, int]:
    """The queue worked in a process of its own: (seconds, its peak memory before and after, in MB)."""
    done = subprocess.run([sys.executable, "-c", RUNNER], env=env, check=True, capture_output=True, text=True)
    ran, seconds, ready, peak = done.stdout.split()[-4:]
    if int(ran) != 1:
        raise SystemExit(f"expected one job, ran {ran}")
    return float(seconds), int(ready), int(peak)


def main() -> None:
    folder = Path(tempfile.mkdtemp(prefix="hsbtrack-packbench-"))
    env = dict(os.environ, HSBTRACK_ENV="development", HSBTRACK_INSTANCE_PATH=str(folder / "instance"),
               DATABASE_URL=f"sqlite:///{folder / 'db.sqlite'}", HSBTRACK_SCHEDULER="off")
    try:
        subprocess.run([BIN / "hsbtrack", "db", "upgrade"], env=env, capture_output=True, check=True)
        os.environ.update(env)
        job_id = setup(folder)
        seconds, ready, peak = run_jobs(env)
        print(f"inspection pack (job {job_id}) built in {seconds:.1f} s; the runner's peak memory {ready} MB "
              f"before it, {peak} MB after")
        from hsbtrack import create_app
        from hsbtrack.extensions import db
        from hsbtrack.jobs.models import Job
        from hsbtrack.storage import storage

        app = create_app(config={"HSBTRACK_SCHEDULER": "off"})
        with app.app_context():
            job = db.session.get(Job, job_id)
            if job.status != "done":
                raise SystemExit(f"the job ended {job.status}: {job.message}")
            size = storage().size(job.result_key)
            with storage().open(job.result_key) as stream, zipfile.ZipFile(stream) as pack:
                names = pack.namelist()
                documents = sum("/documents/" in n for n in names)
        print(f"ZIP: {size / 1024 / 1024:.1f} MB, {len(names)} files ({documents} documents)")
        verdict = "within" if seconds < BUDGET_SECONDS else "OVER"
        print(f"{verdict} the budget of {BUDGET_SECONDS} s")
        if seconds >= BUDGET_SECONDS:
            raise SystemExit(1)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
