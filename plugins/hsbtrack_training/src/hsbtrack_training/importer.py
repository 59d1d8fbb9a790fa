"""Import of completions from CSV and XLSX files as training systems export them.

Fast and all-or-nothing: every lookup (agencies, courses, people, existing records) is loaded once,
rows are validated in Python in chunks (a progress callback reports after each), and the new
people and completions go in with bulk ``executemany`` inserts in ONE transaction. Any bad row
means nothing is saved and every bad row is reported with its reason.
"""

import csv
import difflib
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from sqlalchemy import insert, select

from hsbtrack.areas.models import Agency
from hsbtrack.audits.exports import XLSX_DATE, csv_date, csv_safe
from hsbtrack.extensions import db
from hsbtrack.history.services import record
from hsbtrack.timeutil import local_today, utcnow

from . import services
from .models import ATTENDED, COMPLETED, DID_NOT_ATTEND, TrainingCompletion, TrainingCourse, TrainingPerson

CHUNK = 2000
MAX_ERRORS_SHOWN = 1000

FIELDS = {
    "name": _l("Name"),
    "email": _l("Work email"),
    "agency": _l("Agency"),
    "discipline": _l("Discipline"),
    "course": _l("Course"),
    "status": _l("Status"),
    "date": _l("Date"),
}
REQUIRED = ("name", "agency", "discipline", "course", "status", "date")
GUESSES = {
    "name": ("name", "full name", "learner", "learner name", "delegate", "delegate name", "attendee", "person"),
    "email": ("email", "e-mail", "work email", "email address"),
    "agency": ("agency", "organisation", "organization", "employer"),
    "discipline": ("discipline", "role", "job role", "profession"),
    "course": ("course", "course title", "course name", "training", "module"),
    "status": ("status", "outcome", "result", "attendance", "completion status"),
    "date": ("date", "completed", "completion date", "date completed", "session date", "course date"),
}
STATUS_WORDS = {
    "completed": COMPLETED, "complete": COMPLETED, "passed": COMPLETED, "pass": COMPLETED,
    "attended": ATTENDED, "attended (not completed)": ATTENDED, "partial": ATTENDED, "incomplete": ATTENDED,
    "did not attend": DID_NOT_ATTEND, "did_not_attend": DID_NOT_ATTEND, "dna": DID_NOT_ATTEND,
    "no show": DID_NOT_ATTEND, "absent": DID_NOT_ATTEND,
}


class ImportFileError(ValueError):
    """The file cannot be read as a table."""

@dataclass
class Result:
    total: int = 0
    completions: list = field(default_factory=list)  # dicts ready for insert (person key instead of id for new)
    new_people: dict = field(default_factory=dict)  # key -> person dict
    errors: list = field(default_factory=list)  # (row number, reason)
    skipped: list = field(default_factory=list)  # (row number, reason): already recorded
    imported: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors


def problem_data(reason):
    """A row's problem as JSON for the import's state file: ``[msgid, params]``, so that the page shows it
    later in the language of whoever reads it (the import itself runs outside any request)."""
    if isinstance(reason, LazyString) and reason._args:
        return [reason._args[0], dict(reason._kwargs)]
    return str(reason)


def problem_text(data) -> str:
    """A problem kept by :func:`problem_data`, in the reader's language."""
    if isinstance(data, list | tuple) and len(data) == 2 and isinstance(data[1], dict):
        return gettext(data[0], **data[1])
    return str(data)


# -- reading files -------------------------------------------------------------------------------


def read_table(filename: str, data: bytes) -> tuple[list[str], list[list[str]]]:
    """Headers and rows (as strings; XLSX dates, real Excel dates, as ISO dates) of a CSV or XLSX file."""
    lower = filename.lower()
    if lower.endswith(".xlsx"):
        return _read_xlsx(data)
    if lower.endswith(".csv") or lower.endswith(".txt"):
        return _read_csv(data)
    raise ImportFileError(_l("The file must be a CSV or an XLSX file"))


# Signatures of files that are not text, whatever their name says.
_BINARY_STARTS = (b"PK\x03\x04", b"%PDF", b"\xd0\xcf\x11\xe0", b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"MZ", b"\x7fELF")


def _read_csv(data: bytes):
    if data.startswith(_BINARY_STARTS) or b"\x00" in data[:65536]:
        raise ImportFileError(_l("The file is not a CSV file (it holds binary data): save it as CSV or XLSX and "
                                 "upload it again"))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    rows = list(csv.reader(io.StringIO(text), dialect))
    return _split(rows)


