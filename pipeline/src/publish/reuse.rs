//! Publish reruns only the uploads whose inputs changed, and decides it
//! before conforming anything. Each upload's fingerprint covers what its
//! rows, pre-flight and files are made from: the content of the source
//! columns it declares (`conform::Upload::reads`, as the identity and rekey
//! stages recorded them, with the split codes when it reads split
//! enrollments), its layout, `publish.as_of` (where one of its dates is
//! after it: the latest date the last conform of it saw), the NEO Org IDs,
//! the code sets of the tables its layout names, the organization names,
//! the end-of-year holds, and what it reads of another upload ([`needs`]:
//! hashes Student Enrollment records when it is checked). An upload whose
//! fingerprint is the one the last run recorded, and whose files are all
//! still there with the same checksums, is neither conformed nor checked
//! nor written: its upload files are linked into the uploads folder being
//! built (so they stay byte-identical and the folder is still swapped in
//! whole), its conformed snapshot and pre-flight findings stay, its
//! manifest rows, reports and summary are the last run's.

use super::sorted::sorted_hash;
use crate::checksum::{data_hashes, digest, file_sha256, sum_of};
use crate::publish::{Summary, UploadSummary};
use crate::snapshot;
use anyhow::{Context, Result};
use cutover_stages::columns::BIRTH_DATE;
use cutover_stages::conform::{
    self, FieldType, Upload, ATTENDANCE, CTE_UPLOAD, STUDENT_PERSONAL_UPLOAD, UPLOAD_SAU,
    UPLOAD_YEAR,
};
use cutover_stages::preflight::{self, Format, Layout};
use cutover_stages::report::StageReport;
use polars::prelude::*;
use std::collections::BTreeMap;
use std::path::Path;

/// What an upload reads of another upload (besides its own rows).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Need {
    /// The periods of primary enrollment (from the conformed enrollments).
    PrimaryPeriods,
    /// The Student Enrollment rows that passed pre-flight: their ID, school
    /// year, SAU, school, enrollment type and dates (a Student Personal row
    /// needs one; a CTE row a concurrent one at its school overlapping the
    /// program; Attendance gets a file for each school year and SAU).
    PassedEnrollments,
}

/// What each upload reads of another upload: the rules of
/// `preflight::with_rule_columns` and the Attendance files. (Student
/// Enrollment's own periods are made from its own rows.)
pub fn needs(upload: &str) -> &'static [Need] {
    if upload == CTE_UPLOAD.name {
        // The CTE guide's concurrent enrollment must itself have passed.
        &[Need::PrimaryPeriods, Need::PassedEnrollments]
    } else if upload == STUDENT_PERSONAL_UPLOAD.name || upload == ATTENDANCE.name {
        &[Need::PassedEnrollments]
    } else {
        &[]
    }
}

/// The columns of the passed enrollments the other uploads read.
pub const PASSED_COLUMNS: [&str; 7] = [
    "StateStudentID",
    UPLOAD_YEAR,
    UPLOAD_SAU,
    "SchoolID",
    "EnrollmentType",
    "EntryDate",
    "ExitDate",
];

/// The content hash of an optional frame pre-flight reads ("" when absent).
fn frame_sum(name: &str, frame: Option<&DataFrame>) -> Result<String> {
    Ok(match frame {
        Some(df) => sum_of(&data_hashes(name, df)?),
        None => String::new(),
    })
}

/// The key under which publish records an upload's fingerprint.
fn key(upload: &str) -> String {
    format!("upload.{upload}")
}

/// The keys of what an upload's fingerprint was made from, and of the
/// latest date its conformed rows hold.
fn inputs_key(upload: &str) -> String {
    format!("upload.{upload}.inputs")
}
fn latest_key(upload: &str) -> String {
    format!("upload.{upload}.latest")
}

/// The keys of the passed enrollments' and the primary periods' hashes.
const PASSED: &str = "upload.student_enrollment.passed";
const PERIODS: &str = "upload.student_enrollment.periods";

/// What the last publish made, from `stages.json` and its summary.
#[derive(Default)]
pub struct Previous {
    /// Fingerprints and the hashes it recorded.
    pub data: BTreeMap<String, String>,
    /// Output file -> SHA-256.
    pub outputs: BTreeMap<String, String>,
    pub reports: Vec<StageReport>,
    pub summary: Option<Summary>,
}

