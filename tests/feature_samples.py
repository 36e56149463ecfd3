"""Sample records a feature's own test folder offers to the shared tests that walk every route and every table,
so that a new feature brings them in its own folder rather than by editing those tests.

A feature's ``tests/<feature>/samples.py`` may define:

- ``route_args(db, make) -> {endpoint: {url argument: value}}`` for its routes with URL arguments (the access
  matrix, the form fuzzer, the CSV check and the query-count walk build their URLs from these);
- ``personal_rows(db, user, champion) -> None``, which adds a row of this person's to each of its tables that hold
  personal data (the subject access export test expects a row from every one).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from typing import Any

from champions import FEATURES


def feature_samples(name: str) -> Iterator[Callable[..., Any]]:
    """Each feature's ``name`` function from its tests/<feature>/samples.py, where it has one."""
    for feature in FEATURES:
        module_name = f"tests.{feature}.samples"
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as missing:
            if missing.name in (module_name, f"tests.{feature}"):
                continue
            raise
        if hasattr(module, name):
            yield getattr(module, name)


def route_args(db, make) -> dict[str, dict]:
    args: dict[str, dict] = {}
    for provide in feature_samples("route_args"):
        args.update(provide(db, make))
    return args
