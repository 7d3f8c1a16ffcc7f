//! `cutover trace`: one source row (`student_enrollment.csv:1234`), or every
//! row of one student (under any of their IDs, retired or surviving),
//! followed through every stage of a finished run: the line read, its typed
//! values or the rules it broke, each code and ID mapped (legacy value, new
//! value, the table and its line), the identity decision that re-keyed it,
//! the conformed rows it became, pre-flight's verdict, and the upload file
//! and row it reached, or where it stopped.
//!
//! Every snapshot is scanned lazily with a filter on `source_file` and
//! `source_row` (or the student's IDs), so polars decodes only the row
//! groups whose statistics can match; nothing is loaded whole except the
//! small ID crosswalk and the pre-flight CSV files of the uploads the row
//! reached. Names, birth dates and addresses are shown only with
//! `show_pii`.

use crate::runfiles::{self, any_of, at_source, is_personal, rows_where, REDACTED};
use anyhow::{bail, Context, Result};
use cutover_stages::columns::{SOURCE_FILE, SOURCE_ROW, STATE_STUDENT_ID};
use cutover_stages::conform::{SOURCE_ENTITY, UPLOADS, UPLOAD_ROW, UPLOAD_SAU, UPLOAD_YEAR};
use cutover_stages::identity::{LEGACY_STATE_STUDENT_ID, STUDENT_KEY};
use polars::prelude::*;
use serde::Serialize;
use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

mod mapped;

pub use mapped::Mapping;

/// What to trace.
#[derive(Clone, Debug)]
pub enum Target {
    /// One source row: the bundle file and its line.
    Row { file: String, row: i64 },
    /// Every row of one student, by any of their IDs.
    Student(String),
}

impl Target {
    /// `FILE:ROW`, as typed on the command line.
    pub fn parse_row(text: &str) -> Result<Target> {
        let Some((file, row)) = text.rsplit_once(':') else {
            bail!("{text}: expected FILE:ROW, such as student_enrollment.csv:1234");
        };
        let row: i64 = row
            .parse()
            .ok()
            .filter(|r| *r >= 1)
            .with_context(|| format!("{text}: the row must be a line number from 1"))?;
        Ok(Target::Row {
            file: file.to_string(),
            row,
        })
    }
}

/// One value of a row.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Field {
    pub column: String,
    pub value: Option<String>,
    /// The value's type, for typed values.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dtype: Option<String>,
}

/// A rule a row broke at read, ingest or crosswalk.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Violation {
    pub stage: String,
    pub column: String,
    pub value: String,
    pub rule: String,
    pub message: String,
}

/// The identity stage's decision about the row's student.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct IdentityStep {
    /// The StateStudentID as read (blank for a student without one).
    pub id_as_read: String,
    /// The surviving StateStudentID (or provisional `NEW-` key).
    pub student: String,
    /// The rule that put the row with its student.
    pub rule: String,
    /// The match score, when a scored pair merged the IDs.
    pub score: Option<f64>,
    /// The reviewer decision behind a `decision` merge or separation.
    pub decision: Option<String>,
    /// For an identity row: the line of the student's current identity,
    /// which carries the student from here on.
    pub current_identity_row: Option<i64>,
}

/// A conformed row the source row became.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Conformed {
    pub upload: String,
    /// The school year (as it ends) and SAU whose upload file the row is for.
    pub school_year: Option<i32>,
    pub sau: Option<String>,
    pub fields: Vec<Field>,
    /// Pre-flight's verdict: the rules that held the row (none: passed).
    pub held: Vec<Held>,
}

/// A pre-flight finding.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Held {
    pub rule: String,
    pub error: String,
}

/// An upload row the source row reached.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Uploaded {
    pub upload: String,
    pub file: String,
    pub row_number: i64,
}

/// One source row through every stage.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct RowTrace {
    pub entity: String,
    pub source_file: String,
    pub source_row: i64,
    /// The values as read (text), when the line could be split.
    pub read: Option<Vec<Field>>,
    pub rejected: Vec<Violation>,
    /// The typed values, when ingest kept the row.
    pub typed: Option<Vec<Field>>,
    pub mapped: Vec<Mapping>,
    pub identity: Option<IdentityStep>,
    pub conformed: Vec<Conformed>,
    pub uploaded: Vec<Uploaded>,
    /// Where the row ended, in a sentence.
    pub outcome: String,
}

