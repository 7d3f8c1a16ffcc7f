//! The publish stage: conform the identity stage's frames into Synergy's
//! uploads, check them against Synergy's rules (pre-flight), and write
//! `uploads/<school-year>/<SAU Org ID>/<upload>.csv`, the pre-flight
//! findings (`preflight/<upload>.csv`) and the upload manifest that ties
//! every upload row to its source row (`publish/upload_manifest.csv` and
//! `.parquet`).
//!
//! The uploads folder is written whole into `.uploads.partial` and swapped
//! into place, so a run killed mid-way leaves the previous uploads intact.

pub mod reuse;

use crate::config::Config;
use crate::output::{private_dir, remove_dir_all, rename, sync_files, write_frame_csv, LineEnds};
use crate::snapshot::{self, Provenance};
use anyhow::{Context, Result};
use cutover_stages::columns::{SOURCE_FILE, SOURCE_ROW};
use cutover_stages::conform::{
    self, ConformConfig, Sources, Upload, SOURCE_ENTITY, UPLOADS, UPLOAD_SAU, UPLOAD_YEAR,
};
use cutover_stages::crosswalk::Tables;
use cutover_stages::preflight::{self, Context as PreflightContext, Layout, VIOLATION_COLUMNS};
use cutover_stages::report::StageReport;
use polars::prelude::*;
use reuse::{link_into, needs, Kept, Need, Previous, Reuse};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

pub const STAGE: &str = "publish";
const PARTIAL: &str = ".uploads.partial";
const PREVIOUS: &str = ".uploads.previous";

/// The stages every upload row passed through.
pub const STAGES_PASSED: &str = "read>ingest>crosswalk>identity>conform>preflight>publish";

/// The columns of the upload manifest.
pub const MANIFEST_COLUMNS: [&str; 9] = [
    "upload",
    "file",
    "row_number",
    "StateStudentID",
    "SAUID",
    "SchoolID",
    "source_entity",
    "source_file",
    "source_row",
];

/// One upload's counts, for the report.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct UploadSummary {
    pub upload: String,
    pub title: String,
    /// Rows conform produced.
    pub conformed: u64,
    /// Rows pre-flight held back, by the first rule each broke.
    pub preflight: BTreeMap<String, u64>,
    /// Rows written to upload files.
    pub written: u64,
    /// Upload files written.
    pub files: u64,
    pub note: Option<String>,
}

/// What the stage produced, kept in `publish/summary.json`.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Summary {
    pub as_of: String,
    pub uploads: Vec<UploadSummary>,
    /// Upload files by school year and SAU: (school year, SAU Org ID, files).
    pub files: u64,
}

pub struct StageOut {
    pub summary: Summary,
    pub reports: Vec<StageReport>,
    pub outputs: Vec<String>,
    /// Each upload's fingerprint (`reuse`).
    pub data: BTreeMap<String, String>,
}

/// `2017` -> `2016-17`.
pub fn school_year_folder(year: i32) -> String {
    format!("{}-{:02}", year - 1, year.rem_euclid(100))
}

/// Puts back the uploads folder a run killed while swapping left aside, and
/// removes a half-written one.
pub fn recover(root: &Path) -> Result<()> {
    let partial = root.join(PARTIAL);
    if partial.exists() {
        remove_dir_all(&partial)?;
    }
    let previous = root.join(PREVIOUS);
    if previous.exists() {
        let uploads = root.join("uploads");
        if uploads.exists() {
            remove_dir_all(&previous)?;
        } else {
            rename(&previous, &uploads)?;
        }
    }
    Ok(())
}

fn load_optional(root: &Path, name: &str) -> Result<Option<DataFrame>> {
    let path = root.join("identity").join(format!("{name}.parquet"));
    if path.is_file() {
        Ok(Some(snapshot::read_parquet(&path)?))
    } else {
        Ok(None)
    }
}

/// A column as text, in one chunk (null stays null).
fn text_column(df: &DataFrame, name: &str) -> Result<StringChunked> {
    let s = df
        .column(name)?
        .as_materialized_series()
        .cast(&DataType::String)?;
    Ok(s.str()?.rechunk().into_owned())
}

/// A column of `df`, or nulls when the upload has no such field.
fn field_or_null(df: &DataFrame, name: &str) -> Expr {
    if df.column(name).is_ok() {
        col(name).cast(DataType::String)
    } else {
        lit(NULL).cast(DataType::String)
    }
}

