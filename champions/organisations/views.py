from __future__ import annotations

from collections.abc import Mapping

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import Select, func, select
from sqlalchemy.orm import selectinload

from champions.core import audit, saved_searches
from champions.core.downloads import csv_response
from champions.core.features import values_from
from champions.core.forms import db_id, search_text
from champions.core.pagination import keyset_page
from champions.core.places import borough_choices
from champions.extensions import db
from champions.organisations import bp, signals
from champions.organisations.forms import (
    AffiliationForm,
    ContactForm,
    EngagementForm,
    NewOrganisationForm,
    OrganisationForm,
)
from champions.organisations.models import (
    ORGANISATION_TYPE_LABELS,
    EngagementLevel,
    Organisation,
    OrganisationContact,
)
from champions.organisations.services import (
    FILTER_KEYS,
    MergeRefused,
    add_contact,
    affiliate_champion,
    champion_with_email,
    change_engagement,
    duplicate_pairs,
    filtered_organisations,
    likely_duplicates_of,
    merge_organisations,
    plan_organisation_merge,
    register_organisation,
    unaffiliate_champion,
    update_contact,
    update_organisation,
)
from champions.profiles.models import Champion


def _saved_search_problems(args: Mapping[str, str]) -> dict[str, str]:
    """Filter values the list would not match anything by: a type, level or borough it does not offer."""
    offered = {
        "type": {t.value for t in ORGANISATION_TYPE_LABELS},
        "level": {level.value for level in EngagementLevel},
        "borough": {code for code, _ in borough_choices()},
    }
    return {
        key: f"{key.capitalize()} must be one of the choices the list offers"
        for key, values in offered.items()
        if key in args and args[key] not in values
    }


saved_searches.register(
    saved_searches.SearchList(
        "organisations", "Organisations", "organisations.organisation_list", FILTER_KEYS, _saved_search_problems
    )
)


def _filtered() -> tuple[Select[Organisation], dict[str, str]]:
    filters = {k: search_text(request.args.get(k)) for k in FILTER_KEYS}
    return filtered_organisations(filters), filters


@bp.get("/staff/organisations")
def organisation_list():
    query, filters = _filtered()
    page = keyset_page(
        query.options(selectinload(Organisation.boroughs)), Organisation.id, request.args.get("before", type=db_id)
    )
    return render_template(
        "organisations/list.html",
        page=page,
        filters=filters,
        types=ORGANISATION_TYPE_LABELS,
        levels=list(EngagementLevel),
        boroughs=borough_choices(),
        duplicates=len(duplicate_pairs()),
    )


def _contact_count():
    """Each organisation's number of contacts, counted in the export's own query."""
    return (
        select(func.count(OrganisationContact.id))
        .where(OrganisationContact.organisation_id == Organisation.id)
        .correlate(Organisation)
        .scalar_subquery()
    )


@bp.get("/staff/organisations/export.csv")
def organisation_export():
    query, _ = _filtered()
    organisations = db.session.execute(
        query.add_columns(_contact_count()).options(selectinload(Organisation.boroughs)).order_by(Organisation.name)
    )
    header = ["id", "name", "type", "charity_number", "boroughs", "postcode", "website", "engagement_level", "contacts"]
    rows = (
        [
            o.id,
            o.name,
            ORGANISATION_TYPE_LABELS[o.type],
            o.charity_number or "",
            "; ".join(b.name for b in o.boroughs),
            o.postcode or "",
            o.website or "",
            o.engagement_level,
            contacts,
        ]
        for o, contacts in organisations
    )
    return csv_response("organisations.csv", header, rows)


def _form_choices(form: OrganisationForm) -> None:
    form.boroughs.choices = borough_choices()


