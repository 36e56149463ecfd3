"""A staff member's saved searches: save a list's current filters under a name, open, rename or delete them."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user
from wtforms import HiddenField, StringField

from champions.core import bp, saved_searches
from champions.core.forms import BaseForm, ConfirmForm, strip
from champions.core.saved_searches import SavedSearch, SearchProblem
from champions.extensions import db


class SaveSearchForm(BaseForm):
    list_name = HiddenField()
    query = HiddenField()
    name = StringField("Name for these filters", filters=[strip])


class RenameSearchForm(BaseForm):
    name = StringField("New name", filters=[strip])


@bp.app_template_global()
def my_saved_searches(list_name: str) -> list[SavedSearch]:
    """The signed-in person's saved searches of one list, for the block beside its filters."""
    if not current_user.is_authenticated:
        return []
    return saved_searches.mine(current_user.id, list_name)


@bp.app_template_global()
def save_search_form(list_name: str, args: dict) -> SaveSearchForm:
    return SaveSearchForm(formdata=None, list_name=list_name, query=_query(args))


def _query(args: dict) -> str:
    return urlencode([(key, value) for key, value in args.items() if value not in ("", None)])


def _page(
    status: int = 200,
    *,
    save_form: SaveSearchForm | None = None,
    rename: tuple[int, RenameSearchForm] | None = None,
    problem: str | None = None,
):
    return render_template(
        "core/saved_searches.html",
        searches=saved_searches.mine(current_user.id),
        lists=saved_searches.LISTS,
        save_form=save_form,
        saving=parse_qsl(save_form.query.data or "") if save_form is not None else [],
        rename=rename,
        problem=problem,
        confirm=ConfirmForm(formdata=None),
        status_error=status >= 400,
    ), status


def _mine(search_id: int) -> SavedSearch:
    saved = saved_searches.my_search(current_user.id, search_id)
    if saved is None:
        abort(404)  # someone else's is not found, as one that does not exist
    return saved


@bp.get("/staff/saved-searches")
def saved_search_list():
    return _page()


@bp.post("/staff/saved-searches")
def saved_search_save():
    form = SaveSearchForm()
    if form.validate_on_submit():
        try:
            saved = saved_searches.save_search(
                current_user.id, current_user.role, form.list_name.data, form.name.data or "", form.query.data or ""
            )
        except SearchProblem as problem:
            db.session.rollback()
            getattr(form, problem.field).errors = [str(problem)]
        else:
            db.session.commit()
            flash(f"Saved as ‘{saved.name}’. It is listed beside the filters.", "success")
            return redirect(url_for(saved_searches.LISTS[saved.list_name].endpoint) + "?" + saved.query)
    return _page(400, save_form=form)


@bp.get("/staff/saved-searches/<int:search_id>")
def saved_search_open(search_id: int):
    saved = _mine(search_id)
    try:
        found, query = saved_searches.opened_query(saved, current_user.role)
    except SearchProblem as problem:
        return _page(400, problem=f"‘{saved.name}’ no longer works: {problem}. Delete it and save the filters again.")
    return redirect(url_for(found.endpoint) + "?" + query)


@bp.post("/staff/saved-searches/<int:search_id>/rename")
def saved_search_rename(search_id: int):
    saved = _mine(search_id)
    form = RenameSearchForm()
    if form.validate_on_submit():
        try:
            saved_searches.rename_search(saved, form.name.data or "")
        except SearchProblem as problem:
            db.session.rollback()
            form.name.errors = [str(problem)]
        else:
            db.session.commit()
            flash(f"Renamed to ‘{saved.name}’.", "success")
            return redirect(url_for("core.saved_search_list"))
    return _page(400, rename=(saved.id, form))


@bp.post("/staff/saved-searches/<int:search_id>/delete")
def saved_search_delete(search_id: int):
    saved = _mine(search_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    name = saved.name
    saved_searches.delete_search(saved)
    db.session.commit()
    flash(f"‘{name}’ deleted.", "success")
    return redirect(url_for("core.saved_search_list"))
