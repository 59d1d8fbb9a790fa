"""Prepare a load run: the benchmark data in DATABASE_URL (generated once, then reused; its board
managers enrolled in two-factor under this run's encryption key) and one account per simulated user (a
board manager of a different area) with a fresh API token and its TOTP secret, written to a JSON file
for the locustfiles. Each account also coordinates the benchmark regions, so that the capacity steps
can ask for the regional roll-ups (the plugins' benchmark pages, ``rollups``). Run by
``loadtest/run.py``."""

import json
import sys


def main(path: str, users: int, scale: float) -> None:
    from sqlalchemy import select

    from hsbtrack import create_app
    from hsbtrack.areas.models import Membership, Region
    from hsbtrack.audits.models import Audit
    from hsbtrack.auth.services import issue_api_token, user_by_email
    from hsbtrack.bench import generate, measure
    from hsbtrack.extensions import db

    # development only so that the generator runs here; the server itself runs in production mode
    app = create_app(config={"HSBTRACK_ENV": "development", "HSBTRACK_SCHEDULER": "off"})
    with app.app_context():
        data = generate.generate(scale)
        if len(data.area_ids) < users:
            raise SystemExit(f"{users} users need {users} benchmark areas; scale {scale:g} has {len(data.area_ids)}")
        regions = list(db.session.scalars(select(Region.id).where(Region.name.like(f"{generate.REGION_NAME}%"))))
        rollups = [page.url for page in measure.plugin_pages(data)]
        accounts = []
        for number, area_id in enumerate(data.area_ids[:users], start=1):
            user = user_by_email(generate.board_email(number))
            audit_id = db.session.scalar(select(Audit.id).where(Audit.area_id == area_id)
                                         .order_by(Audit.cycle.desc()).limit(1))
            coordinates = set(db.session.scalars(select(Membership.region_id).where(
                Membership.user_id == user.id, Membership.role == "regional_coordinator")))
            db.session.add_all(Membership(user_id=user.id, region_id=region_id, role="regional_coordinator")
                               for region_id in regions if region_id not in coordinates)
            accounts.append({"email": user.email, "password": generate.PASSWORD, "totp": generate.totp_secret(user.email),
                             "area_id": area_id, "audit_id": audit_id, "token": issue_api_token(user, "load test"),
                             "rollups": rollups})
        db.session.commit()
        framework = app.extensions["hsbtrack_catalogue"].get(generate.FRAMEWORK)
        codes = [s.code for s in framework.scored_statements]
        with open(path, "w") as out:
            json.dump({"accounts": accounts, "codes": codes, "counts": data.counts}, out)
    print(f"{len(accounts)} accounts ready ({'generated' if data.generated else 'reused'} benchmark data: "
          + ", ".join(f"{k} {v:,}" for k, v in data.counts.items()) + ")")


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), float(sys.argv[3]))
