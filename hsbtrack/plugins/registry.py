"""Loading plugins and dispatching hooks, install-wide or only to the plugins enabled in an area."""

import dataclasses
import logging
from dataclasses import dataclass
from importlib import import_module
from importlib.metadata import entry_points
from pathlib import Path

import pluggy

from hsbtrack.plugins import hookspecs

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "hsbtrack.plugins"


@dataclass(frozen=True)
class PluginInfo:
    name: str
    title: str
    version: str
    description: str = ""
    core: bool = False


def _info_for(name, module, core=False, distribution=None) -> PluginInfo:
    # An installed plugin's version is its distribution's (plugins/<package>/pyproject.toml). The title
    # and description stay in the code: people read them in English or Welsh (lazy strings, catalogued).
    meta = getattr(module, "PLUGIN", {}) or {}
    installed = distribution.version if distribution is not None else None
    return PluginInfo(
        name=name,
        title=meta.get("title", name),  # may be a lazy (translated) string
        version=installed or str(meta.get("version", getattr(module, "__version__", "0"))),
        description=meta.get("description", (module.__doc__ or "").strip().split("\n")[0]),
        core=core,
    )


def parse_allow_list(value) -> set[str] | None:
    """``"*"`` allows every installed plugin (None); otherwise a comma-separated list of names.

    An empty value allows none: an allow-list left blank must not let every plugin in.
    """
    if value is None:
        return None
    if isinstance(value, list | tuple | set):
        return set(value)
    value = value.strip()
    if value == "*":
        return None
    return {part.strip() for part in value.split(",") if part.strip()}


class PluginRegistry:
    """Wraps a pluggy PluginManager with the core's rules: core parts always on, plugins per area."""

    def __init__(self):
        self.pm = pluggy.PluginManager("hsbtrack")
        self.pm.add_hookspecs(hookspecs)
        self.infos: dict[str, PluginInfo] = {}

    # -- loading -----------------------------------------------------------------------------
    def register_core(self, module_name: str) -> None:
        module = import_module(module_name)
        self.pm.register(module, name=module_name)
        self.infos[module_name] = _info_for(module_name, module, core=True)

    def register_plugin(self, name: str, module, distribution=None) -> None:
        if isinstance(module, str):
            module = import_module(module)
        if self.pm.has_plugin(name):
            raise ValueError(f"Two plugins are called {name!r}")
        self.pm.register(module, name=name)
        self.infos[name] = _info_for(name, module, distribution=distribution)
        log.info("loaded plugin %s", name)

    def load_entry_points(self, allow) -> None:
        allowed = parse_allow_list(allow)
        for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
            if allowed is not None and ep.name not in allowed:
                continue
            if self.pm.has_plugin(ep.name):
                continue
            self.register_plugin(ep.name, ep.load(), distribution=ep.dist)
        self.pm.check_pending()

    # -- metadata ----------------------------------------------------------------------------
    @property
    def hook(self):
        """Install-wide hooks: every loaded plugin is called."""
        return self.pm.hook

    def plugins(self) -> list[PluginInfo]:
        """The optional plugins (not the core's own parts), by name."""
        return sorted((i for i in self.infos.values() if not i.core), key=lambda i: i.name)

    def translation_dirs(self) -> list[str]:
        """Each plugin's own ``translations/`` folder (beside its module), for Flask-Babel."""
        dirs = []
        for name in sorted(self.infos):
            module = self.pm.get_plugin(name)
            folder = Path(getattr(module, "__file__", "") or ".").parent / "translations"
            if not self.infos[name].core and folder.is_dir():
                dirs.append(str(folder))
        return dirs

    def is_plugin(self, name: str) -> bool:
        info = self.infos.get(name)
        return info is not None and not info.core

    # -- dispatch ----------------------------------------------------------------------------
    def caller(self, hook_name: str, enabled: set[str] | None = None):
        """A hook caller reaching the core and, of the plugins, only those in ``enabled``.

        ``enabled=None`` means install-wide (every plugin).
        """
        if enabled is None:
            return getattr(self.pm.hook, hook_name)
        disabled = [
            self.pm.get_plugin(name) for name in self.infos if not self.infos[name].core and name not in enabled
        ]
        return self.pm.subset_hook_caller(hook_name, remove_plugins=[p for p in disabled if p is not None])

    def _call_attributed(self, hook_name: str, enabled: set[str] | None, kwargs: dict,
                         may_answer_none: bool = False) -> list:
        """``[(plugin name, result)]`` of a hook called through pluggy (so tryfirst/trylast, wrappers and
        tracing apply), one pair per implementation that answered, in pluggy's calling order.

        pluggy returns the non-None results in the order it called the implementations (the
        non-wrappers, last registered first). When every implementation answered, they pair up one to
        one; list hooks always answer (an empty list for nothing). A hook whose implementations may
        answer None is then called once per plugin, still through pluggy, to know who answered.
        """
        caller = self.caller(hook_name, enabled)
        impls = [impl for impl in reversed(caller.get_hookimpls()) if not (impl.hookwrapper or impl.wrapper)]
        results = caller(**kwargs)
        if len(results) == len(impls):
            return [(impl.plugin_name, result) for impl, result in zip(impls, results, strict=True)]
        if not may_answer_none:
            raise TypeError(f"an implementation of {hook_name} returned None: return an empty list instead "
                            f"({', '.join(impl.plugin_name for impl in impls)})")
        answers = []
        for impl in impls:
            others = [self.pm.get_plugin(name) for name in self.infos if name != impl.plugin_name]
            alone = self.pm.subset_hook_caller(hook_name, remove_plugins=[p for p in others if p is not None])
            answers.extend((impl.plugin_name, result) for result in alone(**kwargs))
        return answers

    def collect(self, hook_name: str, enabled: set[str] | None = None, **kwargs) -> list:
        """Call a list-returning hook and return one flat list sorted by (order, plugin name).

        Each item is stamped with the plugin that returned it, so sorting never depends on the
        order in which plugins were registered.
        """
        items = []
        for plugin_name, result in self._call_attributed(hook_name, enabled, kwargs):
            for item in result:
                if dataclasses.is_dataclass(item) and hasattr(item, "plugin"):
                    item = dataclasses.replace(item, plugin=plugin_name)
                items.append((getattr(item, "order", 100), plugin_name, item))
        items.sort(key=lambda entry: (entry[0], entry[1]))
        return [item for _, _, item in items]

    def collect_by_plugin(self, hook_name: str, enabled: set[str] | None = None, **kwargs) -> dict:
        """Call a hook and return ``{plugin name: result}``, by plugin name (empty results left out)."""
        answered = self._call_attributed(hook_name, enabled, kwargs, may_answer_none=True)
        out = {name: result for name, result in answered if result}
        return dict(sorted(out.items()))
