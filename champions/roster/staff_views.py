"""Staff CRM pages: the roster, one champion, exports, imports, duplicates and merging."""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from champions.core import audit
from champions.core.celery import enqueue
from champions.core.downloads import csv_download, csv_response
from champions.core.errors import upload_limit
from champions.core.forms import ConfirmForm, db_id
from champions.core.models import TOPIC_CHOICES
from champions.core.pagination import keyset_page
from champions.core.places import borough_choices
from champions.core.work import progress_answer
from champions.extensions import db
from champions.organisations.models import Organisation
from champions.profiles.models import Champion, Stage
from champions.roster import bp, bulk, duplicates, staff_services
from champions.roster.exporter import download, start_export, user_can_download
from champions.roster.importer import run, upload
from champions.roster.models import ExportJob, ImportJob, JobStatus
from champions.roster.staff_forms import (
    ExportForm,
    LeaderForm,
    NoteForm,
    StageForm,
    UploadForm,
    mapping_form,
)
from champions.roster.staff_tasks import check_import, run_export, run_import
from champions.spread.queries import role_choices

# ------------------------------------------------------------------------------------------------- roster


def _choices():
    return {
        "stages": [(s.value, s.label) for s in Stage],
        "boroughs": borough_choices(),
        "topics": TOPIC_CHOICES,
        "sorts": [(k, label) for k, (_, label) in staff_services.SORTS.items()],
        "tag_choices": staff_services.tag_choices(),
        "role_choices": role_choices(),
        "bulk_actions": bulk.ACTIONS,
    }


@bp.get("/staff/champions")
def staff_roster():
    filters = staff_services.parse_filters(request.args)
    page = staff_services.roster_page(filters, request.args.get("after"))
    args = filters.as_args()
    audit.viewed("roster.viewed", None, filters=sorted(args))
    return render_template(
        "roster/staff/roster.html",
        filters=filters,
        args=args,
        # One organisation chosen by id (from a saved search): its name, and the filters without it.
        chosen_organisation=db.session.get(Organisation, filters.organisation) if filters.organisation else None,
        without_organisation={k: v for k, v in args.items() if k != "organisation"},
        page=page,
        tags=staff_services.tags_of([c.id for c in page.items]),
        total=staff_services.page_total(filters, page, up_to=staff_services.COUNT_UP_TO),
        count_up_to=staff_services.COUNT_UP_TO,
        export_form=ExportForm(),
        **_choices(),
    ), 400 if filters.errors else 200


def _champion(champion_id: int) -> Champion:
    return db.get_or_404(Champion, champion_id)


def _champion_page(champion: Champion, status: int = 200, **forms):
    forms.setdefault("note_form", NoteForm(formdata=None))
    forms.setdefault("stage_form", StageForm(formdata=None))
    return render_template(
        "roster/staff/champion.html",
        champion=champion,
        timeline=staff_services.timeline(champion),
        leader_form=LeaderForm(formdata=None),
        tags=staff_services.tags_of([champion.id]).get(champion.id, []),
        tag_form=ConfirmForm(formdata=None),
        merged_into=db.session.get(Champion, champion.merged_into_id) if champion.merged_into_id else None,
        **forms,
    ), status


@bp.get("/staff/champions/<int:champion_id>")
def staff_champion(champion_id: int):
    champion = _champion(champion_id)
    audit.viewed("champion.viewed", champion, subject_user_ids=(champion.user_id,))
    return _champion_page(champion)


@bp.post("/staff/champions/<int:champion_id>/notes")
def staff_add_note(champion_id: int):
    champion = _champion(champion_id)
    form = NoteForm()
    if not form.validate_on_submit():
        return _champion_page(champion, 400, note_form=form)
    staff_services.add_note(champion, form.body.data, current_user.id)
    db.session.commit()
    flash("Note added.", "success")
    return redirect(url_for("roster.staff_champion", champion_id=champion.id) + "#timeline")


