//! `cutover results LOG...`: Synergy's result logs read back. Each rejected
//! upload row is tied, through the upload manifest, to its upload file and
//! row, its source file and row, and the stage most likely behind the error.

use crate::output::write_atomic;
use anyhow::{bail, Context, Result};
use cutover_stages::conform::UPLOADS;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::Path;

/// What Synergy writes when every row of a file loaded (the CTE guide,
/// 001 lines 40-41, shows it under the title line `CTE Import Error Log`).
pub const ALL_SUCCESSFUL: &str = "All Records completed successfully";
/// How a result log's title line ends (`CTE Import Error Log`).
pub const TITLE_SUFFIX: &str = "Import Error Log";
/// The columns of a result log.
pub const LOG_COLUMNS: [&str; 5] = [
    "Row Number",
    "SAU ID",
    "School ID",
    "State Student Number",
    "Error",
];
/// The columns of `results/results.csv`.
pub const RESULT_COLUMNS: [&str; 13] = [
    "log",
    "Row Number",
    "SAU ID",
    "School ID",
    "State Student Number",
    "Error",
    "upload",
    "file",
    "source_entity",
    "source_file",
    "source_row",
    "stage",
    "match",
];

/// The stage whose output an error message points at.
pub fn stage_for(error: &str) -> &'static str {
    if error.starts_with("Unable to resolve") {
        // A code Synergy does not know: the crosswalk table that produced it.
        "crosswalk"
    } else if error.starts_with("Secondary enrollment not found") {
        // The concurrent row loaded before its primary: the load order.
        "publish"
    } else if error.contains("Student") || error.contains("student") {
        "identity"
    } else {
        "unknown"
    }
}

struct ManifestRow {
    file: String,
    row_number: String,
    state_id: String,
    sau: String,
    school: String,
    entity: String,
    source_file: String,
    source_row: String,
}