/// A whole trace.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Trace {
    pub asked: String,
    /// For a student: every ID of theirs, the survivor first.
    pub student_ids: Vec<String>,
    pub rows: Vec<RowTrace>,
}

/// Where to read from and what to show.
pub struct Options<'a> {
    pub root: &'a Path,
    /// The crosswalk tables, for the line of each mapping.
    pub crosswalks: PathBuf,
    pub show_pii: bool,
}

/// Traces `target` through the run under `opts.root`.
pub fn trace(target: &Target, opts: &Options) -> Result<Trace> {
    runfiles::require_run(opts.root, Some("--out"))?;
    let entities = entities(opts.root)?;
    let mut tables = mapped::TableLines::new(&opts.crosswalks);
    match target {
        Target::Row { file, row } => {
            let Some(entity) = locate(opts.root, &entities, file, *row)? else {
                bail!(
                    "{file}:{row}: no such row in this run (no entity's read snapshot or quarantine has it)"
                );
            };
            let t = trace_row(opts, &mut tables, &entity, file, *row)?;
            Ok(Trace {
                asked: format!("{file}:{row}"),
                student_ids: Vec::new(),
                rows: vec![t],
            })
        }
        Target::Student(id) => {
            let ids = student_ids(opts.root, id)?;
            let rows = rows_of_student(opts.root, &entities, &ids)?;
            if rows.is_empty() {
                bail!("{id}: no row of this run carries this ID");
            }
            let rows = rows
                .iter()
                .map(|(entity, file, row)| trace_row(opts, &mut tables, entity, file, *row))
                .collect::<Result<_>>()?;
            Ok(Trace {
                asked: format!("student {id}"),
                student_ids: ids,
                rows,
            })
        }
    }
}

/// `cutover trace`: a row (`FILE:ROW`) or a student, as text or JSON.
pub fn command(
    row: Option<String>,
    student: Option<String>,
    opts: &Options,
    json: bool,
) -> Result<String> {
    let target = match (row, student) {
        (_, Some(id)) => Target::Student(id),
        (Some(row), None) => Target::parse_row(&row)?,
        (None, None) => bail!("name a row (FILE:ROW) or a student (--student ID)"),
    };
    let t = trace(&target, opts)?;
    Ok(if json {
        format!("{}\n", serde_json::to_string_pretty(&t)?)
    } else {
        text(&t)
    })
}

/// The entities the run read, from `read/*.parquet`.
fn entities(root: &Path) -> Result<Vec<String>> {
    Ok(runfiles::parquet_names(root, "read")?
        .into_iter()
        .filter(|n| !n.contains('.'))
        .collect())
}

/// The entity whose read snapshot or quarantine holds `file:row`.
fn locate(root: &Path, entities: &[String], file: &str, row: i64) -> Result<Option<String>> {
    // The file named after its entity is tried first.
    let stem = file.split('.').next().unwrap_or(file);
    let mut order: Vec<&String> = entities.iter().filter(|e| *e == stem).collect();
    order.extend(entities.iter().filter(|e| *e != stem));
    for entity in order {
        for rel in [
            format!("read/{entity}.parquet"),
            format!("ingest/{entity}.quarantine.parquet"),
        ] {
            if rows_where(root, &rel, at_source(file, row))?.height() > 0 {
                return Ok(Some(entity.clone()));
            }
        }
    }
    Ok(None)
}

/// Every ID of the student `id` names: the survivor first, then the IDs
/// retired into it, sorted.
fn student_ids(root: &Path, id: &str) -> Result<Vec<String>> {
    let cw = runfiles::rows_where(root, "identity/id_crosswalk.parquet", lit(true))?;
    let mut survivor = id.to_string();
    let mut retired: BTreeSet<String> = BTreeSet::new();
    if cw.height() > 0 {
        let cols = runfiles::text_columns(&cw)?;
        let get = |name: &str| &cols.iter().find(|(n, _)| n == name).expect("column").1;
        let (from, to) = (get("retired_id"), get("surviving_id"));
        if let Some(i) = from.iter().position(|v| v.as_deref() == Some(id)) {
            survivor = to[i].clone().unwrap_or_default();
        }
        for i in 0..cw.height() {
            if to[i].as_deref() == Some(survivor.as_str()) {
                retired.insert(from[i].clone().unwrap_or_default());
            }
        }
    }
    let mut ids = vec![survivor];
    ids.extend(retired);
    Ok(ids)
}

