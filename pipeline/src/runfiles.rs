//! Reading a finished run's output folder back: lazy parquet scans (so a
//! filter on `source_file`/`source_row` or an ID is pushed into the scan and
//! only matching row groups are decoded), frames as text, and the CSV files
//! (`preflight/*.csv`, `quarantine/*.csv`, `review/decisions.csv`).

use anyhow::{Context, Result};
use cutover_stages::columns::{
    ADDRESS, BIRTH_DATE, CITY, FIRST_NAME, LAST_NAME, MIDDLE_NAME, SUFFIX, ZIP,
};
use polars::prelude::*;
use std::path::Path;

/// Columns holding names, birth dates or addresses: shown only with
/// `--show-pii`, never in a diff or a fix list.
pub const PERSONAL: [&str; 8] = [
    LAST_NAME,
    FIRST_NAME,
    MIDDLE_NAME,
    SUFFIX,
    BIRTH_DATE,
    ADDRESS,
    CITY,
    ZIP,
];

/// What a personal value is written as when it may not be shown.
pub const REDACTED: &str = "[redacted]";

/// Whether `column` holds a personal value.
pub fn is_personal(column: &str) -> bool {
    PERSONAL.contains(&column)
}

/// Refuses a folder no run wrote (no `run.json`), naming the runs one level
/// below it: the follow-up commands' default, `snapshots`, holds `make
/// demo`'s run in `snapshots/demo`, not one of its own. `option` is how the
/// command is told a folder (`--out`), `None` for a positional argument.
pub fn require_run(root: &Path, option: Option<&str>) -> Result<()> {
    if root.join("run.json").is_file() {
        return Ok(());
    }
    let shown = root.display();
    let below = runs_below(root);
    let what = format!("{shown}: not a run's output folder (no run.json");
    match (below.as_slice(), option) {
        ([], _) => anyhow::bail!("{what}; run `cutover run` first)"),
        ([one], Some(option)) => {
            anyhow::bail!("{what}), but {one} holds a run: pass `{option} {one}`")
        }
        ([one], None) => anyhow::bail!("{what}), but {one} holds a run: name it instead"),
        (many, option) => anyhow::bail!(
            "{what}), but these folders in it hold runs: {}: {}",
            many.join(", "),
            option.map_or("name one of them instead".to_string(), |o| format!(
                "pass one of them as `{o}`"
            ))
        ),
    }
}

/// The folders directly in `root` that hold a run (`run.json`), by name.
fn runs_below(root: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(root) else {
        return Vec::new();
    };
    let mut runs: Vec<String> = entries
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.join("run.json").is_file())
        .map(|p| p.display().to_string())
        .collect();
    runs.sort();
    runs
}

/// A polars result with the file it concerns named in its error.
fn named<T>(r: PolarsResult<T>, path: &Path, what: &str) -> Result<T> {
    r.map_err(|e| anyhow::anyhow!("{}: {what}: {e}", path.display()))
}

/// A lazy scan of `<root>/<rel>`, or `None` when the run has no such file.
pub fn scan(root: &Path, rel: &str) -> Result<Option<LazyFrame>> {
    let path = root.join(rel);
    if !path.is_file() {
        return Ok(None);
    }
    let pl_path = named(PlRefPath::try_from_path(&path), &path, "not a usable path")?;
    let lf = named(
        LazyFrame::scan_parquet(pl_path, ScanArgsParquet::default()),
        &path,
        "cannot scan",
    )?;
    Ok(Some(lf))
}

/// The rows of `<root>/<rel>` matching `predicate`, or an empty frame when
/// the file is absent.
pub fn rows_where(root: &Path, rel: &str, predicate: Expr) -> Result<DataFrame> {
    match scan(root, rel)? {
        Some(lf) => named(
            lf.filter(predicate).collect(),
            &root.join(rel),
            "cannot read",
        ),
        None => Ok(DataFrame::empty()),
    }
}

