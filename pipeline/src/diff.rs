//! `cutover diff RUN_A RUN_B`: two finished runs compared by key. Every
//! stage snapshot (rows keyed by source file and row; students by their
//! key; the ID crosswalk by retired ID), every upload file (rows keyed by
//! the source row the manifest ties them to), the identity clusters that
//! split or joined, and why the runs differ, from each run's provenance
//! (`run.json`, `stages.json`).
//!
//! Only IDs and counts are shown: example keys are source rows and student
//! keys, never names or birth dates; personal columns are counted, not
//! shown.

use crate::runfiles;
use anyhow::{Context, Result};
use cutover_stages::columns::{SOURCE_FILE, SOURCE_ROW};
use cutover_stages::conform::{UPLOAD_SAU, UPLOAD_YEAR};
use cutover_stages::identity::STUDENT_KEY;
use polars::prelude::*;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

mod html;
mod provenance;
mod rows;
mod uploads;

pub use html::html;

/// How many example keys each list keeps.
pub const EXAMPLES: usize = 5;

/// The key column every compared frame is given.
const KEY: &str = "__key";

/// A few example keys of rows added, removed and changed.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct Examples {
    pub added: Vec<String>,
    pub removed: Vec<String>,
    pub changed: Vec<String>,
}

/// One table (a stage snapshot, or an upload) compared by key.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct TableDiff {
    /// `ingest/student_enrollment`, `uploads/student_enrollment`.
    pub table: String,
    pub key: Vec<String>,
    pub rows_a: u64,
    pub rows_b: u64,
    pub added: u64,
    pub removed: u64,
    pub changed: u64,
    /// Rows whose value of the column changed, by column.
    pub columns: BTreeMap<String, u64>,
    pub examples: Examples,
    /// Upload files only: (file, added, removed, changed) of each file
    /// that differs.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<FileDiff>,
}

impl TableDiff {
    pub fn differs(&self) -> bool {
        self.added + self.removed + self.changed > 0 || self.rows_a != self.rows_b
    }
}

/// One upload file's rows added, removed and changed.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct FileDiff {
    pub file: String,
    pub added: u64,
    pub removed: u64,
    pub changed: u64,
}

/// Identity clusters that split or joined between the runs.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct ClusterDiff {
    /// Students of run A whose identity rows belong to several students in B.
    pub split: u64,
    /// Students of run B whose identity rows belonged to several students in A.
    pub joined: u64,
    /// `A-key -> B-key, B-key`.
    pub split_examples: Vec<String>,
    /// `A-key, A-key -> B-key`.
    pub joined_examples: Vec<String>,
}

/// What made the runs differ.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Cause {
    /// `tool version`, `configuration`, `input file`, `crosswalk table`,
    /// `review decisions`, `layouts`.
    pub kind: String,
    pub name: String,
    pub a: String,
    pub b: String,
}

/// The whole comparison.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct RunDiff {
    pub run_a: String,
    pub run_b: String,
    pub run_id_a: String,
    pub run_id_b: String,
    pub causes: Vec<Cause>,
    /// Every stage snapshot, in stage order (unchanged ones included).
    pub stages: Vec<TableDiff>,
    /// Every upload.
    pub uploads: Vec<TableDiff>,
    pub clusters: ClusterDiff,
}

/// The stage folders compared, in order.
const STAGE_DIRS: [&str; 5] = ["read", "ingest", "crosswalk", "identity", "conform"];

/// Compares the runs under `a` and `b`.
pub fn diff(a: &Path, b: &Path) -> Result<RunDiff> {
    for root in [a, b] {
        crate::runfiles::require_run(root, None)?;
    }
    let (pa, pb) = (
        provenance::Provenance::load(a)?,
        provenance::Provenance::load(b)?,
    );
    let (sums_a, sums_b) = (output_sums(a)?, output_sums(b)?);
    let mut stages = Vec::new();
    for dir in STAGE_DIRS {
        let mut names: BTreeSet<String> = runfiles::parquet_names(a, dir)?.into_iter().collect();
        names.extend(runfiles::parquet_names(b, dir)?);
        for name in names {
            let rel = format!("{dir}/{name}.parquet");
            let Some(key) = key_of(a, b, &rel)? else {
                continue;
            };
            let same = sums_a
                .get(&rel)
                .is_some_and(|x| sums_b.get(&rel) == Some(x));
            let started = std::time::Instant::now();
            stages.push(compare_snapshots(a, b, &rel, &key, same)?);
            tracing::debug!(
                snapshot = rel,
                same,
                ms = started.elapsed().as_millis() as u64,
                "compared"
            );
        }
    }
    let started = std::time::Instant::now();
    let uploads = uploads::compare(a, b)?;
    tracing::debug!(
        ms = started.elapsed().as_millis() as u64,
        "uploads compared"
    );
    let started = std::time::Instant::now();
    let clusters = clusters(a, b)?;
    tracing::debug!(
        ms = started.elapsed().as_millis() as u64,
        "clusters compared"
    );
    Ok(RunDiff {
        run_a: a.display().to_string(),
        run_b: b.display().to_string(),
        run_id_a: pa.run_id.clone(),
        run_id_b: pb.run_id.clone(),
        causes: provenance::causes(&pa, &pb),
        stages,
        uploads,
        clusters,
    })
}