fn upload_of(log: &Path, given: Option<&str>) -> Result<String> {
    if let Some(u) = given {
        if UPLOADS.iter().any(|x| x.name == u) {
            return Ok(u.to_string());
        }
        bail!(
            "--upload {u}: not an upload ({})",
            UPLOADS
                .iter()
                .map(|u| u.name)
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let stem = log
        .file_name()
        .and_then(|n| n.to_str())
        .and_then(|n| n.split('.').next())
        .unwrap_or("");
    match UPLOADS.iter().find(|u| u.name == stem) {
        Some(u) => Ok(u.name.to_string()),
        None => bail!(
            "{}: cannot tell which upload this log answers: name it after the upload (student_enrollment.csv) or pass --upload",
            log.display()
        ),
    }
}

/// The school year a log's path names as the uploads folder does
/// (`logs/2016-17/student_enrollment.csv`, `student_enrollment.2016-17.csv`):
/// a log answers one upload file, and a student who stays in a school is
/// often on the same row of every year's file.
fn year_of(log: &Path) -> Option<String> {
    let is_year = |s: &str| {
        let b = s.as_bytes();
        b.len() == 7
            && b[4] == b'-'
            && s[..4]
                .parse::<u32>()
                .is_ok_and(|y| s[5..].parse::<u32>().is_ok_and(|e| e == (y + 1) % 100))
    };
    let name = log.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let folders = log.parent().into_iter().flat_map(|p| p.components());
    folders
        .filter_map(|c| c.as_os_str().to_str())
        .chain(name.split('.'))
        .rfind(|s| is_year(s))
        .map(str::to_string)
}

/// (upload, row number) -> manifest rows (one per school year and SAU file).
type Index = BTreeMap<(String, String), Vec<ManifestRow>>;

/// The row numbers the logs ask about, by upload: the only manifest rows
/// kept (the manifest has a row for every upload row, 8.5 million at
/// Maine's size, and held whole it took 3 GB).
type Wanted = BTreeMap<String, BTreeSet<String>>;

/// Opens the manifest before any log is read, so a folder no run wrote
/// says so first.
fn open_manifest(out: &Path) -> Result<(csv::Reader<std::fs::File>, String)> {
    let manifest_path = out.join("publish/upload_manifest.csv");
    let reader = csv::Reader::from_path(&manifest_path).with_context(|| {
        format!(
            "{}: cannot read the upload manifest (run `cutover run` first)",
            manifest_path.display()
        )
    })?;
    Ok((reader, manifest_path.display().to_string()))
}

/// Reads the manifest a record at a time, keeping the rows `wanted` names.
fn read_manifest(manifest: (csv::Reader<std::fs::File>, String), wanted: &Wanted) -> Result<Index> {
    let (mut reader, name) = manifest;
    let mut index = Index::new();
    let mut r = csv::StringRecord::new();
    while reader
        .read_record(&mut r)
        .with_context(|| format!("{name}: not an upload manifest"))?
    {
        let field = |i: usize| r.get(i).unwrap_or("");
        let asked = wanted
            .get(field(0))
            .is_some_and(|rows| rows.contains(field(2)));
        if !asked {
            continue;
        }
        let get = |i: usize| field(i).to_string();
        index
            .entry((get(0), get(2)))
            .or_default()
            .push(ManifestRow {
                file: get(1),
                row_number: get(2),
                state_id: get(3),
                sau: get(4),
                school: get(5),
                entity: get(6),
                source_file: get(7),
                source_row: get(8),
            });
    }
    Ok(index)
}

/// What the logs said, as they are read.
#[derive(Default)]
struct Tally {
    rows: Vec<Vec<String>>,
    /// Each row's question to the manifest: the log's five fields, the
    /// upload it answers and the school year its path names.
    asks: Vec<(Vec<String>, String, Option<String>)>,
    by_error: BTreeMap<String, u64>,
    successful: u64,
    matched: u64,
    unmatched: u64,
    ambiguous: u64,
}

/// The log's text without its title line (`CTE Import Error Log` in the
/// CTE guide, 001 line 40), if it has one.
fn without_title(text: &str) -> &str {
    let first = text.lines().next().unwrap_or("");
    if first.trim().ends_with(TITLE_SUFFIX) && !first.contains(',') {
        text.split_once('\n').map_or("", |(_, rest)| rest)
    } else {
        text
    }
}

/// Reads one log into `t`.
fn read_log(log: &Path, upload: Option<&str>, t: &mut Tally) -> Result<()> {
    let name = log.display().to_string();
    let upload = upload_of(log, upload)?;
    let year = year_of(log);
    let bytes = std::fs::read(log).with_context(|| format!("{name}: cannot read"))?;
    let (text, _, _) = crate::read::decode(&bytes, crate::read::EncodingChoice::Auto);
    let whole = text;
    let text = without_title(&whole);
    // The title line removed: lines count from the file's start.
    let title_lines = whole.as_bytes()[..whole.len() - text.len()]
        .iter()
        .filter(|&&b| b == b'\n')
        .count() as u64;
    if text.trim() == ALL_SUCCESSFUL {
        t.successful += 1;
        return Ok(());
    }
    let mut r = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let header: Vec<String> = r
        .headers()
        .with_context(|| format!("{name}: not a result log"))?
        .iter()
        .map(|h| h.trim().to_string())
        .collect();
    if header != LOG_COLUMNS {
        bail!(
            "{name}: line 1: expected the columns {} or the line \"{ALL_SUCCESSFUL}\", found {}",
            LOG_COLUMNS.join(", "),
            header.join(", ")
        );
    }
    for record in r.records() {
        let record = record.with_context(|| format!("{name}: not a result log"))?;
        let line = crate::csvline::line_of(text.as_bytes(), &record) + title_lines;
        let f: Vec<String> = (0..5)
            .map(|i| record.get(i).unwrap_or("").trim().to_string())
            .collect();
        if f.iter().all(|v| v.is_empty()) {
            continue;
        }
        if f[0].parse::<u64>().is_err() {
            bail!(
                "{name}: line {line}: Row Number: expected a number, found {:?}",
                f[0]
            );
        }
        *t.by_error.entry(f[4].clone()).or_default() += 1;
        let mut row = vec![name.clone()];
        row.extend(f.iter().cloned());
        row.push(upload.clone());
        t.rows.push(row);
        t.asks.push((f, upload.clone(), year.clone()));
    }
    Ok(())
}

/// The upload a log answers, and the school year its path names.
type Answers<'a> = (&'a str, Option<&'a str>);

/// Ties one log row to its upload row: same upload and row number, and the
/// SAU, school and student the log gives. The CTE guide's School ID is "the
/// ID used in your local SIS" (001 line 48), not the NEO Org ID of the upload:
/// a School ID no candidate has is read as such and left out of the match.
/// A school year the log's path names keeps the rows of that year's files.
fn tie(f: &[String], answers: Answers, index: &Index, row: &mut Vec<String>, t: &mut Tally) {
    let (upload, year) = answers;
    let in_year = |m: &&ManifestRow| {
        year.is_none_or(|y| {
            m.file
                .strip_prefix("uploads/")
                .is_some_and(|p| p.starts_with(&format!("{y}/")))
        })
    };
    let by_row: Vec<&ManifestRow> = index
        .get(&(upload.to_string(), f[0].clone()))
        .map(|v| {
            v.iter()
                .filter(in_year)
                .filter(|m| f[1].is_empty() || m.sau == f[1])
                .filter(|m| f[3].is_empty() || m.state_id == f[3])
                .collect()
        })
        .unwrap_or_default();
    let same_school: Vec<&ManifestRow> = by_row
        .iter()
        .copied()
        .filter(|m| f[2].is_empty() || m.school.is_empty() || m.school == f[2])
        .collect();
    let local_school = same_school.is_empty() && !by_row.is_empty();
    let candidates = if local_school { by_row } else { same_school };
    let stage = stage_for(&f[4]).to_string();
    match candidates.as_slice() {
        [m] => {
            t.matched += 1;
            let note = if local_school {
                " (School ID read as the local SIS ID)"
            } else {
                ""
            };
            row.extend([
                m.file.clone(),
                m.entity.clone(),
                m.source_file.clone(),
                m.source_row.clone(),
                stage,
                format!("row {}{note}", m.row_number),
            ]);
        }
        [] => {
            t.unmatched += 1;
            row.extend(["", "", "", ""].map(str::to_string));
            row.push(stage);
            let of_year = year.map(|y| format!(" of {y}")).unwrap_or_default();
            row.push(format!(
                "no upload row{of_year} has this row number, SAU, school and student"
            ));
        }
        many => {
            t.ambiguous += 1;
            row.extend(["", "", "", ""].map(str::to_string));
            row.push(stage);
            let hint = match (year, many[0].file.split('/').nth(1)) {
                (None, Some(y)) => format!(
                    ": a log answers one upload file: keep it in a folder named after that file's school year ({y}/{upload}.csv), or name the year after a dot ({upload}.{y}.csv)"
                ),
                _ => String::new(),
            };
            row.push(format!(
                "{} upload rows match: {}{hint}",
                many.len(),
                many.iter()
                    .map(|m| m.file.as_str())
                    .collect::<Vec<_>>()
                    .join(" ")
            ));
        }
    }
}

/// Reads the logs, writes `results/results.csv` under `out`, and returns
/// the summary printed to the terminal.
pub fn run(out: &Path, logs: &[std::path::PathBuf], upload: Option<&str>) -> Result<String> {
    let manifest = open_manifest(out)?;
    let mut t = Tally::default();
    for log in logs {
        read_log(log, upload, &mut t)?;
    }
    let mut wanted = Wanted::new();
    for (f, upload, _) in &t.asks {
        wanted
            .entry(upload.clone())
            .or_default()
            .insert(f[0].clone());
    }
    let index = read_manifest(manifest, &wanted)?;
    let (mut rows, asks) = (std::mem::take(&mut t.rows), std::mem::take(&mut t.asks));
    for (row, (f, upload, year)) in rows.iter_mut().zip(&asks) {
        tie(f, (upload, year.as_deref()), &index, row, &mut t);
    }
    t.rows = rows;
    let path = out.join("results/results.csv");
    write_atomic(&path, |file| {
        let mut w = csv::Writer::from_writer(std::io::BufWriter::new(file));
        w.write_record(RESULT_COLUMNS)?;
        for r in &t.rows {
            w.write_record(r)?;
        }
        w.flush()?;
        Ok(())
    })?;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{} read: {} all successful, {} ({} tied to their source row, {} not found, {} ambiguous)",
        plural(logs.len(), "log"),
        t.successful,
        plural(t.rows.len(), "rejected row"),
        t.matched,
        t.unmatched,
        t.ambiguous
    );
    if t.ambiguous > 0 {
        let _ = writeln!(
            s,
            "ambiguous: a row of more than one school year's file (see results.csv's match column): a log answers one upload file, so keep it in a folder named after that file's school year (logs/2016-17/student_enrollment.csv)"
        );
    }
    let mut sorted: Vec<(&String, &u64)> = t.by_error.iter().collect();
    sorted.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    for (error, n) in sorted {
        let _ = writeln!(s, "{n:>8}  {error}  [{}]", stage_for(error));
    }
    let _ = writeln!(s, "written: {}", path.display());
    Ok(s)
}

/// `1 log`, `2 logs`.
fn plural(n: usize, what: &str) -> String {
    format!("{n} {what}{}", if n == 1 { "" } else { "s" })
}