def _read_xlsx(data: bytes):
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a damaged file
        raise ImportFileError(_l("The file could not be read as an XLSX workbook")) from error
    sheet = workbook.worksheets[0]
    rows = []
    for values in sheet.iter_rows(values_only=True):
        rows.append(["" if v is None else (v.date().isoformat() if isinstance(v, datetime) else
                                            v.isoformat() if isinstance(v, date) else str(v)) for v in values])
    workbook.close()
    return _split(rows)


def _split(rows):
    rows = [r for r in rows if any((c or "").strip() for c in r)]
    if not rows:
        raise ImportFileError(_l("The file is empty"))
    headers = [h.strip() for h in rows[0]]
    if len(rows) < 2:
        raise ImportFileError(_l("The file has a header row but no data"))
    return headers, rows[1:]


def guess_mapping(headers: list[str]) -> dict[str, int | None]:
    lowered = [h.strip().lower() for h in headers]
    mapping = {}
    for name, words in GUESSES.items():
        mapping[name] = next((i for i, h in enumerate(lowered) if h in words), None)
    return mapping


def mapping_errors(mapping: dict) -> dict:
    errors = {}
    for name in REQUIRED:
        if mapping.get(name) is None:
            errors[name] = _l("Choose the column that holds the %(field)s", field=str(FIELDS[name]).lower())
    used = [v for v in mapping.values() if v is not None]
    if len(used) != len(set(used)):
        errors["_"] = _l("Choose a different column for each field")
    return errors


# -- validating ----------------------------------------------------------------------------------


# UK dates first: 27/03/2026, 27/3/2026, 27-03-2026, 27.03.2026, 27 March 2026; ISO 2026-03-27; with a
# time after them as spreadsheets write them. Never month first (03/27/2026 is refused, not guessed).
_DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%d %B %Y", "%d %b %Y", "%Y/%m/%d", "%d/%m/%y")
_TIME_AFTER = re.compile(r"^(\S+)[ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?$")


def _parse_date(text: str) -> date | None:
    text = " ".join(text.split())
    if not text:
        return None
    timed = _TIME_AFTER.match(text)
    if timed:
        text = timed.group(1)
    for fmt in _DATE_FORMATS:
        try:
            parsed = datetime.strptime(text, fmt).date()
        except ValueError:
            continue
        if parsed.year >= 1900:  # (with %Y strptime reads "27/03/26" as the year 26: %y reads it next)
            return parsed
    return None


def _fold(text: str) -> str:
    """Text as near-miss matching compares it: lower case, no punctuation, single spaces."""
    return " ".join(re.sub(r"[^\w\s]", " ", text.lower()).split())


class NearMiss:
    """Suggests the closest known name for a value that is not one (difflib), once per distinct value."""

    def __init__(self, names):
        self.by_fold = {}
        for name in names:
            if name:
                self.by_fold.setdefault(_fold(name), name)
        self.memo = {}

    def __call__(self, text: str) -> str | None:
        if text not in self.memo:
            found = difflib.get_close_matches(_fold(text), list(self.by_fold), n=1, cutoff=0.6) if text.strip() else []
            self.memo[text] = self.by_fold[found[0]] if found else None
        return self.memo[text]


class Lookups:
    """Everything validation needs, loaded in a fixed number of queries."""

    def __init__(self, area):
        self.area = area
        # an agency is found by its name or its Welsh name (a file may come from a Welsh-language system)
        self.agencies = {}
        agency_names = []
        for i, name, name_cy in db.session.execute(
                select(Agency.id, Agency.name, Agency.name_cy).where(Agency.area_id == area.id)):
            if name_cy:
                self.agencies.setdefault(name_cy.strip().lower(), i)
            self.agencies[name.strip().lower()] = i
            agency_names += [name, name_cy]
        self.courses, titles = {}, []
        for i, t, months in db.session.execute(
                select(TrainingCourse.id, TrainingCourse.title, TrainingCourse.refresher_months)
                .where(TrainingCourse.area_id == area.id)):
            self.courses[t.strip().lower()] = (i, months)
            titles.append(t)
        self.by_email, self.by_name = {}, {}
        for pid, name, email, agency_id in db.session.execute(
                select(TrainingPerson.id, TrainingPerson.name, TrainingPerson.email, TrainingPerson.agency_id)
                .where(TrainingPerson.area_id == area.id)):
            if email:
                self.by_email[email.lower()] = pid
            self.by_name[name.strip().lower(), agency_id] = pid
        self.existing = {tuple(r) for r in db.session.execute(
            select(TrainingCompletion.person_id, TrainingCompletion.course_id, TrainingCompletion.completed_on)
            .where(TrainingCompletion.area_id == area.id))}
        # the area's disciplines, by key, English or Welsh name, and the singular of each
        self.disciplines, discipline_names = {}, []
        for entry in services.discipline_entries(area):
            key = entry["key"]
            for text in (key, key.replace("_", " "), entry["name"], entry["name_cy"]):
                if text:
                    self.disciplines.setdefault(text.strip().lower(), key)
            discipline_names += [entry["name"], entry["name_cy"]]
        synonyms = {"youth offending team workers": "yot_worker", "yot": "yot_worker",
                    "clinical practitioners": "clinical", "camhs": "camhs", "school nursing": "school_nurse",
                    "health visiting": "health_visitor"}
        for text, key in synonyms.items():
            if key in self.disciplines.values():
                self.disciplines.setdefault(text, key)
        for k in list(self.disciplines):
            if k.endswith("s"):
                self.disciplines.setdefault(k[:-1], self.disciplines[k])
        self.near_agency = NearMiss(agency_names)
        self.near_course = NearMiss(titles)
        self.near_discipline = NearMiss(discipline_names)


