"""The check, for champions (answer it, or skip it; see their own results) and for staff (write the questions in
versions; the figures, with their data tables and CSV files)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from champions.core.downloads import csv_response
from champions.core.templating import uk_time
from champions.evaluation import bp, figures, services
from champions.evaluation.forms import CONFIDENCE_SLOTS, KNOWLEDGE_SLOTS, MAX_OPTIONS, CheckForm, QuestionsForm
from champions.evaluation.models import Point, Response
from champions.extensions import db

# ------------------------------------------------------------------------------------------------------ champions


def _point(name: str) -> Point:
    try:
        return Point(name)
    except ValueError:
        abort(404)


@bp.route("/me/training-check/<point>", methods=["GET", "POST"])
def check(point: str):
    which = _point(point)
    champion = current_user.champion
    version = services.current_version()
    if version is None:
        abort(404)
    form = CheckForm.for_version(version)
    refusal = services.refusal(champion, which)
    status = 200
    if form.is_submitted():
        status = 400
        # The answers are checked whatever the refusal, so each mistake gets its own message too.
        if form.validate() and refusal is None:
            try:
                services.answer(champion, version, which, form.answers(version))
            except services.NotNow as why:
                refusal = str(why)
            else:
                db.session.commit()
                flash("Thank you: your answers are saved. Your results are below.", "success")
                return redirect(url_for("evaluation.my_results"))
        if refusal is not None and form.question_fields():
            form.question_fields()[0].errors = [refusal]
    return render_template("evaluation/check.html", point=which, version=version, form=form, refusal=refusal), status


@bp.get("/me/training-check")
def my_results():
    champion = current_user.champion
    mine = services.responses(champion)
    done = services.finished_at(champion)
    return render_template(
        "evaluation/results.html",
        mine=[(point, mine.get(point.value)) for point in Point],
        due=services.due(champion),
        later_opens=services.opens_on(done) if done else None,
    )


@bp.get("/me/training-check/answers/<int:response_id>")
def my_answers(response_id: int):
    response = db.session.get(Response, response_id)
    if response is None or response.champion_id != current_user.champion.id:
        abort(404)  # another champion's answers are not theirs to see, nor to know exist
    return render_template(
        "evaluation/answers.html",
        response=response,
        point=Point(response.point),
        rows=services.readable_answers(response),
    )


# ---------------------------------------------------------------------------------------------------------- staff


@bp.get("/staff/evaluation")
def staff_figures():
    tables = {grouping: (figures.scores(grouping), figures.kept(grouping)) for grouping in figures.GROUPINGS}
    return render_template(
        "evaluation/staff_figures.html", tables=tables, groupings=figures.GROUPINGS, small=figures.SMALL
    )


@bp.get("/staff/evaluation/<grouping>-<kind>.csv")
def staff_figures_csv(grouping: str, kind: str):
    if grouping not in figures.GROUPINGS or kind not in ("scores", "kept"):
        abort(404)
    header, rows = (figures.scores_csv_rows if kind == "scores" else figures.kept_csv_rows)(grouping)
    return csv_response(f"training-check-{kind}-{grouping}.csv", header, rows)


@bp.get("/staff/evaluation/questions")
def staff_versions():
    return render_template("evaluation/staff_versions.html", versions=services.versions())


@bp.route("/staff/evaluation/questions/edit", methods=["GET", "POST"])
def staff_questions():
    current = services.current_version()
    # The page shows the current questions; a post is read as it is, never filled in from them.
    form = (
        QuestionsForm()
        if request.method == "POST"
        else QuestionsForm(data=QuestionsForm.data_from(services.drafts_of(current)))
    )
    if form.validate_on_submit():
        version = services.save_questions(form.drafts())
        db.session.commit()
        when = uk_time(version.published_at, "%-d %B %Y")
        flash(
            f"Version {version.number} of the check is published ({when}); champions answer it from now on.", "success"
        )
        return redirect(url_for("evaluation.staff_versions"))
    answered = current is not None and services.answered(current)
    return render_template(
        "evaluation/staff_questions.html",
        form=form,
        current=current,
        answered=answered,
        knowledge_slots=range(1, KNOWLEDGE_SLOTS + 1),
        option_boxes=range(1, MAX_OPTIONS + 1),
        confidence_slots=range(1, CONFIDENCE_SLOTS + 1),
    ), 400 if form.errors else 200
