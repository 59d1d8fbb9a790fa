"""National-scale synthetic data, written straight into the migrated schema with bulk inserts.

docs/architecture.md's benchmark scale (``scale=1``): 200 areas × 10 agencies × 6 audits (T1–T5 closed, T6
open; 46 scored statements each, so 552,000 agency responses), 60,000 actions and 1,000,000
training completions; every count is scaled linearly by ``scale`` (at least one area). The first
areas (up to six) form one region. The core writes its own records; each plugin adds its own through
``hsbtrack_bench_data`` (the regional plugin a round per cycle over the region, so that the regional
roll-up has data; the training plugin its records, on in every area).

Rows are made as tuples and written with ``COPY`` on PostgreSQL and the driver's ``executemany``
on SQLite, in one transaction, with explicit ids (PostgreSQL sequences are moved past them
afterwards). Every user shares one password (:data:`PASSWORD`): this is throwaway data, and
:func:`generate` refuses to run in production.

Every board manager is enrolled in two-factor authentication (TOTP, as if they had set it up), with a
secret derived from their email (:func:`totp_secret`), so that ``make bench`` and ``make load`` sign in
with both factors, as the install's settings require (nothing is relaxed for the runs). The secrets are
encrypted under the running instance's key, so :func:`generate` enrols them again whenever it is
called, on data it reuses too (:func:`enrol_two_factor`).
"""

import base64
import hashlib
import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy import select, text

from hsbtrack.areas.models import Area, Region
from hsbtrack.audits.models import Audit
from hsbtrack.auth.services import hash_password
from hsbtrack.extensions import db

PASSWORD = "bench-password-2019"  # noqa: S105  # nosec B105  # synthetic benchmark users in a scratch database
REGION_NAME = "Benchmark region"
AREA_PREFIX = "Benchmark area"
FRAMEWORK = "nspcc-hsb-2019"
FULL = {"areas": 200, "agencies": 10, "audits": 6, "actions": 60_000, "training": 1_000_000}
REGION_AREAS = 6
REGION_LEAD_OFFSET = 500  # lead emails of a plugin's further region (add_region): lead501-01@… onwards
AGENCY_NAMES = ("Police", "Health", "Children's social care", "Education", "Youth justice", "Probation",
                "Housing", "CAMHS", "Voluntary sector", "Early help")
STATUS_WEIGHTS = {"not_started": 20, "in_progress": 40, "blocked": 5, "done": 30, "cancelled": 5}
EVIDENCE = (
    "Multi-agency HSB protocol in place and reviewed annually; audit of 20 cases showed it was followed.",
    "Training records show most front-line staff have completed tier 1; tier 2 is being rolled out.",
    "Referral pathway agreed with the MASH; no written guidance for schools yet.",
    "Case file audit found assessments used AIM3 in most cases; supervision notes are inconsistent.",
    "",
)


def totp_secret(email: str) -> str:
    """The TOTP secret of a benchmark account (32 base-32 characters): derived from its email, so that a
    client of ``make bench`` or ``make load`` can work out its codes (synthetic accounts, like
    :data:`PASSWORD`)."""
    return base64.b32encode(hashlib.sha256(f"{PASSWORD}:{email}".encode()).digest()[:20]).decode()


def totp_code(email: str, at: float | None = None) -> str:
    """The code a benchmark account's authenticator app would show now (or at ``at``, a Unix time)."""
    import pyotp

    totp = pyotp.TOTP(totp_secret(email))
    return totp.now() if at is None else totp.at(at)


def board_email(area_number: int) -> str:
    return f"board{area_number:03d}@bench.example.org"


def lead_email(area_number: int, agency_number: int) -> str:
    return f"lead{area_number:03d}-{agency_number:02d}@bench.example.org"