@bp.route("/staff/organisations/new", methods=["GET", "POST"])
def organisation_new():
    form = NewOrganisationForm()
    _form_choices(form)
    if form.validate_on_submit():
        organisation = register_organisation(**form.fields(), by_user_id=current_user.id)
        duplicates = likely_duplicates_of(organisation)
        db.session.commit()
        flash(f"{organisation.name} was added to the register.", "success")
        if duplicates:
            flash("It looks like an organisation already on the register. Check the likely duplicates below.", "info")
        return redirect(url_for("organisations.organisation_detail", organisation_id=organisation.id))
    return render_template("organisations/form.html", form=form, organisation=None), 400 if form.errors else 200


def _get(organisation_id: int) -> Organisation:
    organisation = db.get_or_404(Organisation, organisation_id)
    return organisation


# Everything the detail page lists, loaded with the organisation rather than a query per row.
_DETAIL_LISTS = (
    selectinload(Organisation.boroughs),
    selectinload(Organisation.contacts).selectinload(OrganisationContact.champion),
    selectinload(Organisation.champions).selectinload(Champion.borough),
    selectinload(Organisation.engagement_history),
)


@bp.get("/staff/organisations/<int:organisation_id>")
def organisation_detail(organisation_id: int):
    organisation = db.first_or_404(
        select(Organisation).where(Organisation.id == organisation_id).options(*_DETAIL_LISTS)
    )
    if organisation.merged_into_id:
        flash("This organisation was merged into another; you are seeing the one it was merged into.", "info")
        return redirect(url_for("organisations.organisation_detail", organisation_id=organisation.merged_into_id))
    heard = db.session.scalar(select(db.func.count()).where(Champion.heard_via_organisation_id == organisation.id))
    if organisation.contacts:
        audit.viewed("organisation.contacts_viewed", organisation, contacts=len(organisation.contacts))
    return render_template(
        "organisations/detail.html",
        organisation=organisation,
        duplicates=likely_duplicates_of(organisation),
        engagement_form=EngagementForm(engagement_level=organisation.engagement_level),
        affiliation_form=AffiliationForm(),
        sections=values_from(signals.detail_sections, organisation),
        heard=heard,
        types=ORGANISATION_TYPE_LABELS,
    )


@bp.route("/staff/organisations/<int:organisation_id>/edit", methods=["GET", "POST"])
def organisation_edit(organisation_id: int):
    organisation = _get(organisation_id)
    form = OrganisationForm(obj=organisation if request.method == "GET" else None)
    _form_choices(form)
    if request.method == "GET":
        form.boroughs.data = [b.code for b in organisation.boroughs]
    if form.validate_on_submit():
        update_organisation(organisation, **form.fields())
        db.session.commit()
        flash("The organisation's details were saved.", "success")
        return redirect(url_for("organisations.organisation_detail", organisation_id=organisation.id))
    return render_template("organisations/form.html", form=form, organisation=organisation), 400 if form.errors else 200


@bp.post("/staff/organisations/<int:organisation_id>/engagement")
def organisation_engagement(organisation_id: int):
    organisation = _get(organisation_id)
    form = EngagementForm()
    if form.validate_on_submit():
        if change_engagement(organisation, form.engagement_level.data, form.reason.data, current_user.id):
            db.session.commit()
            flash(f"Engagement level changed to {form.engagement_level.data}.", "success")
        else:
            flash("The engagement level is already that; nothing changed.", "info")
        return redirect(url_for("organisations.organisation_detail", organisation_id=organisation.id))
    return render_template(
        "organisations/detail.html",
        organisation=organisation,
        duplicates=likely_duplicates_of(organisation),
        engagement_form=form,
        affiliation_form=AffiliationForm(formdata=None),
        workshops=[],
        heard=0,
        types=ORGANISATION_TYPE_LABELS,
    ), 400