/// (entity, source file, source row) of every row carrying one of `ids`,
/// sorted by entity, file and row.
fn rows_of_student(
    root: &Path,
    entities: &[String],
    ids: &[String],
) -> Result<Vec<(String, String, i64)>> {
    let mut found: BTreeSet<(String, String, i64)> = BTreeSet::new();
    let mut add = |entity: &str, df: &DataFrame| -> Result<()> {
        let files = df.column(SOURCE_FILE)?.str()?.clone();
        let rows = df
            .column(SOURCE_ROW)?
            .as_materialized_series()
            .cast(&DataType::Int64)?;
        for (f, r) in files.iter().zip(rows.i64()?.iter()) {
            if let (Some(f), Some(r)) = (f, r) {
                found.insert((entity.to_string(), f.to_string(), r));
            }
        }
        Ok(())
    };
    for entity in entities {
        let rel = format!("read/{entity}.parquet");
        if !runfiles::columns_of(root, &rel)?
            .iter()
            .any(|c| c == STATE_STUDENT_ID)
        {
            continue;
        }
        let df = rows_where(root, &rel, any_of(STATE_STUDENT_ID, ids))?
            .select([SOURCE_FILE, SOURCE_ROW])?;
        add(entity, &df)?;
    }
    // Identity rows without an ID (a provisional NEW- student) are found by
    // their student key.
    let map = rows_where(
        root,
        "identity/identity_map.parquet",
        any_of(STUDENT_KEY, ids),
    )?;
    if map.height() > 0 {
        let personal = cutover_stages::schema::STUDENT_PERSONAL.name;
        let file = personal_file(root)?;
        let df = map
            .lazy()
            .select([lit(file).alias(SOURCE_FILE), col(SOURCE_ROW)])
            .collect()?;
        add(personal, &df)?;
    }
    Ok(found.into_iter().collect())
}

/// The bundle file of the identity rows (`student_personal.csv` unless the
/// configuration named it otherwise).
fn personal_file(root: &Path) -> Result<String> {
    let df = runfiles::scan(root, "read/student_personal.parquet")?
        .map(|lf| lf.select([col(SOURCE_FILE)]).limit(1).collect())
        .transpose()?;
    Ok(df
        .and_then(|d| {
            d.column(SOURCE_FILE)
                .ok()?
                .str()
                .ok()?
                .get(0)
                .map(str::to_string)
        })
        .unwrap_or_else(|| "student_personal.csv".to_string()))
}

/// Fields of one row, personal values redacted unless `show_pii`.
fn fields(df: &DataFrame, typed: bool, show_pii: bool) -> Result<Option<Vec<Field>>> {
    let Some(row) = runfiles::text_rows(df)?.into_iter().next() else {
        return Ok(None);
    };
    let schema = df.schema();
    Ok(Some(
        row.into_iter()
            .filter(|(c, _)| c != SOURCE_FILE && c != SOURCE_ROW)
            .map(|(column, value)| {
                let dtype = typed.then(|| {
                    schema
                        .get(&column)
                        .map(|d| d.to_string())
                        .unwrap_or_default()
                });
                let value = match value {
                    Some(_) if is_personal(&column) && !show_pii => Some(REDACTED.to_string()),
                    v => v,
                };
                Field {
                    column,
                    value,
                    dtype,
                }
            })
            .collect(),
    ))
}

