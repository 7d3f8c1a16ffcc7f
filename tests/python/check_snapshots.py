"""Checks cutover's parquet snapshots from outside Rust: logical types seen
by pyarrow, DuckDB, pandas and polars, the provenance footer, row counts
against run.json, and README's queries as written.
Prints 'N passed, N failed' and exits non-zero on any failure."""
import json
import sys
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

out = Path(sys.argv[1])
run = json.loads((out / "run.json").read_text())
passed, failed = 0, 0


def check(name, ok, detail=""):
    global passed, failed
    if ok:
        passed += 1
        print(f"ok   {name}")
    else:
        failed += 1
        print(f"FAIL {name} {detail}")


personal = pq.read_table(out / "ingest" / "student_personal.parquet")
enrollment = pq.read_table(out / "ingest" / "student_enrollment.parquet")
check("BirthDate is a date", personal.schema.field("BirthDate").type == pa.date32(), personal.schema.field("BirthDate").type)
check("SchoolEntryDate is a date", enrollment.schema.field("SchoolEntryDate").type == pa.date32())
check("StateStudentID is text", pa.types.is_string(personal.schema.field("StateStudentID").type) or pa.types.is_large_string(personal.schema.field("StateStudentID").type) or str(personal.schema.field("StateStudentID").type) == "string_view")
check("GradeLevelCode is text", "string" in str(enrollment.schema.field("GradeLevelCode").type))
check("SpecialEdFlag is a boolean", enrollment.schema.field("SpecialEdFlag").type == pa.bool_())
ids = [v for v in personal.column("StateStudentID").to_pylist() if v]
check("StateStudentIDs keep nine characters", all(len(v) == 9 for v in ids))

meta = pq.read_metadata(out / "ingest" / "student_personal.parquet").metadata
meta = {k.decode(): v.decode() for k, v in meta.items()}
check("footer has the run id", meta.get("cutover.run_id") == run["run_id"], meta.get("cutover.run_id"))
check("footer has the tool version", meta.get("cutover.tool_version") == run["tool_version"])
check("footer has the config checksum", meta.get("cutover.config_sha256") == run["config"]["sha256"])
inputs = json.loads(meta.get("cutover.inputs", "{}"))
expected = {i["file"]: i["sha256"] for i in run["inputs"]}
check("footer has every input checksum", inputs == expected, inputs)
check("footer names stage and entity", (meta.get("cutover.stage"), meta.get("cutover.entity")) == ("ingest", "student_personal"))

con = duckdb.connect()
path = str(out / "ingest" / "student_enrollment.parquet")
types = dict(con.execute(f"SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet('{path}'))").fetchall())
check("DuckDB sees SchoolEntryDate as DATE", types.get("SchoolEntryDate") == "DATE", types.get("SchoolEntryDate"))
check("DuckDB sees YearCode as INTEGER", types.get("YearCode") == "INTEGER", types.get("YearCode"))
rows = con.execute(f"SELECT count(*) FROM read_parquet('{path}')").fetchone()[0]
ledger = {(s["stage"], s["entity"]): s for s in run["stages"]}
check("DuckDB row count equals the ledger's rows out", rows == ledger[("ingest", "student_enrollment")]["rows_out"], rows)
years = con.execute(f"SELECT min(YearCode), max(YearCode) FROM read_parquet('{path}')").fetchone()
check("school years span the bundle", years == (2005, 2017), years)

# The upload manifest: every upload row back to its source row, in DuckDB.
manifest = str(out / "publish" / "upload_manifest.parquet")
written = con.execute(f"SELECT upload, count(*) FROM read_parquet('{manifest}') GROUP BY upload").fetchall()
written = dict(written)
check(
    "the upload manifest counts what publish wrote",
    all(written.get(u, 0) == ledger[("publish", u)]["rows_out"] for (st, u) in ledger if st == "publish"),
    written,
)
joined = con.execute(
    f"""SELECT count(*) FROM read_parquet('{manifest}') m
        JOIN read_parquet('{out / "ingest" / "student_enrollment.parquet"}') e
          ON m.source_file = e.source_file AND m.source_row = e.source_row
        WHERE m.upload = 'student_enrollment'"""
).fetchone()[0]
check("every enrollment upload row joins back to its ingested source row", joined == written.get("student_enrollment"), joined)
conformed = pq.read_table(out / "conform" / "student_enrollment.parquet")
check("conformed EntryDate is a date", conformed.schema.field("EntryDate").type == pa.date32(), conformed.schema.field("EntryDate").type)