/// The manifest rows of one upload: its written rows, in file order.
fn manifest_part(
    upload: &Upload,
    rows: &DataFrame,
    files: &[String],
    file_of_row: Vec<u32>,
    row_number: Vec<i64>,
) -> Result<DataFrame> {
    // A file's name and the stages are stored once and every row holds a
    // view of them: the manifest has a row per upload row, kept until all
    // uploads are written.
    let names = StringChunked::from_iter_values("file".into(), files.iter().map(String::as_str));
    let file_names = names.take(&IdxCa::from_vec("".into(), file_of_row))?;
    let mut part = rows
        .clone()
        .lazy()
        .select([
            lit(upload.name).alias("upload"),
            field_or_null(rows, "StateStudentID").alias("StateStudentID"),
            field_or_null(rows, "SAUID").alias("SAUID"),
            field_or_null(rows, "SchoolID").alias("SchoolID"),
            col(SOURCE_ENTITY).alias("source_entity"),
            col(SOURCE_FILE).alias("source_file"),
            col(SOURCE_ROW).cast(DataType::Int64).alias("source_row"),
        ])
        .collect()?;
    part.with_column(file_names.into_column())?;
    part.with_column(Column::new("row_number".into(), row_number))?;
    part.with_column(snapshot::repeated("stages", STAGES_PASSED, part.height()).into_column())?;
    Ok(part.select(MANIFEST_COLUMNS.iter().copied().chain(["stages"]))?)
}

fn empty_manifest() -> Result<DataFrame> {
    let columns = MANIFEST_COLUMNS
        .iter()
        .chain(["stages"].iter())
        .map(|c| {
            let dtype = if *c == "row_number" || *c == "source_row" {
                DataType::Int64
            } else {
                DataType::String
            };
            Column::new_empty((*c).into(), &dtype)
        })
        .collect();
    Ok(DataFrame::new(0, columns)?)
}

fn csv_writer<W: Write>(w: W) -> csv::Writer<W> {
    csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .quote_style(csv::QuoteStyle::Necessary)
        .from_writer(w)
}

/// Writes an upload file: the header, then what `rows` writes. It is
/// written inside the uploads folder being built, which is swapped into
/// place whole once every file in it is synced (`sync_files`, all at once:
/// one file at a time, waiting on the disk costs more than the writing).
fn write_file(
    written: &mut Vec<std::path::PathBuf>,
    path: &Path,
    header: &[String],
    rows: impl FnOnce(&mut csv::Writer<std::io::BufWriter<&mut std::fs::File>>) -> Result<()>,
) -> Result<()> {
    if let Some(dir) = path.parent() {
        private_dir(dir)?;
    }
    let mut f =
        std::fs::File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        f.set_permissions(std::fs::Permissions::from_mode(0o600))
            .with_context(|| format!("cannot set permissions of {}", path.display()))?;
    }
    let done = (|| -> Result<()> {
        let mut w = csv_writer(std::io::BufWriter::new(&mut f));
        w.write_record(header)?;
        rows(&mut w)?;
        w.flush()?;
        Ok(())
    })();
    done.with_context(|| format!("cannot write {}", path.display()))?;
    written.push(path.to_path_buf());
    Ok(())
}

/// Conforms the identity stage's snapshots (dropped once conformed).
fn conform_all(root: &Path, config: &Config) -> Result<conform::Conformed> {
    let students = load_optional(root, "students")?;
    let enrollment = load_optional(root, "student_enrollment")?;
    let behavior = load_optional(root, "behavior")?;
    let truancy = load_optional(root, "truancy")?;
    let cte = load_optional(root, "cte")?;
    Ok(conform::run(
        Sources {
            students: students.as_ref(),
            enrollment: enrollment.as_ref(),
            behavior: behavior.as_ref(),
            truancy: truancy.as_ref(),
            cte: cte.as_ref(),
        },
        &ConformConfig {
            split_exit_code: config.split_exit_code.clone(),
            split_entry_code: config.split_entry_code.clone(),
        },
    )?)
}

/// The NEO Org IDs and each domain's new codes, for pre-flight.
fn code_sets(tables: &Tables) -> (Vec<String>, BTreeMap<String, Vec<String>>) {
    let mut neo_ids: Vec<String> = tables.orgs.iter().map(|o| o.neo_org_id.clone()).collect();
    neo_ids.sort();
    neo_ids.dedup();
    let sets = tables
        .codes
        .iter()
        .map(|(domain, map)| {
            let mut codes: Vec<String> = map.rows.iter().map(|r| r.new_code.clone()).collect();
            codes.sort();
            codes.dedup();
            (domain.clone(), codes)
        })
        .collect();
    (neo_ids, sets)
}