/// The column names of a parquet file (its schema, read from the footer).
pub fn columns_of(root: &Path, rel: &str) -> Result<Vec<String>> {
    match scan(root, rel)? {
        Some(mut lf) => Ok(named(
            lf.collect_schema(),
            &root.join(rel),
            "cannot read its schema",
        )?
        .iter_names()
        .map(|n| n.to_string())
        .collect()),
        None => Ok(Vec::new()),
    }
}

/// `source_file == file && source_row == row` (the row cast, so any integer
/// type matches).
pub fn at_source(file: &str, row: i64) -> Expr {
    col(cutover_stages::columns::SOURCE_FILE)
        .eq(lit(file.to_string()))
        .and(
            col(cutover_stages::columns::SOURCE_ROW)
                .cast(DataType::Int64)
                .eq(lit(row)),
        )
}

/// `column` equal to any of `values` (false for none).
pub fn any_of(column: &str, values: &[String]) -> Expr {
    values
        .iter()
        .fold(lit(false), |acc, v| acc.or(col(column).eq(lit(v.clone()))))
}

/// Every column of `df` as text (null stays `None`), column by column.
pub fn text_columns(df: &DataFrame) -> Result<Vec<(String, Vec<Option<String>>)>> {
    df.columns()
        .iter()
        .map(|c| {
            let s = c.as_materialized_series().cast(&DataType::String)?;
            let values = s.str()?.iter().map(|v| v.map(str::to_string)).collect();
            Ok((c.name().to_string(), values))
        })
        .collect()
}

/// One row as (column, text value) pairs in column order.
pub type TextRow = Vec<(String, Option<String>)>;
/// A CSV file's header and records.
pub type CsvTable = (Vec<String>, Vec<Vec<String>>);

/// The rows of `df`, each as (column, text value) pairs in column order.
pub fn text_rows(df: &DataFrame) -> Result<Vec<TextRow>> {
    let columns = text_columns(df)?;
    Ok((0..df.height())
        .map(|i| {
            columns
                .iter()
                .map(|(name, values)| (name.clone(), values[i].clone()))
                .collect()
        })
        .collect())
}

/// A CSV file's reader (rows of any length) and its header.
pub fn csv_reader(path: &Path) -> Result<(csv::Reader<std::fs::File>, Vec<String>)> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_path(path)
        .with_context(|| format!("{}: cannot read", path.display()))?;
    let header: Vec<String> = reader
        .headers()
        .with_context(|| format!("{}: cannot read its header", path.display()))?
        .iter()
        .map(str::to_string)
        .collect();
    Ok((reader, header))
}

/// A CSV file's header and records (an absent file is `None`).
pub fn read_csv(path: &Path) -> Result<Option<CsvTable>> {
    if !path.is_file() {
        return Ok(None);
    }
    let (mut reader, header) = csv_reader(path)?;
    let mut rows = Vec::new();
    for (i, r) in reader.records().enumerate() {
        let r = r.with_context(|| format!("{}: line {}: not CSV", path.display(), i + 2))?;
        rows.push(r.iter().map(str::to_string).collect());
    }
    Ok(Some((header, rows)))
}

/// The value of `column` in a CSV record (blank when the column is absent).
pub fn field<'a>(header: &[String], record: &'a [String], column: &str) -> &'a str {
    header
        .iter()
        .position(|h| h == column)
        .and_then(|i| record.get(i))
        .map(String::as_str)
        .unwrap_or("")
}

/// The names of the parquet files directly under `<root>/<dir>` (without
/// `.parquet`), sorted.
pub fn parquet_names(root: &Path, dir: &str) -> Result<Vec<String>> {
    let path = root.join(dir);
    if !path.is_dir() {
        return Ok(Vec::new());
    }
    let mut names = Vec::new();
    for entry in
        std::fs::read_dir(&path).with_context(|| format!("cannot list {}", path.display()))?
    {
        let name = entry?.file_name().to_string_lossy().to_string();
        if let Some(stem) = name.strip_suffix(".parquet") {
            names.push(stem.to_string());
        }
    }
    names.sort();
    Ok(names)
}
