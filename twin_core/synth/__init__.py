"""Synthetic plant: a seeded generator of every extract of the contract, with labelled faults.

``generate(out, days, start, seed, scale)`` writes ``out/landing/<source>/`` (one file per
source per day for transactions, master data once) and ``out/ground_truth.json``, and
returns the ground truth. Same arguments, same bytes.
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

from twin_core.synth.config import DEFAULT_FORMATS, DEFAULT_START, SynthConfig, make_config

if TYPE_CHECKING:
    from twin_core.synth.generator import SynthError, generate, run
    from twin_core.synth.truth import DIRT_KINDS, FAULT_KINDS, Fault, GroundTruth

# The generator needs numpy and scipy (about 2 s to import): its names load on first use, so
# a command that only reads the configuration (``twin --help``) does not pay for them.
_LAZY = {
    "SynthError": "twin_core.synth.generator",
    "generate": "twin_core.synth.generator",
    "run": "twin_core.synth.generator",
    "DIRT_KINDS": "twin_core.synth.truth",
    "FAULT_KINDS": "twin_core.synth.truth",
    "Fault": "twin_core.synth.truth",
    "GroundTruth": "twin_core.synth.truth",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(module), name)


__all__ = [
    "DEFAULT_FORMATS",
    "DEFAULT_START",
    "DIRT_KINDS",
    "FAULT_KINDS",
    "Fault",
    "GroundTruth",
    "SynthConfig",
    "SynthError",
    "generate",
    "make_config",
    "run",
]