/// One upload kept from the last run.
pub struct Kept {
    /// Upload files, relative to the output root (`uploads/...`).
    pub files: Vec<String>,
    /// Its conformed snapshot and pre-flight findings.
    pub outputs: Vec<String>,
    /// Its conform, pre-flight and publish reports.
    pub reports: Vec<StageReport>,
    pub summary: UploadSummary,
    pub manifest: DataFrame,
}

/// The last run's manifest rows by upload, and no rows (its columns).
type ManifestParts = (BTreeMap<String, DataFrame>, DataFrame);

/// The upload manifest found in the output folder, each upload's rows.
struct OldManifest {
    /// The rows of each upload that may be kept.
    parts: BTreeMap<String, DataFrame>,
    /// No rows (the manifest's columns).
    none: DataFrame,
    /// Whether the file is the one the last run recorded (every upload's
    /// rows in `parts`). When not, it is one a run killed before it
    /// recorded anything left: `parts` holds only the uploads whose rows
    /// hash as the last run recorded them, `seen` names every upload with
    /// rows in it.
    intact: bool,
    seen: std::collections::BTreeSet<String>,
}

/// What is known while the uploads are fingerprinted.
pub struct Reuse<'a> {
    previous: &'a Previous,
    root: &'a Path,
    /// The last run's upload manifest, each upload's rows, read when first
    /// needed (`None` inside when it is not as that run wrote it).
    manifest: Option<Option<OldManifest>>,
    /// The kept uploads' files (their upload files, conformed snapshot and
    /// pre-flight findings) -> the checksum checked in this run.
    pub checked: BTreeMap<String, String>,
    /// The primary periods' and passed enrollments' hashes, once Student
    /// Enrollment is done.
    pub periods: Option<String>,
    pub passed: Option<String>,
    /// What this run records: `upload.<name>` -> fingerprint, ...
    pub data: BTreeMap<String, String>,
}

/// The latest date of any of the upload's date fields ("" when none). It
/// is recorded in `stages.json`, so a birth date counts as the last day
/// of its year: the youngest student's birth date was written there (New
/// State ID's latest date is a birth date), and the year's end is later
/// still, so no change of `publish.as_of` that matters is missed.
pub fn latest_date(upload: &Upload, rows: &DataFrame) -> Result<String> {
    let latest: Vec<Expr> = upload
        .fields
        .iter()
        .filter(|(f, kind)| *kind == FieldType::Date && rows.column(f).is_ok())
        .map(|(f, _)| col(*f).max().cast(DataType::String))
        .collect();
    let maxes = rows.clone().lazy().select(latest).collect()?;
    let mut out = String::new();
    for c in maxes.columns() {
        // ISO dates order as text.
        if let Some(d) = c.str()?.get(0) {
            let d = match d.get(..4) {
                Some(year) if c.name().as_str() == BIRTH_DATE => format!("{year}-12-31"),
                _ => d.to_string(),
            };
            if d > out {
                out = d;
            }
        }
    }
    Ok(out)
}

/// What an upload reads of `publish.as_of`: only the `future_date` rule
/// does, and it names the date in its messages; when no date of the upload
/// is after it, moving it changes nothing.
fn as_of_part(latest: &str, as_of: chrono::NaiveDate) -> String {
    match chrono::NaiveDate::parse_from_str(latest, "%Y-%m-%d") {
        Ok(d) if d > as_of => as_of.to_string(),
        _ => "no date after it".to_string(),
    }
}

/// The code sets the layout's columns name (`domain=codes`), of the columns
/// whose field `keep` takes.
fn layout_codes(inputs: &Inputs, keep: impl Fn(&str) -> bool) -> Vec<String> {
    inputs
        .layout
        .columns
        .iter()
        .filter(|c| keep(&c.source))
        .filter_map(|c| match &c.format {
            Format::Code(domain) => Some(format!(
                "{domain}={}",
                inputs
                    .ctx
                    .code_sets
                    .get(domain)
                    .map(|s| s.join(","))
                    .unwrap_or_default()
            )),
            _ => None,
        })
        .collect()
}

/// The key, in the map of source column hashes, of an upload's hash of its
/// source columns but the patchable fields' sources.
pub fn rest_key(upload: &str) -> String {
    format!("rest:{upload}")
}