/// Output file -> SHA-256, as `stages.json` records them (a snapshot with
/// the same checksum in both runs is not read row by row).
fn output_sums(root: &Path) -> Result<BTreeMap<String, String>> {
    let path = root.join("stages.json");
    let mut out = BTreeMap::new();
    if !path.is_file() {
        return Ok(out);
    }
    let state = read_json(&path)?;
    for stage in state["stages"]
        .as_object()
        .into_iter()
        .flat_map(|o| o.values())
    {
        for (file, sum) in stage["outputs"].as_object().into_iter().flatten() {
            out.insert(file.clone(), sum.as_str().unwrap_or("").to_string());
        }
    }
    Ok(out)
}

/// `cutover diff`: the comparison as text or JSON, and the HTML page
/// written to `html` when asked.
pub fn command(a: &Path, b: &Path, json: bool, html_path: Option<&Path>) -> Result<String> {
    let d = diff(a, b)?;
    if let Some(path) = html_path {
        // A killed diff left its temporary file beside the page: removed.
        crate::output::remove_stale_temporaries_beside(path)?;
        crate::output::write_bytes(path, html(&d)?.as_bytes())?;
    }
    Ok(if json {
        format!("{}\n", serde_json::to_string_pretty(&d)?)
    } else {
        text(&d)
    })
}

/// The key a snapshot's rows are compared by, or `None` for a snapshot not
/// compared row by row (scored pairs).
fn key_of(a: &Path, b: &Path, rel: &str) -> Result<Option<Vec<String>>> {
    let mut columns: BTreeSet<String> = runfiles::columns_of(a, rel)?.into_iter().collect();
    columns.extend(runfiles::columns_of(b, rel)?);
    let has = |c: &str| columns.contains(c);
    let key: Vec<&str> = if rel == "identity/identity_map.parquet" {
        vec![SOURCE_ROW]
    } else if rel == "identity/students.parquet" {
        vec![STUDENT_KEY]
    } else if rel == "identity/id_crosswalk.parquet" {
        vec!["retired_id"]
    } else if has(SOURCE_FILE) && has(SOURCE_ROW) && has(UPLOAD_YEAR) && has(UPLOAD_SAU) {
        vec![SOURCE_FILE, SOURCE_ROW, UPLOAD_YEAR, UPLOAD_SAU]
    } else if has(SOURCE_FILE) && has(SOURCE_ROW) && rel.ends_with(".quarantine.parquet") {
        vec![SOURCE_FILE, SOURCE_ROW, "column", "rule"]
    } else if has(SOURCE_FILE) && has(SOURCE_ROW) {
        vec![SOURCE_FILE, SOURCE_ROW]
    } else {
        return Ok(None);
    };
    Ok(Some(key.into_iter().map(str::to_string).collect()))
}

/// A key's occurrence within its table (0 for the first; a repeated key is
/// shown as `key#n`).
const NTH: &str = "__nth";

/// The key columns and [`NTH`].
fn key_exprs(key: &[String]) -> Vec<Expr> {
    key.iter()
        .map(|k| col(k.as_str()))
        .chain([col(NTH)])
        .collect()
}

/// A snapshot with [`NTH`] numbering its rows of one key, in file order.
fn numbered(lf: LazyFrame, key: &[String]) -> Result<LazyFrame> {
    let over: Vec<Expr> = key.iter().map(|k| col(k.as_str())).collect();
    Ok(lf.with_column(
        int_range(lit(0), len(), 1, DataType::UInt32)
            .over(over)?
            .alias(NTH),
    ))
}

