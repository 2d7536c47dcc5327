"""Several sites of one company: ``generate_sites`` writes ``out/sites/<site_id>/landing/``
(and each site's ``ground_truth.json``), the layout a multi-site TWIN_HOME reads
(``twin_core.sites``).

What the sites share and what is their own:

- shared: the suppliers, the products (ids, names, revisions; product ``P<n>`` is built on
  line ``L<ceil(n/2)>`` of every site that has that line), the materials and BOMs of those
  products, the quality characteristics of each product, the customers. They come from one
  group plant built from the group seed, so a supplier's ``SUP-03`` is the same supplier at
  every site and one product revision's feedback can be compared across sites.
- their own: lines and machines (site ``S1`` has the preset's lines, ``S2`` one more, then
  alternating), sensors, cycle times, the timeline, orders, inventory and faults, each from
  the site's own seed (``seed + 1000 * (k - 1)``).

Same arguments, same bytes, as for one site.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import polars as pl

from twin_core.synth.config import DEFAULT_START, Faults, Scale, SynthConfig, make_config
from twin_core.synth.generator import SynthError, run
from twin_core.synth.plant import Plant, build_plant
from twin_core.synth.truth import GroundTruth

Progress = Callable[[str, int, int], None]

MAX_SITES = 26


def site_ids(n: int) -> list[str]:
    """The ids of ``n`` generated sites: S1, S2, ..."""
    return [f"S{k + 1}" for k in range(n)]


def site_config(base: SynthConfig, k: int) -> SynthConfig:
    """The config of the ``k``-th site (0-based) of a group generated from ``base``: its own
    id, seed and line count; the same sensors per machine, days, formats and faults."""
    lines = base.lines + (k % 2)
    cfg = base.model_copy(
        update={"site_id": f"S{k + 1}", "seed": base.seed + 1000 * k, "lines": lines}
    )
    sensors = base.sensors_per_machine * cfg.machine_count
    return SynthConfig.model_validate(cfg.model_dump() | {"sensors": sensors})


def site_plant(site_cfg: SynthConfig, group: Plant) -> Plant:
    """The site's own plant (lines, machines, sensors) with the group's shared master data
    (suppliers, materials, the BOMs and characteristics of the products its lines build)."""
    own = build_plant(site_cfg)
    products = own.products["product_id"].unique().to_list()
    bom = group.bom.filter(pl.col("product_id").is_in(products))
    materials = group.materials.filter(pl.col("material_id").is_in(bom["material_id"].unique()))
    characteristics = group.characteristics.filter(pl.col("product_id").is_in(products))
    return Plant(
        machines=own.machines,
        sensors=own.sensors,
        products=own.products,
        bom=bom,
        materials=materials,
        suppliers=group.suppliers,
        machine_params=own.machine_params,
        sensor_params=own.sensor_params,
        characteristics=characteristics,
        lines=own.lines,
        customers=group.customers,
    )


def generate_sites(
    out: Path,
    n_sites: int,
    days: int | None = None,
    start: date = DEFAULT_START,
    seed: int = 7,
    scale: Scale = "demo",
    *,
    sensors: int | None = None,
    period_s: int | None = None,
    faults: Faults = "labelled",
    overwrite: bool = False,
    progress: Progress | None = None,
) -> dict[str, GroundTruth]:
    """Generate ``n_sites`` sites into ``out/sites/<site_id>/``; return each site's truth."""
    base = make_config(days, start, seed, scale, sensors=sensors, period_s=period_s, faults=faults)
    return run_sites(out, base, n_sites, overwrite=overwrite, progress=progress)


def run_sites(
    out: Path,
    base: SynthConfig,
    n_sites: int,
    *,
    overwrite: bool = False,
    progress: Progress | None = None,
) -> dict[str, GroundTruth]:
    """``generate_sites`` from a ready config (the first site's)."""
    if not 1 <= n_sites <= MAX_SITES:
        raise SynthError(f"--sites takes 1 to {MAX_SITES} sites, got {n_sites}")
    if (out / "landing").exists():
        raise SynthError(
            f"{out} holds a one-site plant (landing/); a multi-site plant goes into an empty "
            "folder or one with sites/ only"
        )
    configs = [site_config(base, k) for k in range(n_sites)]
    widest = max(configs, key=lambda c: c.lines)
    # The group's master data: the widest site's line count, the group seed.
    group = build_plant(widest.model_copy(update={"seed": base.seed, "site_id": "S1"}))
    truths: dict[str, GroundTruth] = {}
    for cfg in configs:
        site_out = out / "sites" / cfg.site_id
        site_out.mkdir(parents=True, exist_ok=True)

        def report(task: str, done: int, total: int, sid: str = cfg.site_id) -> None:
            if progress is not None:
                progress(f"{sid}: {task}", done, total)

        truths[cfg.site_id] = run(
            site_out, cfg, overwrite=overwrite, progress=report, plant=site_plant(cfg, group)
        )
    return truths
