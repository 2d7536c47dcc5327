"""Named, independent random streams: one per (seed, component, ...) so that adding a
draw in one component never shifts the numbers of another."""

from __future__ import annotations

import zlib

import numpy as np


def stream(seed: int, *labels: str | int) -> np.random.Generator:
    """A generator keyed by the run's seed and labels (stable across processes)."""
    words = [seed]
    for label in labels:
        words.append(label if isinstance(label, int) else zlib.crc32(label.encode()))
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(words)))
