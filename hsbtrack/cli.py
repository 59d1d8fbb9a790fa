"""The ``hsbtrack`` command line (also reachable as ``flask --app hsbtrack ...``)."""

import sys

import click
from flask.cli import FlaskGroup, with_appcontext

from hsbtrack import backup, create_app
from hsbtrack.areas.services import get_or_create_user
from hsbtrack.auth.services import (
    AccountError,
    check_password_rules,
    issue_api_token,
    set_password,
    user_by_email,
)
from hsbtrack.bench.cli import bench_command
from hsbtrack.errors import ServiceError
from hsbtrack.extensions import db
from hsbtrack.permissions import role_table_markdown


def _create_app():
    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app, add_version_option=False)
def main():
    """hsbtrack: the NSPCC harmful sexual behaviour framework audit for safeguarding partnerships."""

# -- database ---------------------------------------------------------------------------------


@click.group("db")
def db_group():
    """Database migrations: the core and every plugin's branch."""

@db_group.command("upgrade")
@click.argument("revision", default="heads")
@with_appcontext
def db_upgrade(revision):
    """Apply migrations (all branches by default)."""
    from flask_migrate import upgrade

    upgrade(revision=revision)


@db_group.command("downgrade")
@click.argument("revision")
@with_appcontext
def db_downgrade(revision):
    """Revert to REVISION (e.g. a plugin branch: 'myplugin@base')."""
    from flask_migrate import downgrade

    downgrade(revision=revision)


@db_group.command("current")
@with_appcontext
def db_current():
    """Show the applied revisions."""
    from flask_migrate import current

    current()


@db_group.command("heads")
@with_appcontext
def db_heads():
    """Show the newest revision of every branch."""
    from flask_migrate import heads

    heads()


@db_group.command("check")
@with_appcontext
def db_check():
    """Fail if the models and the migrations differ."""
    from flask_migrate import check

    check()


@db_group.command("revision")
@click.option("-m", "--message", required=True)
@click.option("--head", default="head", help="Branch to extend, e.g. 'myplugin@head'")
@click.option("--branch-label", default=None)
@click.option("--depends-on", default=None)
@click.option("--version-path", default=None, help="Folder for the new revision (a plugin's migrations)")
@click.option("--rev-id", default=None, help="A readable id, e.g. 0002_audits")
@click.option("--autogenerate/--empty", default=True)
@with_appcontext
def db_revision(message, head, branch_label, depends_on, version_path, rev_id, autogenerate):
    """Write a new revision (developers)."""
    from alembic import command
    from flask import current_app

    config = current_app.extensions["migrate"].migrate.get_config(opts=["autogenerate"] if autogenerate else None)
    command.revision(config, message=message, autogenerate=autogenerate, head=head, branch_label=branch_label,
                     depends_on=depends_on, version_path=version_path, rev_id=rev_id)


# -- users ------------------------------------------------------------------------------------


@click.group("users")
def users_group():
    """Create users and API tokens."""

@users_group.command("create")
@click.argument("email")
@click.option("--role", default=None, help="'admin' for an install-wide administrator")
@click.option("--name", default="")
@click.option("--password", default=None, help="Read from a prompt, or from stdin when piped")
@with_appcontext
def users_create(email, role, name, password):
    """Create a user (password from a prompt or stdin)."""

    if role not in (None, "admin"):
        raise click.UsageError("--role takes 'admin'; give area roles from the members page or the API")
    if password is None:
        if sys.stdin.isatty():
            password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
        else:
            password = sys.stdin.readline().rstrip("\n")
    try:  # before anything is written: a refused password leaves no user behind
        check_password_rules(password)
    except AccountError as error:
        raise click.ClickException(str(error)) from None
    try:
        user, created = get_or_create_user(email, name)
    except ServiceError as error:
        raise click.ClickException(error.message) from None
    if not created:
        db.session.rollback()
        raise click.ClickException(f"{user.email} already exists")
    user.is_admin = role == "admin"
    try:
        set_password(user, password)
    except AccountError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from None
    click.echo(f"Created {user.email}{' (administrator)' if user.is_admin else ''}")


@users_group.command("token")
@click.argument("email")
@click.option("--name", default="cli")
@with_appcontext
def users_token(email, name):
    """Print a new API token for EMAIL (on the last line)."""

    user = user_by_email(email)
    if user is None:
        raise click.ClickException(f"No user {email}")
    token = issue_api_token(user, name)
    click.echo(f"API token for {user.email} (shown once):")
    click.echo(token)


@click.command("roles")
@with_appcontext
def roles_command():
    """Print the roles x permissions table (core and installed plugins) as Markdown."""

    click.echo(role_table_markdown())


def register_core_commands(cli) -> None:
    cli.add_command(db_group)
    cli.add_command(users_group)
    cli.add_command(roles_command)
    cli.add_command(bench_command)
    backup.register(cli)
