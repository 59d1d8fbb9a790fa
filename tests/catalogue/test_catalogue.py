"""Tests for hsbtrack.catalogue: the built-in NSPCC framework and the loader's validation."""

from __future__ import annotations

import copy
import json
import os
import re
from pathlib import Path

import pytest
import yaml

from hsbtrack.catalogue import (
    Catalogue,
    Framework,
    FrameworkError,
    builtin_catalogue,
    builtin_framework_paths,
    load_framework,
    parse_framework,
)

REPO = Path(__file__).resolve().parents[2]
SLUG = "nspcc-hsb-2019"
SEED_NAME = "000_c92d5156156b14bd.txt"

EXPECTED_CODES = [
    "1.1", "1.2", "1.3", "1.4", "1.5", "1.6", "1.6a", "1.6b", "1.6c", "1.7", "1.8",
    "2.1", "2.1a", "2.1b", "2.1c", "2.2", "2.3", "2.4", "2.5", "2.6", "2.7", "2.8",
    "3.1", "3.2", "3.3", "3.4", "3.5", "3.6", "3.7", "3.8",
    "4.1", "4.1a", "4.1b", "4.1c", "4.2", "4.3", "4.4", "4.5", "4.6", "4.7", "4.8",
    "5.1", "5.2", "5.3", "5.4", "5.5", "5.6", "5.7", "5.8",
]  # fmt: skip

ATTRIBUTION = (
    "Hackett, S, Branigan, P and Holmes, D (2019). Operational framework for children and young "
    "people displaying harmful sexual behaviours, second edition, London, NSPCC."
)


@pytest.fixture(scope="module")
def fw() -> Framework:
    return builtin_catalogue().get(SLUG)


@pytest.fixture
def data() -> dict:
    """The built-in framework as plain data, safe to mutate per test."""
    path = next(p for p in builtin_framework_paths() if p.stem == SLUG)
    return copy.deepcopy(yaml.safe_load(path.read_text(encoding="utf-8")))


# --- the built-in framework ------------------------------------------------


def test_builtin_paths_are_found_next_to_the_module():
    paths = builtin_framework_paths()
    assert [p.name for p in paths] == sorted(p.name for p in paths)
    assert any(p.name == f"{SLUG}.yaml" for p in paths)
    assert all(p.parent.name == "frameworks" for p in paths)


def test_metadata(fw):
    assert fw.slug == SLUG
    assert fw.title == "Harmful sexual behaviour framework"
    assert fw.publisher == "NSPCC"
    assert fw.attribution == ATTRIBUTION
    assert re.fullmatch(r"\d+\.\d+\.\d+", fw.version)
    assert fw.response_fields == {
        "evidence": "Evidence supporting this score",
        "assurance": "Assurance systems in place locally for QA/evidencing this statement",
    }
    assert fw.domain_fields == {"comments": "Comments", "date_completed": "Date completed"}
    # Welsh headings, scale and labels ship; the statements themselves stay in English.
    assert fw.languages == ("cy",)
    assert fw.translations["cy"].statements == {}
    assert not fw.has_statement_texts_in("cy")
    assert fw.domain_title(5, "cy") == "Datblygu'r gweithlu"
    assert fw.scale_label(0, "cy") == "Dim o gwbl/byth/dim tystiolaeth o hyn"
    assert fw.field_label("comments", "cy") == "Sylwadau"
    assert fw.field_label("comments", "en") == "Comments"
    assert fw.statement_text("1.1", "cy") == fw.statement_text("1.1")


def test_domains(fw):
    assert [(d.number, d.title, d.short_title) for d in fw.domains] == [
        (1, "A continuum of responses to children and young people displaying HSB", "Responses"),
        (2, "Prevention, identification and early intervention", "Prevention"),
        (3, "Effective assessment and referral pathways", "Assessment"),
        (4, "Multi-modal approach to intervention", "Interventions"),
        (5, "Workforce development", "Development"),
    ]


def test_codes_in_printed_order(fw):
    assert [s.code for s in fw.statements] == EXPECTED_CODES
    assert [s.order for s in fw.statements] == list(range(49))
    for s in fw.statements:
        assert s.domain_number == int(s.code.split(".")[0])
        assert fw.domain_of(s.code).number == s.domain_number


def test_headings_and_children(fw):
    assert len(fw.scored_statements) == 46
    headings = [s.code for s in fw.statements if not s.scored]
    assert headings == ["1.6", "2.1", "4.1"]
    for code in headings:
        assert fw.statement(code).text.endswith(":")  # printed with a trailing colon
        assert fw.statement(code).parent is None
        assert [c.code for c in fw.children(code)] == [f"{code}a", f"{code}b", f"{code}c"]
        assert all(c.scored for c in fw.children(code))
    assert fw.children("1.1") == ()
    assert all(s.parent is None for s in fw.statements if s.code[-1].isdigit())


