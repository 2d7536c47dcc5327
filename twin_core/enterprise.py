"""The enterprise twin: ``TWIN_HOME/plant.duckdb`` of a multi-site home, built from the
sites' published files (``TWIN_HOME/sites/<site_id>/plant.duckdb``).

Grain: one enterprise file per night, holding one snapshot per site.

What it carries:

- every ``twin.*`` and ``report.*`` view of the sites, as a table over all sites (``site_id``
  on every row; a view whose rows do not name their site gets the column first);
- ``twin.snapshots``: every site's snapshots, with ``site_id``, ``in_enterprise`` (the site
  snapshot this file's part of the site comes from) and ``stale``;
- ``twin.sites``: one row per site: the snapshot and day it comes from, ``stale`` and why,
  the file it was read from;
- the cross-site views of ``sql/enterprise`` (``twin.supplier_performance_sites``,
  ``twin.revision_feedback_sites``, ``twin.oee_by_site``);
- ``meta.publish``: the night, when, the sites, the stale ones.

All or nothing: every site's published snapshot must be of the night (``as_of``), or be
marked stale by the caller (its data was missing: the previous night's file is used and the
site is marked stale, never silently dropped). Otherwise ``EnterpriseError`` is raised and
the previous enterprise file stays as it was. The new file is built beside the old one and
swapped in with ``os.replace`` (readers of the old file keep it), as ``twin_core.publish``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb

from twin_core import __version__
from twin_core.publish import remove_stale_builds, replacement, swap_in
from twin_core.runlock import home_lock
from twin_core.settings import Settings
from twin_core.sites import check_site_id, site_homes
from twin_core.tables import (
    ENTERPRISE_ADDED_COLUMNS,
    ENTERPRISE_TABLES,
    comment_statements,
)
from twin_core.warehouse import SQL_DIR, WarehouseError, connect, quote_ident, sql_literal

ENTERPRISE_SQL_DIR = SQL_DIR / "enterprise"
# Views of a site file copied over all sites.
SITE_SCHEMAS: tuple[str, ...] = ("twin", "report")


class EnterpriseError(WarehouseError):
    """The enterprise file was not built; the previous ``plant.duckdb`` is untouched."""


@dataclass(frozen=True)
class SitePart:
    """Where one site's part of the enterprise file comes from."""

    site_id: str
    snapshot_id: int | None
    as_of: date | None
    published_at: datetime | None
    path: Path
    stale: bool = False
    stale_reason: str | None = None


@dataclass(frozen=True)
class EnterpriseResult:
    """What one enterprise publish did."""

    path: Path
    as_of: date
    sites: tuple[SitePart, ...]
    tables: int
    seconds: float
    size_bytes: int
    moved_aside: tuple[Path, ...] = field(default_factory=tuple)

    @property
    def stale_sites(self) -> list[str]:
        return [p.site_id for p in self.sites if p.stale]

    def summary(self) -> str:
        parts = ", ".join(
            f"{p.site_id} snapshot {p.snapshot_id}" + (" STALE" if p.stale else "")
            for p in self.sites
        )
        return f"{len(self.sites)} sites ({parts}) -> {self.path}"


def read_site_part(site_id: str, path: Path, settings: Settings) -> SitePart:
    """The snapshot a site's published file holds (``meta.publish`` and its snapshot's day)."""
    if not path.is_file():
        raise EnterpriseError(
            f"site {site_id} has no published file {path} (its first nightly has not published)"
        )
    con = connect(path, read_only=True, settings=settings)
    try:
        row = con.execute(
            "select p.snapshot_id, s.as_of, p.published_at from meta.publish p "
            "left join history.snapshots s on s.snapshot_id = p.snapshot_id"
        ).fetchone()
    except duckdb.Error as exc:
        raise EnterpriseError(f"site {site_id}: {path} is not a published twin: {exc}") from exc
    finally:
        con.close()
    if row is None:
        raise EnterpriseError(f"site {site_id}: {path} names no publication")
    snapshot_id, as_of, published_at = row
    return SitePart(
        site_id, None if snapshot_id is None else int(snapshot_id), as_of, published_at, path
    )