def validate(area, rows: list[list[str]], mapping: dict, progress: Callable[[int, int], None] | None = None,
             first_row_number: int = 2) -> Result:
    """Check every row (no queries per row). Row numbers are as in the file (header is row 1)."""
    look = Lookups(area)
    result = Result(total=len(rows))
    col = {name: mapping.get(name) for name in FIELDS}
    seen = {}  # (person key, course id, date) -> row number
    add_error = result.errors.append
    today = local_today()
    for start in range(0, len(rows), CHUNK):
        for offset, row in enumerate(rows[start:start + CHUNK]):
            number = first_row_number + start + offset

            def cell(name, row=row):
                index = col[name]
                return row[index].strip() if index is not None and index < len(row) and row[index] else ""

            name, email, agency_text = cell("name"), cell("email").lower(), cell("agency")
            problems = []
            if not name:
                problems.append(_l("name is empty"))
            elif len(name) > 200:
                problems.append(_l("name is longer than 200 characters"))
            if email and ("@" not in email or len(email) > 254):
                problems.append(_l("“%(value)s” is not an email address", value=email))
            agency_id = look.agencies.get(agency_text.lower())
            if agency_id is None:
                near = look.near_agency(agency_text)
                problems.append(_l("no agency called “%(value)s” — did you mean “%(suggestion)s”?", value=agency_text,
                                   suggestion=near) if near else
                                _l("agency “%(value)s” is not one of this area’s agencies", value=agency_text))
            discipline_text = cell("discipline")
            discipline = look.disciplines.get(discipline_text.lower())
            if discipline is None:
                near = look.near_discipline(discipline_text)
                problems.append(_l("no discipline called “%(value)s” — did you mean “%(suggestion)s”?",
                                   value=discipline_text, suggestion=near) if near else
                                _l("discipline “%(value)s” is not recognised", value=discipline_text))
            course_text = cell("course")
            course = look.courses.get(course_text.lower())
            if course is None:
                near = look.near_course(course_text)
                problems.append(_l("no course called “%(value)s” — did you mean “%(suggestion)s”?", value=course_text,
                                   suggestion=near) if near else
                                _l("course “%(value)s” is not one of this area’s courses", value=course_text))
            status_text = cell("status")
            status = STATUS_WORDS.get(status_text.lower())
            if status is None:
                problems.append(_l("status “%(value)s” is not completed, attended or did not attend",
                                   value=status_text))
            date_text = cell("date")
            when = _parse_date(date_text)
            if when is None:
                problems.append(_l("date “%(value)s” is not a date like 27/03/2026", value=date_text))
            elif when > today:
                problems.append(_l("date %(value)s is in the future", value=csv_date(when)))
            if problems:
                add_error((number, problems))
                continue
            person_id = look.by_email.get(email) if email else None
            if person_id is None:
                person_id = look.by_name.get((name.lower(), agency_id))
            if person_id is not None:
                key = person_id
            else:
                key = ("new", email or (name.lower(), agency_id))
                if key not in result.new_people:
                    result.new_people[key] = {"area_id": area.id, "agency_id": agency_id, "name": name,
                                              "email": email or None, "discipline": discipline}
            course_id, months = course
            dup = (key, course_id, when)
            if dup in seen:
                add_error((number, [_l("duplicate of row %(row)d (same person, course and date)", row=seen[dup])]))
                continue
            seen[dup] = number
            if person_id is not None and (person_id, course_id, when) in look.existing:
                result.skipped.append((number, _l("already recorded")))
                continue
            result.completions.append({"area_id": area.id, "person": key, "course_id": course_id, "status": status,
                                       "completed_on": when,
                                       "expires_on": services.expiry_for(when, months, status)})
        if progress:
            progress(min(start + CHUNK, len(rows)), len(rows))
    return result