def test_scale(fw):
    assert (fw.scale.min, fw.scale.max) == (0, 4)
    assert dict(fw.scale.labels) == {
        0: "Not at all/never/no evidence for this",
        1: "Very little/very infrequently/very little evidence for this",
        2: "To some extent/sometimes/some evidence for this",
        3: "To a fair extent/frequently/good evidence of this",
        4: "Always/to a great extent/a wealth of extremely strong evidence for this",
    }


def test_statement_spot_checks(fw):
    """Hard-coded so the wording is pinned even where the seed text is unavailable."""
    assert fw.statement("1.1").text == (
        "We capture accurate data about the number of children and young people requiring support "
        "due to their HSB, and the number who are identified through referral processes but may not "
        "be receiving support."
    )
    assert fw.statement("1.6").text == (
        "We are confident that children and young people displaying HSB are well-supported in terms "
        "of their HSB and its underlying causes:"
    )
    assert fw.statement("4.1a").text.startswith("effectively target presenting problems")
    assert fw.statement("3.6").text == (
        "Educational settings in our area are supported to effectively play a range of roles, including:\n"
        "- helping young people to make positive lifestyle choices and show respect for others\n"
        "- identification\n- referral\n- contribution to assessment\n"
        "- ongoing support via multi-agency processes."
    )
    assert fw.statement("5.2").text.splitlines()[1:] == [
        "\u2013 the use of the Common Assessment Frameworks (or equivalent EHA)",
        "\u2013 the role of the lead professional",
        "\u2013 the latest information sharing guidance (both national and local policies)",
        "\u2013 the 'team around the child' or equivalent local models.",
    ]
    assert fw.statement("5.8").text == (
        "We are confident that those working with HSB (not just those in roles where clinical "
        "supervision is established practice) are provided with high-quality, reflective supervision "
        "that supports them to manage the impact of this work; supervision is audited and we can "
        "evidence its positive impact on the workforce."
    )


def _seed_path() -> Path:
    """HSBTRACK_FRAMEWORK_SEED, else shared/seeds/ beside the checkout or beside any folder above it
    (a CI clone may sit a level deeper than the working checkout)."""
    env = os.environ.get("HSBTRACK_FRAMEWORK_SEED")
    if env:
        return Path(env)
    candidates = [folder / "shared" / "seeds" / SEED_NAME for folder in REPO.parents]
    return next((path for path in candidates if path.is_file()), candidates[0])


def _seed_text() -> str:
    path = _seed_path()
    if not path.is_file():
        pytest.skip(f"framework seed text not found at {path} (set HSBTRACK_FRAMEWORK_SEED to its path)")
    return path.read_text(encoding="utf-8")


def _normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


@pytest.fixture(scope="module")
def seed() -> str:
    # The PDF extraction wrapped some table cells in HTML (<p>, <ul style=...>);
    # that markup is not the document's wording, so it is dropped before the
    # whitespace-only normalisation.
    return _normalise(re.sub(r"<[^>]+>", " ", _seed_text()))


def test_every_statement_is_verbatim_in_the_seed(fw, seed):
    for s in fw.statements:
        assert _normalise(f"{s.code} {s.text}") in seed, f"{s.code} text differs from the seed"


def test_domain_titles_labels_and_attribution_are_in_the_seed(fw, seed):
    for d in fw.domains:
        assert f"Audit tool \u2013 Domain {d.number} {d.title}" in seed
    for label in fw.scale.labels.values():
        assert label in seed
    for label in [*fw.response_fields.values(), *fw.domain_fields.values()]:
        assert label in seed
    assert fw.attribution in seed


def test_to_dict_shape(fw):
    d = fw.to_dict()
    assert list(d) == ["slug", "title", "edition", "version", "publisher", "attribution", "scale", "domains"]
    assert d["scale"]["labels"]["0"] == "Not at all/never/no evidence for this"
    assert list(d["scale"]["labels"]) == ["0", "1", "2", "3", "4"]
    assert d["domains"][0]["statements"][6] == {
        "code": "1.6a",
        "text": "Living at home (including support to families)",
        "scored": True,
        "parent": "1.6",
    }
    assert json.loads(json.dumps(d)) == d
    assert fw.to_dict("pt") == d  # a language with no translation: English
    assert fw.to_dict("cy")["domains"][4]["title"] == "Datblygu'r gweithlu"


def test_lookups_raise_key_error(fw):
    with pytest.raises(KeyError, match="9.9"):
        fw.statement("9.9")
    with pytest.raises(KeyError):
        fw.domain(6)
    with pytest.raises(KeyError):
        fw.children("9.9")


