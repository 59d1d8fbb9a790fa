"""Helpers for the core's route walk (tests/integration/test_routes_access.py): one CARM case per area."""

from datetime import date

from . import services


def scene_case(scene, area):
    def make():
        return services.create_case(area, {
            "reference": f"REF-{area.id}", "age_at_referral": "14", "gender": "male", "hackett": "abusive",
            "setting": "home", "referral_source": "Police", "referral_on": date(2026, 1, 5)})

    return scene._once("scotland_case", area.id, make).id
