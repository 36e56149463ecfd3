"""Command-line tasks: `flask create-admin`, `flask seed-demo`."""

from __future__ import annotations

import click
from flask import Flask, current_app
from sqlalchemy import func, select

from champions.extensions import db


def register_cli(app: Flask) -> None:
    app.cli.add_command(create_admin)
    app.cli.add_command(seed_demo)
    app.cli.add_command(nudges_cli)


@click.command("create-admin")
@click.option("--email", prompt="Email address of the first admin")
@click.password_option("--password", prompt="Password (8 to 128 characters)")
def create_admin(email: str, password: str) -> None:
    """Create an admin account (for the first login on a new installation)."""
    from champions.accounts.services import EmailTaken, create_user, password_problem
    from champions.core import audit
    from champions.core.permissions import Role

    if problem := password_problem(password):
        raise click.ClickException(problem)
    try:
        user = create_user(email, password, Role.ADMIN)
    except EmailTaken:
        raise click.ClickException(f"An account with the email address {email} already exists.") from None
    audit.record("user.created_by_cli", user, role=Role.ADMIN.value)
    db.session.commit()
    click.echo(f"Admin {user.email} created. Sign in at /login.")


@click.command("seed-demo")
@click.option("--champions", "count", default=400, show_default=True, help="How many demo champions to create.")
@click.option("--if-empty", is_flag=True, help="Do nothing (and succeed) when the database already has users.")
def seed_demo(count: int, if_empty: bool) -> None:
    """Fill an empty database with realistic Greater Manchester demo data."""
    from champions.accounts.models import User
    from champions.demo.seed import DEMO_LOGINS, seed

    if current_app.config["ENV_NAME"] == "production":
        raise click.ClickException("Demo data is never loaded in production.")
    if db.session.scalar(select(func.count()).select_from(User)):
        if not if_empty:
            raise click.ClickException("The database already has users: seed-demo only fills an empty database.")
        click.echo("The database already has data; demo data not loaded again.")
    else:
        click.echo(f"Demo data loaded: {seed(count)}.")
        db.session.commit()
    demo_emails = {email for _, email, _ in DEMO_LOGINS}
    if db.session.scalar(select(func.count()).select_from(User).where(User.email.in_(demo_emails))):
        click.echo("Demo logins:")
        for role, email, password in DEMO_LOGINS:
            click.echo(f"  {role:<10} {email:<36} password: {password}")


@click.group("nudges")
def nudges_cli() -> None:
    """Nudge rules and messages."""


@nudges_cli.command("run")
def nudges_run() -> None:
    """Evaluate every rule and send what is due, once (for scripted use)."""
    from champions.nudges import engine

    for key, count in engine.evaluate_all().items():
        click.echo(f"{key}: {count} new")
    sent = failed = skipped = deferred = 0
    while True:
        result = engine.deliver_due()
        sent, failed = sent + result.sent, failed + result.failed
        skipped, deferred = skipped + result.skipped, deferred + result.deferred
        if result.quiet:
            click.echo("Quiet hours (21:00 to 08:00 UK time): nothing sent; due messages wait for the morning.")
        if result.quiet or not result.sent:
            break
    click.echo(f"Sent {sent}, failed {failed}, skipped {skipped}, deferred by the weekly cap {deferred}.")
