//! Publish reruns only the uploads whose inputs changed. Conform always
//! runs (it is cheap beside pre-flight and the upload files); then each
//! upload's fingerprint covers what its pre-flight and files are made
//! from: its conformed rows, its layout, `publish.as_of` (where a date is
//! after it), the NEO Org IDs,
//! the code sets of the tables its layout names, and what it reads of
//! another upload ([`needs`]). An upload whose fingerprint is the one the
//! last run recorded, and whose files are all still there with the same
//! checksums, keeps them: its upload files are linked into the uploads
//! folder being built (so they stay byte-identical and the folder is still
//! swapped in whole), its pre-flight findings stay, its manifest rows,
//! reports and summary are the last run's; its conformed snapshot is
//! written again (it carries the run's provenance), so the outputs are the
//! bytes a fresh run writes.

use crate::checksum::{data_hashes, file_sha256, hex, sum_of};
use crate::publish::{Summary, UploadSummary};
use crate::snapshot;
use anyhow::{Context, Result};
use cutover_stages::conform::{
    self, FieldType, Upload, ATTENDANCE, CTE_UPLOAD, STUDENT_ENROLLMENT_UPLOAD,
    STUDENT_PERSONAL_UPLOAD, UPLOAD_SAU, UPLOAD_YEAR,
};
use cutover_stages::preflight::{self, Format, Layout};
use cutover_stages::report::StageReport;
use polars::prelude::*;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::Path;

/// What an upload reads of another upload (besides its own rows).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Need {
    /// The periods of primary enrollment (from the conformed enrollments).
    PrimaryPeriods,
    /// The Student Enrollment rows that passed pre-flight: their ID, school
    /// year and SAU (a Student Personal row needs one; Attendance gets a
    /// file for each school year and SAU), and the school and dates of the
    /// concurrent ones (CTE).
    PassedEnrollments,
}

/// What each upload reads of another upload: the rules of
/// `preflight::with_rule_columns` and the Attendance files.
pub fn needs(upload: &str) -> &'static [Need] {
    if upload == STUDENT_ENROLLMENT_UPLOAD.name {
        &[Need::PrimaryPeriods]
    } else if upload == CTE_UPLOAD.name {
        // The CTE guide's concurrent enrollment must itself have passed.
        &[Need::PrimaryPeriods, Need::PassedEnrollments]
    } else if upload == STUDENT_PERSONAL_UPLOAD.name || upload == ATTENDANCE.name {
        &[Need::PassedEnrollments]
    } else {
        &[]
    }
}

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

/// The key of the passed enrollments' hash.
const PASSED: &str = "upload.student_enrollment.passed";

/// What the last publish made, from `stages.json` and its summary.
#[derive(Default)]
pub struct Previous {
    /// Fingerprints and the passed enrollments' hash it recorded.
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
    /// Its pre-flight findings (the conformed snapshot is written again,
    /// with this run's provenance).
    pub outputs: Vec<String>,
    /// Its pre-flight and publish reports.
    pub reports: Vec<StageReport>,
    pub summary: UploadSummary,
    pub manifest: DataFrame,
}

/// What is known while the uploads are fingerprinted.
pub struct Reuse<'a> {
    previous: &'a Previous,
    root: &'a Path,
    /// The last run's upload manifest, read when first needed.
    manifest: Option<DataFrame>,
    periods: String,
    /// The passed enrollments' hash, once Student Enrollment is done.
    pub passed: Option<String>,
    /// What this run records: `upload.<name>` -> fingerprint.
    pub data: BTreeMap<String, String>,
}

fn digest(parts: &[(&str, String)]) -> String {
    let mut h = Sha256::new();
    for (k, v) in parts {
        h.update(k.as_bytes());
        h.update([0]);
        h.update(v.as_bytes());
        h.update([0]);
    }
    hex(&h.finalize())
}

/// What an upload reads of `publish.as_of`: only the `future_date` rule
/// does, and it names the date in its messages; when no date of the upload
/// is after it, moving it changes nothing.
fn as_of_part(upload: &Upload, rows: &DataFrame, as_of: chrono::NaiveDate) -> Result<String> {
    let after: Vec<Expr> = upload
        .fields
        .iter()
        .filter(|(f, kind)| *kind == FieldType::Date && rows.column(f).is_ok())
        .map(|(f, _)| {
            col(*f)
                .gt(lit(as_of).cast(DataType::Date))
                .fill_null(lit(false))
                .cast(DataType::UInt32)
                .sum()
        })
        .collect();
    let counts = rows.clone().lazy().select(after).collect()?;
    for c in counts.columns() {
        let c = c.as_materialized_series().cast(&DataType::UInt64)?;
        if c.u64()?.get(0).unwrap_or(0) > 0 {
            return Ok(as_of.to_string());
        }
    }
    Ok("no date after it".to_string())
}

/// A hash of a frame's rows whatever their order.
fn sorted_hash(name: &str, df: &DataFrame) -> Result<String> {
    let columns: Vec<PlSmallStr> = df.get_column_names().into_iter().cloned().collect();
    let sorted = df.sort(
        columns,
        SortMultipleOptions::default().with_nulls_last(true),
    )?;
    Ok(sum_of(&data_hashes(name, &sorted)?))
}

