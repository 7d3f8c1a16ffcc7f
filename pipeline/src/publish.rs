//! The publish stage: conform the identity stage's frames into Synergy's
//! uploads, check them against Synergy's rules (pre-flight), and write
//! `uploads/<school-year>/<SAU Org ID>/<upload>.csv`, the pre-flight
//! findings (`preflight/<upload>.csv`) and the upload manifest that ties
//! every upload row to its source row (`publish/upload_manifest.csv` and
//! `.parquet`).
//!
//! The uploads folder is written whole into `.uploads.partial` and swapped
//! into place, so a run killed mid-way leaves the previous uploads intact.

pub mod packed;
pub mod patch;
pub mod reuse;
mod sorted;
pub mod sources;
mod years;

use crate::config::Config;
use crate::output::{
    private_dir, private_dir_in_tree, remove_dir_all, rename, replace_dir, write_csv_parts,
    write_frame_csv, write_frames_csv, LineEnds, TextColumns, TreeSync,
};
use crate::snapshot::{self, Provenance};
use anyhow::{Context, Result};
use cutover_stages::columns::{SOURCE_FILE, SOURCE_ROW};
use cutover_stages::conform::{
    self, ConformConfig, Upload, SOURCE_ENTITY, UPLOADS, UPLOAD_SAU, UPLOAD_YEAR,
};
use cutover_stages::crosswalk::Tables;
use cutover_stages::preflight::{self, Context as PreflightContext, Layout, VIOLATION_COLUMNS};
use cutover_stages::report::StageReport;
use polars::prelude::*;
use reuse::{latest_date, link_into, needs, passed_keys, Inputs, Kept, Need, Previous, Reuse};
use serde::{Deserialize, Serialize};
use sources::Loaded;
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
    /// What was done with each upload.
    pub uploads: Vec<UploadRun>,
    /// Checksums of the kept uploads' files, checked in this run.
    pub known_sums: BTreeMap<String, String>,
}

/// Times the phases of one part of publish, logged at `-vv` (`phase`,
/// `seconds`, the process's `cpu_seconds`): where the stage's time goes.
pub(crate) struct Clock {
    part: &'static str,
    at: std::time::Instant,
    cpu: f64,
}

impl Clock {
    pub(crate) fn new(part: &'static str) -> Clock {
        let on = tracing::enabled!(tracing::Level::DEBUG);
        Clock {
            part,
            at: std::time::Instant::now(),
            cpu: if on { crate::usage::cpu_time() } else { 0.0 },
        }
    }

    /// Logs the time since the last lap under `phase` (and the stage's
    /// peak memory so far).
    pub(crate) fn lap(&mut self, phase: &str) {
        if !tracing::enabled!(tracing::Level::DEBUG) {
            return;
        }
        let (now, cpu) = (std::time::Instant::now(), crate::usage::cpu_time());
        let seconds = (now - self.at).as_secs_f64();
        let cpu_seconds = cpu - self.cpu;
        tracing::debug!(
            part = self.part,
            phase,
            seconds,
            cpu_seconds,
            peak_mib = crate::usage::peak_rss() >> 20,
            "publish phase"
        );
        (self.at, self.cpu) = (now, cpu);
    }
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

/// Makes the folder of `path` ([`private_dir`]) unless this run made it
/// already (`made`): a folder holds an upload file of each upload.
fn folder_of(made: &mut std::collections::HashSet<std::path::PathBuf>, path: &Path) -> Result<()> {
    if let Some(dir) = path.parent() {
        if !made.contains(dir) {
            private_dir_in_tree(dir)?;
            made.insert(dir.to_path_buf());
        }
    }
    Ok(())
}

/// Creates an upload file (0600) holding `bytes` in its folder, made
/// already ([`folder_of`]), and returns their SHA-256
/// (the stage's record of its outputs, taken here rather than by reading
/// every file back). It is written inside the uploads folder being built,
/// which is swapped into place whole once every file in it is synced
/// (`TreeSync`, all at once: one file at a time, waiting on the disk
/// costs more than the writing).
fn create_file(path: &Path, bytes: &[u8]) -> Result<String> {
    use sha2::Digest;
    let _pass = crate::output::pass();
    let mut f =
        std::fs::File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        f.set_permissions(std::fs::Permissions::from_mode(0o600))
            .with_context(|| format!("cannot set permissions of {}", path.display()))?;
    }
    f.write_all(bytes)
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(crate::checksum::hex(&sha2::Sha256::digest(bytes)))
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
    /// Conform's reports (put in the ledger's order at the end), then the
    /// others.
    conform_reports: Vec<StageReport>,
    reports: Vec<StageReport>,
    outputs: Vec<String>,
    /// Each upload's manifest rows, packed until the manifest is written.
    manifests: Vec<packed::Part>,
    summary: Summary,
    /// (year, SAU) pairs that have enrollment rows: each gets an Attendance file.
    places: std::collections::BTreeSet<(i32, String)>,
    /// Upload files written, not yet synced.
    written: Vec<std::path::PathBuf>,
    /// The folders under the uploads folder made so far.
    folders: std::collections::HashSet<std::path::PathBuf>,
    /// The SHA-256 of each file written, by output name
    /// (`uploads/<year>/<SAU>/<upload>.csv`, the manifest's CSV).
    sums: BTreeMap<String, String>,
    /// What was done with each upload.
    runs: Vec<UploadRun>,
    /// Whether every upload's manifest rows so far are the last run's.
    manifest_as_before: bool,
    /// The hash of each upload's manifest rows, once the manifest is
    /// written (`None` when it is kept).
    manifest_sums: Option<BTreeMap<String, String>>,
}

