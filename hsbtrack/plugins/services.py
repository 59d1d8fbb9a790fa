"""Which plugins are on where, and area-scoped hook dispatch."""

from flask import current_app, g
from sqlalchemy import or_, select

from hsbtrack.events import Event
from hsbtrack.extensions import db
from hsbtrack.plugins.models import PluginState
from hsbtrack.plugins.types import Change


class UnknownPlugin(LookupError):
    pass


def registry():
    return current_app.extensions["hsbtrack_plugins"]


def _states_for(area) -> list[PluginState]:
    conditions = [PluginState.area_id == area.id]
    if area.region_id is not None:
        conditions.append(PluginState.region_id == area.region_id)
    return db.session.scalars(select(PluginState).where(or_(*conditions))).all()


def prime_states(areas) -> None:
    """Load the plugin states of several areas in one query into the request's cache, so that
    events sent to each (a shared return written to 32 audits) cost no query per area."""
    cache = g.setdefault("_plugin_states", {})
    areas = [a for a in areas if a.id not in cache]
    if not areas:
        return
    region_ids = {a.region_id for a in areas if a.region_id is not None}
    rows = db.session.scalars(select(PluginState).where(or_(
        PluginState.area_id.in_([a.id for a in areas]), PluginState.region_id.in_(region_ids or {-1})))).all()
    for area in areas:
        own = [r for r in rows if r.area_id == area.id or (r.region_id is not None and r.region_id == area.region_id)]
        _fill(cache, area, own)


def _fill(cache, area, rows) -> dict:
    by_area = {r.plugin: r for r in rows if r.area_id == area.id}
    by_region = {r.plugin: r for r in rows if r.region_id is not None}
    result = {}
    for info in registry().plugins():
        region_row, area_row = by_region.get(info.name), by_area.get(info.name)
        settings = {**(region_row.settings if region_row else {}), **(area_row.settings if area_row else {})}
        if region_row is not None:
            result[info.name] = {"enabled": region_row.enabled, "settings": settings, "source": "region"}
        elif area_row is not None:
            result[info.name] = {"enabled": area_row.enabled, "settings": settings, "source": "area"}
        else:
            result[info.name] = {"enabled": False, "settings": settings, "source": None}
    cache[area.id] = result
    return result


def effective_states(area) -> dict[str, dict]:
    """``{plugin: {"enabled", "settings", "source"}}`` for every installed plugin in ``area``.

    A region's row governs its member areas; settings merge region first, then the area's own.
    Cached for the request: pages ask several times (menu, widgets, evidence).
    """
    cache = g.setdefault("_plugin_states", {})
    if area.id in cache:
        return cache[area.id]
    rows = _states_for(area)
    by_area = {r.plugin: r for r in rows if r.area_id == area.id}
    by_region = {r.plugin: r for r in rows if r.region_id is not None}
    result = {}
    for info in registry().plugins():
        region_row, area_row = by_region.get(info.name), by_area.get(info.name)
        settings = {**(region_row.settings if region_row else {}), **(area_row.settings if area_row else {})}
        if region_row is not None:
            result[info.name] = {"enabled": region_row.enabled, "settings": settings, "source": "region"}
        elif area_row is not None:
            result[info.name] = {"enabled": area_row.enabled, "settings": settings, "source": "area"}
        else:
            result[info.name] = {"enabled": False, "settings": settings, "source": None}
    cache[area.id] = result
    return result


def enabled_plugins(area) -> set[str]:
    return {name for name, state in effective_states(area).items() if state["enabled"]}


def is_enabled(area, name: str) -> bool:
    return name in enabled_plugins(area)


def plugin_settings(area, name: str) -> dict:
    return effective_states(area).get(name, {}).get("settings", {})


def region_enabled(region, name: str) -> bool:
    row = db.session.scalar(select(PluginState).where(PluginState.region_id == region.id, PluginState.plugin == name))
    return bool(row and row.enabled)


def _require_installed(name: str) -> None:
    if not registry().is_plugin(name):
        raise UnknownPlugin(name)


def _upsert(criteria: dict, name: str, enabled: bool | None, settings: dict | None, user) -> PluginState:
    row = db.session.scalar(select(PluginState).filter_by(plugin=name, **criteria))
    if row is None:
        row = PluginState(plugin=name, enabled=False, settings={}, **criteria)
        db.session.add(row)
    if enabled is not None:
        row.enabled = enabled
    if settings is not None:
        row.settings = dict(settings)
    row.updated_by_id = getattr(user, "id", None)
    return row


def _forget_cached_states() -> None:
    """Drop what this request cached from the old states (plugin states and terminology)."""
    g.pop("_plugin_states", None)
    g.pop("_terms", None)


def set_area_plugin(area, name: str, enabled: bool | None = None, settings: dict | None = None, user=None):
    _require_installed(name)
    row = _upsert({"area_id": area.id}, name, enabled, settings, user)
    db.session.commit()
    _forget_cached_states()
    return row


def set_region_plugin(region, name: str, enabled: bool | None = None, settings: dict | None = None, user=None):
    """Switch a plugin on or off for every member area of ``region`` at once."""
    _require_installed(name)
    row = _upsert({"region_id": region.id}, name, enabled, settings, user)
    db.session.commit()
    _forget_cached_states()
    return row


def collect(hook_name: str, area, **kwargs) -> list:
    """Call an area-scoped list hook on the core and on the plugins enabled in ``area``."""
    return registry().collect(hook_name, enabled_plugins(area), area=area, **kwargs)


def region_enabled_plugins(region) -> set[str]:
    """The plugins switched on for a whole region (its own row, one query)."""
    return set(db.session.scalars(select(PluginState.plugin).where(PluginState.region_id == region.id,
                                                                   PluginState.enabled.is_(True))))


def collect_for_region(hook_name: str, region, **kwargs) -> list:
    """Call a region-scoped list hook on the core and on the plugins enabled for ``region``."""
    return registry().collect(hook_name, region_enabled_plugins(region), region=region, **kwargs)


def terminology(area) -> dict:
    terms = {}
    if area is None:
        return terms
    for _name, mapping in registry().collect_by_plugin("hsbtrack_terminology", enabled_plugins(area), area=area).items():
        terms.update(mapping)
    return terms


def record_saved(area, record, change) -> None:
    registry().caller("hsbtrack_record_saved", enabled_plugins(area))(area=area, record=record, change=change)


def emit(area, record, event: Event, changes: dict | None = None, user=None) -> None:
    """Tell the plugins enabled in ``area`` that ``event`` happened to ``record`` (after the commit).
    ``changes``: ``{field: (before, after)}``."""
    changes = changes or {}
    record_saved(area, record, Change(kind=event, before={k: v[0] for k, v in changes.items()},
                                      after={k: v[1] for k, v in changes.items()}, user_id=getattr(user, "id", None)))