/// A hash of what the other uploads read of the passed enrollments: each
/// student's school years and SAUs, and of a concurrent (`S`) enrollment its
/// school and dates (CTE's `no_concurrent_enrollment` needs one at the CTE
/// school overlapping the program).
pub fn passed_hash(passed: &DataFrame) -> Result<String> {
    let concurrent = |c: &str| {
        when(col("EnrollmentType").eq(lit("S")))
            .then(col(c).cast(DataType::String))
            .otherwise(lit(NULL).cast(DataType::String))
            .alias(c)
    };
    let keys = passed
        .clone()
        .lazy()
        .select([
            col("StateStudentID"),
            col(UPLOAD_YEAR),
            col(UPLOAD_SAU),
            concurrent("SchoolID"),
            concurrent("EntryDate"),
            concurrent("ExitDate"),
        ])
        .unique(None, UniqueKeepStrategy::First)
        .collect()?;
    sorted_hash("passed", &keys)
}

impl<'a> Reuse<'a> {
    pub fn new(previous: &'a Previous, root: &'a Path, periods: &DataFrame) -> Result<Reuse<'a>> {
        Ok(Reuse {
            previous,
            root,
            manifest: None,
            periods: sorted_hash("periods", periods)?,
            passed: None,
            data: BTreeMap::new(),
        })
    }

    /// The upload's fingerprint, recorded for the next run.
    pub fn fingerprint(
        &mut self,
        upload: &Upload,
        layout: &Layout,
        rows: &DataFrame,
        ctx: &preflight::Context,
    ) -> Result<String> {
        let codes: Vec<String> = layout
            .columns
            .iter()
            .filter_map(|c| match &c.format {
                Format::Code(domain) => Some(format!(
                    "{domain}={}",
                    ctx.code_sets
                        .get(domain)
                        .map(|s| s.join(","))
                        .unwrap_or_default()
                )),
                _ => None,
            })
            .collect();
        let mut parts = vec![
            ("tool version", crate::stage::TOOL_VERSION.to_string()),
            ("rows", sum_of(&data_hashes(upload.name, rows)?)),
            ("layout", format!("{layout:?}")),
            ("as_of", as_of_part(upload, rows, ctx.as_of)?),
            ("neo ids", ctx.neo_ids.join(",")),
            ("code sets", codes.join(";")),
            (
                "end-of-year holds",
                frame_sum("end_of_year", ctx.end_of_year)?,
            ),
            ("organization names", frame_sum("org_names", ctx.org_names)?),
        ];
        for need in needs(upload.name) {
            match need {
                Need::PrimaryPeriods => parts.push(("primary periods", self.periods.clone())),
                Need::PassedEnrollments => parts.push((
                    "passed enrollments",
                    self.passed.clone().unwrap_or_default(),
                )),
            }
        }
        let print = digest(&parts);
        self.data.insert(key(upload.name), print.clone());
        Ok(print)
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
        let outputs = vec![format!("{}/{}.csv", preflight::STAGE, upload.name)];
        let manifest_file = format!("{}/upload_manifest.parquet", crate::publish::STAGE);
        for o in files.iter().chain(&outputs).chain([&manifest_file]) {
            let sum = file_sha256(&self.root.join(o)).ok();
            if sum.is_none() || prev.outputs.get(o) != sum.as_ref() {
                return Ok(None);
            }
        }
        let reports: Vec<StageReport> = prev
            .reports
            .iter()
            .filter(|r| r.entity == upload.name && r.stage != conform::STAGE)
            .cloned()
            .collect();
        if self.manifest.is_none() {
            self.manifest = Some(snapshot::read_parquet(&self.root.join(&manifest_file))?);
        }
        let manifest = self
            .manifest
            .clone()
            .expect("just read")
            .lazy()
            .filter(col("upload").eq(lit(upload.name)))
            .collect()?;
        Ok(Some(Kept {
            files,
            outputs,
            reports,
            summary: summary.clone(),
            manifest,
        }))
    }

    /// The passed enrollments' hash the last run recorded (Student
    /// Enrollment kept).
    pub fn passed_kept(&mut self) {
        self.passed = self.previous.data.get(PASSED).cloned();
        if let Some(p) = &self.passed {
            self.data.insert(PASSED.to_string(), p.clone());
        }
    }

    /// The passed enrollments' hash of this run (Student Enrollment ran).
    pub fn passed_now(&mut self, passed: &DataFrame) -> Result<()> {
        let h = passed_hash(passed)?;
        self.data.insert(PASSED.to_string(), h.clone());
        self.passed = Some(h);
        Ok(())
    }
}

/// Links (or copies, where links cannot be made) a kept upload file into
/// the uploads folder being built.
pub fn link_into(root: &Path, partial: &Path, rel: &str) -> Result<()> {
    let from = root.join(rel);
    let inside = rel.strip_prefix("uploads/").unwrap_or(rel);
    let to = partial.join(inside);
    if let Some(dir) = to.parent() {
        crate::output::private_dir(dir)?;
    }
    if std::fs::hard_link(&from, &to).is_err() {
        std::fs::copy(&from, &to)
            .with_context(|| format!("cannot copy {} to {}", from.display(), to.display()))?;
    }
    Ok(())
}
