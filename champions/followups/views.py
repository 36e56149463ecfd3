"""Staff pages for owners and follow-up tasks: each record's tasks, "My tasks", and the daily email setting."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup

from champions.accounts.models import User
from champions.core import audit
from champions.core.clock import today_uk, uk_date
from champions.core.downloads import csv_response
from champions.core.features import Section
from champions.extensions import db
from champions.followups import bp, services
from champions.followups.forms import DigestForm, OwnerForm, TaskFilterForm, TaskForm
from champions.followups.models import Task

KINDS = "any(champion, organisation, application)"
RECORD = f"/staff/followups/<{KINDS}:kind>/<int:record_id>"
# Each kind of record's own staff page (endpoint, its id argument), where its follow-up section is.
PAGES = {
    "champion": ("roster.staff_champion", "champion_id"),
    "organisation": ("organisations.organisation_detail", "organisation_id"),
    "application": ("grants.application", "application_id"),
}


# ---------------------------------------------------------------------- sections of the records' own pages


def record_url(kind: str, record_id: int) -> str:
    endpoint, argument = PAGES[kind]
    values: dict[str, Any] = {argument: record_id}
    return url_for(endpoint, **values) + "#follow-up"


def section_html(kind: str, record: Any) -> Markup:
    """The owner and tasks of a record, for the end of its staff page (a template global)."""
    open_tasks, done_tasks = services.record_tasks(kind, record.id)
    owner = db.session.get(User, record.owner_id) if record.owner_id else None
    return Markup(
        render_template(
            "followups/_section.html",
            kind=kind,
            record=record,
            owner=owner,
            open_tasks=open_tasks,
            done_tasks=done_tasks,
            today=today_uk(),
        )
    )


def organisation_section(organisation: Any) -> Section:
    """The organisation page's follow-up section (organisations' ``detail_sections`` signal)."""
    return Section("followups/_signal_section.html", section_html("organisation", organisation))


def my_tasks_html() -> Markup:
    """The signed-in person's open tasks, overdue first, for the staff home page (a template global)."""
    today = today_uk()
    tasks, total, overdue = services.my_open_tasks(current_user, today)
    return Markup(render_template("followups/_my_tasks.html", tasks=tasks, total=total, overdue=overdue, today=today))


# ------------------------------------------------------------------------------------- one record's tasks


def _record(kind: str, record_id: int) -> Any:
    record = services.record_of(kind, record_id)
    if record is None:
        abort(404)
    return record


def _task(kind: str, record_id: int, task_id: int) -> Task:
    """The task, only through the URL of the record it is about: another record's URL finds nothing."""
    task = db.session.get(Task, task_id)
    if task is None or task.kind != kind or task.record_id != record_id:
        abort(404)
    return task


def _data(form: TaskForm) -> services.TaskData:
    return services.TaskData(form.title.data, form.note.data or None, form.due_on.data, form.assignee_id)


def _form_page(template: str, kind: str, record: Any, status: int = 200, **context: Any):
    name = services.record_name(kind, record)
    back = record_url(kind, record.id)
    return render_template(template, kind=kind, record=record, name=name, back=back, **context), status


@bp.route(f"{RECORD}/tasks/new", methods=["GET", "POST"])
def task_new(kind: str, record_id: int):
    record = _record(kind, record_id)
    form = TaskForm()
    if request.method == "GET":
        form.assignee.data = str(services.default_assignee_id(record, current_user))
        form.due_on.process_data(today_uk() + timedelta(days=7))
    elif form.validate_on_submit():
        services.add_task(kind, record, _data(form), current_user)
        db.session.commit()
        flash("Task added.", "success")
        return redirect(record_url(kind, record.id))
    return _form_page("followups/task_form.html", kind, record, 400 if form.errors else 200, form=form, task=None)


@bp.route(f"{RECORD}/tasks/<int:task_id>/edit", methods=["GET", "POST"])
def task_edit(kind: str, record_id: int, task_id: int):
    record, task = _record(kind, record_id), _task(kind, record_id, task_id)
    form = TaskForm(kept_due_on=task.due_on)
    if request.method == "GET":
        form.title.data, form.note.data, form.assignee.data = task.title, task.note, str(task.assignee_id or "")
        form.due_on.process_data(task.due_on)
    elif form.validate_on_submit():
        changed = services.update_task(task, record, _data(form), current_user)
        db.session.commit()
        flash("Task saved." if changed else "Nothing was changed.", "success")
        return redirect(record_url(kind, record.id))
    return _form_page("followups/task_form.html", kind, record, 400 if form.errors else 200, form=form, task=task)