/// What the uploads' rules read of the tables and the configuration.
struct Shared {
    as_of: chrono::NaiveDate,
    neo_ids: Vec<String>,
    code_sets: BTreeMap<String, Vec<String>>,
    names: DataFrame,
    end_of_year: Option<DataFrame>,
    no_periods: DataFrame,
}

impl Shared {
    fn new(root: &Path, config: &Config, tables: &Tables) -> Result<Shared> {
        let (neo_ids, code_sets) = code_sets(tables);
        // With `[end_of_year] action = "hold"` the rules run here, before
        // any upload file is written: pre-flight holds the rows built from
        // a flagged row (the report stage lists the same findings).
        let end_of_year = if config.end_of_year_hold {
            let findings = crate::end_of_year::findings(root, config.last_year)?;
            Some(cutover_stages::end_of_year::flags_frame(&findings)?)
        } else {
            None
        };
        Ok(Shared {
            as_of: config.as_of,
            neo_ids,
            code_sets,
            names: org_names(tables)?,
            end_of_year,
            no_periods: preflight::primary_periods(None)?,
        })
    }

    fn ctx<'a>(
        &'a self,
        periods: Option<&'a DataFrame>,
        valid_enrollments: Option<&'a DataFrame>,
    ) -> PreflightContext<'a> {
        PreflightContext {
            as_of: self.as_of,
            neo_ids: &self.neo_ids,
            code_sets: &self.code_sets,
            primary_periods: periods.unwrap_or(&self.no_periods),
            ranked: None,
            valid_enrollments,
            end_of_year: self.end_of_year.as_ref(),
            org_names: Some(&self.names),
        }
    }
}

/// One upload as planned: its layout, whether the run has every frame it
/// reads, the hash of its inputs.
struct Planned<'a> {
    upload: &'static Upload,
    layout: Option<&'a Layout>,
    available: bool,
    inputs: String,
    /// What a patch must find as it was (`Reuse::rest_print`).
    rest: Option<String>,
}

/// Each upload as planned: its layout, whether its frames are there, its
/// inputs' hash and (an upload that may be patched) what a patch must find
/// as it was.
fn plan<'a>(
    root: &Path,
    config: &Config,
    layouts: &'a [Layout],
    shared: &Shared,
    reuse: &Reuse,
    inputs: &BTreeMap<String, String>,
) -> Result<Vec<Planned<'a>>> {
    UPLOADS
        .iter()
        .map(|u| {
            let layout = layouts.iter().find(|l| l.upload == u.name);
            let columns = inputs.get(u.name).cloned().unwrap_or_default();
            let rest_columns = inputs.get(&reuse::rest_key(u.name)).cloned();
            let ctx = shared.ctx(None, None);
            let (inputs, rest) = match layout {
                Some(layout) => (
                    reuse.inputs_print(
                        u,
                        &Inputs {
                            columns,
                            layout,
                            ctx: &ctx,
                        },
                    )?,
                    match rest_columns {
                        Some(columns) => {
                            let rest = Inputs {
                                columns,
                                layout,
                                ctx: &ctx,
                            };
                            reuse.rest_print(u, &rest, config.as_of)?
                        }
                        None => None,
                    },
                ),
                None => (String::new(), None),
            };
            Ok(Planned {
                upload: u,
                layout,
                available: sources::available(root, u),
                inputs,
                rest,
            })
        })
        .collect()
}

