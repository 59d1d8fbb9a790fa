"""Translation catalogues of the core and of each first-party plugin: extract, update, compile, check.

Each package keeps its own catalogue next to its code, so a plugin installed on its own brings its
own translations (the app adds every plugin's ``translations/`` folder to Flask-Babel's search path):

    hsbtrack/translations/<lang>/LC_MESSAGES/messages.po          core (hsbtrack/ and templates/)
    plugins/<package>/src/<package>/translations/<lang>/LC_MESSAGES/messages.po  each plugin

Only ``.po`` files are committed; ``.mo`` files are compiled at install (``make install`` runs
``python -m hsbtrack.i18n_catalogues compile``; the core's wheel build compiles its own; a plugin
installed from its wheel is compiled into the instance folder when the app starts).

    python -m hsbtrack.i18n_catalogues extract   # refresh messages.po from the sources (keeps translations)
    python -m hsbtrack.i18n_catalogues compile   # .po -> .mo
    python -m hsbtrack.i18n_catalogues check     # exit 1 and list every untranslated string
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
PLACEHOLDER = re.compile(r"%\(\w+\)[-+ #0]*\d*(?:\.\d+)?[sdifr]")
LANGUAGES = ("cy",)
DOMAIN = "messages"
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None, "lazy_ngettext": (1, 2)}


@dataclass(frozen=True)
class CatalogueSource:
    """One package whose interface text is extracted into one catalogue."""

    name: str
    root: Path  # extraction paths are relative to this folder
    method_map: tuple[tuple[str, str], ...]

    @property
    def translations_dir(self) -> Path:
        return (ROOT / "hsbtrack" if self.name == "core" else self.root) / "translations"

    def po_path(self, language: str) -> Path:
        return self.translations_dir / language / "LC_MESSAGES" / f"{DOMAIN}.po"


_IGNORE_TESTS = (("**/tests/**", "ignore"), ("tests/**", "ignore"))


def sources() -> list[CatalogueSource]:
    found = [
        CatalogueSource(
            "core", ROOT,
            _IGNORE_TESTS + (("hsbtrack/**.py", "python"), ("templates/**.html", "jinja2")),
        )
    ]
    for package in sorted((ROOT / "plugins").glob("hsbtrack_*/src/hsbtrack_*")):
        if (package / "__init__.py").exists():
            found.append(CatalogueSource(
                package.name, package,
                _IGNORE_TESTS + (("**.py", "python"), ("templates/**.html", "jinja2")),
            ))
    return found


def extract(source: CatalogueSource) -> Catalog:
    """The catalogue template (every msgid in the package's code and templates)."""
    catalog = Catalog(project="hsbtrack", domain=DOMAIN, charset="utf-8")
    method_map = list(source.method_map)
    for filename, lineno, message, comments, context in extract_from_dir(
        str(source.root), method_map, {}, keywords=KEYWORDS, comment_tags=("NOTE:",),
        strip_comment_tags=True,
    ):
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return catalog


def load(source: CatalogueSource, language: str) -> Catalog | None:
    path = source.po_path(language)
    if not path.exists():
        return None
    with path.open("rb") as fh:
        return read_po(fh, locale=language)


def update(source: CatalogueSource, language: str) -> Catalog:
    """Bring the language's catalogue in line with the code, keeping every existing translation."""
    template = extract(source)
    catalog = load(source, language) or Catalog(locale=language, domain=DOMAIN, project="hsbtrack")
    catalog.update(template, no_fuzzy_matching=True)
    catalog.obsolete.clear()
    return catalog


def save(source: CatalogueSource, language: str, catalog: Catalog) -> Path:
    path = source.po_path(language)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as fh:
        write_po(fh, catalog, width=100, omit_header=False, sort_output=False, include_lineno=False)
    return path


def compile_all() -> list[Path]:
    written = []
    for source in sources():
        for language in LANGUAGES:
            catalog = load(source, language)
            if catalog is None:
                continue
            mo = source.po_path(language).with_suffix(".mo")
            with mo.open("wb") as fh:
                write_mo(fh, catalog, use_fuzzy=False)
            written.append(mo)
    return written


def readable_translation_dir(folder: Path, cache: Path) -> Path:
    """``folder``, or a compiled copy under ``cache`` when one of its ``.po`` files has no ``.mo``.

    A plugin installed from its own wheel carries only its ``.po`` sources (its build has no compile
    step, so that any plugin can be packaged by plain setuptools); the app compiles them once, at start,
    into the instance folder. A source checkout compiled by ``make translations`` is read in place.
    """
    sources_ = sorted(folder.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))
    if all(po.with_suffix(".mo").is_file() for po in sources_):
        return folder
    target = cache / folder.parent.name
    for po in sources_:
        mo = target / po.relative_to(folder).with_suffix(".mo")
        if mo.is_file() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        mo.parent.mkdir(parents=True, exist_ok=True)
        with po.open("rb") as fh:
            catalog = read_po(fh)
        partial = mo.with_suffix(".mo.partial")  # (another worker starting at once reads a whole file or none)
        with partial.open("wb") as fh:
            write_mo(fh, catalog, use_fuzzy=False)
        partial.replace(mo)
    return target


def untranslated(source: CatalogueSource, language: str) -> list[str]:
    """Every problem that leaves interface text of the package untranslated, or wrongly translated."""
    catalog = load(source, language)
    template = extract(source)
    if catalog is None:
        return [f"{source.name}: no {language} catalogue at {source.po_path(language)}"]
    problems = []
    for message in template:
        if not message.id:
            continue
        key = message.id if isinstance(message.id, str) else message.id[0]
        translated = catalog.get(message.id, context=message.context)
        where = ", ".join(f"{f}:{n}" for f, n in message.locations[:2])
        if translated is None:
            problems.append(f"{source.name}: missing {key!r} ({where})")
            continue
        strings = translated.string if isinstance(translated.string, tuple | list) else (translated.string,)
        if translated.fuzzy or not all(s and s.strip() for s in strings):
            problems.append(f"{source.name}: untranslated {key!r} ({where})")
            continue
        ids = message.id if isinstance(message.id, tuple | list) else (message.id,)
        wanted = {p for i in ids for p in PLACEHOLDER.findall(i)}
        for string in strings:
            got = set(PLACEHOLDER.findall(string))
            # a plural form may leave the number out ("un cam" for one); nothing may be added
            if not got <= wanted or (len(ids) == 1 and got != wanted):
                problems.append(f"{source.name}: {key!r}: placeholders {sorted(got)} instead of {sorted(wanted)}")
        for error in translated.check(catalog):
            problems.append(f"{source.name}: {key!r}: {error}")
    return problems


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "check"
    if command == "extract":
        for source in sources():
            for language in LANGUAGES:
                print(save(source, language, update(source, language)))
        return 0
    if command == "compile":
        compile_all()
        return 0
    if command == "check":
        problems = [p for s in sources() for lang in LANGUAGES for p in untranslated(s, lang)]
        print("\n".join(problems) or "Every interface string has a translation.")
        return 1 if problems else 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
