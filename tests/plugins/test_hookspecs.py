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


def example_of(fn) -> str:
    """The example code of a hook's docstring: the indented block after the paragraph naming 'Example'."""
    doc = inspect.getdoc(fn) or ""
    block = doc.split("Example", 1)[1].split("::", 1)[1]
    lines = []
    for line in block.splitlines()[1:]:
        if line.strip() and not line.startswith("    "):
            break
        lines.append(line[4:] if line.startswith("    ") else line)
    return "\n".join(lines).strip("\n") + "\n"


@pytest.mark.parametrize("name, fn", HOOKS, ids=[name for name, _ in HOOKS])
def test_each_example_is_code_with_the_hooks_own_signature(name, fn):
    """An example that no longer matches its hook (a parameter renamed, added or dropped) fails here,
    and so does one that is not Python."""
    import ast

    tree = ast.parse(example_of(fn))  # a SyntaxError is a failure too
    defined = [node for node in ast.walk(tree) if isinstance(node, ast.FunctionDef) and node.name == name]
    assert defined, f"the example of {name} does not define {name}"
    example_args = [a.arg for a in defined[0].args.args]
    assert example_args == list(inspect.signature(fn).parameters), (
        f"the example of {name} takes {example_args}, the hook {list(inspect.signature(fn).parameters)}")
    decorators = [ast.unparse(d) for d in defined[0].decorator_list]
    assert any(d.startswith("hookimpl") for d in decorators), f"the example of {name} is not a @hookimpl"


def test_every_implementation_takes_only_its_hooks_parameters(ctx):
    """Core parts, the four plugins and the example plugin: each implementation's parameters are the
    hook's (pluggy passes arguments by name; a misspelt one would never receive its value)."""
    registry = ctx.extensions["hsbtrack_plugins"]
    seen = 0
    for name, fn in HOOKS:
        spec = list(inspect.signature(fn).parameters)
        for impl in getattr(registry.pm.hook, name).get_hookimpls():
            assert set(impl.argnames) <= set(spec), f"{impl.plugin_name}.{name} takes {impl.argnames}, not {spec}"
            seen += 1
    assert seen >= 30  # (core parts and plugins answer most hooks)