/// The violations of `file:row` in a stage's quarantine snapshot.
fn violations(
    root: &Path,
    stage: &str,
    entity: &str,
    file: &str,
    row: i64,
) -> Result<Vec<Violation>> {
    let df = rows_where(
        root,
        &format!("{stage}/{entity}.quarantine.parquet"),
        at_source(file, row),
    )?;
    Ok(runfiles::text_rows(&df)?
        .into_iter()
        .map(|r| {
            let get = |name: &str| {
                r.iter()
                    .find(|(c, _)| c == name)
                    .and_then(|(_, v)| v.clone())
                    .unwrap_or_default()
            };
            let column = get("column");
            // The quarantine CSV redacts personal values the same way.
            let value = if is_personal(&column) {
                REDACTED.to_string()
            } else {
                get("value")
            };
            Violation {
                stage: stage.to_string(),
                value,
                rule: get("rule"),
                message: get("message"),
                column,
            }
        })
        .collect())
}

fn trace_row(
    opts: &Options,
    tables: &mut mapped::TableLines,
    entity: &str,
    file: &str,
    row: i64,
) -> Result<RowTrace> {
    let root = opts.root;
    let at = || at_source(file, row);
    let read = fields(
        &rows_where(root, &format!("read/{entity}.parquet"), at())?,
        false,
        opts.show_pii,
    )?;
    let mut rejected = violations(root, "ingest", entity, file, row)?;
    let ingested = rows_where(root, &format!("ingest/{entity}.parquet"), at())?;
    let typed = fields(&ingested, true, opts.show_pii)?;
    let mut t = RowTrace {
        entity: entity.to_string(),
        source_file: file.to_string(),
        source_row: row,
        read,
        rejected: Vec::new(),
        typed,
        mapped: Vec::new(),
        identity: None,
        conformed: Vec::new(),
        uploaded: Vec::new(),
        outcome: String::new(),
    };
    if t.typed.is_none() {
        t.outcome = stopped_at("ingest", &rejected);
        t.rejected = rejected;
        return Ok(t);
    }
    rejected.extend(violations(root, "crosswalk", entity, file, row)?);
    let crosswalked = rows_where(root, &format!("crosswalk/{entity}.parquet"), at())?;
    t.mapped = mapped::mappings(entity, &crosswalked, tables)?;
    t.rejected = rejected;
    if crosswalked.height() == 0
        && runfiles::scan(root, &format!("crosswalk/{entity}.parquet"))?.is_some()
    {
        t.outcome = stopped_at("crosswalk", &t.rejected);
        return Ok(t);
    }
    t.identity = identity_step(root, entity, file, row)?;
    // An identity row carries its student only when it is the current one.
    let carried_by = match &t.identity {
        Some(IdentityStep {
            current_identity_row: Some(current),
            ..
        }) => *current,
        _ => row,
    };
    if carried_by != row {
        let step = t.identity.as_ref().expect("identity step");
        t.outcome = format!(
            "merged at identity: an earlier identity of student {}, who is carried on by {file}:{carried_by}",
            step.student
        );
        return Ok(t);
    }
    t.conformed = conformed(root, file, row, opts.show_pii)?;
    t.uploaded = uploaded(root, file, row)?;
    t.outcome = outcome(&t);
    Ok(t)
}

fn stopped_at(stage: &str, rejected: &[Violation]) -> String {
    let rules: BTreeSet<&str> = rejected
        .iter()
        .filter(|v| v.stage == stage || stage == "ingest")
        .map(|v| v.rule.as_str())
        .collect();
    format!(
        "stopped at {stage}: quarantined ({})",
        rules.into_iter().collect::<Vec<_>>().join(", ")
    )
}

fn outcome(t: &RowTrace) -> String {
    if !t.uploaded.is_empty() {
        let files: BTreeSet<&str> = t.uploaded.iter().map(|u| u.upload.as_str()).collect();
        let held = t.conformed.iter().filter(|c| !c.held.is_empty()).count();
        let mut s = format!(
            "reached {} upload row{} ({})",
            t.uploaded.len(),
            if t.uploaded.len() == 1 { "" } else { "s" },
            files.into_iter().collect::<Vec<_>>().join(", ")
        );
        if held > 0 {
            let _ = write!(
                s,
                "; {held} conformed row{} held by pre-flight",
                if held == 1 { "" } else { "s" }
            );
        }
        return s;
    }
    if t.conformed.is_empty() {
        return "stopped at conform: no upload takes this row".to_string();
    }
    let rules: BTreeSet<&str> = t
        .conformed
        .iter()
        .flat_map(|c| c.held.iter().map(|h| h.rule.as_str()))
        .collect();
    format!(
        "stopped at pre-flight: held ({})",
        rules.into_iter().collect::<Vec<_>>().join(", ")
    )
}