def test_framework_is_read_only(fw):
    with pytest.raises(TypeError):
        fw.scale.labels[0] = "changed"
    with pytest.raises(AttributeError):
        fw.slug = "other"


def test_catalogue_package_has_no_flask():
    package = REPO / "hsbtrack" / "catalogue"
    for py in package.rglob("*.py"):
        assert not re.search(r"^\s*(from|import)\s+flask", py.read_text(), re.M), py


# --- loading: formats and translations ---------------------------------------


def test_json_file_loads_like_yaml(tmp_path, data, fw):
    path = tmp_path / "copy.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    loaded = load_framework(path)
    assert loaded.to_dict() == fw.to_dict()
    assert loaded.source_path == path


def test_parse_framework_accepts_a_dict(data, fw):
    assert parse_framework(data).to_dict() == fw.to_dict()


def test_translations_are_used_with_english_fallback(data):
    data["translations"] = {
        "cy": {
            "title": "Fframwaith ymddygiad rhywiol niweidiol",
            "domains": {1: {"short_title": "Ymatebion"}},
            "statements": {"1.1": "Testun Cymraeg"},
            "scale_labels": {0: "Dim o gwbl"},
        }
    }
    fw = parse_framework(data)
    assert fw.languages == ("cy",)
    assert fw.statement_text("1.1", "cy") == "Testun Cymraeg"
    assert fw.statement_text("1.2", "cy") == fw.statement_text("1.2")
    assert fw.statement_text("1.1") != "Testun Cymraeg"
    assert fw.domain(1).short_title_for("cy") == "Ymatebion"
    assert fw.domain_title(1, "cy") == fw.domain_title(1)  # title not translated
    assert fw.scale_label(0, "cy") == "Dim o gwbl"
    assert fw.scale_label(1, "cy") == fw.scale_label(1)
    d = fw.to_dict("cy")
    assert d["title"] == "Fframwaith ymddygiad rhywiol niweidiol"
    assert d["domains"][0]["short_title"] == "Ymatebion"
    assert d["domains"][0]["statements"][0]["text"] == "Testun Cymraeg"
    assert d["scale"]["labels"]["0"] == "Dim o gwbl"


def test_translation_keys_may_be_json_strings(data):
    data["translations"] = {"cy": {"domains": {"2": {"title": "Atal"}}, "scale_labels": {"4": "Bob amser"}}}
    fw = parse_framework(json.loads(json.dumps(data)))
    assert fw.domain_title(2, "cy") == "Atal"
    assert fw.scale_label(4, "cy") == "Bob amser"


# --- malformed files ---------------------------------------------------------


