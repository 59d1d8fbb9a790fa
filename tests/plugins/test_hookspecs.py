"""Every hook plugins can implement is documented (in the manner of Datasette's
``test_plugin_hooks_are_documented``): a docstring naming each parameter with ``:param name:``
and showing an example. A hook added without that fails here."""

import inspect

import pytest

from hsbtrack.plugins import hookspecs


def hookspec_functions():
    return sorted(
        (name, fn) for name, fn in inspect.getmembers(hookspecs, inspect.isfunction)
        if hasattr(fn, "hsbtrack_spec")
    )


def documentation_problems(fn) -> list[str]:
    """What is missing from a hook's documentation (empty when it is complete)."""
    doc = inspect.getdoc(fn) or ""
    if not doc.strip():
        return [f"{fn.__name__} has no docstring"]
    problems = [f"{fn.__name__}: document parameter {p!r} with ':param {p}:'"
                for p in inspect.signature(fn).parameters if f":param {p}:" not in doc]
    if "Example" not in doc:
        problems.append(f"{fn.__name__}: show an example (a paragraph containing 'Example')")
    return problems


HOOKS = hookspec_functions()


def test_the_hookspecs_are_found():
    names = {name for name, _ in HOOKS}
    assert {"hsbtrack_load_blueprints", "hsbtrack_nav_items", "hsbtrack_statement_evidence",
            "hsbtrack_record_saved", "hsbtrack_terminology", "hsbtrack_settings_form"} <= names
    # Every public function of the module is a hookspec: nothing there escapes this check.
    public = {n for n, _ in inspect.getmembers(hookspecs, inspect.isfunction) if n.startswith("hsbtrack_")}
    assert public == names


@pytest.mark.parametrize("name, fn", HOOKS, ids=[name for name, _ in HOOKS])
def test_hook_is_documented(name, fn):
    assert documentation_problems(fn) == []


def test_the_check_catches_an_undocumented_hook():
    def hsbtrack_undocumented(area, user):
        pass

    def hsbtrack_half_documented(area, user):
        """Area-scoped. Return things.

        :param area: the area.
        """

    assert documentation_problems(hsbtrack_undocumented) == ["hsbtrack_undocumented has no docstring"]
    assert documentation_problems(hsbtrack_half_documented) == [
        "hsbtrack_half_documented: document parameter 'user' with ':param user:'",
        "hsbtrack_half_documented: show an example (a paragraph containing 'Example')",
    ]


def test_the_example_plugin_implements_every_hook():
    import tests.example_plugin as example

    missing = [name for name, _ in HOOKS if not hasattr(getattr(example, name, None), "hsbtrack_impl")]
    assert missing == [], "tests/example_plugin must exercise every hook"