@dataclass(frozen=True)
class Sizes:
    areas: int
    agencies: int  # per area
    audits: int  # per area
    actions: int  # in all
    training: int  # completions in all
    region_areas: int

    @classmethod
    def for_scale(cls, scale: float) -> "Sizes":
        if scale <= 0:
            raise ValueError("the scale must be above 0")
        areas = max(1, round(FULL["areas"] * scale))
        return cls(areas=areas, agencies=FULL["agencies"], audits=FULL["audits"],
                   actions=max(areas, round(FULL["actions"] * scale)),
                   training=max(areas, round(FULL["training"] * scale)),
                   region_areas=min(REGION_AREAS, areas))


@dataclass
class BenchData:
    """What the measurements need to find in the generated data."""

    region_id: int
    area_ids: list  # every benchmark area, by number
    audit_id: int  # the latest audit (T6, open) of the first area
    user_email: str  # board manager of the first area, regional coordinator of the region
    counts: dict = field(default_factory=dict)
    generated: bool = False
    seconds: float = 0.0


@dataclass
class BenchWorld:
    """The core's generated records, handed to each plugin's ``hsbtrack_bench_data`` to add its own.

    ``take(table, n)`` reserves ``n`` ids of any table (the first is returned); ``writer.write(table,
    columns, rows)`` bulk-writes; ``enable(plugin, area_id=…, region_id=…)`` switches a plugin on.
    """

    writer: "Writer"
    sizes: Sizes
    rnd: random.Random
    today: date
    now: datetime
    first_open: datetime  # when T1 opened; cycle c opened 182 × (c − 1) days later
    region_id: int
    area_ids: list
    region_area_ids: list  # the first areas, which form the region
    agencies: dict  # area id -> agency ids
    boards: dict  # area id -> board manager's user id
    leads: dict  # area id -> agency leads' user ids (in agency order)
    audits: dict  # area id -> audit ids by cycle
    framework: str = ""
    framework_version: str = ""
    scale_values: tuple = ()
    password_hash: str = ""
    _ids: dict = field(default_factory=dict)

    def take(self, table: str, n: int = 1) -> int:
        if table not in self._ids:
            self._ids[table] = self.writer.next_id(table)
        first = self._ids[table]
        self._ids[table] += n
        return first

    def enable(self, plugin: str, area_id: int | None = None, region_id: int | None = None) -> None:
        self.writer.write("plugin_states", ("id", "plugin", "area_id", "region_id", "enabled", "settings",
                                            "updated_at"),
                          [(self.take("plugin_states"), plugin, area_id, region_id, self.writer.flag(True), "{}",
                            self.writer.ts(self.now))])

    def add_region(self, name: str, authorities: int, prefix: str, coordinator_id: int) -> "BenchRegion":
        """A further region of ``authorities`` new areas (named ``prefix NN``, outside the areas that
        :func:`existing` counts), each with its agencies (one lead each: ``lead_email`` by authority
        number offset by 500) and one audit of cycle 1, open, every statement scored by every agency and
        every return in; ``coordinator_id`` coordinates the region. For a plugin's ``hsbtrack_bench_data``
        (the regional plugin's 32-authority round)."""
        w, codes = self.writer, self._codes()
        region_id = self.take("regions")
        w.write("regions", ("id", "name", "created_at"), [(region_id, name, w.ts(self.now))])
        area_ids = [self.take("areas") for _ in range(authorities)]
        w.write("areas", ("id", "name", "region_id", "settings", "created_at"),
                [(a, f"{prefix} {n:02d}", region_id, "{}", w.ts(self.now)) for n, a in enumerate(area_ids, start=1)])
        agencies = {a: [self.take("agencies") for _ in range(self.sizes.agencies)] for a in area_ids}
        w.write("agencies", ("id", "area_id", "name", "created_at"),
                [(g, a, AGENCY_NAMES[i % len(AGENCY_NAMES)] + ("" if i < len(AGENCY_NAMES) else f" {i}"),
                  w.ts(self.now)) for a in area_ids for i, g in enumerate(agencies[a])])
        leads, users, members = {}, [], [(self.take("memberships"), coordinator_id, None, region_id, None,
                                          "regional_coordinator")]
        for n, a in enumerate(area_ids, start=REGION_LEAD_OFFSET + 1):
            leads[a] = []
            for i, g in enumerate(agencies[a], start=1):
                uid = self.take("users")
                leads[a].append(uid)
                users.append((uid, lead_email(n, i), f"Agency lead {n:03d}-{i:02d}"))
                members.append((self.take("memberships"), uid, a, None, g, "agency_lead"))
        password_hash = self.password_hash
        w.write("users", ("id", "email", "name", "password_hash", "is_admin", "active", "locale",
                          "email_notifications", "digest_only", "session_version", "created_at", "activated_at"),
                [(uid, email, uname, password_hash, w.flag(False), w.flag(True), "en", w.flag(False), w.flag(False),
                  1, w.ts(self.now), w.ts(self.now)) for uid, email, uname in users])
        w.write("memberships", ("id", "user_id", "area_id", "region_id", "agency_id", "role", "created_at"),
                [(*row, w.ts(self.now)) for row in members])
        opened = self.now - timedelta(days=40)
        audits = {a: self.take("audits") for a in area_ids}
        w.write("audits", ("id", "area_id", "framework", "framework_version", "title", "cycle", "status",
                           "previous_id", "opened_at", "opened_by_id", "completed_on", "closed_by_id", "data_version"),
                [(audits[a], a, self.framework, self.framework_version, "HSB audit T1", 1, "open", None, w.ts(opened),
                  coordinator_id, None, None, 1) for a in area_ids])
        w.write("audit_agencies", ("id", "audit_id", "agency_id", "submitted_at", "submitted_by_id"),
                [(self.take("audit_agencies"), audits[a], g, w.ts(opened + timedelta(days=30)), lead)
                 for a in area_ids for g, lead in zip(agencies[a], leads[a], strict=True)])
        scale_values, rnd, stamp = self.scale_values, self.rnd, w.ts(opened + timedelta(days=20))
        rows = []
        for a in area_ids:
            for g, lead in zip(agencies[a], leads[a], strict=True):
                level = rnd.randint(0, 3)
                for code in codes:
                    score = min(scale_values[-1], max(scale_values[0], level + rnd.randint(-1, 1)))
                    rows.append((self.take("audit_responses"), audits[a], g, code, score, EVIDENCE[len(rows) % 5], "",
                                 stamp, lead, 1))
        w.write("audit_responses", ("id", "audit_id", "agency_id", "code", "score", "evidence", "assurance",
                                    "updated_at", "updated_by_id", "version"), rows)
        w.write("audit_agreed_scores", ("id", "audit_id", "code", "score", "justification", "moderated_at",
                                        "moderated_by_id", "version"),
                [(self.take("audit_agreed_scores"), audits[a], code, rnd.choice(scale_values[1:]),
                  "Agreed at the moderation meeting on the evidence of the case audit.", w.ts(self.now),
                  coordinator_id, 1) for a in area_ids for code in rnd.sample(codes, 5)])
        return BenchRegion(region_id, area_ids, agencies, leads, audits)

    def _codes(self) -> list:
        return [s.code for s in current_app.extensions["hsbtrack_catalogue"].get(self.framework).scored_statements]


