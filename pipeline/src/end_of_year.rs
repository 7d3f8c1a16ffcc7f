//! Writes the end-of-year findings ([`cutover_stages::end_of_year`]): the
//! rules of the launch notices, checked on the crosswalked frames and
//! listed by SAU so the Department can send each district its list. They
//! are reported, never held: no row is removed from the uploads for them.
//!
//! Outputs (under the output root): `end_of_year/findings.csv` (`rule,
//! source_file, source_row, SAUOrgID, school_year`, sorted by SAU, file and
//! row), `end_of_year/by_sau/<SAUOrgID>.csv` (the same columns, one file per
//! SAU with findings) and `end_of_year/summary.json` (rule -> SAU -> count).

use crate::output::{private_dir, write_bytes};
use anyhow::Result;
use cutover_stages::columns::*;
use cutover_stages::crosswalk::SAU_ORG_ID;
use cutover_stages::end_of_year::{self, Finding, RULE};
use cutover_stages::schema::{BEHAVIOR, STUDENT_ENROLLMENT, STUDENT_PERSONAL};
use polars::prelude::DataFrame;
use std::collections::BTreeMap;
use std::path::Path;

const HEADER: [&str; 5] = [RULE, SOURCE_FILE, SOURCE_ROW, SAU_ORG_ID, SCHOOL_YEAR];

/// What the report shows: rule -> SAU Org ID -> findings.
pub type Summary = BTreeMap<String, BTreeMap<String, u64>>;

/// Checks the rules on the crosswalked frames and writes the findings;
/// returns the files written, relative to `root`, and the counts.
pub fn write(
    root: &Path,
    last_year: i32,
    crosswalked: &[(&str, &DataFrame)],
    schools: Option<&DataFrame>,
) -> Result<(Vec<String>, Summary)> {
    let frame = |name: &str| crosswalked.iter().find(|c| c.0 == name).map(|c| c.1);
    let dir = root.join("end_of_year");
    let Some(enrollment) = frame(STUDENT_ENROLLMENT.name) else {
        return Ok((Vec::new(), Summary::new()));
    };
    let charters = end_of_year::charter_school_ids(schools)?;
    let findings = end_of_year::run(
        enrollment,
        frame(BEHAVIOR.name),
        frame(STUDENT_PERSONAL.name),
        &charters,
        last_year,
    )?;
    private_dir(&dir.join("by_sau"))?;
    let mut outputs = vec!["end_of_year/findings.csv".to_string()];
    write_bytes(&dir.join("findings.csv"), &csv_bytes(&findings)?)?;
    let mut by_sau: BTreeMap<&str, Vec<Finding>> = BTreeMap::new();
    let mut summary = Summary::new();
    for f in &findings {
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