fn text_of(df: &DataFrame, column: &str) -> Result<Option<String>> {
    if df.height() == 0 || df.column(column).is_err() {
        return Ok(None);
    }
    let s = df
        .column(column)?
        .as_materialized_series()
        .cast(&DataType::String)?;
    Ok(s.str()?.get(0).map(str::to_string))
}

/// The identity stage's decision: from the identity map for an identity
/// row, from the re-keyed snapshot for any other.
fn identity_step(root: &Path, entity: &str, file: &str, row: i64) -> Result<Option<IdentityStep>> {
    let personal = entity == cutover_stages::schema::STUDENT_PERSONAL.name;
    let (id_as_read, student, mut rule, current) = if personal {
        let map = rows_where(
            root,
            "identity/identity_map.parquet",
            col(SOURCE_ROW).cast(DataType::Int64).eq(lit(row)),
        )?;
        let Some(student) = text_of(&map, STUDENT_KEY)? else {
            return Ok(None);
        };
        let students = rows_where(
            root,
            "identity/students.parquet",
            col(STUDENT_KEY).eq(lit(student.clone())),
        )?;
        let current = text_of(&students, SOURCE_ROW)?.and_then(|r| r.parse().ok());
        (
            text_of(&map, STATE_STUDENT_ID)?.unwrap_or_default(),
            student,
            text_of(&map, "rule")?.unwrap_or_default(),
            current,
        )
    } else {
        let rekeyed = rows_where(
            root,
            &format!("identity/{entity}.parquet"),
            at_source(file, row),
        )?;
        let Some(legacy) = text_of(&rekeyed, LEGACY_STATE_STUDENT_ID)? else {
            return Ok(None);
        };
        let student = text_of(&rekeyed, STATE_STUDENT_ID)?.unwrap_or_default();
        (legacy, student, String::new(), None)
    };
    let (mut score, mut decision) = (None, None);
    if !id_as_read.is_empty() && id_as_read != student {
        let cw = rows_where(
            root,
            "identity/id_crosswalk.parquet",
            col("retired_id").eq(lit(id_as_read.clone())),
        )?;
        if let Some(r) = text_of(&cw, "rule")? {
            rule = r;
        }
        score = text_of(&cw, "score")?.and_then(|s| s.parse().ok());
    }
    if rule.is_empty() {
        rule = if id_as_read == student || id_as_read.is_empty() {
            "kept".to_string()
        } else {
            "re-keyed".to_string()
        };
    }
    if rule == "decision" || rule == "same_id_conflict" {
        decision = reviewer_decision(root, &id_as_read, &student)?;
    }
    Ok(Some(IdentityStep {
        id_as_read,
        student,
        rule,
        score,
        decision,
        current_identity_row: current,
    }))
}

/// The reviewer decision naming `a` (or `b`) in `review/decisions.csv`.
fn reviewer_decision(root: &Path, a: &str, b: &str) -> Result<Option<String>> {
    let Some((header, rows)) = runfiles::read_csv(&root.join("review/decisions.csv"))? else {
        return Ok(None);
    };
    let get = |r: &[String], c: &str| runfiles::field(&header, r, c).to_string();
    Ok(rows
        .iter()
        .find(|r| {
            let (x, y) = (get(r, "id_a"), get(r, "id_b"));
            [x.as_str(), y.as_str()].contains(&a) || [x.as_str(), y.as_str()].contains(&b)
        })
        .map(|r| {
            format!(
                "{} {} and {} (review/decisions.csv, {} on {})",
                get(r, "decision"),
                get(r, "id_a"),
                get(r, "id_b"),
                get(r, "reviewer"),
                get(r, "date")
            )
        }))
}