def site_parts(
    settings: Settings, as_of: date, stale: dict[str, str] | None = None
) -> list[SitePart]:
    """Each site's part for the night ``as_of``: its published snapshot must be of that day,
    or the site must be in ``stale`` (site id -> why), in which case its newest published
    snapshot (the previous night's) is used and marked stale. Anything else raises
    ``EnterpriseError`` naming every site that is not ready."""
    stale = dict(stale or {})
    homes = site_homes(settings.home)
    if not homes:
        raise EnterpriseError(f"{settings.home} has no sites/ folder with a site")
    unknown = sorted(set(stale) - set(homes))
    if unknown:
        raise EnterpriseError(f"stale sites {unknown} are not sites of {settings.home}")
    parts: list[SitePart] = []
    problems: list[str] = []
    for site_id, home in homes.items():
        try:
            part = read_site_part(site_id, home / settings.published_path.name, settings)
        except EnterpriseError as exc:
            problems.append(str(exc))
            continue
        if site_id in stale:
            part = SitePart(**{**part.__dict__, "stale": True, "stale_reason": stale[site_id]})
        elif part.as_of != as_of:
            problems.append(
                f"site {site_id} published snapshot {part.snapshot_id} of {part.as_of}, "
                f"not of {as_of}"
            )
            continue
        parts.append(part)
    if problems:
        raise EnterpriseError("the enterprise twin keeps its previous file: " + "; ".join(problems))
    return parts


def _views(con: duckdb.DuckDBPyConnection, db: str) -> list[tuple[str, str]]:
    rows = con.execute(
        "select schema_name, view_name from duckdb_views() where database_name = ? "
        "and not internal and schema_name in (select unnest(?::varchar[])) order by 1, 2",
        [db, list(SITE_SCHEMAS)],
    ).fetchall()
    return [(str(s), str(v)) for s, v in rows]


def _columns(con: duckdb.DuckDBPyConnection, db: str, schema: str, name: str) -> list[str]:
    rows = con.execute(
        "select column_name from duckdb_columns() where database_name = ? and schema_name = ? "
        "and table_name = ? order by column_index",
        [db, schema, name],
    ).fetchall()
    return [str(r[0]) for r in rows]


def _copied_comments(
    con: duckdb.DuckDBPyConnection, aliases: list[str], schema: str, view: str
) -> list[str]:
    """``COMMENT ON`` statements giving ``ent.schema.view`` (a table over all sites) the
    comments its sites' view and columns carry (the first site that has each), and the
    columns the enterprise adds (``ENTERPRISE_ADDED_COLUMNS``) theirs."""
    table_comment = ""
    columns: dict[str, str] = {}
    for alias in aliases:
        row = con.execute(
            "select comment from duckdb_views() where database_name = ? and schema_name = ? "
            "and view_name = ?",
            [alias, schema, view],
        ).fetchone()
        table_comment = table_comment or str((row or [None])[0] or "")
        for name, comment in con.execute(
            "select column_name, comment from duckdb_columns() where database_name = ? "
            "and schema_name = ? and table_name = ? and comment is not null",
            [alias, schema, view],
        ).fetchall():
            columns.setdefault(str(name), str(comment))
    target = f"{quote_ident(schema)}.{quote_ident(view)}"  # run with the file in use
    out = [f"comment on table {target} is {sql_literal(table_comment)}"] if table_comment else []
    for name in _columns(con, "ent", schema, view):
        text = columns.get(name) or ENTERPRISE_ADDED_COLUMNS.get(name, "")
        if view == "snapshots" and name in ("in_enterprise", "stale", "site_id"):
            text = ENTERPRISE_ADDED_COLUMNS[name]
        if text:
            out.append(f"comment on column {target}.{quote_ident(name)} is {sql_literal(text)}")
    return out