@bp.route("/staff/organisations/<int:organisation_id>/contacts/new", methods=["GET", "POST"])
def contact_new(organisation_id: int):
    organisation = _get(organisation_id)
    form = ContactForm()
    if form.validate_on_submit():
        contact = add_contact(
            organisation,
            name=form.name.data,
            role=form.role.data,
            email=form.email.data,
            phone=form.phone.data,
            consent_to_contact=form.consent_to_contact.data,
        )
        db.session.commit()
        linked = " They are already a champion, so their records are linked." if contact.champion_id else ""
        flash(f"{contact.name} was added.{linked}", "success")
        return redirect(url_for("organisations.organisation_detail", organisation_id=organisation.id))
    return render_template("organisations/contact_form.html", form=form, organisation=organisation), (
        400 if form.errors else 200
    )


@bp.route("/staff/organisations/<int:organisation_id>/contacts/<int:contact_id>/edit", methods=["GET", "POST"])
def contact_edit(organisation_id: int, contact_id: int):
    organisation = _get(organisation_id)
    contact = db.get_or_404(OrganisationContact, contact_id)
    if contact.organisation_id != organisation.id:
        abort(404)
    form = ContactForm(obj=contact if request.method == "GET" else None)
    if form.validate_on_submit():
        update_contact(
            contact,
            name=form.name.data,
            role=form.role.data,
            email=form.email.data,
            phone=form.phone.data,
            consent_to_contact=form.consent_to_contact.data,
        )
        db.session.commit()
        flash(f"{contact.name}'s details were saved.", "success")
        return redirect(url_for("organisations.organisation_detail", organisation_id=organisation.id) + "#contacts")
    return render_template("organisations/contact_form.html", form=form, organisation=organisation, contact=contact), (
        400 if form.errors else 200
    )


@bp.post("/staff/organisations/<int:organisation_id>/champions")
def affiliation_add(organisation_id: int):
    organisation = _get(organisation_id)
    form = AffiliationForm()
    champion = champion_with_email(form.email.data) if form.validate_on_submit() else None
    if champion is None:
        flash("No champion has that email address. Check it and try again.", "error")
        return redirect(url_for("organisations.organisation_detail", organisation_id=organisation.id) + "#champions")
    if affiliate_champion(organisation, champion):
        db.session.commit()
    flash(f"{champion.full_name} is affiliated with {organisation.name}.", "success")
    return redirect(url_for("organisations.organisation_detail", organisation_id=organisation.id) + "#champions")


@bp.post("/staff/organisations/<int:organisation_id>/champions/<int:champion_id>/remove")
def affiliation_remove(organisation_id: int, champion_id: int):
    organisation = _get(organisation_id)
    champion = db.get_or_404(Champion, champion_id)
    unaffiliate_champion(organisation, champion)
    db.session.commit()
    flash(f"{champion.full_name} is no longer affiliated with {organisation.name}.", "success")
    return redirect(url_for("organisations.organisation_detail", organisation_id=organisation.id) + "#champions")


@bp.get("/staff/organisations/duplicates")
def duplicates():
    return render_template("organisations/duplicates.html", pairs=duplicate_pairs(), types=ORGANISATION_TYPE_LABELS)


@bp.route("/staff/organisations/<int:organisation_id>/merge/<int:other_id>", methods=["GET", "POST"])
def merge(organisation_id: int, other_id: int):
    keep, remove = _get(organisation_id), _get(other_id)
    refused = None
    if request.method == "POST":
        try:
            merge_organisations(keep, remove, current_user.id, fingerprint=request.form.get("fingerprint"))
            db.session.commit()
            flash(f"{remove.name} was merged into {keep.name}.", "success")
            return redirect(url_for("organisations.organisation_detail", organisation_id=keep.id))
        except MergeRefused as exc:
            db.session.rollback()
            refused = str(exc)
    try:
        plan = plan_organisation_merge(keep, remove)
    except MergeRefused as exc:
        return render_template("organisations/merge.html", refused=str(exc), keep=keep, remove=remove), 400
    page = render_template("organisations/merge.html", plan=plan, refused=refused, keep=keep, remove=remove)
    return page, 400 if refused else 200