/// The columns of a conformed row that are bookkeeping, not upload fields.
const HELPERS: [&str; 7] = [
    cutover_stages::columns::WRONG_VALUES,
    SOURCE_ENTITY,
    SOURCE_FILE,
    SOURCE_ROW,
    UPLOAD_YEAR,
    UPLOAD_SAU,
    UPLOAD_ROW,
];

/// The conformed rows of every upload that came from `file:row`, each with
/// pre-flight's verdict.
fn conformed(root: &Path, file: &str, row: i64, show_pii: bool) -> Result<Vec<Conformed>> {
    let mut out = Vec::new();
    let reached: BTreeSet<(String, String, i32)> = uploaded(root, file, row)?
        .into_iter()
        .filter_map(|u| place_of(&u.file).map(|(sau, year)| (u.upload, sau, year)))
        .collect();
    for upload in UPLOADS {
        let df = rows_where(
            root,
            &format!("conform/{}.parquet", upload.name),
            at_source(file, row),
        )?;
        if df.height() == 0 {
            continue;
        }
        let found = findings(root, upload.name, file, row)?;
        let saus = df
            .column(UPLOAD_SAU)?
            .as_materialized_series()
            .cast(&DataType::String)?;
        let years = df
            .column(UPLOAD_YEAR)?
            .as_materialized_series()
            .cast(&DataType::Int32)?;
        for (i, r) in runfiles::text_rows(&df)?.into_iter().enumerate() {
            let fields = r
                .into_iter()
                .filter(|(c, _)| !HELPERS.contains(&c.as_str()))
                .map(|(column, value)| Field {
                    value: match value {
                        Some(_) if is_personal(&column) && !show_pii => Some(REDACTED.to_string()),
                        v => v,
                    },
                    column,
                    dtype: None,
                })
                .collect();
            // Findings name the source row and SAU; several conformed rows
            // of one source row (one per SAU and year) are told apart by the
            // upload file each reached.
            let sau = saus.str()?.get(i).unwrap_or("").to_string();
            let year = years.i32()?.get(i).unwrap_or(0);
            let held = if df.height() == 1 {
                found.iter().map(|(_, h)| h.clone()).collect()
            } else if reached.contains(&(upload.name.to_string(), sau.clone(), year)) {
                Vec::new()
            } else {
                found
                    .iter()
                    .filter(|(s, _)| *s == sau)
                    .map(|(_, h)| h.clone())
                    .collect()
            };
            out.push(Conformed {
                upload: upload.name.to_string(),
                school_year: years.i32()?.get(i),
                sau: saus.str()?.get(i).map(str::to_string),
                fields,
                held,
            });
        }
    }
    Ok(out)
}

/// (SAU ID, finding) of every pre-flight line of `file:row` for `upload`.
fn findings(root: &Path, upload: &str, file: &str, row: i64) -> Result<Vec<(String, Held)>> {
    let Some((header, rows)) = runfiles::read_csv(&root.join(format!("preflight/{upload}.csv")))?
    else {
        return Ok(Vec::new());
    };
    let row = row.to_string();
    Ok(rows
        .iter()
        .filter(|r| {
            runfiles::field(&header, r, SOURCE_FILE) == file
                && runfiles::field(&header, r, SOURCE_ROW) == row
        })
        .map(|r| {
            (
                runfiles::field(&header, r, "SAU ID").to_string(),
                Held {
                    rule: runfiles::field(&header, r, "rule").to_string(),
                    error: runfiles::field(&header, r, "Error").to_string(),
                },
            )
        })
        .collect())
}

/// `uploads/2016-17/2544/x.csv` -> ("2544", 2017).
fn place_of(file: &str) -> Option<(String, i32)> {
    let mut parts = file.split('/');
    let _ = parts.next()?;
    let year = parts.next()?;
    let sau = parts.next()?;
    let end: i32 = year.split_once('-')?.0.parse().ok()?;
    Some((sau.to_string(), end + 1))
}