def build_enterprise_file(
    target: Path, parts: list[SitePart], as_of: date, settings: Settings
) -> int:
    """Write a NEW enterprise file ``target`` from ``parts``; return the tables written."""
    if target.exists():
        raise EnterpriseError(f"{target} exists; refusing to overwrite a file being built")
    con = duckdb.connect()
    try:
        # ATTACH options take no parameters; the version is a checked setting (v<d>.<d>.<d>).
        version = settings.published_storage_version
        con.execute(f"attach ? as ent (storage_version '{version}')", [str(target)])
        aliases: dict[str, str] = {}
        for i, part in enumerate(parts):
            alias = f"site_{i}"
            con.execute(f"attach ? as {alias} (read_only)", [str(part.path)])
            aliases[part.site_id] = alias
        for schema in (*SITE_SCHEMAS, "meta"):
            con.execute(f"create schema ent.{schema}")
        # Every view any site has (a site on older code may lack a newer one).
        names: dict[tuple[str, str], None] = {}
        for alias in aliases.values():
            names.update(dict.fromkeys(_views(con, alias)))
        tables = 0
        comments: list[str] = []  # run once the file is the current database
        for schema, view in names:
            selects: list[str] = []
            params: list[object] = []
            for part in parts:
                alias = aliases[part.site_id]
                cols = _columns(con, alias, schema, view)
                if not cols:
                    continue
                src = f"{alias}.{quote_ident(schema)}.{quote_ident(view)}"
                if view == "snapshots":
                    selects.append(
                        f"select ?::varchar as site_id, *, snapshot_id = ? as in_enterprise, "
                        f"snapshot_id = ? and ? as stale from {src}"
                    )
                    params += [part.site_id, part.snapshot_id, part.snapshot_id, part.stale]
                elif "site_id" in cols:
                    selects.append(f"select * from {src}")
                else:
                    selects.append(f"select ?::varchar as site_id, * from {src}")
                    params.append(part.site_id)
            body = " union all by name ".join(selects)
            con.execute(
                f"create table ent.{quote_ident(schema)}.{quote_ident(view)} as {body}", params
            )
            comments += _copied_comments(con, list(aliases.values()), schema, view)
            tables += 1
        con.execute(
            "create table ent.twin.sites (site_id varchar, snapshot_id bigint, as_of date, "
            "published_at timestamp, stale boolean, stale_reason varchar, source varchar)"
        )
        for part in parts:
            con.execute(
                "insert into ent.twin.sites values (?, ?, ?, ?, ?, ?, ?)",
                [
                    part.site_id,
                    part.snapshot_id,
                    part.as_of,
                    part.published_at,
                    part.stale,
                    part.stale_reason,
                    str(part.path),
                ],
            )
        con.execute(
            "create table ent.meta.publish as select ?::date as as_of, ?::timestamp as "
            "published_at, ? as code_version, ?::varchar[] as site_ids, ?::varchar[] as "
            "stale_site_ids, 'enterprise' as kind",
            [
                as_of,
                datetime.now(UTC).replace(tzinfo=None),
                __version__,
                [p.site_id for p in parts],
                [p.site_id for p in parts if p.stale],
            ],
        )
        for alias in aliases.values():
            con.execute(f"detach {alias}")
        con.execute("use ent")
        for sql in sorted(ENTERPRISE_SQL_DIR.glob("*.sql")):
            con.execute(sql.read_text())
        for statement in comments + comment_statements(con, declared=ENTERPRISE_TABLES):
            con.execute(statement)
        con.execute("checkpoint")
    finally:
        con.close()
    return tables + 1


def publish_enterprise(
    settings: Settings, as_of: date, stale: dict[str, str] | None = None
) -> EnterpriseResult:
    """Build ``settings.home/plant.duckdb`` from every site's published file for the night
    ``as_of`` (see the module doc); ``stale``: sites whose data was missing, site -> why."""
    for site_id in stale or {}:
        check_site_id(site_id)
    with home_lock(settings, f"enterprise publish {as_of}"):
        final = settings.published_path
        remove_stale_builds(final)
        started = time.perf_counter()
        parts = site_parts(settings, as_of, stale)
        with replacement(final) as tmp:
            tables = build_enterprise_file(tmp, parts, as_of, settings)
            moved = swap_in(tmp, final)
    return EnterpriseResult(
        path=final,
        as_of=as_of,
        sites=tuple(parts),
        tables=tables,
        seconds=time.perf_counter() - started,
        size_bytes=final.stat().st_size,
        moved_aside=tuple(moved),
    )
