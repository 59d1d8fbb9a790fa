"""The operator's command line: creating users, API tokens, demo data."""

from sqlalchemy import func, select

from tests.conftest import login

GOOD_PASSWORD = "operators pick long passwords"


def run(ctx, *args, input=None):
    return ctx.test_cli_runner().invoke(args=list(args), input=input)


def user_count():
    from hsbtrack.auth.models import User
    from hsbtrack.extensions import db

    return db.session.scalar(select(func.count()).select_from(User))


def test_create_an_admin_with_the_password_on_stdin(ctx, client):
    from hsbtrack.auth.services import user_by_email

    result = run(ctx, "users", "create", "Ops@Example.org", "--role", "admin", input=GOOD_PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    assert "Created ops@example.org (administrator)" in result.output
    user = user_by_email("ops@example.org")
    assert user.is_admin
    assert user.password_hash.startswith("$argon2id$")
    assert GOOD_PASSWORD not in result.output

    login(client, "ops@example.org", GOOD_PASSWORD)
    assert client.get("/admin/").status_code == 200


def test_a_short_password_is_refused_and_no_user_is_made(ctx):
    before = user_count()
    result = run(ctx, "users", "create", "ops@example.org", "--role", "admin", input="short\n")
    assert result.exit_code != 0
    assert "Password must be at least 12 characters" in result.output
    assert user_count() == before


def test_an_existing_user_or_an_area_role_is_refused(ctx, world):
    world.user("taken@example.org")
    result = run(ctx, "users", "create", "TAKEN@example.org", input=GOOD_PASSWORD + "\n")
    assert result.exit_code != 0 and "taken@example.org already exists" in result.output
    result = run(ctx, "users", "create", "new@example.org", "--role", "board_manager", input=GOOD_PASSWORD + "\n")
    assert result.exit_code != 0 and "--role takes 'admin'" in result.output
    result = run(ctx, "users", "create", "not-an-email", input=GOOD_PASSWORD + "\n")
    assert result.exit_code != 0 and "correct format" in result.output
    assert user_count() == 1


def test_a_token_printed_on_the_last_line_works_against_the_api(ctx, client, world):
    area = world.area("Riverside")
    world.user("board@example.org", area, "board_manager")
    result = run(ctx, "users", "token", "board@example.org")
    assert result.exit_code == 0, result.output
    token = result.output.strip().splitlines()[-1]
    response = client.get("/api/v1/areas", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert [a["name"] for a in response.get_json()] == ["Riverside"]


def test_a_token_for_an_unknown_user_is_refused(ctx):
    result = run(ctx, "users", "token", "nobody@example.org")
    assert result.exit_code != 0 and "No user nobody@example.org" in result.output


def test_demo_loads_once_and_prints_the_logins(ctx, client):
    from hsbtrack.areas.demo import DEMO_PASSWORD, demo_users
    from hsbtrack.areas.models import Area

    result = run(ctx, "demo")
    assert result.exit_code == 0, result.output
    assert "Demo data loaded." in result.output
    for email, *_ in demo_users():
        assert email in result.output
    assert DEMO_PASSWORD in result.output
    from hsbtrack.auth.services import user_by_email

    assert all(user_by_email(email) is not None for email, *_ in demo_users())
    users = user_count()  # plugins' demo data may add people of their own

    again = run(ctx, "demo")
    assert again.exit_code == 0
    assert "demo data not loaded" in again.output and "board@example.org" in again.output
    assert user_count() == users

    from hsbtrack.extensions import db

    area = db.session.scalar(select(Area).where(Area.name == "Riverside Safeguarding Partnership"))
    login(client, "board@example.org", DEMO_PASSWORD)
    assert client.get(f"/areas/{area.id}/").status_code == 200


def test_demo_refuses_a_production_database(monkeypatch):
    from hsbtrack import create_app
    from tests.conftest import database_url

    monkeypatch.setenv("HSBTRACK_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "production-secret-for-this-test")
    monkeypatch.setenv("DATABASE_URL", database_url())
    monkeypatch.setenv("HSBTRACK_PLUGINS", "")
    app = create_app()
    result = app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code != 0
    assert "Refusing to load demo data in production" in result.output