/// The keys of what a patch of an upload must find as it was, and of the
/// code sets of its patchable fields (`field=domain=codes`, one a line).
fn rest_data_key(upload: &str) -> String {
    format!("upload.{upload}.rest")
}
fn codes_key(upload: &str) -> String {
    format!("upload.{upload}.codes")
}

/// The code sets of an upload's patchable fields, one `field=domain=codes`
/// a line (codes joined with commas).
pub fn patch_codes(upload: &Upload, layout: &Layout, ctx: &preflight::Context) -> String {
    let mut lines = Vec::new();
    for (_, field) in conform::patchable(upload) {
        for c in layout.columns.iter().filter(|c| c.source == *field) {
            if let Format::Code(domain) = &c.format {
                let codes = ctx.code_sets.get(domain).map(|s| s.join(","));
                lines.push(format!("{field}={domain}={}", codes.unwrap_or_default()));
            }
        }
    }
    lines.join("\n")
}

/// Each patchable field's codes that are in the last run's set or in this
/// run's but not both (field -> codes): a row holding one may change its
/// verdict though its value did not change.
pub fn changed_codes(before: &str, now: &str) -> BTreeMap<String, Vec<String>> {
    let parse = |text: &str| -> BTreeMap<String, std::collections::BTreeSet<String>> {
        text.lines()
            .filter_map(|l| {
                let (field, rest) = l.split_once('=')?;
                let (_, codes) = rest.split_once('=')?;
                let set = codes.split(',').filter(|c| !c.is_empty());
                Some((field.to_string(), set.map(str::to_string).collect()))
            })
            .collect()
    };
    let (before, now) = (parse(before), parse(now));
    let mut out = BTreeMap::new();
    for field in before.keys().chain(now.keys()) {
        let empty = Default::default();
        let (a, b) = (
            before.get(field).unwrap_or(&empty),
            now.get(field).unwrap_or(&empty),
        );
        let diff: Vec<String> = a.symmetric_difference(b).cloned().collect();
        if !diff.is_empty() {
            out.insert(field.clone(), diff);
        }
    }
    out
}

/// What the other uploads read of the passed enrollments, each once.
pub fn passed_keys(passed: &DataFrame) -> Result<DataFrame> {
    Ok(passed
        .clone()
        .lazy()
        .select(PASSED_COLUMNS.map(col))
        .unique_stable(None, UniqueKeepStrategy::First)
        .collect()?)
}

/// An upload's inputs (everything but `as_of` and [`needs`]).
pub struct Inputs<'c> {
    /// The content of the source columns it declares.
    pub columns: String,
    pub layout: &'c Layout,
    pub ctx: &'c preflight::Context<'c>,
}

