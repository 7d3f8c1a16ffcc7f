//! The reconciliation report: `report.json` for machines and `report.html`
//! (one self-contained file: inline CSS and SVG, no script, no network) for
//! people. IDs and counts only: never a name, a birth date or an address.

use crate::ledger::{Coverage, Failure};
use crate::read::FileInfo;
use cutover_stages::columns::*;
use cutover_stages::crosswalk::Tables;
use cutover_stages::report::StageReport;
use polars::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// One group of a control total: rows read, rows that reached the last
/// stage, rows rejected on the way.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Total {
    pub group: String,
    pub before: u64,
    pub after: u64,
    pub rejected: u64,
}

/// A control total over one dimension.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ControlTotal {
    pub name: String,
    pub entity: String,
    /// The legacy column grouped by.
    pub column: String,
    pub groups: Vec<Total>,
}

/// `report.json`.
#[derive(Debug, Serialize)]
pub struct Report {
    pub run_id: String,
    pub tool_version: String,
    pub status: String,
    pub inputs: Vec<FileInfo>,
    pub ledger: Vec<LedgerRow>,
    pub quarantine_by_rule: BTreeMap<String, u64>,
    pub control_totals: Vec<ControlTotal>,
    pub coverage: Coverage,
    pub identity: crate::identity_stage::Summary,
    pub uploads: crate::publish::Summary,
    pub failures: Vec<Failure>,
    /// The launch notices' end-of-year rules: rule -> SAU Org ID -> rows.
    pub end_of_year: crate::end_of_year::Summary,
    /// Rows each district can fix in ICSE, by SAU Org ID (`fixlists/`).
    pub fix_lists: BTreeMap<String, u64>,
}

#[derive(Debug, Serialize)]
pub struct LedgerRow {
    #[serde(flatten)]
    pub report: StageReport,
    pub balanced: bool,
}

/// The frames a report is computed from, per entity: the read frame (legacy
/// text values) and the last stage's rows.
pub struct Frames<'a> {
    pub entity: &'a str,
    pub read: &'a DataFrame,
    pub last: &'a DataFrame,
}

fn survived(frames: &Frames) -> PolarsResult<DataFrame> {
    let rows = frames
        .last
        .column(SOURCE_ROW)?
        .as_materialized_series()
        .clone();
    frames
        .read
        .clone()
        .lazy()
        .filter(col(SOURCE_ROW).is_in(lit(rows).implode(false), false))
        .collect()
}

fn group_counts(
    df: &DataFrame,
    key: &str,
    filter: Option<Expr>,
) -> PolarsResult<BTreeMap<String, u64>> {
    let mut lf = df.clone().lazy();
    if let Some(f) = filter {
        lf = lf.filter(f);
    }
    let g = lf
        .group_by([col(key).fill_null(lit("(blank)")).alias("__g")])
        .agg([len().alias("__n")])
        .collect()?;
    let keys = g.column("__g")?.str()?.clone();
    let n = g
        .column("__n")?
        .as_materialized_series()
        .cast(&DataType::UInt64)?;
    let n = n.u64()?;
    Ok((0..g.height())
        .map(|i| (keys.get(i).unwrap_or("").to_string(), n.get(i).unwrap_or(0)))
        .collect())
}

fn control_total(
    name: &str,
    frames: &Frames,
    survivors: &DataFrame,
    key: &str,
    filter: Option<Expr>,
) -> PolarsResult<ControlTotal> {
    let before = group_counts(frames.read, key, filter.clone())?;
    let after = group_counts(survivors, key, filter)?;
    let groups = before
        .iter()
        .map(|(g, b)| {
            let a = after.get(g).copied().unwrap_or(0);
            Total {
                group: g.clone(),
                before: *b,
                after: a,
                rejected: b - a,
            }
        })
        .collect();
    Ok(ControlTotal {
        name: name.to_string(),
        entity: frames.entity.to_string(),
        column: key.to_string(),
        groups,
    })
}

fn yes(column: &str) -> Expr {
    col(column).str().to_uppercase().eq(lit("Y"))
}

