"""Benchmark: the completions import against a bare ``executemany`` of the same rows.

``measure(area, n)`` builds an n-row completions CSV for people and courses that already exist,
times the full import (parse, map, validate, bulk insert, commit) and a bare executemany of the
same rows into the same table (committed), removes both, and returns the two rates. docs/architecture.md's
budget: import rate ≥ 25% of the bare rate. ``hsbtrack bench`` (``make bench``) runs it with the
national-scale page benchmarks, at 100,000 rows at full scale.
"""

import csv
import io
import time
from datetime import date, timedelta

from sqlalchemy import delete, insert, select

from hsbtrack.areas.models import Area
from hsbtrack.areas.services import create_agency, create_area
from hsbtrack.bench.measure import Row
from hsbtrack.extensions import db

from . import importer, services
from .models import TrainingCompletion, TrainingCourse, TrainingPerson

PEOPLE = 2000
IMPORT_BUDGET = 0.25  # import rate ÷ bare executemany rate


def _fixture(area):
    """Courses and people the rows refer to (made once)."""
    agency = services.agencies(area)[0]
    titles = [f"Bench course {t}" for t in range(1, 5)]
    have = set(db.session.scalars(select(TrainingCourse.title).where(TrainingCourse.area_id == area.id)))
    for tier, title in enumerate(titles, start=1):
        if title not in have:
            db.session.add(TrainingCourse(area_id=area.id, title=title, tier=tier, provider="", refresher_months=24))
    count = db.session.scalar(select(db.func.count(TrainingPerson.id)).where(
        TrainingPerson.area_id == area.id, TrainingPerson.email.like("bench%@example.org")))
    if count < PEOPLE:
        db.session.execute(insert(TrainingPerson), [
            {"area_id": area.id, "agency_id": agency.id, "name": f"Bench Person {i}", "email": f"bench{i}@example.org",
             "discipline": "police"} for i in range(count, PEOPLE)])
    db.session.commit()
    return agency, titles


def make_csv(agency_name, titles, n, start=date(2000, 1, 1)) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["Learner", "Email", "Organisation", "Role", "Course", "Outcome", "Completion date"])
    for i in range(n):
        person, day = i % PEOPLE, i // PEOPLE
        writer.writerow([f"Bench Person {person}", f"bench{person}@example.org", agency_name, "Police",
                         titles[i % len(titles)], "Completed", (start + timedelta(days=day)).isoformat()])
    return out.getvalue().encode()


def _clear(area, since):
    db.session.execute(delete(TrainingCompletion).where(TrainingCompletion.area_id == area.id,
                                                        TrainingCompletion.completed_on >= since,
                                                        TrainingCompletion.session_id.is_(None)))
    db.session.commit()


def measure(area, n: int, repeats: int = 3) -> dict:
    """Best of ``repeats`` runs of each (interleaved), so that a busy machine does not decide the ratio."""
    agency, titles = _fixture(area)
    start = date(2000, 1, 1)
    data = make_csv(agency.name, titles, n, start)
    _clear(area, start)
    import_times, bare_times = [], []
    for _run in range(repeats):
        began = time.perf_counter()
        headers, rows = importer.read_table("bench.csv", data)
        result = importer.import_rows(area, rows, importer.guess_mapping(headers))
        import_times.append(time.perf_counter() - began)
        if not (result.ok and result.imported == n):  # (not an assert: `python -O` would drop it)
            raise RuntimeError(f"the benchmark import failed: {result.errors[:3]}")
        bare_rows = [{k: v for k, v in r.items() if k != "person"} | {"person_id": r["person"], "session_id": None}
                     for r in result.completions]
        _clear(area, start)

        began = time.perf_counter()
        db.session.execute(insert(TrainingCompletion), bare_rows)
        db.session.commit()
        bare_times.append(time.perf_counter() - began)
        _clear(area, start)
    import_seconds, bare_seconds = min(import_times), min(bare_times)
    import_rate, bare_rate = n / import_seconds, n / bare_seconds
    return {"rows": n, "repeats": repeats, "import_seconds": import_seconds, "bare_seconds": bare_seconds,
            "import_rate": import_rate, "bare_rate": bare_rate, "ratio": import_rate / bare_rate}


