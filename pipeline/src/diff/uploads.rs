//! Upload files compared: a file with the same bytes in both runs is
//! unchanged and only its rows are counted; the others are read and their
//! rows compared by the source row the upload manifest ties each to.

use super::{FileDiff, TableDiff, EXAMPLES, KEY};
use crate::runfiles;
use anyhow::{Context, Result};
use cutover_stages::columns::{SOURCE_FILE, SOURCE_ROW};
use cutover_stages::conform::UPLOADS;
use polars::prelude::*;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Every file under `<root>/uploads`, relative to the root
/// (`uploads/2016-17/2544/frm.csv`), sorted.
fn upload_files(root: &Path) -> Result<BTreeSet<String>> {
    let mut out = BTreeSet::new();
    let mut stack = vec![root.join("uploads")];
    while let Some(dir) = stack.pop() {
        if !dir.is_dir() {
            continue;
        }
        for e in
            std::fs::read_dir(&dir).with_context(|| format!("cannot list {}", dir.display()))?
        {
            let p = e?.path();
            if p.is_dir() {
                stack.push(p);
            } else if let Ok(rel) = p.strip_prefix(root) {
                out.insert(rel.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    Ok(out)
}

/// Data rows of an upload file (its lines after the header).
fn data_rows(bytes: &[u8]) -> u64 {
    let lines = bytecount(bytes);
    lines.saturating_sub(1)
}

fn bytecount(bytes: &[u8]) -> u64 {
    let n = bytes.iter().filter(|b| **b == b'\n').count() as u64;
    if bytes.last().is_some_and(|b| *b != b'\n') {
        n + 1
    } else {
        n
    }
}

/// `(file, row number) -> source_file:source_row` for the given files.
fn manifest_keys(
    root: &Path,
    upload: &str,
    files: &[String],
) -> Result<BTreeMap<(String, i64), String>> {
    let wanted = DataFrame::new(
        files.len(),
        vec![Column::new("file".into(), files.to_vec())],
    )?;
    let Some(lf) = runfiles::scan(root, "publish/upload_manifest.parquet")? else {
        return Ok(BTreeMap::new());
    };
    let df = lf
        .filter(col("upload").eq(lit(upload.to_string())))
        .join(
            wanted.lazy(),
            [col("file")],
            [col("file")],
            JoinArgs::new(JoinType::Semi),
        )
        .select([
            col("file"),
            col("row_number").cast(DataType::Int64),
            concat_str(
                [col(SOURCE_FILE), col(SOURCE_ROW).cast(DataType::String)],
                ":",
                false,
            )
            .alias(KEY),
        ])
        .collect()?;
    let files = df.column("file")?.str()?.clone();
    let rows = df.column("row_number")?.i64()?.clone();
    let keys = df.column(KEY)?.str()?.clone();
    Ok(files
        .iter()
        .zip(rows.iter())
        .zip(keys.iter())
        .filter_map(|((f, r), k)| Some(((f?.to_string(), r?), k?.to_string())))
        .collect())
}

/// An upload file's header and its records by key (`source_file:source_row`
/// from the manifest, `row N` for a row it does not name, `#n` for the n-th
/// row of a repeated key); empty for a file the run lacks.
type Keyed = (Vec<String>, BTreeMap<String, csv::StringRecord>);

fn keyed_file(root: &Path, file: &str, keys: &BTreeMap<(String, i64), String>) -> Result<Keyed> {
    let path = root.join(file);
    if !path.is_file() {
        return Ok((Vec::new(), BTreeMap::new()));
    }
    let (mut reader, header) = runfiles::csv_reader(&path)?;
    let mut seen: BTreeMap<String, u32> = BTreeMap::new();
    let mut rows = BTreeMap::new();
    for (i, r) in reader.records().enumerate() {
        let r = r.with_context(|| format!("{}: line {}: not CSV", path.display(), i + 2))?;
        let k = keys
            .get(&(file.to_string(), i as i64 + 1))
            .cloned()
            .unwrap_or_else(|| format!("row {}", i + 1));
        let n = seen.entry(k.clone()).or_default();
        *n += 1;
        rows.insert(if *n == 1 { k } else { format!("{k}#{n}") }, r);
    }
    Ok((header, rows))
}

/// One file of both runs compared row by row: rows whose record is the
/// same are equal; only the others are compared column by column.
fn compare_file(x: &Keyed, y: &Keyed) -> TableDiff {
    let (ha, ra) = x;
    let (hb, rb) = y;
    let mut d = TableDiff {
        rows_a: ra.len() as u64,
        rows_b: rb.len() as u64,
        ..Default::default()
    };
    let added: Vec<&String> = rb.keys().filter(|k| !ra.contains_key(*k)).collect();
    let removed: Vec<&String> = ra.keys().filter(|k| !rb.contains_key(*k)).collect();
    d.added = added.len() as u64;
    d.removed = removed.len() as u64;
    let first = |v: &[&String]| v.iter().take(EXAMPLES).map(|k| k.to_string()).collect();
    d.examples.added = first(&added);
    d.examples.removed = first(&removed);
    let in_b: Vec<(usize, Option<usize>)> = ha
        .iter()
        .enumerate()
        .map(|(i, c)| (i, hb.iter().position(|h| h == c)))
        .collect();
    let mut changed = Vec::new();
    for (k, a) in ra {
        let Some(b) = rb.get(k) else { continue };
        if a == b && ha == hb {
            continue;
        }
        let mut differs = false;
        for (i, j) in &in_b {
            let Some(j) = j else { continue };
            if a.get(*i).unwrap_or("") != b.get(*j).unwrap_or("") {
                *d.columns.entry(ha[*i].clone()).or_default() += 1;
                differs = true;
            }
        }
        if differs {
            changed.push(k);
        }
    }
    d.changed = changed.len() as u64;
    d.examples.changed = first(&changed);
    d
}

/// Every upload of [`UPLOADS`] compared file by file.
pub fn compare(a: &Path, b: &Path) -> Result<Vec<TableDiff>> {
    let (files_a, files_b) = (upload_files(a)?, upload_files(b)?);
    let mut out = Vec::new();
    for upload in UPLOADS {
        let suffix = format!("/{}.csv", upload.name);
        let files: BTreeSet<&String> = files_a
            .iter()
            .chain(files_b.iter())
            .filter(|f| f.ends_with(&suffix))
            .collect();
        let mut d = TableDiff {
            table: format!("uploads/{}", upload.name),
            key: vec!["file".into(), SOURCE_FILE.into(), SOURCE_ROW.into()],
            ..Default::default()
        };
        let mut differing = Vec::new();
        for f in files {
            let read = |root: &Path| std::fs::read(root.join(f)).ok();
            let (x, y) = (read(a), read(b));
            d.rows_a += x.as_deref().map(data_rows).unwrap_or(0);
            d.rows_b += y.as_deref().map(data_rows).unwrap_or(0);
            if x != y {
                differing.push(f.clone());
            }
        }
        let (ka, kb) = (
            manifest_keys(a, upload.name, &differing)?,
            manifest_keys(b, upload.name, &differing)?,
        );
        for f in differing {
            let fd = compare_file(&keyed_file(a, &f, &ka)?, &keyed_file(b, &f, &kb)?);
            d.added += fd.added;
            d.removed += fd.removed;
            d.changed += fd.changed;
            for (c, n) in fd.columns {
                *d.columns.entry(c).or_default() += n;
            }
            let prefix = |keys: Vec<String>| keys.into_iter().map(|k| format!("{f} ({k})"));
            for (to, from) in [
                (&mut d.examples.added, fd.examples.added),
                (&mut d.examples.removed, fd.examples.removed),
                (&mut d.examples.changed, fd.examples.changed),
            ] {
                to.extend(prefix(from));
                to.truncate(EXAMPLES);
            }
            d.files.push(FileDiff {
                file: f,
                added: fd.added,
                removed: fd.removed,
                changed: fd.changed,
            });
        }
        out.push(d);
    }
    Ok(out)
}