/// Decides, for each upload in turn, whether its inputs are the last run's
/// (it keeps its files, nothing is read or conformed) or not (it is
/// conformed from the columns it declares, checked and written, and its
/// frame dropped before the next). `inputs` holds each upload's hash of
/// the source columns it reads.
pub fn run_stage(
    root: &Path,
    config: &Config,
    (layouts, tables): (&[Layout], &Tables),
    provenance: &Provenance,
    previous: &Previous,
    inputs: &BTreeMap<String, String>,
) -> Result<StageOut> {
    let mut clock = Clock::new("publish");
    let shared = Shared::new(root, config, tables)?;
    let mut reuse = Reuse::new(previous, root);
    let plan = plan(root, config, layouts, &shared, &reuse, inputs)?;
    let pending = plan
        .iter()
        .filter(|p| p.layout.is_some() && p.available)
        .filter(|p| reuse.may_run(p.upload, &p.inputs, config.as_of))
        .map(|p| p.upload)
        .collect();
    let mut loaded = Loaded::new(
        root,
        ConformConfig {
            split_exit_code: config.split_exit_code.clone(),
            split_entry_code: config.split_entry_code.clone(),
        },
        pending,
    );
    let mut w = Writing {
        root,
        partial: root.join(PARTIAL),
        provenance,
        conform_reports: Vec::new(),
        reports: Vec::new(),
        outputs: Vec::new(),
        manifests: Vec::new(),
        summary: Summary {
            as_of: config.as_of.to_string(),
            ..Default::default()
        },
        places: Default::default(),
        written: Vec::new(),
        folders: Default::default(),
        sums: BTreeMap::new(),
        runs: Vec::new(),
        manifest_as_before: true,
        manifest_sums: None,
    };
    private_dir(&w.partial)?;
    let tree = TreeSync::open(&w.partial)?;
    clock.lap("plan");
    let mut enrollments = Enrollments::default();
    for p in &plan {
        let mut us = UploadSummary {
            upload: p.upload.name.to_string(),
            title: p.upload.title.to_string(),
            note: p.upload.note.map(str::to_string),
            ..Default::default()
        };
        if let (Some(layout), true) = (p.layout, p.available) {
            let mut turn = Turn {
                w: &mut w,
                reuse: &mut reuse,
                enrollments: &mut enrollments,
                shared: &shared,
            };
            turn.upload(p, layout, &mut loaded, &mut us)?;
        } else if p.layout.is_some() {
            us.note
                .get_or_insert_with(|| "the bundle has no source file for this upload".to_string());
        }
        w.summary.files += us.files;
        w.summary.uploads.push(us);
    }
    // The uploads' rules are done with Student Enrollment's rows.
    drop((enrollments, loaded));
    clock.lap("uploads");
    keep_or_write_manifest(&mut w, &mut reuse)?;
    clock.lap("manifest");
    tree.sync(&w.written)?;
    clock.lap("sync");
    swap_in(root, &w.partial)?;
    clock.lap("swap");
    let order = |r: &StageReport| {
        conform::REPORT_ORDER
            .iter()
            .position(|u| u.name == r.entity)
    };
    w.conform_reports.sort_by_key(order);
    let mut reports = std::mem::take(&mut w.conform_reports);
    reports.append(&mut w.reports);
    Ok(StageOut {
        summary: w.summary,
        reports,
        outputs: w.outputs,
        known_sums: std::mem::take(&mut reuse.checked)
            .into_iter()
            .chain(w.sums)
            .collect(),
        data: reuse.data,
        uploads: w.runs,
    })
}

/// What publish did with one upload, for `run.json` (and `-v`).
#[derive(Clone, Debug, Serialize)]
pub struct UploadRun {
    pub upload: String,
    /// `conformed` (conformed, checked and written), `patched` (a few
    /// fields made again: `patch`) or `kept` (its files are the last
    /// run's).
    pub action: &'static str,
    pub seconds: f64,
    /// What a patch made again and kept.
    pub note: Option<String>,
}

/// One upload's turn: kept, or conformed, checked and written.
struct Turn<'t, 'a, 'r> {
    w: &'t mut Writing<'a>,
    reuse: &'t mut Reuse<'r>,
    enrollments: &'t mut Enrollments<'a>,
    shared: &'t Shared,
}

