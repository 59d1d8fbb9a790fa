"""Validate a framework document (already decoded to dicts/lists) into a Framework.

Validation is strict – unknown keys are errors too – because these files are
edited by hand and a silently ignored typo (``scord: false``) would change
what gets scored in an audit.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

from .errors import FrameworkError
from .model import Domain, Framework, Scale, Statement, Translation

TOP_REQUIRED = (
    "slug",
    "title",
    "edition",
    "publisher",
    "version",
    "attribution",
    "scale",
    "response_fields",
    "domain_fields",
    "domains",
)
TOP_OPTIONAL = ("translations",)
# The audit pages have fixed inputs; the file only supplies their labels.
RESPONSE_FIELD_KEYS = ("evidence", "assurance")
DOMAIN_FIELD_KEYS = ("comments", "date_completed")

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
# "1.6" or "1.6a": domain number, item number, optional sub-item letter.
CODE_RE = re.compile(r"^(?P<domain>[0-9]+)\.[0-9]+[a-z]?$")
LANG_RE = re.compile(r"^[a-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*$")
INT_KEY_RE = re.compile(r"^-?[0-9]+$")
IDENT_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def parse_framework(data: Any, source: str = "<string>", *, source_path: Path | None = None) -> Framework:
    """Validate decoded framework data and build a :class:`Framework`.

    ``source`` is only used to prefix error messages (normally the file path).
    Raises :class:`FrameworkError` naming the exact place of the first problem.
    """
    return _Parser(source).framework(data, source_path)


def _key(loc: str, key: Any) -> str:
    """Path of ``key`` inside the mapping at ``loc``: ``a.b`` or ``a['1.1']``."""
    part = f".{key}" if isinstance(key, str) and IDENT_RE.match(key) else f"[{key!r}]"
    if not loc:
        return part.lstrip(".")
    return loc + part


def _type_name(value: Any) -> str:
    return "null" if value is None else type(value).__name__


class _Parser:
    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, loc: str, problem: str) -> FrameworkError:
        return FrameworkError(self.source, loc, problem)

    # --- generic checks ----------------------------------------------------

    def mapping(
        self,
        value: Any,
        loc: str,
        required: tuple[str, ...] = (),
        optional: tuple[str, ...] = (),
        what: str = "a mapping",
    ) -> Mapping[Any, Any]:
        if not isinstance(value, Mapping):
            raise self.fail(loc, f"must be {what}, got {_type_name(value)}")
        for key in required:
            if key not in value:
                raise self.fail(loc, f"{key!r} is missing")
        if required or optional:
            allowed = set(required) | set(optional)
            unknown = [k for k in value if k not in allowed]
            if unknown:
                raise self.fail(loc, f"unknown key {unknown[0]!r} (allowed: {', '.join(sorted(allowed))})")
        return value

    def text(self, value: Any, loc: str) -> str:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            raise self.fail(loc, f"must be a string, got {_type_name(value)} {value!r} (quote it)")
        if not isinstance(value, str):
            raise self.fail(loc, f"must be a string, got {_type_name(value)}")
        # Strip so YAML block-scalar chomping ('>' vs '>-') cannot add a newline.
        value = value.strip()
        if not value:
            raise self.fail(loc, "must not be empty")
        return value

    def integer(self, value: Any, loc: str) -> int:
        # bool is a subclass of int; 'true' is never a sensible number here.
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(loc, f"must be an integer, got {_type_name(value)}")
        return value

    def int_key(self, key: Any, loc: str) -> int:
        """Integer mapping key; JSON can only spell these as strings ("0")."""
        if isinstance(key, int) and not isinstance(key, bool):
            return key
        if isinstance(key, str) and INT_KEY_RE.match(key.strip()):
            return int(key)
        raise self.fail(loc, f"key {key!r} must be an integer")

    def field_labels(self, value: Any, loc: str, keys: tuple[str, ...]) -> Mapping[str, str]:
        m = self.mapping(value, loc, required=keys)
        return MappingProxyType({k: self.text(m[k], _key(loc, k)) for k in keys})

    # --- framework ---------------------------------------------------------

    def framework(self, data: Any, source_path: Path | None) -> Framework:
        top = self.mapping(data, "", TOP_REQUIRED, TOP_OPTIONAL, what="a mapping at the top level")
        slug = self.text(top["slug"], "slug")
        if not SLUG_RE.match(slug):
            raise self.fail("slug", f"{slug!r} must be lower-case letters/digits separated by '-'")
        scale = self.scale(top["scale"], "scale")
        domains = self.domains(top["domains"], "domains")
        translations = self.translations(top.get("translations"), "translations", domains, scale)
        domains = _apply_translations(domains, translations)
        return Framework(
            slug=slug,
            title=self.text(top["title"], "title"),
            edition=self.text(top["edition"], "edition"),
            publisher=self.text(top["publisher"], "publisher"),
            version=self.text(top["version"], "version"),
            attribution=self.text(top["attribution"], "attribution"),
            scale=scale,
            domains=domains,
            response_fields=self.field_labels(top["response_fields"], "response_fields", RESPONSE_FIELD_KEYS),
            domain_fields=self.field_labels(top["domain_fields"], "domain_fields", DOMAIN_FIELD_KEYS),
            translations=MappingProxyType(translations),
            source_path=source_path,
        )

    def scale(self, value: Any, loc: str) -> Scale:
        m = self.mapping(value, loc, required=("min", "max", "labels"))
        lo = self.integer(m["min"], _key(loc, "min"))
        hi = self.integer(m["max"], _key(loc, "max"))
        if hi <= lo:
            raise self.fail(_key(loc, "max"), f"must be greater than min ({lo}), got {hi}")
        labels_loc = _key(loc, "labels")
        labels = self.score_labels(m["labels"], labels_loc, range(lo, hi + 1))
        missing = [v for v in range(lo, hi + 1) if v not in labels]
        if missing:
            # The UI shows a label for every score, so a gap is a broken file.
            raise self.fail(labels_loc, f"no label for score {missing[0]} (need every score {lo}..{hi})")
        return Scale(min=lo, max=hi, labels=MappingProxyType(dict(sorted(labels.items()))))

    def score_labels(self, value: Any, loc: str, allowed: range) -> dict[int, str]:
        m = self.mapping(value, loc)
        labels: dict[int, str] = {}
        for raw_key, label in m.items():
            key_loc = _key(loc, raw_key)
            score = self.int_key(raw_key, key_loc)
            if score not in allowed:
                raise self.fail(
                    key_loc, f"score {score} is outside the scale {allowed.start}..{allowed.stop - 1}"
                )
            if score in labels:
                raise self.fail(key_loc, f"score {score} is labelled twice")
            labels[score] = self.text(label, key_loc)
        return labels

    # --- domains and statements -------------------------------------------

    def domains(self, value: Any, loc: str) -> tuple[Domain, ...]:
        if not isinstance(value, list) or not value:
            raise self.fail(loc, f"must be a non-empty list, got {_type_name(value)}")
        seen_numbers: dict[int, str] = {}
        # code -> (location, domain number, position in the framework)
        seen_codes: dict[str, tuple[str, int, int]] = {}
        raw: list[tuple[int, str, str, list[dict[str, Any]]]] = []
        order = 0
        for i, item in enumerate(value):
            d_loc = f"{loc}[{i}]"
            d = self.mapping(item, d_loc, required=("number", "title", "short_title", "statements"))
            number = self.integer(d["number"], f"{d_loc}.number")
            if number < 1:
                raise self.fail(f"{d_loc}.number", f"must be 1 or more, got {number}")
            if number in seen_numbers:
                raise self.fail(
                    f"{d_loc}.number", f"duplicate domain number {number} (also {seen_numbers[number]})"
                )
            seen_numbers[number] = d_loc
            title = self.text(d["title"], f"{d_loc}.title")
            short_title = self.text(d["short_title"], f"{d_loc}.short_title")
            s_loc = f"{d_loc}.statements"
            if not isinstance(d["statements"], list) or not d["statements"]:
                raise self.fail(s_loc, f"must be a non-empty list, got {_type_name(d['statements'])}")
            statements = []
            for j, s in enumerate(d["statements"]):
                parsed = self.statement(s, f"{s_loc}[{j}]", number)
                code = parsed["code"]
                if code in seen_codes:
                    raise self.fail(
                        f"{s_loc}[{j}].code", f"duplicate code {code!r} (first used at {seen_codes[code][0]})"
                    )
                seen_codes[code] = (f"{s_loc}[{j}]", number, order)
                parsed["order"] = order
                order += 1
                statements.append(parsed)
            raw.append((number, title, short_title, statements))
        self.check_hierarchy(raw, seen_codes)
        return tuple(
            Domain(
                number=number,
                title=title,
                short_title=short_title,
                statements=tuple(Statement(domain_number=number, **s) for s in statements),
            )
            for number, title, short_title, statements in raw
        )

    def statement(self, value: Any, loc: str, domain_number: int) -> dict[str, Any]:
        s = self.mapping(value, loc, required=("code", "text"), optional=("scored", "parent"))
        code = self.text(s["code"], f"{loc}.code")
        m = CODE_RE.match(code)
        if not m:
            raise self.fail(f"{loc}.code", f"{code!r} is not a statement code like '1.2' or '1.6a'")
        if int(m["domain"]) != domain_number:
            raise self.fail(f"{loc}.code", f"{code!r} does not belong to domain {domain_number}")
        scored = s.get("scored", True)
        if not isinstance(scored, bool):
            raise self.fail(f"{loc}.scored", f"must be true or false, got {_type_name(scored)}")
        parent = s.get("parent")
        if parent is not None:
            parent = self.text(parent, f"{loc}.parent")
        return {"code": code, "text": self.text(s["text"], f"{loc}.text"), "scored": scored, "parent": parent}

    def check_hierarchy(
        self,
        raw: list[tuple[int, str, str, list[dict[str, Any]]]],
        codes: dict[str, tuple[str, int, int]],
    ) -> None:
        """One level of headings: an unscored heading groups scored children."""
        by_code = {s["code"]: s for _, _, _, statements in raw for s in statements}
        children: dict[str, list[str]] = {}
        for s in by_code.values():
            if s["parent"]:
                children.setdefault(s["parent"], []).append(s["code"])
        for code, s in by_code.items():
            loc, number, order = codes[code]
            if s["scored"] and code in children:
                raise self.fail(
                    loc,
                    f"scored statement {code!r} cannot have children ({', '.join(children[code])}); "
                    "make it a heading with 'scored: false'",
                )
            parent = s["parent"]
            if parent is None:
                if not s["scored"] and code not in children:
                    raise self.fail(loc, f"heading {code!r} (scored: false) has no child statements")
                continue
            p_loc = f"{loc}.parent"
            if parent == code:
                raise self.fail(p_loc, f"{code!r} cannot be its own parent")
            if parent not in by_code:
                raise self.fail(p_loc, f"parent {parent!r} does not exist")
            _, parent_domain, parent_order = codes[parent]
            if parent_domain != number:
                raise self.fail(p_loc, f"parent {parent!r} is in domain {parent_domain}, not domain {number}")
            if parent_order > order:
                raise self.fail(p_loc, f"parent {parent!r} must come before its children")
            if not s["scored"]:
                raise self.fail(loc, f"heading {code!r} cannot have a parent (headings do not nest)")

    # --- translations ------------------------------------------------------

    def translations(
        self, value: Any, loc: str, domains: tuple[Domain, ...], scale: Scale
    ) -> dict[str, Translation]:
        if value is None:
            return {}
        m = self.mapping(value, loc, what="a mapping of language code to translation")
        codes = {s.code for d in domains for s in d.statements}
        numbers = {d.number for d in domains}
        result: dict[str, Translation] = {}
        for lang, body in m.items():
            t_loc = _key(loc, lang)
            if not isinstance(lang, str) or not LANG_RE.match(lang):
                raise self.fail(t_loc, f"{lang!r} is not a language code like 'cy' or 'pt-BR'")
            t = self.mapping(body, t_loc, optional=("title", "domains", "statements", "scale_labels", "field_labels"))
            title = self.text(t["title"], _key(t_loc, "title")) if "title" in t else None
            result[lang] = Translation(
                language=lang,
                title=title,
                domains=self.domain_translations(t.get("domains"), _key(t_loc, "domains"), numbers),
                statements=self.statement_translations(t.get("statements"), _key(t_loc, "statements"), codes),
                scale_labels=MappingProxyType(
                    self.score_labels(t.get("scale_labels", {}), _key(t_loc, "scale_labels"), scale.values)
                ),
                field_labels=self.field_label_translations(t.get("field_labels"), _key(t_loc, "field_labels")),
            )
        return result

    def domain_translations(self, value: Any, loc: str, numbers: set[int]) -> Mapping[int, Mapping[str, str]]:
        result: dict[int, Mapping[str, str]] = {}
        for raw_key, body in self.mapping({} if value is None else value, loc).items():
            d_loc = _key(loc, raw_key)
            number = self.int_key(raw_key, d_loc)
            if number not in numbers:
                raise self.fail(d_loc, f"unknown domain {number}")
            if number in result:
                raise self.fail(d_loc, f"domain {number} is translated twice")
            b = self.mapping(body, d_loc, optional=("title", "short_title"))
            result[number] = MappingProxyType({k: self.text(v, _key(d_loc, k)) for k, v in b.items()})
        return MappingProxyType(result)

    def field_label_translations(self, value: Any, loc: str) -> Mapping[str, str]:
        """Labels of the audit's inputs (``evidence``, ``assurance``, ``comments``, ``date_completed``)."""
        known = RESPONSE_FIELD_KEYS + DOMAIN_FIELD_KEYS
        m = self.mapping({} if value is None else value, loc, optional=known)
        return MappingProxyType({k: self.text(v, _key(loc, k)) for k, v in m.items()})

    def statement_translations(self, value: Any, loc: str, codes: set[str]) -> Mapping[str, str]:
        result: dict[str, str] = {}
        for code, text in self.mapping({} if value is None else value, loc).items():
            s_loc = _key(loc, code)
            if not isinstance(code, str):
                # Unquoted YAML keys like 1.1 arrive as floats; 1.10 would even become 1.1.
                raise self.fail(s_loc, f"statement code {code!r} must be a quoted string")
            if code not in codes:
                raise self.fail(s_loc, f"unknown statement code {code!r}")
            result[code] = self.text(text, s_loc)
        return MappingProxyType(result)


def _apply_translations(
    domains: tuple[Domain, ...], translations: dict[str, Translation]
) -> tuple[Domain, ...]:
    """Copy each language's texts onto the Domain/Statement objects they belong to."""
    if not translations:
        return domains

    def statement(s: Statement) -> Statement:
        texts = {lang: t.statements[s.code] for lang, t in translations.items() if s.code in t.statements}
        return replace(s, translations=MappingProxyType(texts))

    return tuple(
        Domain(
            number=d.number,
            title=d.title,
            short_title=d.short_title,
            statements=tuple(statement(s) for s in d.statements),
            translations=MappingProxyType(
                {lang: t.domains[d.number] for lang, t in translations.items() if d.number in t.domains}
            ),
        )
        for d in domains
    )