/// Every control total the data allows.
pub fn control_totals(frames: &[Frames], tables: &Tables) -> PolarsResult<Vec<ControlTotal>> {
    let mut out = Vec::new();
    for f in frames {
        let survivors = survived(f)?;
        if f.entity == cutover_stages::schema::STUDENT_PERSONAL.name {
            // Students: distinct StateStudentIDs (before identity resolution).
            let distinct = |df: &DataFrame| -> PolarsResult<u64> {
                Ok(df
                    .column(STATE_STUDENT_ID)?
                    .as_materialized_series()
                    .drop_nulls()
                    .n_unique()? as u64)
            };
            let (b, a) = (distinct(f.read)?, distinct(&survivors)?);
            out.push(ControlTotal {
                name: "students (distinct StateStudentID)".into(),
                entity: f.entity.into(),
                column: STATE_STUDENT_ID.into(),
                groups: vec![Total {
                    group: "all".into(),
                    before: b,
                    after: a,
                    rejected: b.saturating_sub(a),
                }],
            });
        }
        if f.entity == cutover_stages::schema::BEHAVIOR.name {
            // Incidents: distinct IncidentIDs by school year.
            let incidents = |df: &DataFrame| -> PolarsResult<BTreeMap<String, u64>> {
                let g = df
                    .clone()
                    .lazy()
                    .group_by([col(YEAR_CODE).fill_null(lit("(blank)")).alias("__g")])
                    .agg([col(INCIDENT_ID).n_unique().alias("__n")])
                    .collect()?;
                let keys = g.column("__g")?.str()?.clone();
                let n = g
                    .column("__n")?
                    .as_materialized_series()
                    .cast(&DataType::UInt64)?;
                let n = n.u64()?;
                Ok((0..g.height())
                    .map(|i| (keys.get(i).unwrap_or("").to_string(), n.get(i).unwrap_or(0)))
                    .collect())
            };
            let (before, after) = (incidents(f.read)?, incidents(&survivors)?);
            out.push(ControlTotal {
                name: "behavior incidents by school year (distinct IncidentID)".into(),
                entity: f.entity.into(),
                column: YEAR_CODE.into(),
                groups: before
                    .iter()
                    .map(|(g, b)| {
                        let a = after.get(g).copied().unwrap_or(0);
                        Total {
                            group: g.clone(),
                            before: *b,
                            after: a,
                            rejected: b.saturating_sub(a),
                        }
                    })
                    .collect(),
            });
            out.push(control_total(
                "behavior rows by event code",
                f,
                &survivors,
                EVENT_CODE,
                None,
            )?);
        }
        if f.entity == cutover_stages::schema::TRUANCY.name {
            out.push(control_total(
                "truancy steps by level",
                f,
                &survivors,
                TRUANCY_LEVEL,
                None,
            )?);
        }
        if f.entity == cutover_stages::schema::CTE.name {
            out.push(control_total(
                "CTE programs by CIP code",
                f,
                &survivors,
                CIP_CODE,
                None,
            )?);
        }
        if f.entity == cutover_stages::schema::GRADUATION.name {
            out.push(control_total(
                "graduation cohorts (NGA cohort end year)",
                f,
                &survivors,
                NGA_COHORT_END_YEAR,
                None,
            )?);
        }
        if f.entity == cutover_stages::schema::STUDENT_ENROLLMENT.name {
            out.push(control_total(
                "enrollments by school year",
                f,
                &survivors,
                YEAR_CODE,
                None,
            )?);
            out.push(control_total(
                "enrollments by resident SAU (MEDMS id)",
                f,
                &survivors,
                RESIDENT_SAU_ID,
                None,
            )?);
            out.push(control_total(
                "enrollments by grade",
                f,
                &survivors,
                GRADE_LEVEL_CODE,
                None,
            )?);
            out.push(control_total(
                "special education by disability",
                f,
                &survivors,
                EXCEPTIONALITY,
                Some(yes(SPECIAL_ED_FLAG)),
            )?);
            out.push(control_total(
                "English proficiency",
                f,
                &survivors,
                ENGLISH_PROFICIENCY,
                None,
            )?);
            out.push(control_total(
                "economic status (school lunch)",
                f,
                &survivors,
                SCHOOL_LUNCH_ELIG,
                None,
            )?);
            if let Some(exits) = tables.codes.get("exit_codes") {
                for (flag, name) in [
                    ("graduate", "graduates by exit code"),
                    ("dropout", "dropouts by exit code"),
                ] {
                    let Some(i) = exits.flag_columns.iter().position(|c| c == flag) else {
                        continue;
                    };
                    let codes: Vec<String> = exits
                        .rows
                        .iter()
                        .filter(|r| r.flags[i])
                        .map(|r| r.legacy_code.clone())
                        .collect::<BTreeSet<_>>()
                        .into_iter()
                        .collect();
                    let filter = col(EXIT_TYPE_CODE)
                        .is_in(lit(Series::new("c".into(), codes)).implode(false), false);
                    out.push(control_total(
                        name,
                        f,
                        &survivors,
                        EXIT_TYPE_CODE,
                        Some(filter),
                    )?);
                }
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_totals_count_what_was_read_and_what_survived() {
        let read = df!(
            SOURCE_ROW => [2i64, 3, 4, 5],
            YEAR_CODE => ["2012", "2012", "2013", "2013"],
        )
        .unwrap();
        let last = df!(SOURCE_ROW => [2i64, 4, 5]).unwrap();
        let frames = Frames {
            entity: "student_enrollment",
            read: &read,
            last: &last,
        };
        let survivors = survived(&frames).unwrap();
        let t = control_total("by year", &frames, &survivors, YEAR_CODE, None).unwrap();
        assert_eq!(
            t.groups,
            vec![
                Total {
                    group: "2012".into(),
                    before: 2,
                    after: 1,
                    rejected: 1
                },
                Total {
                    group: "2013".into(),
                    before: 2,
                    after: 2,
                    rejected: 0
                },
            ]
        );
    }
}