/// The key as text (`file:row`, `#n` for the n-th row of a repeated key).
fn key_text(key: &[String]) -> Expr {
    let parts: Vec<Expr> = key
        .iter()
        .map(|k| col(k.as_str()).cast(DataType::String).fill_null(lit("")))
        .collect();
    let text = concat_str(parts, ":", false);
    when(col(NTH).gt(lit(0u32)))
        .then(concat_str(
            [text.clone(), (col(NTH) + lit(1u32)).cast(DataType::String)],
            "#",
            false,
        ))
        .otherwise(text)
        .alias(KEY)
}

fn join_args(how: JoinType) -> JoinArgs {
    let mut args = JoinArgs::new(how);
    args.nulls_equal = true;
    args
}

fn height(lf: &LazyFrame) -> Result<u64> {
    let n = lf.clone().select([len().alias("n")]).collect()?;
    Ok(n.column("n")?
        .as_materialized_series()
        .cast(&DataType::UInt64)?
        .u64()?
        .get(0)
        .unwrap_or(0))
}

/// The rows of `x` whose key `y` lacks: how many, and the first keys.
fn missing(x: &LazyFrame, y: &LazyFrame, key: &[String]) -> Result<(u64, Vec<String>)> {
    let keys = x
        .clone()
        .select(key_exprs(key))
        .join(
            y.clone().select(key_exprs(key)),
            key_exprs(key),
            key_exprs(key),
            join_args(JoinType::Anti),
        )
        .select([key_text(key)])
        .collect()?;
    Ok((keys.height() as u64, first_keys(&keys)?))
}

fn compare_snapshots(
    a: &Path,
    b: &Path,
    rel: &str,
    key: &[String],
    same_bytes: bool,
) -> Result<TableDiff> {
    let (la, lb) = (runfiles::scan(a, rel)?, runfiles::scan(b, rel)?);
    let mut d = TableDiff {
        table: rel.trim_end_matches(".parquet").to_string(),
        key: key.to_vec(),
        ..Default::default()
    };
    if let Some(l) = &la {
        d.rows_a = height(l)?;
    }
    if let Some(l) = &lb {
        d.rows_b = height(l)?;
    }
    if same_bytes {
        return Ok(d);
    }
    // Only the snapshots that differ are read; a side the other run lacks
    // is read as its keys alone.
    let keys = |lf: LazyFrame| -> Result<LazyFrame> {
        let cols: Vec<Expr> = key.iter().map(|k| col(k.as_str())).collect();
        Ok(numbered(lf.select(cols), key)?.collect()?.lazy())
    };
    match (la, lb) {
        (Some(la), Some(lb)) => rows::compare(la, lb, key, &mut d)?,
        (None, Some(lb)) => {
            let lb = keys(lb)?;
            (d.added, d.examples.added) = missing(&lb, &lb.clone().limit(0), key)?
        }
        (Some(la), None) => {
            let la = keys(la)?;
            (d.removed, d.examples.removed) = missing(&la, &la.clone().limit(0), key)?
        }
        (None, None) => {}
    }
    Ok(d)
}

/// The first [`EXAMPLES`] keys of a frame (sorted by key).
pub(crate) fn first_keys(df: &DataFrame) -> Result<Vec<String>> {
    let sorted = df
        .clone()
        .lazy()
        .select([col(KEY)])
        .sort([KEY], SortMultipleOptions::default())
        .limit(EXAMPLES as IdxSize)
        .collect()?;
    Ok(sorted
        .column(KEY)?
        .str()?
        .iter()
        .map(|k| k.unwrap_or("").to_string())
        .collect())
}

/// Identity rows (by source row) to their student, from the identity map.
fn members(root: &Path) -> Result<BTreeMap<i64, String>> {
    let df = runfiles::rows_where(root, "identity/identity_map.parquet", lit(true))?;
    if df.height() == 0 {
        return Ok(BTreeMap::new());
    }
    let rows = df
        .column(SOURCE_ROW)?
        .as_materialized_series()
        .cast(&DataType::Int64)?;
    let keys = df.column(STUDENT_KEY)?.str()?.clone();
    Ok(rows
        .i64()?
        .iter()
        .zip(keys.iter())
        .filter_map(|(r, k)| Some((r?, k?.to_string())))
        .collect())
}

/// Students of one run whose identity rows went to several students of the
/// other (identity rows in only one run are left out).
fn regrouped(
    from: &BTreeMap<i64, String>,
    to: &BTreeMap<i64, String>,
) -> BTreeMap<String, BTreeSet<String>> {
    let mut groups: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (row, key) in from {
        if let Some(other) = to.get(row) {
            groups.entry(key.clone()).or_default().insert(other.clone());
        }
    }
    groups.retain(|_, v| v.len() > 1);
    groups
}

