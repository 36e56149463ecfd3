from __future__ import annotations

from flask import Response, abort, redirect, render_template, url_for
from flask_login import current_user

from champions.network import bp, services
from champions.network.services import referral_url


@bp.get("/join/<code>")
def join(code: str):
    """A champion's personal link: the sign-up form, with how they heard already filled in."""
    return redirect(url_for("roster.register", ref=code.strip().upper()[:16]))


@bp.get("/me/network")
def my_network():
    champion = current_user.champion
    by_degree = services.recruits_by_degree(champion.id)
    return render_template(
        "network/network.html",
        champion=champion,
        by_degree=by_degree,
        reached=services.people_reached_by_degree(champion.id),
        recruits=services.direct_recruits(champion.id),
        milestones=services.milestones(by_degree[0]),
        link=referral_url(champion.referral_code),
    )


@bp.get("/me/network/qr.svg")
def qr_code():
    if current_user.champion.withdrawn:
        abort(404)  # a withdrawn champion's link recruits nobody, so it is not offered
    svg = services.qr_svg(referral_url(current_user.champion.referral_code))
    return Response(svg, mimetype="image/svg+xml", headers={"Cache-Control": "private, max-age=3600"})