impl<'a> Reuse<'a> {
    pub fn new(previous: &'a Previous, root: &'a Path) -> Reuse<'a> {
        Reuse {
            previous,
            root,
            manifest: None,
            checked: BTreeMap::new(),
            periods: None,
            passed: None,
            data: BTreeMap::new(),
        }
    }

    /// The hash of an upload's inputs but `as_of` and [`needs`].
    pub fn inputs_print(&self, upload: &Upload, inputs: &Inputs) -> Result<String> {
        let codes = layout_codes(inputs, |_| true);
        self.print_of(upload, inputs, codes)
    }

    /// The hash of what a patch leaves as it was (see [`Reuse::may_patch`]):
    /// the inputs but the patchable fields' source columns (`inputs.columns`
    /// leaves them out) and code sets, with `as_of` against the latest date
    /// the last run saw; `None` for an upload with no patchable field.
    pub fn rest_print(
        &self,
        upload: &Upload,
        inputs: &Inputs,
        as_of: chrono::NaiveDate,
    ) -> Result<Option<String>> {
        let fields: Vec<&str> = conform::patchable(upload).iter().map(|(_, f)| *f).collect();
        if fields.is_empty() {
            return Ok(None);
        }
        let codes = layout_codes(inputs, |field| !fields.contains(&field));
        let latest = self.previous_latest(upload);
        Ok(Some(digest(&[
            ("inputs", self.print_of(upload, inputs, codes)?),
            ("as_of", as_of_part(&latest, as_of)),
        ])))
    }

    fn print_of(&self, upload: &Upload, inputs: &Inputs, codes: Vec<String>) -> Result<String> {
        let ctx = inputs.ctx;
        Ok(digest(&[
            ("tool version", crate::stage::TOOL_VERSION.to_string()),
            ("upload", upload.name.to_string()),
            ("source columns", inputs.columns.clone()),
            ("layout", format!("{:?}", inputs.layout)),
            ("neo ids", ctx.neo_ids.join(",")),
            ("code sets", codes.join(";")),
            (
                "end-of-year holds",
                frame_sum("end_of_year", ctx.end_of_year)?,
            ),
            ("organization names", frame_sum("org_names", ctx.org_names)?),
        ]))
    }

    /// The whole fingerprint: the inputs, `as_of` against the latest date,
    /// and what the upload reads of Student Enrollment (`periods`, `passed`).
    fn full(
        upload: &Upload,
        inputs: &str,
        latest: &str,
        as_of: chrono::NaiveDate,
        (periods, passed): (Option<&String>, Option<&String>),
    ) -> String {
        let mut parts = vec![
            ("inputs", inputs.to_string()),
            ("as_of", as_of_part(latest, as_of)),
        ];
        for need in needs(upload.name) {
            match need {
                Need::PrimaryPeriods => {
                    parts.push(("primary periods", periods.cloned().unwrap_or_default()))
                }
                Need::PassedEnrollments => {
                    parts.push(("passed enrollments", passed.cloned().unwrap_or_default()))
                }
            }
        }
        digest(&parts)
    }

    /// The fingerprint the upload has if its rows are the last run's (its
    /// inputs are), or `None`: it must be conformed.
    pub fn unchanged_print(
        &self,
        upload: &Upload,
        inputs: &str,
        as_of: chrono::NaiveDate,
    ) -> Option<String> {
        let prev = &self.previous.data;
        if prev.get(&inputs_key(upload.name)).map(String::as_str) != Some(inputs) {
            return None;
        }
        let latest = prev.get(&latest_key(upload.name))?;
        let needed = (self.periods.as_ref(), self.passed.as_ref());
        Some(Self::full(upload, inputs, latest, as_of, needed))
    }

    /// Whether the upload may have to be conformed, judged before Student
    /// Enrollment is: what it reads of Student Enrollment taken to be as
    /// last time (for loading only the frames that will be read).
    pub fn may_run(&self, upload: &Upload, inputs: &str, as_of: chrono::NaiveDate) -> bool {
        let prev = &self.previous.data;
        let Some(latest) = prev.get(&latest_key(upload.name)) else {
            return true;
        };
        if prev.get(&inputs_key(upload.name)).map(String::as_str) != Some(inputs) {
            return true;
        }
        let needed = (prev.get(PERIODS), prev.get(PASSED));
        prev.get(&key(upload.name)) != Some(&Self::full(upload, inputs, latest, as_of, needed))
    }

    /// Records an upload's fingerprint for the next run, from the latest
    /// date of its conformed rows (or the last run's, when kept).
    pub fn record(
        &mut self,
        upload: &Upload,
        inputs: &str,
        latest: &str,
        as_of: chrono::NaiveDate,
    ) {
        let needed = (self.periods.as_ref(), self.passed.as_ref());
        let print = Self::full(upload, inputs, latest, as_of, needed);
        self.data.insert(key(upload.name), print);
        self.data
            .insert(inputs_key(upload.name), inputs.to_string());
        self.data
            .insert(latest_key(upload.name), latest.to_string());
    }

    /// Records what a later run's patch of the upload must find as it was
    /// (`rest`, from [`Reuse::rest_print`]) and its patchable fields' code
    /// sets.
    pub fn record_rest(&mut self, upload: &Upload, rest: Option<&String>, codes: String) {
        if let Some(rest) = rest {
            self.data.insert(rest_data_key(upload.name), rest.clone());
            self.data.insert(codes_key(upload.name), codes);
        }
    }

    /// Whether the upload may be patched: its inputs changed, but nothing
    /// besides its patchable fields' source columns and code sets did, and
    /// its conformed snapshot and pre-flight findings are as the last run
    /// wrote them. Returns the last run's code sets of those fields.
    pub fn may_patch(&self, upload: &Upload, rest: Option<&String>) -> Option<String> {
        let prev = self.previous;
        let rest = rest?;
        if prev.data.get(&rest_data_key(upload.name)) != Some(rest) {
            return None;
        }
        prev.data.get(&latest_key(upload.name))?;
        prev.summary
            .as_ref()?
            .uploads
            .iter()
            .find(|u| u.upload == upload.name)?;
        prev.reports
            .iter()
            .find(|r| r.entity == upload.name && r.stage == conform::STAGE)?;
        for o in [
            format!("{}/{}.parquet", conform::STAGE, upload.name),
            format!("{}/{}.csv", preflight::STAGE, upload.name),
        ] {
            let sum = file_sha256(&self.root.join(&o)).ok()?;
            if prev.outputs.get(&o) != Some(&sum) {
                return None;
            }
        }
        prev.data.get(&codes_key(upload.name)).cloned()
    }

    /// The last run's reports of the upload made by `stage`.
    pub fn previous_reports(&self, upload: &Upload, stage: &str) -> Vec<StageReport> {
        self.previous
            .reports
            .iter()
            .filter(|r| r.entity == upload.name && r.stage == stage)
            .cloned()
            .collect()
    }

    /// The last run's latest date of the upload (kept).
    pub fn previous_latest(&self, upload: &Upload) -> String {
        self.previous
            .data
            .get(&latest_key(upload.name))
            .cloned()
            .unwrap_or_default()
    }

    /// The last run's files of `upload` when its fingerprint is unchanged
    /// and they are all still as it wrote them.
    pub fn kept(&mut self, upload: &Upload, print: &str) -> Result<Option<Kept>> {
        let prev = self.previous;
        if prev.data.get(&key(upload.name)).map(String::as_str) != Some(print) {
            return Ok(None);
        }
        let Some(summary) = prev
            .summary
            .as_ref()
            .and_then(|s| s.uploads.iter().find(|u| u.upload == upload.name))
        else {
            return Ok(None);
        };
        let file_name = format!("{}.csv", upload.name);
        let files: Vec<String> = prev
            .outputs
            .keys()
            .filter(|o| o.starts_with("uploads/") && o.rsplit('/').next() == Some(&file_name))
            .cloned()
            .collect();
        let outputs = vec![
            format!("{}/{}.parquet", conform::STAGE, upload.name),
            format!("{}/{}.csv", preflight::STAGE, upload.name),
        ];
        let Some(manifest) = self.manifest_rows(upload)? else {
            return Ok(None);
        };
        let mut sums = Vec::new();
        for o in files.iter().chain(&outputs) {
            let sum = file_sha256(&self.root.join(o)).ok();
            if sum.is_none() || prev.outputs.get(o) != sum.as_ref() {
                return Ok(None);
            }
            sums.push((o.clone(), sum.unwrap_or_default()));
        }
        self.checked.extend(sums);
        let reports: Vec<StageReport> = prev
            .reports
            .iter()
            .filter(|r| r.entity == upload.name)
            .cloned()
            .collect();
        Ok(Some(Kept {
            files,
            outputs,
            reports,
            summary: summary.clone(),
            manifest,
        }))
    }

    /// The last run's manifest rows of `upload` (none when it had none), or
    /// `None` when its manifest is not as it wrote it. The manifest is
    /// checked and split by upload once. A manifest the last run did not
    /// record (a run killed after it replaced the manifest and before it
    /// recorded its outputs in `stages.json`) gives the rows of each upload
    /// that hash as the last run recorded that upload's rows.
    fn manifest_rows(&mut self, upload: &Upload) -> Result<Option<DataFrame>> {
        let rel = format!("{}/upload_manifest.parquet", crate::publish::STAGE);
        if self.manifest.is_none() {
            let path = self.root.join(&rel);
            let sum = file_sha256(&path).ok();
            let intact = sum.is_some() && self.previous.outputs.get(&rel) == sum.as_ref();
            let found = if intact {
                let (parts, none) = by_upload(snapshot::read_parquet(&path)?)?;
                Some(OldManifest {
                    seen: parts.keys().cloned().collect(),
                    parts,
                    none,
                    intact,
                })
            } else if sum.is_some() {
                // Unreadable or of other columns: none of it is kept.
                self.unrecorded(&path).ok().flatten()
            } else {
                None
            };
            self.manifest = Some(found);
        }
        let Some(Some(m)) = self.manifest.as_ref() else {
            return Ok(None);
        };
        let recorded = self.previous.data.contains_key(&rows_key(upload.name));
        Ok(match m.parts.get(upload.name) {
            Some(rows) => Some(rows.clone()),
            None if m.intact || !(recorded || m.seen.contains(upload.name)) => Some(m.none.clone()),
            None => None,
        })
    }

    /// The uploads' rows of a manifest the last run did not record whose
    /// content hashes as it recorded them (`None` when it recorded none).
    fn unrecorded(&self, path: &Path) -> Result<Option<OldManifest>> {
        let prev = &self.previous.data;
        if !prev.keys().any(|k| k.ends_with(ROWS_SUFFIX)) {
            return Ok(None);
        }
        let (all, none) = by_upload(snapshot::read_parquet(path)?)?;
        let seen = all.keys().cloned().collect();
        let mut parts = BTreeMap::new();
        for (name, rows) in all {
            let mut sums = ManifestSums::default();
            sums.add(&rows)?;
            if prev.get(&rows_key(&name)) == sums.finish().get(&name) {
                parts.insert(name, rows);
            }
        }
        Ok(Some(OldManifest {
            parts,
            none,
            intact: false,
            seen,
        }))
    }

    /// Records the hashes of each upload's manifest rows: this run's
    /// (`sums`), or the last run's when its manifest is kept (`None`).
    pub fn record_manifest_rows(&mut self, sums: Option<BTreeMap<String, String>>) {
        let recorded: Vec<(String, String)> = match sums {
            Some(sums) => sums.into_iter().map(|(u, h)| (rows_key(&u), h)).collect(),
            None => self
                .previous
                .data
                .iter()
                .filter(|(k, _)| k.ends_with(ROWS_SUFFIX))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        };
        self.data.extend(recorded);
    }

    /// Whether `rows` are the last run's manifest rows of `upload` (false
    /// when its manifest is not as it wrote it).
    /// `rows` are made only if there is a manifest to compare them with.
    pub fn same_manifest_rows(
        &mut self,
        upload: &Upload,
        rows: impl FnOnce() -> Result<DataFrame>,
    ) -> Result<bool> {
        Ok(match self.manifest_rows(upload)? {
            Some(before) => before.equals_missing(&rows()?),
            None => false,
        })
    }

    /// Whether the last run's upload manifest (CSV and parquet) may stay:
    /// it is as that run wrote it and holds `rows` rows (every upload's
    /// rows being the last run's, as the caller found). The CSV's sum is
    /// then known.
    pub fn manifest_kept(&mut self, rows: usize) -> Result<bool> {
        let Some(Some(OldManifest {
            parts,
            intact: true,
            ..
        })) = self.manifest.as_ref()
        else {
            return Ok(false);
        };
        if parts.values().map(DataFrame::height).sum::<usize>() != rows {
            return Ok(false);
        }
        let csv = format!("{}/upload_manifest.csv", crate::publish::STAGE);
        let sum = file_sha256(&self.root.join(&csv)).ok();
        let Some(sum) = sum.filter(|s| self.previous.outputs.get(&csv) == Some(s)) else {
            return Ok(false);
        };
        self.checked.insert(csv, sum);
        Ok(true)
    }

    /// The hashes of Student Enrollment's periods and passed rows the last
    /// run recorded (Student Enrollment kept); false when it recorded none.
    pub fn enrollment_kept(&mut self) -> bool {
        for (k, slot) in [(PERIODS, &mut self.periods), (PASSED, &mut self.passed)] {
            *slot = self.previous.data.get(k).cloned();
            if let Some(p) = slot {
                self.data.insert(k.to_string(), p.clone());
            }
        }
        self.periods.is_some() && self.passed.is_some()
    }

    /// The hash of this run's primary periods.
    pub fn periods_now(&mut self, periods: &DataFrame) -> Result<()> {
        let h = sorted_hash("periods", periods)?;
        self.data.insert(PERIODS.to_string(), h.clone());
        self.periods = Some(h);
        Ok(())
    }

    /// The hash of this run's passed enrollments ([`passed_keys`]).
    pub fn passed_now(&mut self, keys: &DataFrame) -> Result<()> {
        let h = sorted_hash("passed", keys)?;
        self.data.insert(PASSED.to_string(), h.clone());
        self.passed = Some(h);
        Ok(())
    }
}