def _write(tmp_path: Path, data, name: str = "nspcc.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def _load_error(path: Path) -> str:
    with pytest.raises(FrameworkError) as excinfo:
        load_framework(path)
    message = str(excinfo.value)
    assert message.startswith(f"{path}: "), message  # the file is always named first
    assert isinstance(excinfo.value, ValueError)
    return message


def _statements(data, domain_index):
    return data["domains"][domain_index]["statements"]


def _set_translations(data, value):
    data["translations"] = value


MALFORMED = {
    "missing statement key": (
        lambda d: _statements(d, 2)[4].pop("code"),
        "domains[2].statements[4]: 'code' is missing",
    ),
    "missing top-level key": (lambda d: d.pop("attribution"), ": 'attribution' is missing"),
    "missing response field label": (
        lambda d: d["response_fields"].pop("assurance"),
        "response_fields: 'assurance' is missing",
    ),
    "unknown key (typo)": (
        lambda d: _statements(d, 0)[5].update(scord=False),
        "domains[0].statements[5]: unknown key 'scord'",
    ),
    "duplicate code": (
        lambda d: _statements(d, 0)[1].update(code="1.1"),
        "domains[0].statements[1].code: duplicate code '1.1' (first used at domains[0].statements[0])",
    ),
    "duplicate domain number": (
        lambda d: d["domains"][1].update(number=1),
        "domains[1].number: duplicate domain number 1",
    ),
    "unquoted code": (
        lambda d: _statements(d, 0)[0].update(code=1.1),
        "domains[0].statements[0].code: must be a string, got float 1.1 (quote it)",
    ),
    "bad code format": (
        lambda d: _statements(d, 0)[0].update(code="1.x"),
        "domains[0].statements[0].code: '1.x' is not a statement code",
    ),
    "code in the wrong domain": (
        lambda d: _statements(d, 0)[0].update(code="2.9"),
        "domains[0].statements[0].code: '2.9' does not belong to domain 1",
    ),
    "empty text": (
        lambda d: _statements(d, 1)[0].update(text="  "),
        "domains[1].statements[0].text: must not be empty",
    ),
    "unknown parent": (
        lambda d: _statements(d, 0)[6].update(parent="1.9"),
        "domains[0].statements[6].parent: parent '1.9' does not exist",
    ),
    "parent in another domain": (
        lambda d: _statements(d, 1)[1].update(parent="1.6"),
        "domains[1].statements[1].parent: parent '1.6' is in domain 1, not domain 2",
    ),
    "heading without children": (
        lambda d: [_statements(d, 0).pop(6) for _ in range(3)],
        "domains[0].statements[5]: heading '1.6' (scored: false) has no child statements",
    ),
    "scored parent": (
        lambda d: _statements(d, 0)[5].pop("scored"),
        "domains[0].statements[5]: scored statement '1.6' cannot have children (1.6a, 1.6b, 1.6c)",
    ),
    "nested heading": (
        lambda d: (_statements(d, 0)[4].update(scored=False), _statements(d, 0)[5].update(parent="1.5")),
        "domains[0].statements[5]: heading '1.6' cannot have a parent",
    ),
    "scale gap": (
        lambda d: d["scale"]["labels"].pop(2),
        "scale.labels: no label for score 2 (need every score 0..4)",
    ),
    "scale label outside range": (
        lambda d: d["scale"]["labels"].update({5: "Beyond"}),
        "scale.labels[5]: score 5 is outside the scale 0..4",
    ),
    "bad translation code": (
        lambda d: _set_translations(d, {"cy": {"statements": {"9.9": "Testun"}}}),
        "translations.cy.statements['9.9']: unknown statement code '9.9'",
    ),
    "bad translation domain": (
        lambda d: _set_translations(d, {"cy": {"domains": {7: {"title": "Saith"}}}}),
        "translations.cy.domains[7]: unknown domain 7",
    ),
    "bad translation scale value": (
        lambda d: _set_translations(d, {"cy": {"scale_labels": {9: "Naw"}}}),
        "translations.cy.scale_labels[9]: score 9 is outside the scale 0..4",
    ),
    "bad language code": (
        lambda d: _set_translations(d, {"Welsh!": {}}),
        "translations['Welsh!']: 'Welsh!' is not a language code",
    ),
}


@pytest.mark.parametrize("mutate, expected", MALFORMED.values(), ids=MALFORMED.keys())
def test_malformed_framework_is_rejected(tmp_path, data, mutate, expected):
    mutate(data)
    message = _load_error(_write(tmp_path, data))
    assert expected in message


@pytest.mark.parametrize(
    "name, content, expected",
    [
        ("nspcc.yaml", "- just\n- a list\n", "must be a mapping at the top level, got list"),
        ("nspcc.yaml", "slug: [unclosed\n", "invalid YAML:"),
        ("nspcc.yaml", "slug: a\nslug: b\n", "invalid YAML: found duplicate key 'slug' at line 2"),
        ("nspcc.yaml", "", "file is empty"),
        ("nspcc.json", '{"slug": ', "invalid JSON:"),
        ("nspcc.json", '{"slug": "a", "slug": "b"}', "invalid JSON: found duplicate key 'slug'"),
        ("nspcc.txt", "slug: a\n", "unsupported file type '.txt'"),
    ],
)
def test_unreadable_file_is_rejected(tmp_path, name, content, expected):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    assert expected in _load_error(path)


def test_missing_file_is_rejected(tmp_path):
    assert "cannot read file" in _load_error(tmp_path / "absent.yaml")


def test_parse_framework_names_its_source():
    with pytest.raises(FrameworkError, match=r"^plugin:foo: must be a mapping at the top level"):
        parse_framework(["not", "a", "mapping"], source="plugin:foo")


# --- the catalogue registry --------------------------------------------------


def test_catalogue_lookup(tmp_path, data):
    data["slug"] = "another-framework"
    other = _write(tmp_path, data, "other.yaml")
    cat = Catalogue.from_paths([*builtin_framework_paths(), other])
    assert cat.slugs() == ["another-framework", SLUG]
    assert [f.slug for f in cat.all()] == ["another-framework", SLUG]
    assert cat.get(SLUG).slug == SLUG and SLUG in cat and len(cat) == 2
    with pytest.raises(KeyError, match="unknown framework 'nope'"):
        cat.get("nope")


def test_catalogue_rejects_duplicate_slugs(tmp_path, data):
    copy_path = _write(tmp_path, data, "copy.yaml")
    builtin = builtin_framework_paths()[0]
    with pytest.raises(FrameworkError) as excinfo:
        Catalogue.from_paths([builtin, copy_path])
    message = str(excinfo.value)
    assert f"duplicate framework slug '{SLUG}'" in message
    assert str(copy_path) in message and str(builtin) in message