@dataclass(frozen=True)
class BenchRegion:
    """What :meth:`BenchWorld.add_region` wrote."""

    region_id: int
    area_ids: list
    agencies: dict  # area id -> agency ids
    leads: dict  # area id -> agency leads' user ids (in agency order)
    audits: dict  # area id -> its one audit's id


class Writer:
    """Bulk writes in one transaction: COPY on PostgreSQL, the DBAPI's executemany elsewhere."""

    def __init__(self, connection):
        self.connection = connection
        self.postgres = connection.dialect.name == "postgresql"
        self.sqlite = connection.dialect.name == "sqlite"
        self.raw = connection.connection.dbapi_connection
        self.written = {}

    # values in the form the driver wants them (SQLite stores SQLAlchemy's text formats)
    def ts(self, value: datetime):
        return value if self.postgres else value.strftime("%Y-%m-%d %H:%M:%S.%f")

    def day(self, value: date | None):
        if value is None or self.postgres:
            return value
        return value.isoformat()

    def flag(self, value: bool):
        return value if self.postgres else int(value)

    def next_id(self, table: str) -> int:
        return (self.connection.execute(text(f"SELECT COALESCE(MAX(id), 0) FROM {table}")).scalar() or 0) + 1  # noqa: S608  # nosec B608  # table names from the code, not from input

    def write(self, table: str, columns: tuple, rows) -> int:
        names = ", ".join(columns)
        count = 0
        if self.postgres:
            with self.raw.cursor() as cursor, cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
                    count += 1
        elif self.sqlite:
            rows = list(rows)
            cursor = self.raw.cursor()
            cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({', '.join('?' * len(columns))})", rows)  # noqa: S608  # nosec B608  # table names from the code, not from input
            count = len(rows)
        else:  # any other database: SQLAlchemy's own executemany
            chunk = []
            statement = text(f"INSERT INTO {table} ({names}) VALUES ({', '.join(':' + c for c in columns)})")  # noqa: S608  # nosec B608  # table names from the code, not from input
            for row in rows:
                chunk.append(dict(zip(columns, row, strict=True)))
                if len(chunk) >= 10_000:
                    self.connection.execute(statement, chunk)
                    count, chunk = count + len(chunk), []
            if chunk:
                self.connection.execute(statement, chunk)
                count += len(chunk)
        self.written[table] = self.written.get(table, 0) + count
        return count

    def finish(self) -> None:
        if self.postgres:
            for table in self.written:
                self.connection.execute(text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))"))  # noqa: S608  # nosec B608  # table names from the code, not from input


