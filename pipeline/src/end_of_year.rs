//! The end-of-year rules of the launch notices
//! ([`cutover_stages::end_of_year`]), checked on the identity stage's
//! snapshots (re-keyed, so a student found under two IDs is one student)
//! and listed by SAU so the Department can send each district its list.
//!
//! `[end_of_year] action` says what they do to the uploads: `report` (the
//! default) lists them only; `hold` makes pre-flight hold every upload row
//! built from a flagged row, under the rule's name. Holding has to happen
//! before the upload files are written, so with `hold` the publish stage
//! checks the rules itself ([`findings`]); the report stage checks them
//! again on the same snapshots, with the same result, and writes the files.
//!
//! Outputs (under the output root, written by the report stage):
//! `end_of_year/findings.csv` (`rule, source_file, source_row, SAUOrgID,
//! school_year`, sorted by SAU, file and row), `end_of_year/by_sau/<SAUOrgID>.csv`
//! (the same columns, one file per SAU with findings) and
//! `end_of_year/summary.json` (rule -> SAU -> count).

use crate::output::{private_dir, write_bytes};
use anyhow::Result;
use cutover_stages::columns::*;
use cutover_stages::crosswalk::SAU_ORG_ID;
use cutover_stages::end_of_year::{self, Finding, RULE};
use cutover_stages::identity::STUDENT_KEY;
use cutover_stages::schema::{BEHAVIOR, SCHOOLS, STUDENT_ENROLLMENT};
use polars::prelude::*;
use std::collections::BTreeMap;
use std::path::Path;

const HEADER: [&str; 5] = [RULE, SOURCE_FILE, SOURCE_ROW, SAU_ORG_ID, SCHOOL_YEAR];

/// What the report shows: rule -> SAU Org ID -> findings.
pub type Summary = BTreeMap<String, BTreeMap<String, u64>>;

/// The columns among `wanted` of a snapshot, if there is one.
fn snapshot(root: &Path, stage: &str, name: &str, wanted: &[&str]) -> Result<Option<DataFrame>> {
    let path = root.join(stage).join(format!("{name}.parquet"));
    if path.is_file() {
        Ok(Some(crate::snapshot::read_columns(&path, wanted)?))
    } else {
        Ok(None)
    }
}

/// The identity stage's columns of its students the rules read.
pub const STUDENT_COLUMNS: [&str; 2] = [STUDENT_KEY, BIRTH_DATE];

/// Checks the rules on the identity stage's snapshots of enrollments,
/// behavior and students (birth dates, never written out) and ingest's
/// schools (the two virtual charter schools); none without enrollments.
/// Only the columns the rules read are read
/// ([`end_of_year::ENROLLMENT_COLUMNS`] and the others).
pub fn findings(root: &Path, last_year: i32) -> Result<Vec<Finding>> {
    let enrollment = snapshot(
        root,
        "identity",
        STUDENT_ENROLLMENT.name,
        &end_of_year::ENROLLMENT_COLUMNS,
    )?;
    let Some(enrollment) = enrollment else {
        return Ok(Vec::new());
    };
    let behavior = snapshot(
        root,
        "identity",
        BEHAVIOR.name,
        &end_of_year::BEHAVIOR_COLUMNS,
    )?;
    let students = snapshot(root, "identity", "students", &STUDENT_COLUMNS)?
        .map(|s| {
            s.lazy()
                .select([col(STUDENT_KEY).alias(STATE_STUDENT_ID), col(BIRTH_DATE)])
                .collect()
        })
        .transpose()?;
    let schools = snapshot(root, "ingest", SCHOOLS.name, &end_of_year::SCHOOL_COLUMNS)?;
    let charters = end_of_year::charter_school_ids(schools.as_ref())?;
    Ok(end_of_year::run(
        &enrollment,
        behavior.as_ref(),
        students.as_ref(),
        &charters,
        last_year,
    )?)
}

/// Writes the findings; returns the files written, relative to `root`, and
/// the counts.
pub fn write(root: &Path, findings: &[Finding]) -> Result<(Vec<String>, Summary)> {
    let dir = root.join("end_of_year");
    private_dir(&dir.join("by_sau"))?;
    let mut outputs = vec!["end_of_year/findings.csv".to_string()];
    write_bytes(&dir.join("findings.csv"), &csv_bytes(findings)?)?;
    let mut by_sau: BTreeMap<&str, Vec<Finding>> = BTreeMap::new();
    let mut summary = Summary::new();
    for f in findings {
        by_sau.entry(f.sau.as_str()).or_default().push(f.clone());
        *summary
            .entry(f.rule.to_string())
            .or_default()
            .entry(f.sau.clone())
            .or_default() += 1;
    }
    for (sau, list) in &by_sau {
        let name = if sau.is_empty() { "unknown" } else { sau };
        write_bytes(
            &dir.join("by_sau").join(format!("{name}.csv")),
            &csv_bytes(list)?,
        )?;
        outputs.push(format!("end_of_year/by_sau/{name}.csv"));
    }
    write_bytes(
        &dir.join("summary.json"),
        &serde_json::to_vec_pretty(&summary)?,
    )?;
    outputs.push("end_of_year/summary.json".to_string());
    Ok((outputs, summary))
}

fn csv_bytes(findings: &[Finding]) -> Result<Vec<u8>> {
    crate::output::csv_bytes(
        &HEADER,
        findings.iter().map(|f| {
            [
                f.rule.to_string(),
                f.file.clone(),
                f.row.to_string(),
                f.sau.clone(),
                f.year.to_string(),
            ]
        }),
    )
}