impl<'a> Turn<'_, 'a, '_> {
    fn upload(
        &mut self,
        p: &Planned<'a>,
        layout: &'a Layout,
        loaded: &mut Loaded,
        us: &mut UploadSummary,
    ) -> Result<()> {
        let (upload, as_of) = (p.upload, self.shared.as_of);
        let started = std::time::Instant::now();
        let kept = match self.reuse.unchanged_print(upload, &p.inputs, as_of) {
            Some(print) => self.reuse.kept(upload, &print)?,
            None => None,
        };
        let codes = reuse::patch_codes(upload, layout, &self.shared.ctx(None, None));
        self.reuse
            .record_rest(upload, p.rest.as_ref(), codes.clone());
        let before = match kept {
            None => self.reuse.may_patch(upload, p.rest.as_ref()),
            Some(_) => None,
        };
        let patch = match before {
            Some(before) => {
                let changed = reuse::changed_codes(&before, &codes);
                patch::run(self.w.root, upload, layout, self.shared, &changed)?
            }
            None => None,
        };
        let mut note = None;
        let parts = self.w.manifests.len();
        let action = if let Some(kept) = kept {
            loaded.kept(upload);
            keep(self.w, upload, kept, us)?;
            let latest = self.reuse.previous_latest(upload);
            self.reuse.record(upload, &p.inputs, &latest, as_of);
            if upload.name == conform::STUDENT_ENROLLMENT_UPLOAD.name {
                self.enrollments.kept = Some(layout);
                if !self.reuse.enrollment_kept() {
                    self.enrollments
                        .read_kept(self.w, self.reuse, self.shared)?;
                }
            }
            "kept"
        } else if let Some(patched) = patch {
            loaded.kept(upload);
            note = Some(self.patched(p, layout, patched, us)?);
            "patched"
        } else if let Some(years) = loaded.personal_years(upload)? {
            self.w.conform_reports.push(years.report.clone());
            self.personal_years(p, layout, years, us)?;
            "conformed"
        } else if let Some(years) = loaded.enrollment_years(upload)? {
            self.enrollment_years(p, layout, years, loaded, us)?;
            "conformed"
        } else if let Some((parts, report)) = loaded.conform_years(upload)? {
            self.w.conform_reports.push(report);
            self.conformed_years(p, layout, parts, us)?;
            "conformed"
        } else {
            let mut clock = Clock::new(upload.name);
            let Some(built) = loaded.conform(upload)? else {
                anyhow::bail!("{}: a frame it reads is missing", upload.name);
            };
            clock.lap("load+conform");
            self.w.conform_reports.push(built.report);
            self.conformed(p, layout, built.frame, us)?;
            "conformed"
        };
        if action != "kept" {
            let part = self.w.manifests.get(parts);
            let same = match part {
                Some(part) => self.reuse.same_manifest_rows(upload, || part.frame())?,
                None => false,
            };
            self.w.manifest_as_before &= same;
        }
        self.w.runs.push(UploadRun {
            upload: upload.name.to_string(),
            action,
            seconds: started.elapsed().as_secs_f64(),
            note,
        });
        Ok(())
    }

    /// Writes a patched upload (`patch`): its conformed snapshot (on another
    /// thread), pre-flight's findings, every upload file. Returns what was
    /// made again and kept.
    fn patched(
        &mut self,
        p: &Planned,
        layout: &'a Layout,
        patched: patch::Patched,
        us: &mut UploadSummary,
    ) -> Result<String> {
        let upload = p.upload;
        let mut clock = Clock::new(upload.name);
        let patch::Patched {
            mut frame,
            violations,
            report,
            passed,
            held_as_before,
            fields,
            checked,
            ..
        } = patched;
        let rows = frame.height();
        let conform_reports = self.reuse.previous_reports(upload, conform::STAGE);
        self.w.conform_reports.extend(conform_reports);
        us.conformed = frame.height() as u64;
        us.preflight = report.rejected.clone();
        // Student Enrollment's periods and passed rows are the last run's
        // when pre-flight held the same rows (the patched fields are not
        // among what they hold): read back only if an upload that reads
        // them is conformed. Else they are made from this run's rows.
        let is_enrollment = upload.name == conform::STUDENT_ENROLLMENT_UPLOAD.name;
        let as_before = is_enrollment && held_as_before && self.reuse.enrollment_kept();
        let periods = if is_enrollment && !as_before {
            Some(preflight::primary_periods(Some(&frame))?)
        } else {
            None
        };
        let (root, provenance) = (self.w.root, self.w.provenance);
        let (written, files) = std::thread::scope(|s| {
            let parquet = s.spawn(move || {
                snapshot::write_parquet(root, conform::STAGE, upload.name, &mut frame, provenance)
            });
            let files = write_violations(root, upload, &violations)
                .and_then(|_| write_upload_files(self.w, upload, layout, &passed, us));
            (joined(parquet), files)
        });
        written?;
        let publish_report = files?;
        self.w
            .outputs
            .push(format!("{}/{}.parquet", conform::STAGE, upload.name));
        self.w
            .outputs
            .push(format!("preflight/{}.csv", upload.name));
        self.w.reports.push(report);
        self.w.reports.push(publish_report);
        clock.lap("patched files");
        if as_before {
            self.enrollments.kept = Some(layout);
        } else if let Some(periods) = periods {
            self.reuse.periods_now(&periods)?;
            self.enrollments.periods = Some(periods);
            let keys = passed_keys(&passed)?;
            self.reuse.passed_now(&keys)?;
            self.enrollments.passed = Some(keys);
        }
        let latest = self.reuse.previous_latest(upload);
        self.reuse
            .record(upload, &p.inputs, &latest, self.shared.as_of);
        let note = patch::note(&fields, rows, checked, us.files);
        tracing::info!(upload = upload.name, "patched: {note}");
        Ok(note)
    }