def existing(sizes: Sizes | None = None) -> BenchData | None:
    """The benchmark data already in the database (None if there is none). With ``sizes``, raise if
    it was generated at another scale."""

    region = db.session.scalar(select(Region).where(Region.name == REGION_NAME))
    if region is None:
        return None
    area_ids = list(db.session.scalars(select(Area.id).where(Area.name.like(f"{AREA_PREFIX} %")).order_by(Area.name)))
    if sizes is not None and len(area_ids) != sizes.areas:
        raise RuntimeError(f"this database holds benchmark data of another scale ({len(area_ids)} areas, not "
                           f"{sizes.areas}): use an empty database")
    first = area_ids[0]
    audit_id = db.session.scalar(select(Audit.id).where(Audit.area_id == first, Audit.framework == FRAMEWORK)
                                 .order_by(Audit.cycle.desc()).limit(1))
    return BenchData(region_id=region.id, area_ids=area_ids, audit_id=audit_id,
                     user_email=board_email(1), counts=counts())


COUNTED = ("areas", "agencies", "users", "memberships", "audits", "audit_agencies", "audit_responses",
           "audit_domain_responses", "audit_agreed_scores", "actions", "action_statements", "action_updates")


def counts() -> dict:
    """Rows per table: the core's tables above, then every other table (a plugin's) that holds some."""
    found = {}
    for table in (*COUNTED, *sorted(set(db.metadata.tables) - set(COUNTED))):
        number = db.session.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar()  # noqa: S608  # nosec B608  # table names from the metadata, not from input
        if number or table in COUNTED:
            found[table] = number
    return found