@bp.post("/staff/champions/<int:champion_id>/stage")
def staff_change_stage(champion_id: int):
    champion = _champion(champion_id)
    form = StageForm()
    if not form.validate_on_submit():
        return _champion_page(champion, 400, stage_form=form)
    changed = staff_services.staff_change_stage(champion, Stage(form.stage.data), form.reason.data, current_user.id)
    db.session.commit()
    flash(f"Stage changed to {Stage(form.stage.data).label}." if changed else "The stage was already that.", "success")
    return redirect(url_for("roster.staff_champion", champion_id=champion.id))


@bp.post("/staff/champions/<int:champion_id>/leader")
def staff_set_leader(champion_id: int):
    champion = _champion(champion_id)
    form = LeaderForm()
    if not form.validate_on_submit():
        abort(400)
    staff_services.set_leader(champion, form.leader.data == "yes", current_user.id)
    db.session.commit()
    flash("Marked as a leader." if champion.is_leader else "No longer marked as a leader.", "success")
    return redirect(url_for("roster.staff_champion", champion_id=champion.id))


@bp.get("/staff/champions/<int:champion_id>/equality")
def staff_equality(champion_id: int):
    """Admins only: one person's special-category answers. Every viewing is audited."""
    champion = _champion(champion_id)
    answers = staff_services.equality_answers(champion)
    db.session.commit()
    return render_template("roster/staff/equality.html", champion=champion, answers=answers)


# ------------------------------------------------------------------------------------------------- exports


@bp.post("/staff/champions/export")
def staff_export_start():
    form = ExportForm()
    if not form.validate_on_submit():
        abort(400)
    filters = staff_services.parse_filters(request.args)
    job = start_export(filters, include_special=bool(form.include_special.data), by_user=current_user)
    enqueue(run_export, job.id)
    db.session.commit()
    return redirect(url_for("roster.staff_export", export_id=job.id))


def _export(export_id: int) -> ExportJob:
    job = db.get_or_404(ExportJob, export_id)
    if not user_can_download(job, current_user):
        abort(404)
    return job


@bp.get("/staff/exports/<int:export_id>")
def staff_export(export_id: int):
    return render_template("roster/staff/export.html", job=_export(export_id))


@bp.get("/staff/exports/<int:export_id>/status")
def staff_export_status(export_id: int):
    job = _export(export_id)
    finished = job.status in (JobStatus.DONE.value, JobStatus.FAILED.value)
    done = job.status == JobStatus.DONE
    download = url_for("roster.staff_export_download", export_id=job.id) if done else None
    return _progress(job, finished, result_url=download, result_text="Download the CSV file")


def _progress(job: ImportJob | ExportJob, finished: bool, *, result_url: str | None, result_text: str) -> Response:
    """The status route's answer for an import or export (js/progress.js reads it)."""
    text = f"{job.processed_rows:,} of {job.total_rows:,} rows"
    if job.status == JobStatus.FAILED:
        text = "Stopped before it finished"
    elif finished:
        text = f"Finished: {text}"
    return progress_answer(
        job.processed_rows,
        job.total_rows,
        finished,
        text,
        result_url=result_url,
        result_text=result_text,
        status=job.status,
    )


@bp.get("/staff/exports/<int:export_id>/download")
def staff_export_download(export_id: int):
    job = _export(export_id)
    if job.status != JobStatus.DONE.value:
        abort(404)
    content = download(job)
    db.session.commit()
    return csv_download(content, f"champions-export-{job.id}.csv")


# ------------------------------------------------------------------------------------------------- imports


def _imports_page(form: UploadForm, problem: str | None = None, status: int = 200):
    page = keyset_page(select(ImportJob), ImportJob.id, request.args.get("before", type=db_id), size=20)
    return render_template(
        "roster/staff/imports.html", form=form, page=page, problem=problem, limit=upload.LIMIT_TEXT
    ), status