/// NEO Org ID -> NEO name (`__n_id`, `__n_name`; the first name an ID
/// has), for the CTE guide's message.
fn org_names(tables: &Tables) -> Result<DataFrame> {
    let names = tables.org_names();
    Ok(df!(
        "__n_id" => names.keys().copied().collect::<Vec<_>>(),
        "__n_name" => names.values().copied().collect::<Vec<_>>(),
    )?)
}

/// What the uploads share while they are written.
struct Writing<'a> {
    root: &'a Path,
    partial: std::path::PathBuf,
    provenance: &'a Provenance,
    reports: Vec<StageReport>,
    outputs: Vec<String>,
    manifests: Vec<DataFrame>,
    summary: Summary,
    /// (year, SAU) pairs that have enrollment rows: each gets an Attendance file.
    places: std::collections::BTreeSet<(i32, String)>,
    /// Upload files written, not yet synced.
    written: Vec<std::path::PathBuf>,
}

/// Conforms, checks and writes every upload; an upload whose inputs are
/// those of the last run keeps its files (`reuse`).
pub fn run_stage(
    root: &Path,
    config: &Config,
    layouts: &[Layout],
    tables: &Tables,
    provenance: &Provenance,
    previous: &Previous,
) -> Result<StageOut> {
    let conformed = conform_all(root, config)?;
    // Each upload's frame is dropped once written.
    let mut frames: BTreeMap<&str, DataFrame> = conformed.uploads.into_iter().collect();
    let (neo_ids, code_sets) = code_sets(tables);
    let names = org_names(tables)?;
    let periods = preflight::primary_periods(frames.get(conform::STUDENT_ENROLLMENT_UPLOAD.name))?;
    // With `[end_of_year] action = "hold"` the rules run here, before any
    // upload file is written: pre-flight holds the rows built from a
    // flagged row (the report stage lists the same findings).
    let end_of_year = if config.end_of_year_hold {
        let findings = crate::end_of_year::findings(root, config.last_year)?;
        Some(cutover_stages::end_of_year::flags_frame(&findings)?)
    } else {
        None
    };
    let mut reuse = Reuse::new(previous, root, &periods)?;
    let mut enrollments = Enrollments::default();
    let mut w = Writing {
        root,
        partial: root.join(PARTIAL),
        provenance,
        reports: conformed.reports,
        outputs: Vec::new(),
        manifests: Vec::new(),
        summary: Summary {
            as_of: config.as_of.to_string(),
            ..Default::default()
        },
        places: Default::default(),
        written: Vec::new(),
    };
    private_dir(&w.partial)?;
    for upload in UPLOADS {
        let mut us = UploadSummary {
            upload: upload.name.to_string(),
            title: upload.title.to_string(),
            note: upload.note.map(str::to_string),
            ..Default::default()
        };
        let layout = layouts.iter().find(|l| l.upload == upload.name);
        let frame = layout.and_then(|_| frames.remove(upload.name));
        if let (Some(layout), Some(mut df)) = (layout, frame) {
            let mut ctx = PreflightContext {
                as_of: config.as_of,
                neo_ids: &neo_ids,
                code_sets: &code_sets,
                primary_periods: &periods,
                valid_enrollments: None,
                end_of_year: end_of_year.as_ref(),
                org_names: Some(&names),
            };
            let print = reuse.fingerprint(upload, layout, &df, &ctx)?;
            if let Some(kept) = reuse.kept(upload, &print)? {
                keep(&mut w, upload, &mut df, kept, &mut us)?;
                if upload.name == conform::STUDENT_ENROLLMENT_UPLOAD.name {
                    reuse.passed_kept();
                    enrollments.kept = Some((layout, df));
                }
            } else {
                if needs(upload.name).contains(&Need::PassedEnrollments) {
                    enrollments.recheck(&mut w, &ctx)?;
                }
                ctx.valid_enrollments = enrollments.passed.as_ref();
                let passed = check_and_write(&mut w, upload, layout, &mut df, &ctx, &mut us)?;
                if upload.name == conform::STUDENT_ENROLLMENT_UPLOAD.name {
                    reuse.passed_now(&passed)?;
                    enrollments.passed = Some(passed);
                }
            }
        } else if layout.is_some() {
            us.note
                .get_or_insert_with(|| "the bundle has no source file for this upload".to_string());
        }
        w.summary.files += us.files;
        w.summary.uploads.push(us);
    }
    write_manifest(&mut w)?;
    sync_files(&w.written)?;
    swap_in(root, &w.partial)?;
    Ok(StageOut {
        summary: w.summary,
        reports: w.reports,
        outputs: w.outputs,
        data: reuse.data,
    })
}