    /// Checks and writes a conformed upload (its frame dropped at the end).
    fn conformed(
        &mut self,
        p: &Planned,
        layout: &Layout,
        mut df: DataFrame,
        us: &mut UploadSummary,
    ) -> Result<()> {
        let upload = p.upload;
        let mut clock = Clock::new(upload.name);
        let latest = latest_date(upload, &df)?;
        let is_enrollment = upload.name == conform::STUDENT_ENROLLMENT_UPLOAD.name;
        if is_enrollment {
            let periods = preflight::primary_periods(Some(&df))?;
            self.reuse.periods_now(&periods)?;
            self.enrollments.periods = Some(periods);
        } else if !needs(upload.name).is_empty() {
            self.enrollments
                .read_kept(self.w, self.reuse, self.shared)?;
        }
        clock.lap("latest+periods");
        let wants_periods = is_enrollment || needs(upload.name).contains(&Need::PrimaryPeriods);
        if wants_periods {
            self.enrollments.unpack_periods()?;
        }
        let ctx = self.shared.ctx(
            self.enrollments.periods.as_ref().filter(|_| wants_periods),
            self.enrollments
                .passed
                .as_ref()
                .filter(|_| needs(upload.name).contains(&Need::PassedEnrollments)),
        );
        let passed = check_and_write(self.w, upload, layout, &mut df, &ctx, us)?;
        drop(df);
        clock.lap("check_and_write");
        if is_enrollment {
            let keys = passed_keys(&passed)?;
            self.reuse.passed_now(&keys)?;
            self.enrollments.passed = Some(keys);
        }
        self.reuse
            .record(upload, &p.inputs, &latest, self.shared.as_of);
        Ok(())
    }
}

/// Student Enrollment's primary periods and the keys of its rows that
/// passed pre-flight, which Student Personal's and CTE's rules and the
/// Attendance files read.
#[derive(Default)]
struct Enrollments<'a> {
    periods: Option<DataFrame>,
    /// The periods packed (`years::pack_periods`) until an upload reads them.
    packed_periods: Option<packed::Part>,
    passed: Option<DataFrame>,
    /// Kept from the last run: its layout; its conformed rows are read back
    /// and checked again (nothing written) only if an upload that reads
    /// them is conformed.
    kept: Option<&'a Layout>,
}

impl Enrollments<'_> {
    /// The periods and passed rows of a kept Student Enrollment, from its
    /// conformed snapshot (once).
    fn read_kept(&mut self, w: &mut Writing, reuse: &mut Reuse, shared: &Shared) -> Result<()> {
        if self.passed.is_some() {
            return Ok(());
        }
        let Some(layout) = self.kept else {
            return Ok(());
        };
        let upload = &conform::STUDENT_ENROLLMENT_UPLOAD;
        let path = w
            .root
            .join(conform::STAGE)
            .join(format!("{}.parquet", upload.name));
        let df = snapshot::read_parquet(&path)?;
        let periods = preflight::primary_periods(Some(&df))?;
        let passed = preflight::run(upload, layout, &df, &shared.ctx(Some(&periods), None))?.rows;
        drop(df);
        let keys = passed_keys(&passed)?;
        let years = keys.column(UPLOAD_YEAR)?.i32()?.rechunk().into_owned();
        let saus = text_column(&keys, UPLOAD_SAU)?;
        for i in 0..keys.height() {
            if let (Some(y), Some(s)) = (years.get(i), saus.get(i)) {
                w.places.insert((y, s.to_string()));
            }
        }
        reuse.periods_now(&periods)?;
        reuse.passed_now(&keys)?;
        self.periods = Some(periods);
        self.passed = Some(keys);
        Ok(())
    }
}