def generate(scale: float = 1.0, seed: int = 2019, now: date | None = None) -> BenchData:
    """Generate the benchmark data at ``scale`` into the current app's (migrated) database, unless
    it is already there at that scale. Returns where to find it."""
    import time


    if current_app.config.get("HSBTRACK_ENV") == "production":
        raise RuntimeError("refusing to write benchmark users into a production install (HSBTRACK_ENV=production)")
    sizes = Sizes.for_scale(scale)
    found = existing(sizes)
    if found is not None:
        enrol_two_factor()
        return found
    began = time.perf_counter()
    framework = current_app.extensions["hsbtrack_catalogue"].get(FRAMEWORK)
    password_hash = hash_password(PASSWORD)
    db.session.commit()
    with db.engine.connect() as connection:
        writer = Writer(connection)
        world = _write_core(writer, sizes, framework, password_hash, random.Random(seed), now or date.today())  # nosec B311  # synthetic data
        current_app.extensions["hsbtrack_plugins"].hook.hsbtrack_bench_data(bench=world)
        writer.finish()
        connection.commit()
        if writer.postgres:
            connection.execute(text("ANALYZE"))  # what autovacuum does after a large load
            connection.commit()
    db.session.expire_all()
    enrol_two_factor()
    data = existing(sizes)
    data.generated = True
    data.seconds = time.perf_counter() - began
    return data


def enrol_two_factor() -> int:
    """Enrol every benchmark board manager in TOTP (:func:`totp_secret`), encrypted under this instance's
    key, no code used yet; returns how many. Idempotent: each run of ``make bench`` or ``make load``
    enrols them afresh, since the key may differ from the run that made the data."""
    from sqlalchemy import update

    from hsbtrack.areas.models import Membership
    from hsbtrack.auth import two_factor
    from hsbtrack.auth.models import User
    from hsbtrack.timeutil import utcnow

    accounts = db.session.execute(
        select(User.id, User.email).join(Membership, Membership.user_id == User.id)
        .where(Membership.role == "board_manager", User.email.like("board%@bench.example.org")).distinct()).all()
    now = utcnow()
    if accounts:
        db.session.execute(update(User), [{"id": uid, "totp_secret": two_factor.encrypt(totp_secret(email)),
                                           "totp_last_step": None, "totp_enabled_at": now}
                                          for uid, email in accounts])
    db.session.commit()
    return len(accounts)