/// The runs of rows of one upload in manifest rows: (upload, start, end).
fn upload_runs(all: &DataFrame) -> Result<Vec<(String, usize, usize)>> {
    let mut runs: Vec<(String, usize, usize)> = Vec::new();
    let uploads = all.column("upload")?.str()?.clone();
    for (i, name) in uploads.iter().enumerate() {
        let name = name.unwrap_or_default();
        match runs.last_mut() {
            Some((n, _, end)) if n == name => *end = i + 1,
            _ => runs.push((name.to_string(), i, i + 1)),
        }
    }
    Ok(runs)
}

/// The suffix of the key under which publish records the hash of an
/// upload's manifest rows, and the key.
const ROWS_SUFFIX: &str = ".manifest_rows";
fn rows_key(upload: &str) -> String {
    format!("upload.{upload}{ROWS_SUFFIX}")
}

/// The content hash of each upload's manifest rows, fed the manifest's
/// rows in order (a batch at a time; the hash does not depend on where
/// the batches are cut).
#[derive(Default)]
pub struct ManifestSums(BTreeMap<String, crate::checksum::DataHashes>);

impl ManifestSums {
    pub fn add(&mut self, rows: &DataFrame) -> Result<()> {
        for (name, start, end) in upload_runs(rows)? {
            let slice = rows.slice(start as i64, end - start);
            self.0
                .entry(name)
                .or_insert_with(|| crate::checksum::DataHashes::new("manifest"))
                .update(&slice)?;
        }
        Ok(())
    }

