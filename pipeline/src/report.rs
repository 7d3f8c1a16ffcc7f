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
    /// `[end_of_year] action = "hold"`: the rows were held from the uploads.
    #[serde(default)]
    pub end_of_year_held: bool,
    /// Rows each district can fix in ICSE, by SAU Org ID (`fixlists/`).
    pub fix_lists: BTreeMap<String, u64>,
    /// The NEO name of each SAU the report lists (fix lists, end-of-year
    /// findings), from the organization table.
    #[serde(default)]
    pub sau_names: BTreeMap<String, String>,
    /// The identity review queue: pending and decided pairs.
    pub review: crate::queue_state::ReviewState,
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

/// What a control total counts in each group: rows, or distinct values of
/// a column.
#[derive(Clone, Copy)]
enum Count {
    Rows,
    Distinct(&'static str),
}

fn group_counts(
    df: &DataFrame,
    key: &str,
    count: Count,
    filter: Option<Expr>,
) -> PolarsResult<BTreeMap<String, u64>> {
    let mut lf = df.clone().lazy();
    if let Some(f) = filter {
        lf = lf.filter(f);
    }
    let n = match count {
        Count::Rows => len(),
        Count::Distinct(c) => col(c).n_unique(),
    };
    let g = lf
        .group_by([col(key).fill_null(lit("(blank)")).alias("__g")])
        .agg([n.alias("__n")])
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
    count: Count,
    filter: Option<Expr>,
) -> PolarsResult<ControlTotal> {
    let before = group_counts(frames.read, key, count, filter.clone())?;
    let after = group_counts(survivors, key, count, filter)?;
    let groups = before
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

/// One grouped control total: entity, name, the legacy column grouped by,
/// what is counted, and whether only special-education rows count.
type Grouped = (&'static str, &'static str, &'static str, Count, bool);

/// The grouped control totals, in the report's order.
const GROUPED: &[Grouped] = {
    use cutover_stages::schema::{BEHAVIOR, CTE, GRADUATION, STUDENT_ENROLLMENT, TRUANCY};
    let (b, e) = (BEHAVIOR.name, STUDENT_ENROLLMENT.name);
    &[
        (
            b,
            "behavior incidents by school year (distinct IncidentID)",
            YEAR_CODE,
            Count::Distinct(INCIDENT_ID),
            false,
        ),
        (
            b,
            "behavior rows by event code",
            EVENT_CODE,
            Count::Rows,
            false,
        ),
        (
            TRUANCY.name,
            "truancy steps by level",
            TRUANCY_LEVEL,
            Count::Rows,
            false,
        ),
        (
            CTE.name,
            "CTE programs by CIP code",
            CIP_CODE,
            Count::Rows,
            false,
        ),
        (
            GRADUATION.name,
            "graduation cohorts (NGA cohort end year)",
            NGA_COHORT_END_YEAR,
            Count::Rows,
            false,
        ),
        (
            e,
            "enrollments by school year",
            YEAR_CODE,
            Count::Rows,
            false,
        ),
        (
            e,
            "enrollments by resident SAU (MEDMS id)",
            RESIDENT_SAU_ID,
            Count::Rows,
            false,
        ),
        (
            e,
            "enrollments by grade",
            GRADE_LEVEL_CODE,
            Count::Rows,
            false,
        ),
        (
            e,
            "special education by disability",
            EXCEPTIONALITY,
            Count::Rows,
            true,
        ),
        (
            e,
            "English proficiency",
            ENGLISH_PROFICIENCY,
            Count::Rows,
            false,
        ),
        (
            e,
            "economic status (school lunch)",
            SCHOOL_LUNCH_ELIG,
            Count::Rows,
            false,
        ),
    ]
};

/// Students: distinct StateStudentIDs read and surviving (before identity
/// resolution).
fn distinct_students(f: &Frames, survivors: &DataFrame) -> PolarsResult<ControlTotal> {
    let distinct = |df: &DataFrame| -> PolarsResult<u64> {
        Ok(df
            .column(STATE_STUDENT_ID)?
            .as_materialized_series()
            .drop_nulls()
            .n_unique()? as u64)
    };
    let (before, after) = (distinct(f.read)?, distinct(survivors)?);
    Ok(ControlTotal {
        name: "students (distinct StateStudentID)".into(),
        entity: f.entity.into(),
        column: STATE_STUDENT_ID.into(),
        groups: vec![Total {
            group: "all".into(),
            before,
            after,
            rejected: before.saturating_sub(after),
        }],
    })
}

/// Graduates and dropouts by exit code, the codes taken from the exit-code
/// table's flags.
fn exit_totals(
    f: &Frames,
    survivors: &DataFrame,
    tables: &Tables,
) -> PolarsResult<Vec<ControlTotal>> {
    let Some(exits) = tables.codes.get("exit_codes") else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
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
        let filter =
            col(EXIT_TYPE_CODE).is_in(lit(Series::new("c".into(), codes)).implode(false), false);
        out.push(control_total(
            name,
            f,
            survivors,
            EXIT_TYPE_CODE,
            Count::Rows,
            Some(filter),
        )?);
    }
    Ok(out)
}

/// The columns of an entity's read frame its control totals count (none
/// when it has no control total); its last stage's rows are read only for
/// their `source_row`.
pub fn read_columns(entity: &str) -> Vec<&'static str> {
    use cutover_stages::schema::{STUDENT_ENROLLMENT, STUDENT_PERSONAL};
    let mut counted = Vec::new();
    if entity == STUDENT_PERSONAL.name {
        counted.push(STATE_STUDENT_ID);
    }
    for &(e, _, column, count, special_ed) in GROUPED {
        if e == entity {
            counted.push(column);
            if let Count::Distinct(c) = count {
                counted.push(c);
            }
            if special_ed {
                counted.push(SPECIAL_ED_FLAG);
            }
        }
    }
    if entity == STUDENT_ENROLLMENT.name {
        counted.push(EXIT_TYPE_CODE);
    }
    if counted.is_empty() {
        return counted;
    }
    let mut out = vec![SOURCE_ROW];
    for c in counted {
        if !out.contains(&c) {
            out.push(c);
        }
    }
    out
}

/// Every control total the data allows.
pub fn control_totals(frames: &[Frames], tables: &Tables) -> PolarsResult<Vec<ControlTotal>> {
    let mut out = Vec::new();
    for f in frames {
        let survivors = survived(f)?;
        if f.entity == cutover_stages::schema::STUDENT_PERSONAL.name {
            out.push(distinct_students(f, &survivors)?);
        }
        for &(entity, name, column, count, special_ed) in GROUPED {
            if entity == f.entity {
                let filter = special_ed.then(|| yes(SPECIAL_ED_FLAG));
                out.push(control_total(name, f, &survivors, column, count, filter)?);
            }
        }
        if f.entity == cutover_stages::schema::STUDENT_ENROLLMENT.name {
            out.extend(exit_totals(f, &survivors, tables)?);
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
        let t =
            control_total("by year", &frames, &survivors, YEAR_CODE, Count::Rows, None).unwrap();
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
