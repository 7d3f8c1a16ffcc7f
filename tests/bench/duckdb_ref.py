#!/usr/bin/env python3
"""make bench: the DuckDB-style reference of issue 16, what an analyst would
write instead of cutover, timed beside the run. In DuckDB SQL, on two
threads: read every CSV of the bundle as text (Windows-1252 files first
transcoded to UTF-8 in Python), type the dates, map school and SAU IDs through the organization
table by school year, map the coded columns through their crosswalk tables
by year (grade, entry, exit, lunch, fiscal responsibility, English
proficiency, sped setting, exceptionality, sped exit; behavior events,
weapons, resolutions; truancy steps; CIP and CTE exit), bridge race, collapse
exact duplicates (same last name, first name and birth date) to the lowest
StateStudentID, re-key every student-keyed row to it, and write one parquet
file per entity. No quarantine, no identity model, no uploads: a floor for
the logic, not a replacement. Prints one JSON line:
{"seconds", "rows_in", "rows_out", "files"}.

    duckdb_ref.py BUNDLE CROSSWALKS OUT
"""
import json
import os
import sys
import time

import duckdb

DATE_FORMAT = "%Y-%m-%d"
# Malformed rows are skipped (ignore_errors), as a quick analysis would.
CSV_OPTIONS = (
    "all_varchar=true, header=true, delim=',', quote='\"', escape='\"', "
    "ignore_errors=true, null_padding=true"
)

# (entity file, column, crosswalk table): mapped by legacy code and YearCode.
CODED = [
    ("student_enrollment", "GradeLevelCode", "grade_levels"),
    ("student_enrollment", "StartStatus", "entry_codes"),
    ("student_enrollment", "ExitTypeCode", "exit_codes"),
    ("student_enrollment", "SchoolLunchElig", "economic_status"),
    ("student_enrollment", "FiscalResponsibility", "fiscal_responsibility"),
    ("student_enrollment", "EnglishProficiency", "english_proficiency"),
    ("student_enrollment", "SpedSetting", "sped_setting"),
    ("student_enrollment", "Exceptionality", "exceptionality"),
    ("student_enrollment", "SpedExitReason", "sped_exit_reason"),
    ("behavior", "EventCode", "behavior_events"),
    ("behavior", "WeaponCode", "weapons"),
    ("behavior", "ResolutionCode", "resolutions"),
    ("truancy", "TruancyLevel", "truancy_steps"),
    ("cte", "CIPCode", "cip_codes"),
    ("cte", "CTEExitStatus", "cte_exit_status"),
]

# (entity file, column): legacy MEDMS IDs mapped to NEO Org IDs by year.
ORGS = [
    ("student_enrollment", "School_ID", "school"),
    ("student_enrollment", "ResidentSAU_ID", "sau"),
    ("behavior", "School_ID", "school"),
    ("truancy", "School_ID", "school"),
    ("cte", "School_ID", "school"),
]


def as_utf8(path, scratch):
    """The path of a UTF-8 copy: the file itself when it decodes as UTF-8,
    else a Windows-1252 transcode (this DuckDB's read_csv reads UTF-8 only),
    as an analyst would iconv it first."""
    with open(path, "rb") as f:
        data = f.read()
    try:
        data.decode("utf-8")
        return path
    except UnicodeDecodeError:
        copy = os.path.join(scratch, os.path.basename(path))
        with open(copy, "w", encoding="utf-8", newline="") as f:
            f.write(data.decode("cp1252", errors="replace"))
        return copy


def read_bundle(con, bundle, scratch):
    rows = 0
    for name in sorted(os.listdir(bundle)):
        if not name.endswith(".csv"):
            continue
        table = name[:-4]
        path = as_utf8(os.path.join(bundle, name), scratch)
        con.execute(
            f"CREATE TABLE {table} AS SELECT * FROM read_csv(?, {CSV_OPTIONS})",
            [path],
        )
        rows += con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    return rows


def type_dates(con, table):
    cols = [r[0] for r in con.execute(f"DESCRIBE {table}").fetchall()]
    dates = [c for c in cols if c.endswith("Date")]
    if not dates:
        return
    exprs = ", ".join(
        f"try_strptime({c}, '{DATE_FORMAT}')::DATE AS {c}" for c in dates
    )
    con.execute(f"CREATE OR REPLACE TABLE {table} AS SELECT * REPLACE ({exprs}) FROM {table}")


def year_join(table, alias, on):
    """A join on the legacy code, limited to the rows valid in the school year
    (lo and hi: first_year and last_year, open ends filled)."""
    return (
        f"LEFT JOIN {table} {alias} ON {alias}.{on[0]} = t.{on[1]} "
        f"AND try_cast(t.YearCode AS INT) BETWEEN {alias}.lo AND {alias}.hi"
    )


