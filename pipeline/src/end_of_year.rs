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
    let path = root
        .join("identity")
        .join(format!("{}.parquet", STUDENT_ENROLLMENT.name));
    if !path.is_file() {
        return Ok(Vec::new());
    }
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
    // Every rule reads all of a student's rows, wherever they are in the
    // snapshot: the rows are read once, a batch at a time, each as a few
    // numbers (about 56 bytes; every distinct text value held once).
    let mut rows = end_of_year::Enrollments::default();
    let batch = crate::snapshot::batch_rows();
    let wanted = &end_of_year::ENROLLMENT_COLUMNS;
    crate::snapshot::read_column_slices(&path, batch, wanted, |df| Ok(rows.add(&df)?))?;
    Ok(rows.findings(behavior.as_ref(), students.as_ref(), &charters, last_year)?)
}

/// Writes the findings; returns the files written, relative to `root`, and
/// the counts.
pub fn write(root: &Path, findings: &[Finding]) -> Result<(Vec<String>, Summary)> {
    // Built whole beside the earlier findings, then swapped with them: a
    // killed run never leaves this run's findings beside the earlier
    // run's summary and SAU files.
    let building = crate::output::Building::start(&root.join("end_of_year"))?;
    let dir = building.path().to_path_buf();
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
    building.finish()?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    /// Each of `n` students: 2016 then 2017 at school 1, the second with
    /// start status 14 (continuing_start_status) and homeless in its first
    /// 2017 enrollment only (homeless_not_kept): rules that read a
    /// student's other rows. One row with no StateStudentID.
    fn enrollments(n: usize) -> DataFrame {
        let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap();
        let day =
            |s: &str| (NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap() - epoch).num_days() as i32;
        let rows: Vec<(i32, &str, &str, &str, &str, &str)> = vec![
            (2016, "2015-08-31", "02", "2016-06-10", "", ""),
            (2017, "2016-08-30", "14", "2016-12-01", "2", "01"),
            (2017, "2016-12-02", "14", "2017-06-09", "", ""),
        ];
        let mut cols: [Vec<String>; 7] = Default::default();
        let (mut line, mut years, mut entry, mut exit) = (vec![], vec![], vec![], vec![]);
        let mut ids: Vec<Option<String>> = vec![];
        for s in 0..=n {
            for r in &rows {
                line.push(line.len() as i64 + 2);
                years.push(r.0);
                ids.push((s < n).then(|| format!("{}", 1_000_000 + s * 7919)));
                entry.push(day(r.1));
                exit.push(day(r.3));
                for (c, v) in cols.iter_mut().zip(["2544", "1", "P", "12", r.2, r.5, r.4]) {
                    c.push(v.to_string());
                }
            }
        }
        let date = |name: &str, v: Vec<i32>| {
            Series::new(name.into(), v)
                .cast(&DataType::Date)
                .unwrap()
                .into_column()
        };
        let [sau, school, kind, grade, start, exit_type, homeless] = cols;
        let mut df = df!(
            SOURCE_FILE => vec!["student_enrollment.csv"; line.len()],
            SOURCE_ROW => line,
            SCHOOL_YEAR => years,
            SAU_ORG_ID => sau,
            STATE_STUDENT_ID => ids,
            SCHOOL_ID => school,
            cutover_stages::columns::ENROLLMENT_TYPE_CODE => kind,
            GRADE_LEVEL_CODE => grade,
            START_STATUS => start,
            EXIT_TYPE_CODE => exit_type,
            HOMELESS_CODE => homeless,
            HOME_SCHOOLED => vec![false; (n + 1) * rows.len()],
        )
        .unwrap();
        df.with_column(date(SCHOOL_ENTRY_DATE, entry)).unwrap();
        df.with_column(date(EXIT_DATE, exit)).unwrap();
        df
    }

    #[test]
    fn findings_of_rows_added_a_batch_at_a_time_are_those_of_all() {
        let df = enrollments(40);
        let charters = Default::default();
        let whole = end_of_year::run(&df, None, None, &charters, 2017).unwrap();
        let count = |rule: &str| whole.iter().filter(|f| f.rule == rule).count();
        assert_eq!(count("continuing_start_status"), 40);
        assert_eq!(count("homeless_not_kept"), 40);
        // Batches of 1 to 7 rows: a student's three rows often in two.
        for size in 1..=7 {
            let mut rows = end_of_year::Enrollments::default();
            let mut offset = 0;
            while offset < df.height() {
                rows.add(&df.slice(offset as i64, size)).unwrap();
                offset += size;
            }
            let found = rows.findings(None, None, &charters, 2017).unwrap();
            assert_eq!(found, whole, "batches of {size}");
        }
    }
}