/// The Student Enrollment rows that passed pre-flight, which Student
/// Personal's rules and the Attendance files read.
#[derive(Default)]
struct Enrollments<'a> {
    passed: Option<DataFrame>,
    /// Kept from the last run: its layout and conformed rows, checked again
    /// (and nothing written) only if an upload that reads them runs.
    kept: Option<(&'a Layout, DataFrame)>,
}

impl Enrollments<'_> {
    fn recheck(&mut self, w: &mut Writing, ctx: &PreflightContext) -> Result<()> {
        if self.passed.is_some() {
            return Ok(());
        }
        let Some((layout, df)) = self.kept.take() else {
            return Ok(());
        };
        let upload = &conform::STUDENT_ENROLLMENT_UPLOAD;
        let passed = preflight::run(upload, layout, &df, ctx)?.rows;
        let years = passed.column(UPLOAD_YEAR)?.i32()?.rechunk().into_owned();
        let saus = text_column(&passed, UPLOAD_SAU)?;
        for i in 0..passed.height() {
            if let (Some(y), Some(s)) = (years.get(i), saus.get(i)) {
                w.places.insert((y, s.to_string()));
            }
        }
        self.passed = Some(passed);
        Ok(())
    }
}

/// An upload kept from the last run: its files linked into the folder being
/// built, its manifest rows, reports and counts as they were.
fn keep(
    w: &mut Writing,
    upload: &Upload,
    df: &mut DataFrame,
    kept: Kept,
    us: &mut UploadSummary,
) -> Result<()> {
    snapshot::write_parquet(w.root, conform::STAGE, upload.name, df, w.provenance)?;
    w.outputs
        .push(format!("{}/{}.parquet", conform::STAGE, upload.name));
    for rel in &kept.files {
        link_into(w.root, &w.partial, rel)?;
    }
    tracing::info!(upload = us.upload, files = kept.files.len(), "kept");
    w.outputs.extend(kept.outputs);
    w.reports.extend(kept.reports);
    w.manifests.push(kept.manifest);
    *us = kept.summary;
    Ok(())
}

/// One upload: its conformed snapshot, pre-flight, its files. Returns the
/// rows that passed.
fn check_and_write(
    w: &mut Writing,
    upload: &'static Upload,
    layout: &Layout,
    df: &mut DataFrame,
    ctx: &PreflightContext,
    us: &mut UploadSummary,
) -> Result<DataFrame> {
    us.conformed = df.height() as u64;
    snapshot::write_parquet(w.root, conform::STAGE, upload.name, df, w.provenance)?;
    w.outputs
        .push(format!("{}/{}.parquet", conform::STAGE, upload.name));
    tracing::info!(upload = upload.name, rows = df.height(), "conformed");
    let checked = preflight::run(upload, layout, df, ctx)?;
    tracing::info!(
        upload = upload.name,
        held = checked.report.rejected_total(),
        "pre-flight"
    );
    us.preflight = checked.report.rejected.clone();
    write_violations(w.root, upload, &checked.violations)?;
    w.outputs.push(format!("preflight/{}.csv", upload.name));
    w.reports.push(checked.report);
    let publish_report = write_upload_files(w, upload, layout, &checked.rows, us)?;
    w.reports.push(publish_report);
    tracing::info!(
        upload = upload.name,
        conformed = us.conformed,
        written = us.written,
        files = us.files,
        "upload"
    );
    Ok(checked.rows)
}