def ranged(con, table, source):
    con.execute(
        f"CREATE TABLE {table} AS SELECT *, coalesce(try_cast(first_year AS INT), 0) AS lo, "
        f"coalesce(try_cast(last_year AS INT), 9999) AS hi FROM {source}"
    )


def map_entity(con, entity, tables):
    coded = [(c, t) for e, c, t in CODED if e == entity]
    orgs = [(c, k) for e, c, k in ORGS if e == entity]
    joins, cols = [], []
    for i, (column, table) in enumerate(coded):
        joins.append(year_join(table, f"c{i}", ("legacy_code", column)))
        cols.append(f"c{i}.new_code AS {column}_new")
    for i, (column, kind) in enumerate(orgs):
        joins.append(year_join(f"org_{kind}", f"o{i}", ("legacy_id", column)))
        cols.append(f"o{i}.neo_org_id AS {column}_neo")
    if not joins:
        return
    con.execute(
        f"CREATE OR REPLACE TABLE {entity} AS SELECT t.*, {', '.join(cols)} "
        f"FROM {entity} t {' '.join(joins)}"
    )


def identity(con):
    """Exact-match duplicates collapse to the lowest StateStudentID; each
    surviving student keeps its latest identity row."""
    con.execute(
        "CREATE TABLE survivor AS SELECT old_id, min(new_id) AS new_id FROM ("
        "SELECT StateStudentID AS old_id, "
        "min(StateStudentID) OVER (PARTITION BY LastName, FirstName, BirthDate) AS new_id "
        "FROM student_personal) GROUP BY old_id"
    )
    con.execute(
        "CREATE OR REPLACE TABLE student_personal AS SELECT p.* REPLACE (s.new_id AS StateStudentID), "
        "r.hispanic AS race_hispanic, r.american_indian AS race_american_indian, r.asian AS race_asian, "
        "r.black AS race_black, r.pacific_islander AS race_pacific_islander, r.white AS race_white, "
        "r.quality AS race_quality FROM student_personal p "
        "JOIN survivor s ON s.old_id = p.StateStudentID "
        "LEFT JOIN race r ON r.legacy_code = p.RaceEthnicity "
        "QUALIFY row_number() OVER (PARTITION BY s.new_id "
        "ORDER BY p.IdentityEffectiveDate DESC NULLS LAST, p.StateStudentID, p.IdentityID) = 1"
    )


def rekey(con, table):
    con.execute(
        f"CREATE OR REPLACE TABLE {table} AS SELECT t.* REPLACE (coalesce(s.new_id, t.StateStudentID) AS StateStudentID) "
        f"FROM {table} t LEFT JOIN survivor s ON s.old_id = t.StateStudentID"
    )


def lap(started, what):
    print(f"{time.monotonic() - started:8.1f} s  {what}", file=sys.stderr)


def main():
    bundle, crosswalks, out = sys.argv[1:4]
    os.makedirs(out, exist_ok=True)
    started = time.monotonic()
    con = duckdb.connect()
    con.execute("SET threads = 2")
    scratch = os.path.join(out, "utf8")
    os.makedirs(scratch, exist_ok=True)
    rows_in = read_bundle(con, bundle, scratch)
    tables = [r[0] for r in con.execute("SHOW TABLES").fetchall()]
    for name in sorted({t for _, _, t in CODED} | {"race", "organizations"}):
        path = os.path.join(crosswalks, f"{name}.csv").replace("'", "''")
        ranged(con, name, f"read_csv('{path}', {CSV_OPTIONS})")
    for kind in ("school", "sau"):
        ranged(con, f"org_{kind}", f"organizations WHERE scheme = 'medms' AND kind = '{kind}'")
    lap(started, "read")
    for table in tables:
        type_dates(con, table)
        map_entity(con, table, tables)
        lap(started, f"typed and mapped {table}")
    identity(con)
    lap(started, "identity")
    rows_out = 0
    for table in tables:
        cols = [r[0] for r in con.execute(f"DESCRIBE {table}").fetchall()]
        if "StateStudentID" in cols and table != "student_personal":
            rekey(con, table)
        con.execute(f"COPY {table} TO '{os.path.join(out, table)}.parquet' (FORMAT parquet)")
        rows_out += con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    seconds = time.monotonic() - started
    print(json.dumps({"seconds": seconds, "rows_in": rows_in, "rows_out": rows_out, "files": len(tables)}))


if __name__ == "__main__":
    main()
