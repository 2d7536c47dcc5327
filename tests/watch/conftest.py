"""Fixtures of the quality-watch tests: a seeded 7-day demo plant (labelled faults, and the
same plant fault-free), warmed up the way ``twin replay`` does it (the first 3 days landed at
once, their nightly rebuilt and published), copied fresh for each test that writes to it."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from twin_core.publish import publish
from twin_core.settings import Settings
from twin_core.synth.generator import generate
from twin_core.watch.driver import nightly
from twin_core.watch.replay import ReplaySource, hour_files, plan_replay

DAYS, SEED, WARMUP = 7, 7, 3


@dataclass
class Plant:
    root: Path
    source: ReplaySource
    warm_home: Path

    def home(self, tmp_path: Path) -> Settings:
        """A copy of the warmed-up TWIN_HOME for one test."""
        home = tmp_path / "home"
        shutil.copytree(self.warm_home, home)
        return Settings(home=home)


def _plant(base: Path, faults: str) -> Plant:
    root = base / "plant"
    generate(root, days=DAYS, seed=SEED, faults=faults)  # type: ignore[arg-type]
    source = plan_replay(root)
    home = base / "warm"
    settings = Settings(home=home)
    for d in (settings.landing_dir, settings.reports_dir, settings.validation_dir):
        d.mkdir(parents=True, exist_ok=True)
    for day in source.days[:WARMUP]:
        for hour in range(24):
            hour_files(source, settings.landing_dir, day, hour)
    nightly(settings, source.days[WARMUP - 1])
    publish(settings)
    return Plant(root, source, home)


@pytest.fixture(scope="session")
def labelled_plant(tmp_path_factory: pytest.TempPathFactory) -> Plant:
    return _plant(tmp_path_factory.mktemp("watch-labelled"), "labelled")


@pytest.fixture(scope="session")
def clean_plant(tmp_path_factory: pytest.TempPathFactory) -> Plant:
    return _plant(tmp_path_factory.mktemp("watch-clean"), "none")
