"""Builders shared by the schools plugin's tests (and the route walk in tests/integration/test_routes_access.py)."""

from hsbtrack.plugins.services import set_area_plugin


def enable(area):
    set_area_plugin(area, "schools", True)
    return area


def rate_all(area, round_, rating="green", sources=("staff",), kind_overrides=None):
    from hsbtrack_schools import services

    definition = services.checklist_for(area, round_.checklist)
    for section in definition.areas:
        data = {}
        for item in section.items:
            value = (kind_overrides or {}).get(item.code, rating)
            data[item.code] = {"rating": value, "sources": list(sources) if value != "not_assessed" else [],
                               "notes": ""}
        services.save_section(area, round_, section.key, data)


def route_scene(scene, side):
    """For the route walk (the plugin is on in both areas there): a school and a round in each."""
    from hsbtrack_schools import services

    made = scene.__dict__.setdefault("_schools", {})
    if not made:
        for key, area in (("own", scene.area_a), ("foreign", scene.area_b)):
            school = services.create_school(area, f"{area.name} School", "secondary")
            round_ = services.start_round(area, school)
            services.save_section(area, round_, "structures", {"S1": {"rating": "red", "sources": ["staff"]}})
            made[key] = (school, round_)
    return made[side]