def apply(area, result: Result, user=None, progress: Callable[[int, int], None] | None = None) -> int:
    """Insert a validated result in one transaction (bulk inserts). Returns rows imported."""
    if not result.ok:
        raise ValueError("refusing to import a result with errors")
    try:
        ids = {}
        if result.new_people:
            keys = list(result.new_people)
            rows = [result.new_people[k] for k in keys]

            now = utcnow()
            for r in rows:
                r["created_at"] = now
            returned = db.session.execute(
                insert(TrainingPerson).returning(TrainingPerson.id, sort_by_parameter_order=True), rows).scalars().all()
            ids = dict(zip(keys, returned, strict=True))
        completions = result.completions
        for start in range(0, len(completions), CHUNK * 5):
            batch = completions[start:start + CHUNK * 5]
            rows = []
            for c in batch:
                person = c["person"]
                rows.append({"area_id": c["area_id"], "person_id": ids[person] if isinstance(person, tuple) else person,
                             "course_id": c["course_id"], "status": c["status"], "completed_on": c["completed_on"],
                             "expires_on": c["expires_on"], "session_id": None})
            if rows:
                db.session.execute(insert(TrainingCompletion), rows)
            if progress:
                progress(min(start + len(batch), len(completions)), len(completions))
        record(area_id=area.id, entity="training_import", entity_id=area.id, user=user, changes={
            "completions": (None, len(completions)), "people": (None, len(result.new_people))})
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    result.imported = len(completions)
    return result.imported


def import_rows(area, rows, mapping, user=None, progress=None) -> Result:
    """Validate then, if every row is good, insert. ``progress(stage, done, total)``."""
    result = validate(area, rows, mapping, (lambda d, t: progress("validate", d, t)) if progress else None)
    if result.ok:
        apply(area, result, user, (lambda d, t: progress("insert", d, t)) if progress else None)
    return result


# -- export --------------------------------------------------------------------------------------

EXPORT_HEADERS = ("Name", "Work email", "Agency", "Discipline", "Course", "Tier", "Status", "Date", "Expires")
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _export_records(area):
    """``(name, email, agency, discipline label, course, tier, status, date, expiry)`` oldest first, one query."""
    query = (select(TrainingPerson.name, TrainingPerson.email, Agency.name, TrainingPerson.discipline,
                    TrainingCourse.title, TrainingCourse.tier, TrainingCompletion.status,
                    TrainingCompletion.completed_on, TrainingCompletion.expires_on)
             .select_from(TrainingCompletion)
             .join(TrainingPerson, TrainingPerson.id == TrainingCompletion.person_id)
             .join(Agency, Agency.id == TrainingPerson.agency_id)
             .join(TrainingCourse, TrainingCourse.id == TrainingCompletion.course_id)
             .where(TrainingCompletion.area_id == area.id)
             .order_by(TrainingCompletion.completed_on, TrainingPerson.name))
    labels = {COMPLETED: "completed", ATTENDED: "attended", DID_NOT_ATTEND: "did not attend"}
    disciplines = services.disciplines(area)
    for name, email, agency, discipline, title, tier, status, on, expires in db.session.execute(query):
        yield (name, email or "", agency, str(disciplines.get(discipline, discipline)), title, tier, labels[status],
               on, expires)


def export_rows(area):
    """Rows for the CSV export (names included: only training leads and admins may export); UK dates."""
    for name, email, agency, discipline, title, tier, status, on, expires in _export_records(area):
        yield [csv_safe(name), csv_safe(email), csv_safe(agency), csv_safe(discipline), csv_safe(title), tier, status,
               csv_date(on), csv_date(expires)]


def export_csv(area) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(EXPORT_HEADERS)
    writer.writerows(export_rows(area))
    return out.getvalue()


def export_xlsx(area) -> bytes:
    """The same records as a workbook: dates are real Excel dates shown dd/mm/yyyy; typed text is never
    a formula (a leading = + - @ is stored as text with Excel's quote prefix)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Training"
    sheet.append(list(EXPORT_HEADERS))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row_number, record_row in enumerate(_export_records(area), start=2):
        for column, value in enumerate(record_row, start=1):
            cell = sheet.cell(row=row_number, column=column, value=value)
            if isinstance(value, date):
                cell.number_format = XLSX_DATE
            elif isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
                cell.data_type = "s"
                cell.quotePrefix = True
    for letter, width in zip("ABCDEFGHI", (28, 30, 24, 28, 36, 6, 16, 12, 12), strict=True):
        sheet.column_dimensions[letter].width = width
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