def scratch_area():
    """The area the benchmark imports into (made once; also used by ``hsbtrack bench``)."""

    area = db.session.scalar(select(Area).where(Area.name == "Training benchmark area"))
    if area is None:
        area = create_area("Training benchmark area", None)
        create_agency(area, "Bench agency")
        db.session.commit()
    return area


def main(n: int = 100_000) -> dict:  # pragma: no cover - run by `hsbtrack training bench`
    """Run on the current app's database, in a scratch area."""
    result = measure(scratch_area(), n, repeats=1 if n >= 50_000 else 3)
    print(f"training import: {result['rows']} rows; import {result['import_rate']:.0f} rows/s, "
          f"bare executemany {result['bare_rate']:.0f} rows/s, ratio {result['ratio']:.2f} (budget ≥ 0.25)")
    return result


def benchmark_row(rows_wanted: int, budget: float = IMPORT_BUDGET):
    """``hsbtrack bench``'s row for the import, measured in the plugin's scratch area."""

    result = measure(scratch_area(), rows_wanted, repeats=1 if rows_wanted >= 50_000 else 3)
    return Row("import", f"Training import, {result['rows']:,} rows (rows/s)", result["import_rate"],
               None, result["ratio"], None, bare=result["bare_rate"], budget=f"≥ {budget:g}× executemany",
               ok=result["ratio"] >= budget, note=f"bare executemany {result['bare_rate']:,.0f} rows/s")


# -- the benchmark data ----------------------------------------------------------------------------

DISCIPLINES = ("teacher", "social_worker", "police", "clinical", "youth_worker", "camhs", "foster_carer",
               "residential_care")


def write_bench_data(bench) -> None:
    """Courses, people, headcounts and ``sizes.training`` completions over every benchmark area (the
    plugin on in each): docs/architecture.md's 1,000,000 records at national scale."""
    w, sizes, rnd, now = bench.writer, bench.sizes, bench.rnd, bench.now
    area_ids, agencies = bench.area_ids, bench.agencies
    per_area, extra = divmod(sizes.training, sizes.areas)
    courses, people = {}, {}
    course_rows, people_rows, head_rows = [], [], []
    for index, a in enumerate(area_ids):
        courses[a] = [bench.take("training_courses") for _ in range(4)]
        for tier, course_id in enumerate(courses[a], start=1):
            course_rows.append((course_id, a, f"HSB tier {tier}", tier, "Regional training team", 3.0, 24, w.ts(now)))
        n_people = max(1, (per_area + (1 if index < extra else 0)) // 10)
        people[a] = []
        for p in range(n_people):
            pid = bench.take("training_people")
            people[a].append(pid)
            people_rows.append((pid, a, agencies[a][p % len(agencies[a])], f"Practitioner {pid}",
                                f"p{pid}@bench.example.org", DISCIPLINES[p % len(DISCIPLINES)], w.ts(now)))
        for g in agencies[a]:
            for discipline in DISCIPLINES[:2]:
                head_rows.append((bench.take("training_headcounts"), a, g, discipline, 40))
    w.write("training_courses", ("id", "area_id", "title", "tier", "provider", "length_hours", "refresher_months",
                                 "created_at"), course_rows)
    w.write("training_people", ("id", "area_id", "agency_id", "name", "email", "discipline", "created_at"), people_rows)
    w.write("training_headcounts", ("id", "area_id", "agency_id", "discipline", "headcount"), head_rows)

    start = bench.today - timedelta(days=4 * 365)
    first_id = bench.take("training_completions", sizes.training)

    def completions():
        cid = first_id
        for index, a in enumerate(area_ids):
            folks, area_courses = people[a], courses[a]
            for j in range(per_area + (1 if index < extra else 0)):
                # person, then course, then round: (person, course, date) stays unique
                person, rest = folks[j % len(folks)], j // len(folks)
                course, round_number = area_courses[rest % 4], rest // 4
                done_on = start + timedelta(days=(97 * round_number + j % 7) % (4 * 365))
                roll = rnd.random()
                status = "completed" if roll < 0.85 else ("attended" if roll < 0.95 else "did_not_attend")
                expires = done_on + timedelta(days=730) if status == "completed" else None
                yield (cid, a, person, course, None, status, w.day(done_on), w.day(expires))
                cid += 1

    w.write("training_completions", ("id", "area_id", "person_id", "course_id", "session_id", "status",
                                     "completed_on", "expires_on"), completions())
    for a in area_ids:
        bench.enable("training", area_id=a)