/// Writes an upload's files, one per school year and SAU: rows come sorted
/// by school year and SAU, so each file is a run of rows.
fn write_upload_files(
    w: &mut Writing,
    upload: &Upload,
    layout: &Layout,
    rows: &DataFrame,
    us: &mut UploadSummary,
) -> Result<StageReport> {
    let formatted = preflight::format(upload, layout, rows)?;
    let header: Vec<String> = layout.columns.iter().map(|c| c.header.clone()).collect();
    let columns: Vec<StringChunked> = header
        .iter()
        .map(|h| text_column(&formatted, h))
        .collect::<Result<_>>()?;
    let years = rows.column(UPLOAD_YEAR)?.i32()?.rechunk().into_owned();
    let saus = text_column(rows, UPLOAD_SAU)?;
    let n = rows.height();
    let mut file_of_row: Vec<u32> = Vec::with_capacity(n);
    let mut row_number: Vec<i64> = Vec::with_capacity(n);
    let mut files: Vec<String> = Vec::new();
    let mut report = StageReport::new(STAGE, upload.name);
    report.rows_in = n as u64;
    let mut start = 0;
    while start < n {
        let key = (years.get(start), saus.get(start));
        let mut end = start;
        while end < n && (years.get(end), saus.get(end)) == key {
            end += 1;
        }
        let (Some(year), Some(sau)) = key else {
            anyhow::bail!(
                "{}: a row without a school year or SAU passed pre-flight",
                upload.name
            );
        };
        let rel = format!("{}/{sau}/{}.csv", school_year_folder(year), upload.name);
        write_file(&mut w.written, &w.partial.join(&rel), &header, |f| {
            for i in start..end {
                f.write_record(columns.iter().map(|c| c.get(i).unwrap_or("")))?;
            }
            Ok(())
        })?;
        if upload.name == conform::STUDENT_ENROLLMENT_UPLOAD.name {
            w.places.insert((year, sau.to_string()));
        }
        file_of_row.extend(std::iter::repeat_n(files.len() as u32, end - start));
        row_number.extend(1..=(end - start) as i64);
        files.push(format!("uploads/{rel}"));
        report.rows_out += (end - start) as u64;
        us.written += (end - start) as u64;
        us.files += 1;
        start = end;
    }
    w.manifests.push(manifest_part(
        upload,
        rows,
        &files,
        file_of_row,
        row_number,
    )?);
    if upload.name == conform::ATTENDANCE.name {
        for (year, sau) in &w.places {
            let rel = format!("{}/{sau}/{}.csv", school_year_folder(*year), upload.name);
            let path = w.partial.join(&rel);
            if !path.exists() {
                write_file(&mut w.written, &path, &header, |_| Ok(()))?;
                us.files += 1;
            }
        }
    }
    Ok(report)
}

/// The manifest: every upload row to its source row.
fn write_manifest(w: &mut Writing) -> Result<()> {
    let manifests = std::mem::take(&mut w.manifests);
    let mut frame = if manifests.is_empty() {
        empty_manifest()?
    } else {
        concat(
            manifests.into_iter().map(|m| m.lazy()).collect::<Vec<_>>(),
            UnionArgs::default(),
        )?
        .collect()?
    };
    snapshot::write_parquet(w.root, STAGE, "upload_manifest", &mut frame, w.provenance)?;
    w.outputs.push(format!("{STAGE}/upload_manifest.parquet"));
    let names: Vec<&str> = frame
        .get_column_names()
        .iter()
        .map(|c| c.as_str())
        .collect();
    let path = w.root.join(STAGE).join("upload_manifest.csv");
    write_frame_csv(&path, &frame, &names, LineEnds::Lf)?;
    w.outputs.push(format!("{STAGE}/upload_manifest.csv"));
    Ok(())
}

/// Swaps the finished uploads folder into place.
fn swap_in(root: &Path, partial: &Path) -> Result<()> {
    let uploads = root.join("uploads");
    let previous = root.join(PREVIOUS);
    if uploads.exists() {
        rename(&uploads, &previous)?;
    }
    rename(partial, &uploads)?;
    if previous.exists() {
        remove_dir_all(&previous)?;
    }
    Ok(())
}

fn write_violations(root: &Path, upload: &Upload, v: &DataFrame) -> Result<()> {
    let path = root.join("preflight").join(format!("{}.csv", upload.name));
    write_frame_csv(&path, v, &VIOLATION_COLUMNS, LineEnds::Crlf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn school_years_are_named_as_people_say_them() {
        assert_eq!(school_year_folder(2017), "2016-17");
        assert_eq!(school_year_folder(2000), "1999-00");
    }

    #[test]
    fn a_swap_cut_short_is_put_right() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        // Killed between the two renames: the old uploads are set aside and
        // the new ones half built.
        std::fs::create_dir_all(root.join(PREVIOUS).join("2016-17")).unwrap();
        std::fs::write(root.join(PREVIOUS).join("2016-17/frm.csv"), "old\n").unwrap();
        std::fs::create_dir_all(root.join(PARTIAL)).unwrap();
        std::fs::write(root.join(PARTIAL).join("half.csv"), "SAUID,Sch").unwrap();
        recover(root).unwrap();
        assert!(!root.join(PARTIAL).exists());
        assert!(!root.join(PREVIOUS).exists());
        assert_eq!(
            std::fs::read_to_string(root.join("uploads/2016-17/frm.csv")).unwrap(),
            "old\n"
        );
        // Killed after the swap, before the old folder was removed.
        std::fs::create_dir_all(root.join(PREVIOUS)).unwrap();
        recover(root).unwrap();
        assert!(!root.join(PREVIOUS).exists());
        assert!(root.join("uploads/2016-17/frm.csv").exists());
    }
}