/// The upload rows `file:row` reached, from the upload manifest.
fn uploaded(root: &Path, file: &str, row: i64) -> Result<Vec<Uploaded>> {
    let df = rows_where(
        root,
        "publish/upload_manifest.parquet",
        at_source(file, row),
    )?;
    Ok(runfiles::text_rows(&df)?
        .into_iter()
        .map(|r| {
            let get = |name: &str| {
                r.iter()
                    .find(|(c, _)| c == name)
                    .and_then(|(_, v)| v.clone())
                    .unwrap_or_default()
            };
            Uploaded {
                upload: get("upload"),
                file: get("file"),
                row_number: get("row_number").parse().unwrap_or(0),
            }
        })
        .collect())
}

/// The trace as plain text for a terminal.
pub fn text(t: &Trace) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "trace of {}", t.asked);
    if !t.student_ids.is_empty() {
        let _ = writeln!(
            s,
            "student: {} (IDs: {})",
            t.student_ids[0],
            t.student_ids.join(", ")
        );
    }
    for r in &t.rows {
        s.push('\n');
        row_text(&mut s, r);
    }
    s
}

fn values(fields: &[Field], typed_only: bool) -> String {
    let parts: Vec<String> = fields
        .iter()
        .filter(|f| f.value.as_deref().is_some_and(|v| !v.is_empty()))
        .filter(|f| !typed_only || f.dtype.as_deref().is_some_and(|d| d != "str"))
        .map(|f| match (&f.dtype, typed_only) {
            (Some(d), true) => format!("{}={} ({d})", f.column, f.value.as_deref().unwrap_or("")),
            _ => format!("{}={}", f.column, f.value.as_deref().unwrap_or("")),
        })
        .collect();
    if parts.is_empty() {
        "(none)".to_string()
    } else {
        parts.join(", ")
    }
}

fn row_text(s: &mut String, r: &RowTrace) {
    let _ = writeln!(s, "{}:{} ({})", r.source_file, r.source_row, r.entity);
    match &r.read {
        Some(f) => {
            let _ = writeln!(s, "  read: {}", values(f, false));
        }
        None => {
            let _ = writeln!(
                s,
                "  read: the line could not be split into the file's columns"
            );
        }
    }
    for v in &r.rejected {
        let _ = writeln!(
            s,
            "  {}: rule {} on {} = {:?}: {}",
            v.stage, v.rule, v.column, v.value, v.message
        );
    }
    if let Some(f) = &r.typed {
        let _ = writeln!(s, "  ingest: typed {}", values(f, true));
    }
    for m in &r.mapped {
        let _ = writeln!(s, "  crosswalk: {}", m.text());
    }
    if let Some(i) = &r.identity {
        let _ = writeln!(s, "  identity: {}", identity_text(i));
    }
    for c in &r.conformed {
        let place = match (c.school_year, &c.sau) {
            (Some(y), Some(sau)) => {
                format!(" for {}, SAU {sau}", crate::publish::school_year_folder(y))
            }
            _ => String::new(),
        };
        let _ = writeln!(
            s,
            "  conform: {} row{place}: {}",
            c.upload,
            values(&c.fields, false)
        );
        if c.held.is_empty() {
            let _ = writeln!(s, "  pre-flight: {}: passed", c.upload);
        }
        for h in &c.held {
            let _ = writeln!(
                s,
                "  pre-flight: {}: held ({}): {}",
                c.upload, h.rule, h.error
            );
        }
    }
    for u in &r.uploaded {
        let _ = writeln!(s, "  upload: {} row {}", u.file, u.row_number);
    }
    let _ = writeln!(s, "  outcome: {}", r.outcome);
}

fn identity_text(i: &IdentityStep) -> String {
    let read = if i.id_as_read.is_empty() {
        "no StateStudentID".to_string()
    } else {
        format!("StateStudentID {}", i.id_as_read)
    };
    let mut s = if i.id_as_read == i.student {
        format!("{read} kept, student {} (rule {})", i.student, i.rule)
    } else {
        format!("{read} -> student {} (rule {})", i.student, i.rule)
    };
    if let Some(score) = i.score.filter(|x| *x != 0.0) {
        let _ = write!(s, ", match score {score:.2}");
    }
    if let Some(d) = &i.decision {
        let _ = write!(s, ", reviewer: {d}");
    }
    if let Some(c) = i.current_identity_row {
        let _ = write!(s, ", current identity on line {c}");
    }
    s
}
