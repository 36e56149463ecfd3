"""Features plug themselves in: each declares, in one ``Feature`` of its own, what the app needs to know of it.

``create_app`` is a list of features (``champions.LAYERS``). Core reads their declarations here and never
imports a feature: the access table, the header menu, the beat schedule, the Celery task modules, the merge
policies, and what is held about a person (for the subject access export and erasure) are all the union of
what the features declare. A feature is a package with a ``feature.py`` holding ``FEATURE``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from types import ModuleType
from typing import Any, TypeVar

from blinker import Signal
from flask import Blueprint, Flask, current_app
from sqlalchemy import Table

from champions.core.merging import Policy
from champions.core.permissions import Role, Rule
from champions.core.personal_data import Holding


@dataclass(frozen=True)
class NavItem:
    """One entry of the header menu, shown to ``roles``; ``order`` places it among every feature's entries."""

    text: str
    endpoint: str
    roles: frozenset[Role]
    order: int


@dataclass(frozen=True)
class Beat:
    """A periodic task: its name on the schedule, the task, and how often (or a function giving how often,
    read when the app starts, for intervals set in the environment)."""

    name: str
    task: str
    every: timedelta | Callable[[], timedelta]

    def entry(self) -> dict[str, Any]:
        every = self.every if isinstance(self.every, timedelta) else self.every()
        return {"task": self.task, "schedule": every}


@dataclass(frozen=True)
class Section:
    """A piece of another feature's page: a template of this feature's, rendered with ``section.data``."""

    template: str
    data: Any = None


@dataclass(frozen=True)
class Feature:
    """What one feature brings to the app. Everything but ``name`` is optional."""

    name: str
    blueprints: tuple[Blueprint, ...] = ()
    # Names of the blueprints it registers itself rather than through ``blueprints`` (the API's, which its
    # OpenAPI library registers to describe them): their routes are its own too.
    registers_itself: tuple[str, ...] = ()
    access: Mapping[str, Rule] = field(default_factory=dict)  # endpoint -> who may use it
    navigation: tuple[NavItem, ...] = ()
    beat: tuple[Beat, ...] = ()
    task_modules: tuple[str, ...] = ()  # modules with Celery tasks, imported by every worker
    models: tuple[ModuleType, ...] = ()  # the modules defining its tables: they are the tables it owns
    # Merging two records: (merged table, "table.column" referring to it) -> what happens to those rows.
    merges: Mapping[tuple[str, str], Policy] = field(default_factory=dict)
    holdings: tuple[Holding, ...] = ()  # its tables that hold someone's personal data (export and erasure)
    not_personal: Mapping[str, str] = field(default_factory=dict)  # its tables that hold none, and why
    # Its tables of finished jobs keeping a whole file (``content``, ``finished_at``) that may hold anyone's details:
    # cleared on any erasure and a week after the job (privacy's retention).
    stored_files: tuple[str, ...] = ()
    template_globals: Mapping[str, Any] = field(default_factory=dict)
    signals: tuple[tuple[Signal, Callable[..., Any]], ...] = ()  # receivers it connects to others' signals

    def tables(self) -> list[Table]:
        """The tables defined in this feature's model modules."""
        found: dict[str, Table] = {}
        for module in self.models:
            for value in vars(module).values():
                if isinstance(value, type) and value.__module__ == module.__name__:  # a model class defined there
                    value = getattr(value, "__table__", None)
                if isinstance(value, Table):
                    found[value.name] = value
        return list(found.values())


class Features:
    """The features of one app, and the union of what they declare."""

    def __init__(self, features: Iterable[Feature]):
        self.all = list(features)
        self.access: dict[str, Rule] = {}
        self.merges: dict[tuple[str, str], Policy] = {}
        for feature in self.all:
            _add_once(self.access, feature.access, feature.name, "route")
            _add_once(self.merges, feature.merges, feature.name, "merge")
        self.navigation = sorted((item for f in self.all for item in f.navigation), key=lambda item: item.order)
        self.holdings = [holding for f in self.all for holding in f.holdings]
        self.not_personal = {table: why for f in self.all for table, why in f.not_personal.items()}
        self.task_modules = [module for f in self.all for module in f.task_modules]
        self.stored_files = [table for f in self.all for table in f.stored_files]
        self._owners = {table.name: f for f in self.all for table in f.tables()}  # read once: tables() scans modules

    def beat_schedule(self) -> dict[str, dict[str, Any]]:
        return {beat.name: beat.entry() for f in self.all for beat in f.beat}

    def owner_of(self, table: str) -> Feature | None:
        return self._owners.get(table)


_Key = TypeVar("_Key", str, tuple[str, str])
_Value = TypeVar("_Value")


def _add_once(union: dict[_Key, _Value], mine: Mapping[_Key, _Value], feature: str, kind: str) -> None:
    """Adds one feature's rules to everyone's, refusing a rule that another feature declared already."""
    if clash := set(mine) & set(union):
        raise ValueError(f"{feature} declares the {kind} rules of {sorted(clash)} again")
    union.update(mine)


def load(names: Iterable[str]) -> list[Feature]:
    """The ``FEATURE`` of each ``champions.<name>.feature`` module, in the order given."""
    return [importlib.import_module(f"champions.{name}.feature").FEATURE for name in names]


def init_app(app: Flask, features: Iterable[Feature]) -> Features:
    registry = Features(features)
    app.extensions["features"] = registry
    for feature in registry.all:
        for blueprint in feature.blueprints:
            app.register_blueprint(blueprint)
        app.jinja_env.globals.update(feature.template_globals)
        for signal, receiver in feature.signals:
            signal.connect(receiver)
    return registry


def registry() -> Features:
    """The features of the app in use."""
    return current_app.extensions["features"]


def values_from(signal: Signal, *args: Any, **kwargs: Any) -> list[Any]:
    """Send ``signal`` and return what its receivers answered (Indico's ``values_from_signal``, in small)."""
    return [value for _, value in signal.send(*args, **kwargs) if value is not None]