/// An upload kept from the last run: its files linked into the folder being
/// built, its manifest rows, reports and counts as they were.
fn keep(w: &mut Writing, upload: &Upload, kept: Kept, us: &mut UploadSummary) -> Result<()> {
    for rel in &kept.files {
        if let Some(copy) = link_into(w.root, &w.partial, rel)? {
            w.written.push(copy);
        }
    }
    tracing::info!(upload = upload.name, files = kept.files.len(), "kept");
    w.outputs.extend(kept.outputs);
    for r in kept.reports {
        if r.stage == conform::STAGE {
            w.conform_reports.push(r);
        } else {
            w.reports.push(r);
        }
    }
    w.manifests.push(packed::Part::Frame(kept.manifest));
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
    let mut clock = Clock::new(upload.name);
    us.conformed = df.height() as u64;
    // The conformed snapshot is written on another thread while the rules
    // run.
    let (written, checked) = std::thread::scope(|s| {
        let (root, provenance) = (w.root, w.provenance);
        let mut frame = df.clone();
        let parquet = s.spawn(move || {
            snapshot::write_parquet(root, conform::STAGE, upload.name, &mut frame, provenance)
        });
        let checked = preflight::run(upload, layout, df, ctx);
        (joined(parquet), checked)
    });
    written?;
    let checked = checked?;
    w.outputs
        .push(format!("{}/{}.parquet", conform::STAGE, upload.name));
    tracing::info!(upload = upload.name, rows = df.height(), "conformed");
    clock.lap("conform parquet+preflight");
    tracing::info!(
        upload = upload.name,
        held = checked.report.rejected_total(),
        "pre-flight"
    );
    us.preflight = checked.report.rejected.clone();
    write_violations(w.root, upload, &checked.violations)?;
    w.outputs.push(format!("preflight/{}.csv", upload.name));
    w.reports.push(checked.report);
    clock.lap("violations");
    let publish_report = write_upload_files(w, upload, layout, &checked.rows, us)?;
    clock.lap("files+manifest part");
    w.reports.push(publish_report);
    log_upload(upload.name, us);
    Ok(checked.rows)
}

/// The runs of rows of one school year and SAU (rows come sorted by both):
/// (school year, SAU, first row, end).
fn file_runs<'r>(
    upload: &Upload,
    years: &'r Int32Chunked,
    saus: &'r StringChunked,
) -> Result<Vec<(i32, &'r str, usize, usize)>> {
    let mut runs: Vec<(i32, &str, usize, usize)> = Vec::new();
    for (i, key) in years.iter().zip(saus.iter()).enumerate() {
        let (Some(year), Some(sau)) = key else {
            anyhow::bail!(
                "{}: a row without a school year or SAU passed pre-flight",
                upload.name
            );
        };
        match runs.last_mut() {
            Some((y, s, _, end)) if *y == year && *s == sau => *end = i + 1,
            _ => runs.push((year, sau, i, i + 1)),
        }
    }
    Ok(runs)
}

/// One upload's files: the header line and where each file's rows are.
/// Rows are formatted a batch of whole files at a time
/// ([`Formatted::write`]), so the text of only one batch is held.
struct Formatted<'r> {
    upload: &'r Upload,
    /// The header line.
    head: Vec<u8>,
    /// (school year, SAU, first row, end) of each file ([`file_runs`]).
    runs: Vec<(i32, &'r str, usize, usize)>,
}

impl<'r> Formatted<'r> {
    /// `years` and `saus` are the school year and SAU columns of the rows
    /// (sorted by both).
    fn new(
        upload: &'r Upload,
        layout: &Layout,
        (years, saus): (&'r Int32Chunked, &'r StringChunked),
    ) -> Result<Formatted<'r>> {
        let header: Vec<&str> = layout.columns.iter().map(|c| c.header.as_str()).collect();
        let mut head = Vec::new();
        TextColumns::line(&mut head, header.iter().copied(), LineEnds::Crlf);
        let runs = file_runs(upload, years, saus)?;
        Ok(Formatted { upload, head, runs })
    }

    /// A file's path under the uploads folder.
    fn rel(&self, (year, sau): (i32, &str)) -> String {
        format!(
            "{}/{sau}/{}.csv",
            school_year_folder(year),
            self.upload.name
        )
    }

    /// The files in batches of whole files of about
    /// [`snapshot::batch_rows`] rows: ranges of indexes of
    /// [`Formatted::runs`].
    fn batches(&self) -> Vec<std::ops::Range<usize>> {
        let size = snapshot::batch_rows();
        let mut out: Vec<std::ops::Range<usize>> = Vec::new();
        for (i, (_, _, start, _)) in self.runs.iter().enumerate() {
            match out.last_mut() {
                Some(last) if start - self.runs[last.start].2 < size => last.end = i + 1,
                _ => out.push(i..i + 1),
            }
        }
        out
    }

    /// Writes the files `which` (a range of indexes of
    /// [`Formatted::runs`]) under `partial`, on every core, each from its
    /// slice of `rows` (the upload's rows in the layout's columns,
    /// formatted here). Returns each file's path under the uploads folder,
    /// its full path and its SHA-256.
    fn write(
        &self,
        (partial, folders): (&Path, &mut std::collections::HashSet<std::path::PathBuf>),
        (layout, rows): (&Layout, &DataFrame),
        which: std::ops::Range<usize>,
    ) -> Result<Vec<(String, std::path::PathBuf, String)>> {
        use rayon::prelude::*;
        let runs = &self.runs[which];
        let (Some(first), Some(last)) = (runs.first(), runs.last()) else {
            return Ok(Vec::new());
        };
        for &(year, sau, _, _) in runs {
            folder_of(folders, &partial.join(self.rel((year, sau))))?;
        }
        let offset = first.2;
        let slice = rows.slice(offset as i64, last.3 - offset);
        let formatted = preflight::format(self.upload, layout, &slice)?;
        drop(slice);
        let header: Vec<&str> = layout.columns.iter().map(|c| c.header.as_str()).collect();
        let text = TextColumns::of(&formatted, &header, LineEnds::Crlf)?;
        drop(formatted);
        runs.par_iter()
            .map(|&(year, sau, start, end)| {
                let rel = self.rel((year, sau));
                let mut bytes = Vec::with_capacity(self.head.len() + 256 * (end - start));
                bytes.extend_from_slice(&self.head);
                text.rows(&mut bytes, start - offset..end - offset);
                let path = partial.join(&rel);
                let sum = create_file(&path, &bytes)?;
                Ok((rel, path, sum))
            })
            .collect()
    }
}