fn clusters(a: &Path, b: &Path) -> Result<ClusterDiff> {
    let (ma, mb) = (members(a)?, members(b)?);
    let split = regrouped(&ma, &mb);
    let joined = regrouped(&mb, &ma);
    let list = |s: &BTreeSet<String>| s.iter().cloned().collect::<Vec<_>>().join(", ");
    Ok(ClusterDiff {
        split: split.len() as u64,
        joined: joined.len() as u64,
        split_examples: split
            .iter()
            .take(EXAMPLES)
            .map(|(k, v)| format!("{k} -> {}", list(v)))
            .collect(),
        joined_examples: joined
            .iter()
            .take(EXAMPLES)
            .map(|(k, v)| format!("{} -> {k}", list(v)))
            .collect(),
    })
}

/// The comparison as text for a terminal: only what differs.
pub fn text(d: &RunDiff) -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    let _ = writeln!(s, "A: {} (run {})", d.run_a, d.run_id_a);
    let _ = writeln!(s, "B: {} (run {})", d.run_b, d.run_id_b);
    if d.causes.is_empty() {
        let _ = writeln!(s, "why: the runs were made from the same tool, configuration, inputs, tables and decisions");
    }
    for c in &d.causes {
        let _ = writeln!(s, "why: {} {}: {} -> {}", c.kind, c.name, c.a, c.b);
    }
    let mut table_text = |t: &TableDiff| {
        let _ = writeln!(
            s,
            "{}: {} -> {} rows; added {}, removed {}, changed {}",
            t.table, t.rows_a, t.rows_b, t.added, t.removed, t.changed
        );
        if !t.columns.is_empty() {
            let cols: Vec<String> = t.columns.iter().map(|(c, n)| format!("{c} {n}")).collect();
            let _ = writeln!(s, "  changed columns: {}", cols.join(", "));
        }
        for (what, keys) in [
            ("added", &t.examples.added),
            ("removed", &t.examples.removed),
            ("changed", &t.examples.changed),
        ] {
            if !keys.is_empty() {
                let _ = writeln!(s, "  {what}: {}", keys.join(", "));
            }
        }
        for f in t.files.iter().take(EXAMPLES) {
            let _ = writeln!(
                s,
                "  {}: added {}, removed {}, changed {}",
                f.file, f.added, f.removed, f.changed
            );
        }
        if t.files.len() > EXAMPLES {
            let _ = writeln!(
                s,
                "  ... and {} more files that differ (all in --json and --html)",
                t.files.len() - EXAMPLES
            );
        }
    };
    let (mut same_stages, mut same_uploads) = (0, 0);
    for t in &d.stages {
        if t.differs() {
            table_text(t);
        } else {
            same_stages += 1;
        }
    }
    for t in &d.uploads {
        if t.differs() {
            table_text(t);
        } else {
            same_uploads += 1;
        }
    }
    let _ = writeln!(
        s,
        "unchanged: {same_stages} of {} snapshots, {same_uploads} of {} uploads",
        d.stages.len(),
        d.uploads.len()
    );
    let c = &d.clusters;
    let _ = writeln!(
        s,
        "identity: {} students split, {} joined",
        c.split, c.joined
    );
    for e in c.split_examples.iter().chain(&c.joined_examples) {
        let _ = writeln!(s, "  {e}");
    }
    s
}

/// Reads `path` as JSON.
pub(crate) fn read_json(path: &Path) -> Result<serde_json::Value> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    serde_json::from_slice(&bytes).with_context(|| format!("{}: not JSON", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_text_lists_five_differing_files_and_counts_the_rest() {
        let files = (1..=7)
            .map(|i| FileDiff {
                file: format!("uploads/2016-17/{i}/frm.csv"),
                changed: 1,
                ..Default::default()
            })
            .collect();
        let d = RunDiff {
            run_a: "a".into(),
            run_b: "b".into(),
            run_id_a: "1".into(),
            run_id_b: "2".into(),
            causes: Vec::new(),
            stages: Vec::new(),
            uploads: vec![TableDiff {
                table: "uploads/frm".into(),
                rows_a: 7,
                rows_b: 7,
                changed: 7,
                files,
                ..Default::default()
            }],
            clusters: ClusterDiff::default(),
        };
        let t = text(&d);
        assert!(t.contains(
            "  uploads/2016-17/5/frm.csv: added 0, removed 0, changed 1\n  ... and 2 more files that differ (all in --json and --html)\n"
        ));
        assert!(!t.contains("uploads/2016-17/6/frm.csv"));
    }
}
