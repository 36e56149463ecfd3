"""The check on the core training: champions answer it before, straight after and eight weeks later; staff write
its questions in versions and see the figures."""

from __future__ import annotations

from flask_login import current_user

from champions.core.features import Feature, NavItem, Section
from champions.core.permissions import CHAMPION, STAFF
from champions.core.personal_data import Holding, Lookup
from champions.evaluation import bp, models, services, views  # noqa: F401  (importing them adds their routes)
from champions.evaluation.models import Point
from champions.training.signals import catalogue_sections


def training_page_section(champion) -> Section | None:
    """The training page's word about the check (training's ``catalogue_sections`` signal)."""
    if current_user.is_authenticated and champion is not None:
        return Section("evaluation/_training_section.html", services.training_section(champion))
    return None


FEATURE = Feature(
    name="evaluation",
    blueprints=(bp,),
    access={
        "evaluation.check": CHAMPION,
        "evaluation.my_results": CHAMPION,
        "evaluation.my_answers": CHAMPION,
        "evaluation.staff_figures": STAFF,
        "evaluation.staff_figures_csv": STAFF,
        "evaluation.staff_versions": STAFF,
        "evaluation.staff_questions": STAFF,
    },
    navigation=(NavItem("Training check", "evaluation.staff_figures", STAFF, 185),),
    models=(models,),
    merges=models.MERGES,
    holdings=(
        Holding(
            "evaluation_responses",
            "champion",
            "champion_id",
            # Kept without the answers themselves: the scores are no more than numbers, and the programme's
            # figures (before, after, eight weeks later) keep counting everyone who answered.
            "anonymise",
            {"answers": None},
            title="Your training check answers",
            describe=(
                "Your answers to the short check on the core training (before it, straight after and eight weeks "
                "later): how many questions you got right and how confident you felt."
            ),
            columns={
                "answered_at": "Answered",
                "point": "When",
                "version": "Version of the check",
                "knowledge_right": "Questions right",
                "knowledge_asked": "Questions asked",
                "confidence_mean": "Your confidence (1 to 5, the mean)",
                "answers": "Your answers",
            },
            labels={"point": {p.value: p.label for p in Point}, "answers": services.answers_in_words},
            lookups=(Lookup("version_id", "evaluation_versions", {"version": "number"}),),
            order_by=("answered_at", "id"),
        ),
    ),
    not_personal={
        "evaluation_versions": "the versions of the check",
        "evaluation_questions": "the questions staff wrote",
    },
    signals=((catalogue_sections, training_page_section),),
)