# README's queries for analysts ("Reading the snapshots"), as written there,
# on this run's folder instead of the demo's.
readme = Path("README.md").read_text()
section = readme.split("### Reading the snapshots")[1].split("\n### ")[0]
sql = section.split("```sql")[1].split("```")[0].replace("snapshots/demo", str(out))
queries = ["\n".join(l for l in q.splitlines() if not l.startswith("--")).strip() for q in sql.split(";")]
queries = [q for q in queries if q]
check("README has four DuckDB examples", len(queries) == 4, len(queries))
by_year, manifest_rows, by_rule, footer = (con.execute(q).fetchall() for q in queries)
check(
    "README: enrollments per school year add up to the re-keyed rows",
    sum(n for _, n, _ in by_year) == ledger[("identity", "student_enrollment")]["rows_out"] and len(by_year) == 13,
    by_year,
)
check("README: every enrollment upload row joins back to its row", len(manifest_rows) == written.get("student_enrollment"), len(manifest_rows))
quarantined = sum(len(p.read_text().splitlines()) - 1 for p in (out / "quarantine").glob("*.csv"))
check("README: the quarantine by rule counts every quarantine line", sum(n for _, n in by_rule) == quarantined, (by_rule, quarantined))
check("README: the footer query names the run", dict(footer).get("cutover.run_id") == run["run_id"], footer)
try:
    footer_inputs = json.loads(dict(footer).get("cutover.inputs", ""))
except ValueError:
    footer_inputs = None
check("README: the footer query's inputs are JSON, every input's checksum", footer_inputs == expected, dict(footer).get("cutover.inputs"))

# README's pandas and polars snippet, as written there, on this run.
import pandas as pd  # noqa: E402
import polars as pl  # noqa: E402

snippet = section.split("```python")[1].split("```")[0].replace("snapshots/demo", str(out))
names = {}
exec(snippet, names)
df, lf = names["df"], names["lf"]
check("README: pandas reads every re-keyed enrollment row", len(df) == ledger[("identity", "student_enrollment")]["rows_out"], len(df))
check("README: pandas keeps SchoolEntryDate a date", str(df["SchoolEntryDate"].dtype) == "date32[day][pyarrow]", df["SchoolEntryDate"].dtype)
check("README: pandas keeps StateStudentID's leading zeros as text", pd.api.types.is_string_dtype(df["StateStudentID"].dtype) or "string" in str(df["StateStudentID"].dtype), df["StateStudentID"].dtype)
schema = lf.collect_schema()
check("README: polars sees SchoolEntryDate as pl.Date", schema["SchoolEntryDate"] == pl.Date, schema["SchoolEntryDate"])
check("README: polars sees StateStudentID as pl.String", schema["StateStudentID"] == pl.String, schema["StateStudentID"])
check("README: polars counts the same rows", lf.select(pl.len()).collect().item() == len(df))
check("README: the snippet's footer names the run", names["run_id"] == run["run_id"].encode(), names["run_id"])

# docs/columns.md names every column of every snapshot the run wrote.
dictionary = Path("docs/columns.md").read_text() if Path("docs/columns.md").is_file() else ""
unnamed = sorted(
    {f"{c} ({p.relative_to(out)})" for p in out.rglob("*.parquet") for c in pq.read_schema(p).names if f"`{c}`" not in dictionary}
)
check("docs/columns.md names every snapshot column", not unnamed, unnamed[:20])

print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