/// Writes an upload's files, one per school year and SAU, each a run of
/// rows formatted straight into its bytes, a batch of files at a time, on
/// every core; its manifest rows packed until the manifest is written.
fn write_upload_files(
    w: &mut Writing,
    upload: &Upload,
    layout: &Layout,
    rows: &DataFrame,
    us: &mut UploadSummary,
) -> Result<StageReport> {
    let (report, part) = upload_files(w, upload, layout, rows, us)?;
    w.manifests.push(packed::Part::pack(&part)?);
    Ok(report)
}

/// [`write_upload_files`] but for the manifest rows: returned.
fn upload_files(
    w: &mut Writing,
    upload: &Upload,
    layout: &Layout,
    rows: &DataFrame,
    us: &mut UploadSummary,
) -> Result<(StageReport, DataFrame)> {
    let mut clock = Clock::new(upload.name);
    let years = rows.column(UPLOAD_YEAR)?.i32()?.rechunk().into_owned();
    let saus = text_column(rows, UPLOAD_SAU)?;
    let formatted = Formatted::new(upload, layout, (&years, &saus))?;
    let mut files: Vec<String> = Vec::with_capacity(formatted.runs.len());
    for batch in formatted.batches() {
        for (rel, path, sum) in
            formatted.write((&w.partial, &mut w.folders), (layout, rows), batch)?
        {
            w.written.push(path);
            let file = format!("uploads/{rel}");
            w.sums.insert(file.clone(), sum);
            files.push(file);
        }
    }
    clock.lap("format+write files");
    let n = rows.height();
    let mut file_of_row: Vec<u32> = Vec::with_capacity(n);
    let mut row_number: Vec<i64> = Vec::with_capacity(n);
    for (i, (year, sau, start, end)) in formatted.runs.iter().enumerate() {
        if upload.name == conform::STUDENT_ENROLLMENT_UPLOAD.name {
            w.places.insert((*year, sau.to_string()));
        }
        file_of_row.extend(std::iter::repeat_n(i as u32, end - start));
        row_number.extend(1..=(end - start) as i64);
    }
    let mut report = StageReport::new(STAGE, upload.name);
    report.rows_in = n as u64;
    report.rows_out = n as u64;
    us.written += n as u64;
    us.files += files.len() as u64;
    let part = manifest_part(upload, rows, &files, file_of_row, row_number)?;
    if upload.name == conform::ATTENDANCE.name {
        attendance_files(w, &formatted, us)?;
    }
    Ok((report, part))
}

/// An Attendance file (its header only) for each school year and SAU with
/// enrollment rows and no Attendance rows.
fn attendance_files(w: &mut Writing, formatted: &Formatted, us: &mut UploadSummary) -> Result<()> {
    for (year, sau) in &w.places {
        let rel = formatted.rel((*year, sau));
        let path = w.partial.join(&rel);
        if !path.exists() {
            folder_of(&mut w.folders, &path)?;
            let sum = create_file(&path, &formatted.head)?;
            w.sums.insert(format!("uploads/{rel}"), sum);
            w.written.push(path);
            us.files += 1;
        }
    }
    Ok(())
}

/// What a thread returned (its panic carried on).
fn joined<T>(handle: std::thread::ScopedJoinHandle<'_, Result<T>>) -> Result<T> {
    handle
        .join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
}

