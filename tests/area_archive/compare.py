"""Comparing an area in two installs, record by record, without the archive's code: every table that hangs off
the area (through its foreign keys, found from the metadata, so a new table is compared too), each row with its
own id left out and every foreign key replaced by the natural key of the row it points at (a person's email, the
region's name, an audit's own values...), so that two installs with different ids compare equal exactly when
they hold the same records. Documents are compared byte for byte (the SHA-256 of the bytes in each storage).

The archive's documented rules (docs/area-archive.md) are applied to the source's side only where they change a
value: a shared return's answer is the agency's own (``source`` "agency", no ``shared_return_id``); a history
entry about a record the archive does not hold points at 0."""

import hashlib
from collections import defaultdict

from sqlalchemy import inspect

from hsbtrack.extensions import db
from hsbtrack.storage import storage

# Tables of the install, not of any one area (or never in an archive, each with the reason).
NOT_AREA_RECORDS = {
    "jobs": "files made for one person, kept a few days",
    "download_log": "the install's own log of what left it",
    "notifications": "messages to people, sent or waiting",
    "audit_workbook_uploads": "a preview kept for an hour",
    "organisations": "install-wide", "organisation_areas": "install-wide", "organisation_members": "install-wide",
    "shared_returns": "install-wide", "shared_return_audits": "install-wide", "shared_responses": "install-wide",
    "shared_exceptions": "install-wide (an exception arrives as the agency's own answer)",
    "plugin_states": "compared as the area's effective plugin states (a region's choice becomes the area's own)",
    "regional_rounds": "the region's", "regional_actions": "the region's", "regional_commissioning": "the region's",
    "regional_round_audits": "links to the region's rounds: made again only where the region exists",
    "regional_assignments": "links to the region's actions: made again only where the region exists",
    "users": "compared as the people of the area", "regions": "install-wide",
    "privacy_retention_items": "found again by the retention scan",
}
NATURAL = {"users": "email", "regions": "name"}
ENTITY_TABLES = {
    "response": "audit_responses", "agreed_score": "audit_agreed_scores", "action": "actions", "audit": "audits",
    "finding": "audits", "audit_agency": "audit_agencies", "area": "areas", "document": "documents",
    "domain_response": "audit_domain_responses", "yearly_report": "yearly_reports",
    "training_course": "training_courses", "training_person": "training_people", "training_impact": "training_people",
    "training_headcount": "agencies", "training_settings": "areas", "training_import": "areas",
    "training_session": "training_sessions", "training_impact_item": "training_impact_items",
    "training_supervision": "training_supervision", "schools_school": "schools_schools", "schools_lead": "schools_leads",
    "schools_local_item": "schools_local_items", "schools_round": "schools_rounds", "schools_rating": "schools_ratings",
    "scotland_case": "scotland_cases", "scotland_meeting": "scotland_meetings",
}
HISTORY_VALUE_TABLES = {"agency_id": "agencies", "owner_id": "users", "audit_id": "audits", "action_id": "actions",
                        "document_id": "documents", "user_id": "users"}
THE_AREA = ("the area",)


class Snapshot:
    """The rows of one install (read in its app context) and the natural key of any of them."""

    def __init__(self, area_id):
        self.area_id = area_id
        present = set(inspect(db.engine).get_table_names())
        self.tables = {t.name: t for t in db.metadata.sorted_tables if t.name in present}
        self.rows = {}
        with db.engine.connect() as conn:
            for name, table in self.tables.items():
                self.rows[name] = {row._mapping["id"] if "id" in row._mapping else i: dict(row._mapping)
                                   for i, row in enumerate(conn.execute(table.select()))}
        self.fks = {name: {fk.parent.name: fk.column.table.name for fk in table.foreign_keys}
                    for name, table in self.tables.items()}
        self._keys = {}

    def key(self, table, row_id):
        if row_id is None:
            return None
        if table == "areas" and row_id == self.area_id:
            return THE_AREA
        if table in NATURAL:
            return (table, self.rows[table][row_id][NATURAL[table]])
        memo = (table, row_id)
        if memo not in self._keys:
            self._keys[memo] = None  # (a cycle would show as None rather than recursing forever)
            self._keys[memo] = (table, self.normalised(table, self.rows[table][row_id]))
        return self._keys[memo]

    def normalised(self, table, row):
        out = {}
        for column, value in row.items():
            if column == "id":
                continue
            target = self.fks[table].get(column)
            if target is not None:
                value = self.key(target, value)
            out[column] = value
        if table == "audit_responses":
            out["source"], out["shared_return_id"] = "agency", None
        if table == "document_versions":
            with storage().open(row["storage_key"]) as stream:
                out["storage_key"] = hashlib.sha256(stream.read()).hexdigest()  # the bytes themselves
        if table == "history_entries":  # (pointing at the area's own records only: the others stay behind)
            owned = self.owned_ids()
            entity_table = ENTITY_TABLES.get(row["entity"])
            out["entity_id"] = (self.key(entity_table, row["entity_id"]) if entity_table and row["entity_id"] in
                                owned.get(entity_table, ()) else "not in the archive")
            out["audit_id"] = self.key("audits", row["audit_id"]) if row["audit_id"] in owned["audits"] else None
            for side in ("old_value", "new_value"):
                value_table = HISTORY_VALUE_TABLES.get(row["field"])
                value = row[side]
                if value_table and isinstance(value, int) and not isinstance(value, bool) \
                        and value in self.rows.get(value_table, {}):
                    out[side] = self.key(value_table, value)
        if table == "training_reminders" and row["key"].startswith("training-person:"):
            _prefix, completion, stage = row["key"].split(":")
            out["key"] = ("training-person", self.key("training_completions", int(completion)), stage)
        return tuple(sorted(out.items()))

    def owned(self) -> dict[str, list]:
        """Every row hanging off the area (its own tables' rows, then theirs...), by table, normalised."""
        return {name: sorted((self.normalised(name, self.rows[name][i]) for i in ids), key=repr)
                for name, ids in self.owned_ids().items() if ids}

    def people(self) -> list:
        """The area's people: everyone its owned rows name, and its members."""
        ids = set()
        owned = self.owned_ids()
        for name, row_ids in owned.items():
            for column, target in self.fks[name].items():
                if target == "users":
                    ids |= {self.rows[name][i][column] for i in row_ids} - {None}
        return sorted((u["email"], u["name"], u["locale"]) for i, u in self.rows["users"].items() if i in ids)

    def owned_ids(self):
        if getattr(self, "_owned", None) is not None:
            return self._owned
        owned = self._owned = defaultdict(set)
        owned["areas"].add(self.area_id)
        changed = True
        while changed:
            changed = False
            for name in self.tables:
                if name in NOT_AREA_RECORDS or name == "areas":
                    continue
                links = {c: t for c, t in self.fks[name].items() if t not in ("users", "regions")}
                for row_id, row in self.rows[name].items():
                    if row_id not in owned[name] and any(row[c] is not None and row[c] in owned[t]
                                                         for c, t in links.items()):
                        owned[name].add(row_id)
                        changed = True
        return owned


def without_import_entry(snapshot_rows: dict) -> dict:
    """The target's rows less the history entry that records the import itself."""
    out = dict(snapshot_rows)
    out["history_entries"] = [row for row in out.get("history_entries", [])
                              if (dict(row).get("entity"), dict(row).get("field")) != ("area", "imported")]
    return out