    /// Upload -> the hash of its rows.
    pub fn finish(self) -> BTreeMap<String, String> {
        self.0
            .into_iter()
            .map(|(name, h)| (name, sum_of(&h.finish())))
            .collect()
    }
}

/// The manifest's rows by upload: each upload's rows are one run (the
/// manifest is written upload after upload), sliced out without a copy; an
/// upload met in two runs is filtered out instead.
fn by_upload(all: DataFrame) -> Result<ManifestParts> {
    let none = all.clear();
    let runs = upload_runs(&all)?;
    let mut parts = BTreeMap::new();
    for (name, start, end) in &runs {
        if runs.iter().filter(|(n, _, _)| n == name).count() > 1 {
            let rows = all
                .clone()
                .lazy()
                .filter(col("upload").eq(lit(name.as_str())))
                .collect()?;
            parts.insert(name.clone(), rows);
        } else {
            parts.insert(name.clone(), all.slice(*start as i64, end - start));
        }
    }
    Ok((parts, none))
}

/// Links (or copies, where links cannot be made) a kept upload file into
/// the uploads folder being built; a copy's path is returned, to be synced
/// with the files written.
pub fn link_into(root: &Path, partial: &Path, rel: &str) -> Result<Option<std::path::PathBuf>> {
    let from = root.join(rel);
    let inside = rel.strip_prefix("uploads/").unwrap_or(rel);
    let to = partial.join(inside);
    if let Some(dir) = to.parent() {
        crate::output::private_dir_in_tree(dir)?;
    }
    let _pass = crate::output::pass();
    if std::fs::hard_link(&from, &to).is_ok() {
        return Ok(None);
    }
    std::fs::copy(&from, &to)
        .with_context(|| format!("cannot copy {} to {}", from.display(), to.display()))?;
    Ok(Some(to))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_codes_that_entered_or_left_a_patchable_field_s_set_are_found() {
        let before = "GradeLevel=grade_levels=1,2,K\nFiscalResponsibility=fiscal=A,B";
        let now = "GradeLevel=grade_levels=1,2,KG\nFiscalResponsibility=fiscal=A,B";
        assert_eq!(
            changed_codes(before, now),
            BTreeMap::from([(
                "GradeLevel".to_string(),
                vec!["K".to_string(), "KG".to_string()]
            )])
        );
        assert!(changed_codes(now, now).is_empty());
        // A field that gained its code set: every code of it is new.
        assert_eq!(
            changed_codes("", "GradeLevel=grade_levels=1"),
            BTreeMap::from([("GradeLevel".to_string(), vec!["1".to_string()])])
        );
    }
}
