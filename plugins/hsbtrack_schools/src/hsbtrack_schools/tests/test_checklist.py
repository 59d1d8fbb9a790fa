import pytest

from hsbtrack_schools import checklist


def test_the_shipped_checklists_load_with_the_four_areas():
    school = checklist.shipped("school")
    assert [a.key for a in school.areas] == list(checklist.AREA_KEYS)
    assert [a.title for a in school.areas] == ["Structures and systems", "Prevention", "Identification",
                                               "Response and intervention"]
    assert school.version and len(school.items) >= 16
    assert all(item.statements for item in school.items)
    partnership = checklist.shipped("partnership")
    assert partnership.kind == "partnership" and partnership.items


def test_local_items_are_added_at_the_end_of_their_area():
    school = checklist.shipped("school").with_local([("prevention", "L1", "Our own item")])
    prevention = school.area("prevention")
    assert prevention.items[-1].code == "L1" and prevention.items[-1].local
    assert school.item("L1").text == "Our own item"


def _doc(**overrides):
    doc = {"slug": "x", "version": "1", "title": "T", "kind": "partnership",
           "areas": [{"key": "prevention", "title": "Prevention", "items": [{"code": "P1", "text": "An item"}]}]}
    doc.update(overrides)
    return doc


@pytest.mark.parametrize("doc, message", [
    ([], "expected a mapping"),
    (_doc(kind="college"), "'kind' must be one of"),
    (_doc(areas=[]), "'areas' must be a non-empty list"),
    (_doc(areas=[{"key": "nope", "title": "X", "items": [{"code": "P1", "text": "t"}]}]), "'key' must be one of"),
    (_doc(areas=[{"key": "prevention", "title": "X", "items": [{"code": "p-1", "text": "t"}]}]), "must be letters then digits"),
    (_doc(areas=[{"key": "prevention", "title": "X", "items": [{"code": "P1", "text": "t"}, {"code": "P1", "text": "u"}]}]),
     "code 'P1' is used twice"),
    (_doc(areas=[{"key": "prevention", "title": "X", "items": [{"code": "P1", "text": ""}]}]), "'text' is missing"),
    (_doc(areas=[{"key": "prevention", "title": "X", "statements": ["9.9"], "items": [{"code": "P1", "text": "t"}]}]),
     "not an audit statement code"),
    (_doc(kind="school"), "four areas"),
])
def test_a_wrong_file_is_refused_with_a_clear_message(doc, message):
    with pytest.raises(checklist.ChecklistError, match=message) as info:
        checklist.parse(doc, "bad.yaml")
    assert str(info.value).startswith("bad.yaml: ")


def test_load_reports_yaml_errors(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("slug: [unclosed\n")
    with pytest.raises(checklist.ChecklistError, match="not valid YAML"):
        checklist.load(path)


def test_translations_are_used_where_the_file_has_them():
    doc = _doc(translations={"cy": "Teitl"},
               areas=[{"key": "prevention", "title": "Prevention", "translations": {"cy": "Atal"},
                       "items": [{"code": "P1", "text": "An item", "translations": {"cy": "Eitem"}}]}])
    parsed = checklist.parse(doc)
    welsh = parsed.localised("cy")
    assert (welsh.title, welsh.areas[0].title, welsh.items[0].text) == ("Teitl", "Atal", "Eitem")
    assert parsed.localised("en").items[0].text == "An item"
    with pytest.raises(checklist.ChecklistError, match="two-letter code"):
        checklist.parse(_doc(translations={"welsh": "x"}))