def _write_core(w: Writer, sizes: Sizes, framework, password_hash: str, rnd: random.Random,
                today: date) -> BenchWorld:
    """The core's records; returns them for the plugins' ``hsbtrack_bench_data``."""
    codes = [s.code for s in framework.scored_statements]
    domains = [d.number for d in framework.domains]
    scale_values = list(framework.scale.values)
    now = datetime.combine(today, datetime.min.time()).replace(hour=9)
    ids = {t: w.next_id(t) for t in (
        "regions", "areas", "agencies", "users", "memberships", "plugin_states", "audits", "audit_agencies",
        "audit_responses", "audit_domain_responses", "audit_agreed_scores", "audit_schedule", "actions",
        "action_statements", "action_updates")}

    def take(table, n=1):
        first = ids[table]
        ids[table] += n
        return first

    region_id = take("regions")
    w.write("regions", ("id", "name", "created_at"), [(region_id, REGION_NAME, w.ts(now))])

    area_ids = [take("areas") for _ in range(sizes.areas)]
    in_region = set(area_ids[:sizes.region_areas])
    w.write("areas", ("id", "name", "region_id", "settings", "created_at"),
            [(a, f"{AREA_PREFIX} {n:03d}", region_id if a in in_region else None, "{}", w.ts(now))
             for n, a in enumerate(area_ids, start=1)])

    agencies = {a: [take("agencies") for _ in range(sizes.agencies)] for a in area_ids}
    w.write("agencies", ("id", "area_id", "name", "created_at"),
            [(g, a, AGENCY_NAMES[i % len(AGENCY_NAMES)] + ("" if i < len(AGENCY_NAMES) else f" {i}"), w.ts(now))
             for a in area_ids for i, g in enumerate(agencies[a])])

    # users: a board manager and one lead per agency in every area
    boards, leads, user_rows, member_rows = {}, {}, [], []
    for n, a in enumerate(area_ids, start=1):
        boards[a] = take("users")
        user_rows.append((boards[a], board_email(n), f"Board manager {n:03d}"))
        member_rows.append((take("memberships"), boards[a], a, None, None, "board_manager"))
        leads[a] = []
        for i, g in enumerate(agencies[a], start=1):
            uid = take("users")
            leads[a].append(uid)
            user_rows.append((uid, lead_email(n, i), f"Agency lead {n:03d}-{i:02d}"))
            member_rows.append((take("memberships"), uid, a, None, g, "agency_lead"))
    member_rows.append((take("memberships"), boards[area_ids[0]], None, region_id, None, "regional_coordinator"))
    w.write("users", ("id", "email", "name", "password_hash", "is_admin", "active", "locale", "email_notifications",
                      "digest_only", "session_version", "created_at", "activated_at"),
            [(uid, email, name, password_hash, w.flag(False), w.flag(True), "en", w.flag(False), w.flag(False), 1,
              w.ts(now), w.ts(now)) for uid, email, name in user_rows])
    w.write("memberships", ("id", "user_id", "area_id", "region_id", "agency_id", "role", "created_at"),
            [(*row, w.ts(now)) for row in member_rows])

    # audits: T1..T5 closed six months apart, the last one open
    audits = {}  # area -> [audit ids by cycle]
    audit_rows, link_rows = [], []
    first_open = now - timedelta(days=182 * sizes.audits)
    for a in area_ids:
        audits[a] = []
        previous = None
        for cycle in range(1, sizes.audits + 1):
            audit_id = take("audits")
            audits[a].append(audit_id)
            opened = first_open + timedelta(days=182 * (cycle - 1))
            closed = cycle < sizes.audits
            audit_rows.append((audit_id, a, FRAMEWORK, framework.version, f"HSB audit T{cycle}", cycle,
                               "closed" if closed else "open", previous, w.ts(opened), boards[a],
                               w.day((opened + timedelta(days=60)).date()) if closed else None,
                               boards[a] if closed else None, 1))
            for g, lead in zip(agencies[a], leads[a], strict=True):
                link_rows.append((take("audit_agencies"), audit_id, g,
                                  w.ts(opened + timedelta(days=30)) if closed else None, lead if closed else None))
            previous = audit_id
    w.write("audits", ("id", "area_id", "framework", "framework_version", "title", "cycle", "status", "previous_id",
                       "opened_at", "opened_by_id", "completed_on", "closed_by_id", "data_version"), audit_rows)
    w.write("audit_agencies", ("id", "audit_id", "agency_id", "submitted_at", "submitted_by_id"), link_rows)

    def responses():
        rid = ids["audit_responses"]
        for a in area_ids:
            for cycle, audit_id in enumerate(audits[a], start=1):
                stamp = w.ts(first_open + timedelta(days=182 * (cycle - 1) + 20))
                open_audit = cycle == sizes.audits
                for g, lead in zip(agencies[a], leads[a], strict=True):
                    level = rnd.randint(0, 2) + min(cycle, 3) // 2  # scores drift upwards over the cycles
                    for code in codes:
                        if open_audit and rnd.random() < 0.2:
                            continue  # the open audit is partly scored
                        score = min(scale_values[-1], max(scale_values[0], level + rnd.randint(-1, 1)))
                        yield (rid, audit_id, g, code, score, EVIDENCE[rid % len(EVIDENCE)], "", stamp, lead, 1)
                        rid += 1
        ids["audit_responses"] = rid

    w.write("audit_responses", ("id", "audit_id", "agency_id", "code", "score", "evidence",
                                "assurance", "updated_at", "updated_by_id", "version"), responses())
    w.write("audit_domain_responses", ("id", "audit_id", "agency_id", "domain", "comments", "date_completed",
                                       "updated_at", "updated_by_id", "version"),
            [(take("audit_domain_responses"), audit_id, g, d, "Discussed at the HSB sub-group.",
              w.day((first_open + timedelta(days=182 * (cycle - 1) + 25)).date()), w.ts(now), lead, 1)
             for a in area_ids for cycle, audit_id in enumerate(audits[a], start=1)
             for g, lead in zip(agencies[a], leads[a], strict=True) for d in domains])
    w.write("audit_agreed_scores", ("id", "audit_id", "code", "score", "justification", "moderated_at",
                                    "moderated_by_id", "version"),
            [(take("audit_agreed_scores"), audit_id, code, rnd.choice(scale_values[1:]),
              "Agreed at the moderation meeting on the evidence of the case audit.", w.ts(now), boards[a], 1)
             for a in area_ids for audit_id in audits[a] for code in rnd.sample(codes, 5)])
    w.write("audit_schedule", ("id", "area_id", "framework", "kind", "cycle", "due_on", "baseline_id", "audit_id"),
            [(take("audit_schedule"), a, FRAMEWORK, "reaudit", cycle, w.day((first_open + timedelta(
                days=60 + 182 * (cycle - 1))).date()), audits[a][0], audits[a][cycle - 1])
             for a in area_ids for cycle in (2, 3) if cycle <= sizes.audits])

    # actions: spread evenly over the areas, due from six months ago to a year ahead
    statuses = list(STATUS_WEIGHTS)
    weights = list(STATUS_WEIGHTS.values())
    action_rows, statement_rows, update_rows = [], [], []
    per_area, extra = divmod(sizes.actions, sizes.areas)
    for index, a in enumerate(area_ids):
        for _ in range(per_area + (1 if index < extra else 0)):
            action_id = take("actions")
            status = rnd.choices(statuses, weights)[0]
            due = today + timedelta(days=rnd.randint(-180, 365))
            done = status == "done"
            owner = rnd.choice([boards[a], *leads[a]])
            action_rows.append((
                action_id, a, rnd.choice(audits[a][:-1] or audits[a]), FRAMEWORK,
                f"Improve practice on statement {rnd.choice(codes)} ({action_id})",
                "Agree the approach at the HSB sub-group, then brief front-line managers.", owner,
                rnd.choice(agencies[a]), w.day(due), rnd.choice(("high", "medium", "low")), status,
                100 if done else rnd.choice((0, 10, 25, 50, 75)), "Signed off by the board." if done else "",
                w.day(due - timedelta(days=3)) if done else None, w.ts(now - timedelta(days=200)), boards[a],
                w.ts(now - timedelta(days=rnd.randint(0, 200))), 1))
            for code in rnd.sample(codes, rnd.randint(1, 2)):
                statement_rows.append((take("action_statements"), action_id, code))
            if action_id % 3 == 0:
                update_rows.append((take("action_updates"), action_id, "Briefing delivered to two of the teams.", 50,
                                    w.ts(now - timedelta(days=30)), owner))
    w.write("actions", ("id", "area_id", "audit_id", "framework", "title", "description", "owner_id", "agency_id",
                        "due_on", "priority", "status", "progress", "completion_evidence", "completed_on",
                        "created_at", "created_by_id", "updated_at", "version"), action_rows)
    w.write("action_statements", ("id", "action_id", "code"), statement_rows)
    w.write("action_updates", ("id", "action_id", "note", "progress", "created_at", "user_id"), update_rows)

    return BenchWorld(writer=w, sizes=sizes, rnd=rnd, today=today, now=now, first_open=first_open,
                      region_id=region_id, area_ids=area_ids, region_area_ids=area_ids[:sizes.region_areas],
                      agencies=agencies, boards=boards, leads=leads, audits=audits, framework=FRAMEWORK,
                      framework_version=framework.version, scale_values=tuple(scale_values),
                      password_hash=password_hash, _ids=ids)
