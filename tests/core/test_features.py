"""Features plug themselves in (champions/core/features.py): what each declares is what the app does, the duties
every feature shares are checked against each feature's own tables, and a feature that only a test registers
shows up in the access rules, the menu, the subject access export and merging without touching anything else."""

from __future__ import annotations

import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from types import ModuleType

import pytest
from flask import Blueprint, render_template_string
from sqlalchemy import Column, ForeignKey, Integer, String, Table, insert, select

from champions import create_app
from champions.core import merging
from champions.core.features import Feature, Features, NavItem
from champions.core.permissions import STAFF
from champions.core.personal_data import Holding
from champions.extensions import db as _db
from champions.privacy.export import export_data
from champions.privacy.services import erase
from tests.core.test_access_matrix import sample_args
from tests.factories import PASSWORD
from tests.feature_samples import feature_samples

pytestmark = pytest.mark.once

PEOPLE = ("users", "champions", "organisations")  # the records a merge combines


def unclassified(registry: Features) -> list[str]:
    """Tables no feature classifies for export and erasure, or classified by a feature that does not own them."""
    problems = []
    for feature in registry.all:
        own = {t.name for t in feature.tables()}
        declared = {h.table for h in feature.holdings} | set(feature.not_personal)
        problems += [f"{feature.name} does not classify {t}" for t in sorted(own - declared)]
        problems += [f"{feature.name} classifies {t}, not its own" for t in sorted(declared - own)]
    return problems


def merges_not_declared_by_owner(registry: Features) -> list[str]:
    """References to people and organisations whose merge policy is not declared by the feature owning them."""
    problems = []
    for target in PEOPLE:
        for ref in merging.references(_db.metadata.tables[target]):
            owner = registry.owner_of(ref.table.name)
            if owner is None or (target, ref.key) not in owner.merges:
                problems.append(f"{ref.key} (to {target}) is not declared by {owner.name if owner else 'any feature'}")
    return problems


def foreign_routes(registry: Features) -> list[str]:
    """Access rules a feature declares for routes of another feature's blueprint."""
    return [
        f"{feature.name} declares {endpoint}"
        for feature in registry.all
        for endpoint in feature.access
        if endpoint != "static"
        and endpoint.split(".")[0] not in {bp.name for bp in feature.blueprints} | set(feature.registers_itself)
    ]


def test_every_table_belongs_to_one_feature(app):
    registry = app.extensions["features"]
    owners = {table.name: [] for table in _db.metadata.sorted_tables}
    for feature in registry.all:
        for table in feature.tables():
            owners[table.name].append(feature.name)
    assert {name: found for name, found in owners.items() if len(found) != 1} == {}


def test_each_feature_classifies_its_own_tables_for_export_and_erasure(app):
    problems = unclassified(app.extensions["features"])
    assert problems == [], "\n".join(problems)


def test_each_feature_declares_how_a_merge_treats_its_own_references(app):
    problems = merges_not_declared_by_owner(app.extensions["features"])
    assert problems == [], "\n".join(problems)


def test_each_feature_declares_access_only_for_its_own_routes(app):
    problems = foreign_routes(app.extensions["features"])
    assert problems == [], "\n".join(problems)


def _lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    """lint-imports, as bin/test runs it, on the project copied to ``root``."""
    command = [str(Path(sys.executable).with_name("lint-imports")), "--no-cache"]
    return subprocess.run(command, cwd=root, capture_output=True, text=True, timeout=120)


def _copy_project(root: Path) -> Path:
    project = Path(__file__).parents[2]
    for name in ("champions", "config"):
        shutil.copytree(
            project / name, root / name, ignore=shutil.ignore_patterns("__pycache__", "static", "templates")
        )
    (root / "tests").mkdir()
    for name in ("__init__.py", "import_contract.py"):
        shutil.copy(project / "tests" / name, root / "tests" / name)
    shutil.copy(project / ".importlinter", root)
    return root


@pytest.mark.parametrize(
    ("where", "line", "complaint"),
    [
        (
            "core/keys.py",
            "from champions.accounts import models",
            "champions.core is not allowed to import champions.accounts",
        ),
        (
            "training/models.py",
            "from champions.network import services",
            "champions.training is not allowed to import champions.network",
        ),
        (
            "accounts/models.py",
            "from champions import roster",
            "champions.accounts is not allowed to import champions.roster",
        ),
        (
            "unlisted_example/__init__.py",
            '"""A package in no layer."""',
            "The following modules are not listed as layers",
        ),
    ],
    ids=["core imports a feature", "a feature imports one beside it", "a feature imports one above it", "no layer"],
)
def test_the_import_contract_is_champions_layers_and_breaking_it_fails(kept_project, where, line, complaint):
    module = kept_project / "champions" / where
    package_added = not module.parent.exists()
    before = module.read_text() if module.exists() else None
    module.parent.mkdir(exist_ok=True)
    try:
        with module.open("a") as text:
            text.write(f"\n{line}  # noqa\n")
        result = _lint_imports(kept_project)
    finally:  # the copy is shared by each case: as it was
        if package_added:
            shutil.rmtree(module.parent)
        elif before is None:
            module.unlink()
        else:
            module.write_text(before)
    assert result.returncode != 0 and complaint in result.stdout