/// Keeps the last run's manifest when every upload's rows of it are as
/// they were (no upload conformed or patched that placed a row otherwise;
/// the parquet file's footer restamped with this run's provenance), else
/// writes it.
fn keep_or_write_manifest(w: &mut Writing, reuse: &mut Reuse) -> Result<()> {
    let rows = w.manifests.iter().map(packed::Part::height).sum();
    if w.manifest_as_before && reuse.manifest_kept(rows)? {
        // Its parquet footer names this run, as a fresh run's would.
        snapshot::restamp(w.root, STAGE, "upload_manifest", w.provenance)?;
        tracing::info!("upload manifest kept");
        w.manifests.clear();
        for ext in ["parquet", "csv"] {
            w.outputs.push(format!("{STAGE}/upload_manifest.{ext}"));
        }
        reuse.record_manifest_rows(None);
        Ok(())
    } else {
        write_manifest(w)?;
        reuse.record_manifest_rows(w.manifest_sums.take());
        Ok(())
    }
}

/// The manifest: every upload row to its source row (the parquet snapshot
/// and the CSV written at once, on two threads; the CSV straight from each
/// upload's part, hashed as it is written).
fn write_manifest(w: &mut Writing) -> Result<()> {
    let parts = std::mem::take(&mut w.manifests);
    w.manifest_sums = Some(BTreeMap::new());
    let names: Vec<&str> = MANIFEST_COLUMNS.iter().copied().chain(["stages"]).collect();
    let path = w.root.join(STAGE).join("upload_manifest.csv");
    let (root, provenance) = (w.root, w.provenance);
    if parts.iter().all(|p| p.height() == 0) {
        let mut frame = empty_manifest()?;
        snapshot::write_parquet(root, STAGE, "upload_manifest", &mut frame, provenance)?;
        let csv = write_frames_csv(&path, &[&frame], &names, LineEnds::Lf)?;
        return finish_manifest(w, csv);
    }
    // Both files are written one part at a time (unpacked on each
    // thread): the parquet file in the row groups polars would make of
    // the parts' frame, so its bytes are those of that frame written.
    // Each part is unpacked once, here, and handed to the parquet thread
    // too (at most one part waits for it).
    let groups = packed::row_groups(&parts)?;
    // Each upload's rows hashed, for a run that finds this manifest but
    // no record of it (this run killed before it records its outputs).
    let mut sums = reuse::ManifestSums::default();
    let (parquet, csv) = std::thread::scope(|s| {
        let (tx, rx) = std::sync::mpsc::sync_channel::<DataFrame>(1);
        let parquet = s.spawn(move || {
            snapshot::stage_parquet_batches(root, STAGE, "upload_manifest", provenance, |sink| {
                packed::frames_in_groups(rx.into_iter().map(Ok), &groups, |group| sink.write(group))
            })?
            .persist()
        });
        let frames = parts.iter().map(|p| {
            let frame = p.frame()?;
            // A parquet thread gone has failed: its error is the one told.
            let _ = tx.send(frame.clone());
            sums.add(&frame)?;
            Ok(frame)
        });
        let csv = write_csv_parts(&path, frames, &names, LineEnds::Lf);
        drop(tx);
        (joined(parquet), csv)
    });
    // A failed CSV cuts the parquet file's rows short: its error first.
    let csv = csv?;
    parquet?;
    w.manifest_sums = Some(sums.finish());
    finish_manifest(w, csv)
}

/// Records the manifest's two files (the CSV's SHA-256 `csv`).
fn finish_manifest(w: &mut Writing, csv: String) -> Result<()> {
    w.outputs.push(format!("{STAGE}/upload_manifest.parquet"));
    let csv_name = format!("{STAGE}/upload_manifest.csv");
    w.sums.insert(csv_name.clone(), csv);
    w.outputs.push(csv_name);
    Ok(())
}

/// Swaps the finished uploads folder into place: in one rename where the
/// filesystem can ([`replace_dir`]), so `uploads/` is never missing.
fn swap_in(root: &Path, partial: &Path) -> Result<()> {
    replace_dir(partial, &root.join("uploads"), &root.join(PREVIOUS))
}

fn write_violations(root: &Path, upload: &Upload, v: &DataFrame) -> Result<()> {
    let path = root.join("preflight").join(format!("{}.csv", upload.name));
    write_frame_csv(&path, v, &VIOLATION_COLUMNS, LineEnds::Crlf)
}

/// Logs an upload's counts (never a row's values).
pub(crate) fn log_upload(name: &str, us: &UploadSummary) {
    tracing::info!(
        upload = name,
        conformed = us.conformed,
        written = us.written,
        files = us.files,
        "upload"
    );
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
