"""Synthetic plant: a seeded generator of every extract of the contract, with labelled faults.

``generate(out, days, start, seed, scale)`` writes ``out/landing/<source>/`` (one file per
source per day for transactions, master data once) and ``out/ground_truth.json``, and
returns the ground truth. Same arguments, same bytes.
"""

from twin_core.synth.config import DEFAULT_FORMATS, DEFAULT_START, SynthConfig, make_config
from twin_core.synth.generate import SynthError, generate, run
from twin_core.synth.truth import DIRT_KINDS, FAULT_KINDS, Fault, GroundTruth

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
