"""The import contract, read from the app itself: ``champions.LAYERS`` is the one place that says in which order the
features may import each other, and this contract type (named in .importlinter) turns it into import-linter's
layers contract, so adding a feature to ``LAYERS`` is all the contract needs."""

from __future__ import annotations

from typing import Any

from importlinter.contracts.layers import LayersContract

import champions


class FeatureLayers(LayersContract):
    """import-linter's ``layers`` contract over ``champions``' packages, highest first: the command line and the demo
    data on top, then the features' layers from ``champions.LAYERS`` (a line's features may not import each other),
    and ``core`` with ``extensions`` at the bottom. Exhaustive: a package under champions/ that is in no layer
    breaks the contract too."""

    def __init__(self, name: str, session_options: dict[str, Any], contract_options: dict[str, Any]) -> None:
        features = [" | ".join(layer) for layer in reversed(champions.LAYERS) if layer != ("core",)]
        contract_options = {
            **contract_options,
            "containers": ["champions"],
            "layers": ["cli", "demo", *features, "core : extensions"],
            "exhaustive": "true",
        }
        super().__init__(name, session_options, contract_options)