def _button_done(kind: str, record_id: int, task_id: int, change, message: str):
    """Mark done or reopen (CSRF is checked for every POST); a second press changes nothing."""
    record, task = _record(kind, record_id), _task(kind, record_id, task_id)
    if change(task, record, current_user):
        db.session.commit()
        flash(message, "success")
    back = request.form.get("back")  # pressed on "My tasks" or the staff home page: go back there
    if back == "mine":
        return redirect(url_for("followups.task_list"))
    if back == "home":
        return redirect(url_for("dashboards.staff_home"))
    return redirect(record_url(kind, record_id))


@bp.post(f"{RECORD}/tasks/<int:task_id>/done")
def task_done(kind: str, record_id: int, task_id: int):
    return _button_done(kind, record_id, task_id, services.complete_task, "Task marked done.")


@bp.post(f"{RECORD}/tasks/<int:task_id>/reopen")
def task_reopen(kind: str, record_id: int, task_id: int):
    return _button_done(kind, record_id, task_id, services.reopen_task, "Task reopened.")


@bp.route(f"{RECORD}/owner", methods=["GET", "POST"])
def owner_edit(kind: str, record_id: int):
    record = _record(kind, record_id)
    form = OwnerForm()
    if request.method == "GET":
        form.owner.data = str(record.owner_id or "")
    elif form.validate_on_submit():
        owner = db.session.get(User, form.owner_id) if form.owner_id else None
        changed = services.set_owner(kind, [record.id], owner, current_user)
        db.session.commit()
        flash("Owner changed." if changed else "Nothing was changed.", "success")
        return redirect(record_url(kind, record.id))
    return _form_page("followups/owner_form.html", kind, record, 400 if form.errors else 200, form=form)


# ------------------------------------------------------------------------------------------------ my tasks


def _filters() -> tuple[TaskFilterForm, services.TaskFilters]:
    form = TaskFilterForm(request.args)
    applied = form.applied()
    who = applied.get("assignee", "me")
    assignee_id = current_user.id if who == "me" else None if who == "anyone" else int(who)
    return form, services.TaskFilters(assignee_id, applied.get("status", "open"))


@bp.get("/staff/tasks")
def task_list():
    form, filters = _filters()
    page = services.task_page(filters, request.args.get("after"), today_uk())
    # A list naming the people tasks are about: who looked is recorded (the filters chosen, not what was typed).
    audit.viewed("tasks.viewed", None, filters=sorted(form.applied()))
    args = {"assignee": form.assignee.data, "status": form.status.data} if not form.errors else {}
    return render_template(
        "followups/task_list.html", form=form, page=page, args=args, today=today_uk()
    ), 400 if form.errors else 200


@bp.get("/staff/tasks/export.csv")
def task_export():
    form, filters = _filters()
    audit.viewed("tasks.exported", None, filters=sorted(form.applied()))
    header = ["Task", "Due", "Status", "Given to", "About", "Record", "Note", "Added", "Done"]
    today = today_uk()
    rows = (
        [
            task.title,
            task.due_on.isoformat(),
            _status(task, today),
            task.assignee.email if task.assignee else "",
            task.kind,
            services.record_name(task.kind, task.record) if task.record else "",
            task.note or "",
            uk_date(task.created_at).isoformat(),  # UK dates, as the page shows them
            uk_date(task.done_at).isoformat() if task.done_at else "",
        ]
        for task in services.all_tasks(filters, today)
    )
    return csv_response("tasks.csv", header, rows)


def _status(task: Task, today) -> str:
    if task.done_at is not None:
        return "Done"
    return "Overdue" if task.due_on < today else "Open"


@bp.route("/staff/tasks/email", methods=["GET", "POST"])
def digest_settings():
    form = DigestForm()
    if request.method == "GET":
        form.daily_digest.data = "yes" if services.wants_digest(current_user.id) else "no"
    elif form.validate_on_submit():
        wanted = form.daily_digest.data == "yes"
        services.set_digest(current_user, wanted)
        db.session.commit()
        flash(
            "You will get the daily email of your tasks." if wanted else "You will not get the daily email.", "success"
        )
        return redirect(url_for("followups.task_list"))
    return render_template("followups/digest_settings.html", form=form), 400 if form.errors else 200