@bp.route("/staff/imports", methods=["GET", "POST"])
@upload_limit(upload.MAX_BYTES)  # a file too big is refused before it is read, with the same 5 MB as this page
def staff_imports():
    form = UploadForm()
    if request.method == "GET":
        return _imports_page(form)
    uploaded = request.files.get("file")
    if not form.validate_on_submit() or uploaded is None or not uploaded.filename:
        if uploaded is None or not uploaded.filename:
            form.file.errors = ["Choose a CSV file to upload"]
        return _imports_page(form, status=400)
    try:
        job = upload.create_job(
            uploaded.filename,
            uploaded.read(upload.MAX_BYTES + 1),
            source=form.source.data,
            lawful_basis=form.lawful_basis.data,
            by_user_id=current_user.id,
        )
    except upload.ImportProblem as problem:
        db.session.rollback()
        form.file.errors = [str(problem)]
        return _imports_page(form, status=400)
    db.session.commit()
    return redirect(url_for("roster.staff_import", job_id=job.id))


@bp.route("/staff/imports/<int:job_id>", methods=["GET", "POST"])
def staff_import(job_id: int):
    job = db.get_or_404(ImportJob, job_id)
    form = mapping_form(job.headers, job.mapping, formdata=request.form if request.method == "POST" else None)
    problems: list[str] = []
    if request.method == "POST" and form.validate_on_submit():
        mapping = {name: value for name, value in form.data.items() if name != "csrf_token" and value}
        problems = upload.check_mapping(mapping, job.headers)
        if not problems and run.start_check(job, mapping):
            enqueue(check_import, job.id)
            db.session.commit()
            return redirect(url_for("roster.staff_import", job_id=job.id))
    status = 400 if problems or form.errors else 200
    return render_template(
        "roster/staff/import.html",
        job=job,
        form=form,
        problems=problems,
        run_form=ConfirmForm(formdata=None),
        fields=upload.FIELD_LABELS,
    ), status


@bp.post("/staff/imports/<int:job_id>/run")
def staff_import_run(job_id: int):
    job = db.get_or_404(ImportJob, job_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if not run.start_import(job):
        flash("This file cannot be imported now: check it first, or it has been imported already.", "info")
        return redirect(url_for("roster.staff_import", job_id=job.id))
    enqueue(run_import, job.id)
    db.session.commit()
    return redirect(url_for("roster.staff_import", job_id=job.id))


@bp.get("/staff/imports/<int:job_id>/status")
def staff_import_status(job_id: int):
    job = db.get_or_404(ImportJob, job_id)
    working = job.status in (JobStatus.CHECKING.value, JobStatus.RUNNING.value)
    page = url_for("roster.staff_import", job_id=job.id)
    return _progress(job, not working, result_url=page, result_text="See the results")


@bp.get("/staff/imports/<int:job_id>/report.csv")
def staff_import_report(job_id: int):
    job = db.get_or_404(ImportJob, job_id)
    dry_run = request.args.get("run") != "import"
    only = request.args.get("only") if request.args.get("only") in run.REPORT_FILTERS else None
    rows = run.report_download(job, dry_run, outcome=only)
    db.session.commit()
    return csv_response(f"import-{job.id}-{'check' if dry_run else 'result'}.csv", run.REPORT_HEADER, rows)


# ------------------------------------------------------------------------------------------------- duplicates


@bp.get("/staff/duplicates")
def staff_duplicates():
    return render_template("roster/staff/duplicates.html", pairs=duplicates.likely_duplicates())


@bp.route("/staff/champions/merge", methods=["GET", "POST"])
def staff_merge():
    keep = db.get_or_404(Champion, request.values.get("keep", type=db_id) or 0)
    remove = db.get_or_404(Champion, request.values.get("remove", type=db_id) or 0)
    form = ConfirmForm()
    refused = None
    if request.method == "POST" and form.validate_on_submit():
        try:
            duplicates.merge(keep, remove, current_user.id, fingerprint=request.form.get("fingerprint"))
            db.session.commit()
            flash(f"Merged. Everything of champion #{remove.id} is now on this record.", "success")
            return redirect(url_for("roster.staff_champion", champion_id=keep.id))
        except duplicates.MergeRefused as exc:
            db.session.rollback()
            refused = str(exc)
    try:
        plan = duplicates.plan_merge(keep, remove)
    except duplicates.MergeRefused as exc:
        return render_template("roster/staff/merge.html", refused=str(exc), keep=keep, remove=remove), 400
    page = render_template("roster/staff/merge.html", plan=plan, refused=refused, keep=keep, remove=remove, form=form)
    return page, 400 if refused else 200