@pytest.fixture(scope="module")
def kept_project(tmp_path_factory) -> Path:
    """The project copied once for the cases above, which keeps its import contract (each case breaks it once)."""
    root = _copy_project(tmp_path_factory.mktemp("project"))
    result = _lint_imports(root)
    assert result.returncode == 0, result.stdout
    return root


def test_the_menu_and_the_worker_come_from_the_declarations(app):
    registry = app.extensions["features"]
    celery = app.extensions["celery"]
    assert set(celery.conf.include) >= set(registry.task_modules)
    assert set(celery.conf.beat_schedule) == {beat.name for f in registry.all for beat in f.beat}
    assert [item.order for item in registry.navigation] == sorted(item.order for item in registry.navigation)


# ---- A feature registered only here ------------------------------------------------------------------------

toy = Blueprint("toy", __name__)


@toy.get("/staff/test-only-example")
def examples():
    return render_template_string(
        '{% extends "layout.html" %}{% block content %}<h1>Test-only example</h1>{% endblock %}'
    )


def badge_feature() -> tuple[Feature, Table]:
    """The shortest honest feature: a page for staff, a menu entry, and a table of rows about champions (named so
    that no real feature would clash with it)."""
    table = Table(
        "test_only_examples",
        _db.metadata,
        Column("id", Integer, primary_key=True),
        Column("champion_id", ForeignKey("champions.id", ondelete="CASCADE")),
        Column("name", String(40)),
    )

    models = ModuleType("test_only_example.models")  # stands for the feature's models module
    models.examples = table  # type: ignore[attr-defined]

    feature = Feature(
        name="test_only_example",
        blueprints=(toy,),
        access={"toy.examples": STAFF},
        navigation=(NavItem("Test-only example", "toy.examples", STAFF, 195),),
        models=(models,),
        merges=merging.moves("champions", "test_only_examples.champion_id"),
        holdings=(Holding("test_only_examples", "champion", "champion_id", "delete"),),
    )
    return feature, table


@pytest.fixture
def badge_app(app, db):
    feature, table = badge_feature()
    table.create(_db.engine)
    badge_app = create_app("testing", extra_features=(feature,), SQLITE_IMMEDIATE_TRANSACTIONS=False)
    try:
        yield badge_app, feature, table
    finally:
        _db.session.remove()
        table.drop(_db.engine)
        _db.metadata.remove(table)
        app.extensions["celery"].set_default()


def _signed_in(app, user):
    client = app.test_client()
    assert client.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 302
    return client


def test_a_feature_registered_only_in_a_test_is_in_the_access_rules_and_the_menu(badge_app, make, client):
    app, _, _ = badge_app
    assert client.get("/staff/test-only-example").status_code == 404  # the app without it has no such page
    # Each request pushes the badge app's own context (one pushed here would share flask-login's user between them).
    users = make.user(role="staff"), make.user(role="champion")  # made before the badge app's first request
    staff, champion = (_signed_in(app, user) for user in users)
    page = staff.get("/staff/test-only-example")
    assert page.status_code == 200 and 'href="/staff/test-only-example">Test-only example</a>' in page.get_data(
        as_text=True
    )
    assert champion.get("/staff/test-only-example").status_code == 403
    assert "/login" in app.test_client().get("/staff/test-only-example").headers["Location"]
    assert "Test-only example</a>" not in champion.get("/me").get_data(as_text=True)
    assert {rule.endpoint for rule in app.url_map.iter_rules()} <= set(app.extensions["features"].access)


def test_a_feature_registered_only_in_a_test_is_exported_erased_and_merged(badge_app, make):
    app, _, table = badge_app
    with app.app_context():
        registry = app.extensions["features"]
        assert unclassified(registry) == [] and merges_not_declared_by_owner(registry) == []
        champion = make.champion()
        _db.session.execute(insert(table).values(champion_id=champion.id, name="First conversation"))
        _db.session.commit()
        # It declares nothing of how it reads: its name in words, and only the column a person would understand.
        section = export_data(champion.user)["sections"]["test-only-examples"]
        assert (section["title"], section["rows"]) == ("Test only examples", [{"Name": "First conversation"}])
        erase(champion.user)
        _db.session.commit()
        assert _db.session.scalars(select(table.c.id)).all() == []
        assert merging.unhandled(_db.metadata.tables["champions"]) == []


def test_a_feature_that_forgets_a_duty_is_reported(badge_app):
    _, feature, _ = badge_app
    forgetful = Features([*Features([]).all, replace(feature, holdings=(), merges={})])
    assert unclassified(forgetful) == ["test_only_example does not classify test_only_examples"]
    assert (
        "test_only_examples.champion_id (to champions) is not declared by test_only_example"
        in merges_not_declared_by_owner(forgetful)
    )


def test_a_features_own_test_folder_gives_the_shared_walks_its_sample_records(db, make, monkeypatch):
    """tests/<feature>/samples.py: route arguments for the route walks and rows for the export test."""
    samples = ModuleType("tests.moments.samples")
    samples.route_args = lambda db, make: {"moments.example": {"moment_id": 7}}  # type: ignore[attr-defined]
    samples.personal_rows = lambda db, user, champion: None  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "tests.moments.samples", samples)
    assert sample_args(db, make)["moments.example"] == {"moment_id": 7}
    assert samples.personal_rows in list(feature_samples("personal_rows"))  # type: ignore[attr-defined]
