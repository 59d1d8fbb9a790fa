"""Immutable in-memory model of an audit framework.

Frameworks are loaded once and shared by every request, so everything here is
frozen: sequences are tuples and mappings are read-only ``MappingProxyType``
views, which stops one caller's edit leaking into everyone else's catalogue.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from types import MappingProxyType
from typing import Any

_EMPTY: Mapping[Any, Any] = MappingProxyType({})


def _empty() -> Mapping[Any, Any]:
    # dataclasses reject a mappingproxy as a plain default (it is unhashable).
    return _EMPTY


@dataclass(frozen=True)
class Scale:
    """The whole-number scoring scale, e.g. 0..4, with a label per point."""

    min: int
    max: int
    labels: Mapping[int, str]

    @property
    def values(self) -> range:
        return range(self.min, self.max + 1)


@dataclass(frozen=True)
class Statement:
    """One audit statement, or an unscored heading that groups child statements.

    ``order`` is the 0-based position in the whole framework (printed order),
    so it can be used directly as a sort key across domains.
    ``translations`` maps a language code to the translated text.
    """

    code: str
    text: str
    scored: bool
    parent: str | None
    domain_number: int
    order: int
    translations: Mapping[str, str] = field(default_factory=_empty)

    @property
    def is_heading(self) -> bool:
        return not self.scored

    def text_for(self, lang: str | None = None) -> str:
        """The text in ``lang`` if a translation exists, else English."""
        if lang:
            return self.translations.get(lang, self.text)
        return self.text


@dataclass(frozen=True)
class Domain:
    """One of the framework's domains with its statements in printed order.

    ``translations`` maps a language code to a mapping holding any of
    ``title`` / ``short_title``.
    """

    number: int
    title: str
    short_title: str
    statements: tuple[Statement, ...]
    translations: Mapping[str, Mapping[str, str]] = field(default_factory=_empty)

    @property
    def scored_statements(self) -> tuple[Statement, ...]:
        return tuple(s for s in self.statements if s.scored)

    def title_for(self, lang: str | None = None) -> str:
        return self._translated("title", lang) or self.title

    def short_title_for(self, lang: str | None = None) -> str:
        return self._translated("short_title", lang) or self.short_title

    def _translated(self, key: str, lang: str | None) -> str | None:
        if not lang:
            return None
        return self.translations.get(lang, _EMPTY).get(key)


@dataclass(frozen=True)
class Translation:
    """Everything one language supplies; every part is optional."""

    language: str
    title: str | None = None
    domains: Mapping[int, Mapping[str, str]] = field(default_factory=_empty)
    statements: Mapping[str, str] = field(default_factory=_empty)
    scale_labels: Mapping[int, str] = field(default_factory=_empty)
    field_labels: Mapping[str, str] = field(default_factory=_empty)


@dataclass(frozen=True)
class Framework:
    """A complete audit framework: metadata, scale, domains and statements."""

    slug: str
    title: str
    edition: str
    publisher: str
    version: str
    attribution: str
    scale: Scale
    domains: tuple[Domain, ...]
    # Labels for the per-statement inputs: {"evidence": ..., "assurance": ...}.
    response_fields: Mapping[str, str]
    # Labels for the per-domain inputs: {"comments": ..., "date_completed": ...}.
    domain_fields: Mapping[str, str]
    translations: Mapping[str, Translation] = field(default_factory=_empty)
    source_path: Path | None = None

    # --- lookups -----------------------------------------------------------

    # Computed once per framework (it is frozen): pages look statements up by code for every row.
    @cached_property
    def statements(self) -> tuple[Statement, ...]:
        """All statements, headings included, in printed order."""
        return tuple(s for d in self.domains for s in d.statements)

    @cached_property
    def scored_statements(self) -> tuple[Statement, ...]:
        return tuple(s for s in self.statements if s.scored)

    @cached_property
    def _statements_by_code(self) -> Mapping[str, Statement]:
        return {s.code: s for s in self.statements}

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(s.code for s in self.statements)

    @property
    def languages(self) -> tuple[str, ...]:
        """Language codes with a translation, sorted (English is implicit)."""
        return tuple(sorted(self.translations))

    def statement(self, code: str) -> Statement:
        found = self._statements_by_code.get(code)
        if found is not None:
            return found
        raise KeyError(f"framework {self.slug!r} has no statement {code!r}")

    def domain(self, number: int) -> Domain:
        for d in self.domains:
            if d.number == number:
                return d
        raise KeyError(f"framework {self.slug!r} has no domain {number!r}")

    def domain_of(self, code: str) -> Domain:
        return self.domain(self.statement(code).domain_number)

    def children(self, code: str) -> tuple[Statement, ...]:
        """Statements grouped under heading ``code`` (empty for a scored item)."""
        self.statement(code)  # raise KeyError for an unknown code
        return tuple(s for s in self.statements if s.parent == code)

    # --- language-aware text ----------------------------------------------

    def title_for(self, lang: str | None = None) -> str:
        t = self.translations.get(lang) if lang else None
        return (t.title if t and t.title else None) or self.title

    def statement_text(self, code: str, lang: str | None = None) -> str:
        return self.statement(code).text_for(lang)

    def domain_title(self, number: int, lang: str | None = None) -> str:
        return self.domain(number).title_for(lang)

    def domain_short_title(self, number: int, lang: str | None = None) -> str:
        return self.domain(number).short_title_for(lang)

    def field_label(self, key: str, lang: str | None = None, default: str = "") -> str:
        """The label of an audit input (``evidence``, ``comments``...) in ``lang`` where translated."""
        t = self.translations.get(lang) if lang else None
        if t and key in t.field_labels:
            return t.field_labels[key]
        return self.response_fields.get(key) or self.domain_fields.get(key) or default

    def has_statement_texts_in(self, lang: str | None) -> bool:
        """Whether statement texts are shown in ``lang`` (else they stay English, marked lang="en")."""
        t = self.translations.get(lang) if lang else None
        return bool(t and t.statements)

    def scale_label(self, value: int, lang: str | None = None) -> str:
        if value not in self.scale.labels:
            raise KeyError(f"framework {self.slug!r} has no scale value {value!r}")
        t = self.translations.get(lang) if lang else None
        if t and value in t.scale_labels:
            return t.scale_labels[value]
        return self.scale.labels[value]

    def to_dict(self, lang: str | None = None) -> dict[str, Any]:
        """Plain JSON-ready dict (the API shape); texts in ``lang`` where translated.

        Scale label keys are strings because JSON object keys must be.
        """
        return {
            "slug": self.slug,
            "title": self.title_for(lang),
            "edition": self.edition,
            "version": self.version,
            "publisher": self.publisher,
            "attribution": self.attribution,
            "scale": {
                "min": self.scale.min,
                "max": self.scale.max,
                "labels": {str(v): self.scale_label(v, lang) for v in self.scale.values},
            },
            "domains": [
                {
                    "number": d.number,
                    "title": d.title_for(lang),
                    "short_title": d.short_title_for(lang),
                    "statements": [
                        {"code": s.code, "text": s.text_for(lang), "scored": s.scored, "parent": s.parent}
                        for s in d.statements
                    ],
                }
                for d in self.domains
            ],
        }
