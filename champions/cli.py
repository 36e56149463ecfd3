"""Command-line tasks: `flask create-admin`, `flask seed-demo`."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask, current_app
from sqlalchemy import func, select

from champions.accounts.admin_services import create_first_admin
from champions.accounts.models import User
from champions.accounts.services import EmailTaken, password_problem
from champions.demo.seed import DEMO_LOGINS, seed
from champions.extensions import db
from champions.nudges import delivery, evaluation
from champions.roster.importer import run, upload
from champions.roster.models import JobStatus
from champions.roster.staff_tasks import send_import_emails


def register_cli(app: Flask) -> None:
    app.cli.add_command(create_admin)
    app.cli.add_command(seed_demo)
    app.cli.add_command(nudges_cli)
    app.cli.add_command(import_champions)


@click.command("create-admin")
@click.option("--email", prompt="Email address of the first admin")
@click.password_option("--password", prompt="Password (8 to 128 characters)")
def create_admin(email: str, password: str) -> None:
    """Create an admin account (for the first login on a new installation)."""
    if problem := password_problem(password):
        raise click.ClickException(problem)
    try:
        user = create_first_admin(email, password)
    except EmailTaken:
        raise click.ClickException(f"An account with the email address {email} already exists.") from None
    db.session.commit()
    click.echo(f"Admin {user.email} created. Sign in at /login.")


@click.command("seed-demo")
@click.option("--champions", "count", default=400, show_default=True, help="How many demo champions to create.")
@click.option("--if-empty", is_flag=True, help="Do nothing (and succeed) when the database already has users.")
def seed_demo(count: int, if_empty: bool) -> None:
    """Fill an empty database with realistic Greater Manchester demo data."""

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

    for key, count in evaluation.evaluate_all().items():
        click.echo(f"{key}: {count} new")
    sent = failed = skipped = deferred = 0
    while True:
        result = delivery.deliver_due()
        sent, failed = sent + result.sent, failed + result.failed
        skipped, deferred = skipped + result.skipped, deferred + result.deferred
        if result.quiet:
            click.echo("Quiet hours (21:00 to 08:00 UK time): nothing sent; due messages wait for the morning.")
        if result.quiet or not result.sent:
            break
    click.echo(f"Sent {sent}, failed {failed}, skipped {skipped}, deferred by the weekly cap {deferred}.")


@click.command("import-champions")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--source", required=True, help="The partner organisation the file came from.")
@click.option(
    "--lawful-basis",
    default="consent",
    show_default=True,
    type=click.Choice(["consent", "legitimate_interests", "public_task"]),
)
@click.option("--dry-run", is_flag=True, help="Check every row and print the counts; import nothing.")
def import_champions(path: str, source: str, lawful_basis: str, dry_run: bool) -> None:
    """Import champions from a CSV file (columns matched by their headers), as the staff import page does."""
    data = Path(path).read_bytes()
    try:
        job = upload.create_job(Path(path).name, data, source=source, lawful_basis=lawful_basis, by_user_id=None)
    except upload.ImportProblem as problem:
        raise click.ClickException(str(problem)) from None
    if problems := upload.check_mapping(job.mapping, job.headers):
        raise click.ClickException("; ".join(problems) + f". The file's columns: {', '.join(job.headers)}")
    job.status = JobStatus.CHECKING.value
    db.session.commit()
    for _ in run.process(job, dry_run=True):
        db.session.commit()
    counts = job.dry_run_counts
    if not dry_run:
        job.status, job.processed_rows = JobStatus.RUNNING.value, 0  # a fresh run, not a resumed one
        for _ in run.process(job, dry_run=False):
            db.session.commit()
        counts = job.counts
    db.session.commit()
    if not dry_run:
        send_import_emails.delay(job.id)
    click.echo(("Dry run: " if dry_run else "Imported: ") + ", ".join(f"{k} {v}" for k, v in counts.items()))
    click.echo(f"Report: import #{job.id}, /staff/imports/{job.id}")
