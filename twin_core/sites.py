"""Site ids a command or flow is asked to work on, checked against the sites the warehouse
knows, so that an unknown site (``twin nightly --site NOPE``) is refused before anything
runs instead of building and publishing an empty twin.

The known sites are every ``site_id`` in the core and raw tables (master data such as
``core.machines`` and ``core.inventory``, and rows ingested but not yet validated).

The sites layout (issue 24, scale-out): a home with a ``sites/`` folder holds one full twin
home per site, ``TWIN_HOME/sites/<site_id>/`` (its landing/, warehouse.duckdb, plant.duckdb,
reports/), each run by its own ``site-nightly``; ``TWIN_HOME/plant.duckdb`` is then the
enterprise file built from the sites' published files (``twin_core.enterprise``). A home
without ``sites/`` is one site and works as before.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

import duckdb

from twin_core.settings import Settings
from twin_core.warehouse import WarehouseError, connect, quote_ident


class UnknownSite(WarehouseError):
    """A site id the warehouse does not know; the message lists the known ones."""


def known_sites(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Every site id in the warehouse's core and raw tables, sorted."""
    tables = con.execute(
        "select distinct c.schema_name, c.table_name from duckdb_columns() c "
        "join duckdb_tables() t on t.schema_name = c.schema_name and t.table_name = c.table_name "
        "and t.database_name = c.database_name "
        "where c.database_name = current_database() and c.column_name = 'site_id' "
        "and c.schema_name in ('core', 'raw') order by 1, 2"
    ).fetchall()
    if not tables:
        return []
    union = " union ".join(
        f"select site_id from {quote_ident(str(s))}.{quote_ident(str(t))} where site_id is not null"
        for s, t in tables
    )
    return sorted(
        str(r[0]) for r in con.execute(f"select distinct site_id from ({union})").fetchall()
    )


def unknown_sites_message(asked: Iterable[str], known: list[str]) -> str | None:
    """The refusal for ``asked`` given ``known``, or None when every asked site is known."""
    wanted = list(dict.fromkeys(asked))
    missing = [s for s in wanted if s not in known]
    if not missing:
        return None
    names = ", ".join(repr(s) for s in missing)
    if not known:
        return (
            f"unknown site {names}: the warehouse knows no site yet (no master data with a "
            "site_id has been ingested); run without --site (or TWIN_SITE_IDS) first"
        )
    return f"unknown site {names}; the warehouse knows {', '.join(known)}"


def check_sites(
    con: duckdb.DuckDBPyConnection, sites: Iterable[str], *, allow_empty: bool = False
) -> list[str]:
    """Refuse (``UnknownSite``) any of ``sites`` the warehouse behind ``con`` does not know.

    ``allow_empty``: pass when the warehouse knows no site at all (a fresh home, whose first
    night has not ingested any master data yet); callers that do so check again after ingest
    and validation. Returns the known sites."""
    asked = list(sites)
    if not asked:
        return []
    known = known_sites(con)
    if allow_empty and not known:
        return known
    problem = unknown_sites_message(asked, known)
    if problem:
        raise UnknownSite(problem)
    return known


def check_settings_sites(settings: Settings, *, allow_empty: bool = False) -> list[str]:
    """``check_sites`` for ``settings.site_ids`` (``--site`` or TWIN_SITE_IDS) on the warehouse
    of ``settings.home``, opened read-only. Nothing to check without sites; a home without a
    warehouse knows no site."""
    if not settings.site_ids:
        return []
    if not settings.warehouse_path.exists():
        if allow_empty:
            return []
        raise UnknownSite(unknown_sites_message(settings.site_ids, []) or "")
    con = connect(settings.warehouse_path, read_only=True, settings=settings)
    try:
        return check_sites(con, settings.site_ids, allow_empty=allow_empty)
    finally:
        con.close()


SITES_DIR = "sites"
# A site id is a folder name and a SQL string literal: letters, digits, '-', '_'.
SITE_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")


class SiteLayoutError(WarehouseError):
    """A sites/ folder that cannot be read as sites (a bad site id, a site id asked for that
    has no folder)."""


def check_site_id(site_id: str) -> str:
    """``site_id`` if it is a valid site folder name, else ``SiteLayoutError``."""
    if not SITE_ID_PATTERN.fullmatch(site_id):
        raise SiteLayoutError(
            f"site id {site_id!r} is not a valid site folder name (letters, digits, '-', '_'; "
            "at most 64, starting with a letter or digit)"
        )
    return site_id


def sites_root(home: Path) -> Path:
    """``home/sites``: the folder of a multi-site home's site homes."""
    return home / SITES_DIR


def has_sites(home: Path) -> bool:
    """True when ``home`` is a multi-site home (it has a ``sites/`` folder with a site)."""
    return bool(site_homes(home))


def site_homes(home: Path) -> dict[str, Path]:
    """Every site home under ``home/sites``, by site id, sorted. Empty for a one-site home.
    A folder whose name is not a site id (``.tmp``, ``a b``) is refused, not skipped: a
    site silently left out of the enterprise twin would be worse than a clear error."""
    root = sites_root(home)
    if not root.is_dir():
        return {}
    found: dict[str, Path] = {}
    for child in sorted(root.iterdir()):
        if not child.is_dir() or child.name.startswith("."):
            continue
        found[check_site_id(child.name)] = child
    return found


def site_home(home: Path, site_id: str) -> Path:
    """The home of one site of ``home`` (it must exist)."""
    path = sites_root(home) / check_site_id(site_id)
    if not path.is_dir():
        known = ", ".join(site_homes(home)) or "none"
        raise SiteLayoutError(f"no site {site_id!r} under {sites_root(home)} (sites: {known})")
    return path


def site_settings(settings: Settings, site_id: str) -> Settings:
    """``settings`` for the home of one site (everything else unchanged)."""
    return settings.model_copy(update={"home": site_home(settings.home, site_id)})


def prepare_site_home(settings: Settings) -> None:
    """The folders a site home's nightly writes (as ``twin init``; the warehouse schema is
    applied when the nightly opens it)."""
    for d in (settings.home, settings.landing_dir, settings.reports_dir, settings.validation_dir):
        d.mkdir(parents=True, exist_ok=True)
