//! The reconciliation report: `report.json` for machines and `report.html`
//! (one self-contained file: inline CSS and SVG, no script, no network) for
//! people. IDs and counts only: never a name, a birth date or an address.

use crate::ledger::{Coverage, Failure};
use crate::read::FileInfo;
use crate::report_values::{Shape, Shown};
use cutover_stages::columns::*;
use cutover_stages::crosswalk::Tables;
use cutover_stages::report::StageReport;
use polars::prelude::*;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
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
    /// What an absent file means for the uploads ([`crate::run::absent_notes`]).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
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

/// What a control total counts in each group: rows, or distinct values of
/// a column.
#[derive(Clone, Copy)]
enum Count {
    Rows,
    Distinct(&'static str),
}

/// The group of rows with no value.
const BLANK: &str = "(blank)";
/// The group of the values not shown while counting; named with their
/// number at the end ([`Shape::masked_group`]). No value shown starts with
/// a parenthesis.
const MASKED: &str = "(masked)";

/// The group of a value of a column of `shape`: itself when shown, else
/// [`BLANK`] or [`MASKED`] (a value masked noted in `masked` when `note`).
fn group_of(
    shape: &Shape,
    masked: &mut BTreeSet<[u8; 32]>,
    value: Option<&str>,
    note: bool,
) -> String {
    match value {
        None => BLANK.to_string(),
        Some(v) if shape.shows(v) => v.to_string(),
        Some(v) => {
            if note {
                masked.insert(Sha256::digest(v.as_bytes()).into());
            }
            MASKED.to_string()
        }
    }
}

/// Rows (or distinct values of a column) per value of `key` (none: null).
fn group_counts(
    df: &DataFrame,
    key: Expr,
    count: Count,
    filter: Option<Expr>,
) -> PolarsResult<Vec<(Option<String>, u64)>> {
    let mut lf = df.clone().lazy();
    if let Some(f) = filter {
        lf = lf.filter(f);
    }
    let n = match count {
        Count::Rows => len(),
        Count::Distinct(c) => col(c).n_unique(),
    };
    let g = lf
        .group_by([key.alias("__g")])
        .agg([n.alias("__n")])
        .collect()?;
    let keys = g.column("__g")?.str()?.clone();
    let n = g
        .column("__n")?
        .as_materialized_series()
        .cast(&DataType::UInt64)?;
    let n = n.u64()?;
    Ok((0..g.height())
        .map(|i| (keys.get(i).map(str::to_string), n.get(i).unwrap_or(0)))
        .collect())
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

/// The exit-code control totals: graduates and dropouts by exit code, the
/// codes taken from the exit-code table's flags.
fn exit_counters(tables: &Tables, shown: &Shown) -> Vec<Counter> {
    use cutover_stages::schema::STUDENT_ENROLLMENT;
    let Some(exits) = tables.codes.get("exit_codes") else {
        return Vec::new();
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
        out.push(Counter::new(
            name,
            (
                EXIT_TYPE_CODE,
                shown.shape(STUDENT_ENROLLMENT.name, EXIT_TYPE_CODE),
            ),
            What::Grouped(Count::Rows),
            Some(filter),
        ));
    }
    out
}

/// What a counter counts: distinct StateStudentIDs (one group, `all`), or
/// a count per group of a column.
#[derive(Clone, Copy)]
enum What {
    Students,
    Grouped(Count),
}

/// What one side (read, or surviving) of a counter has counted so far:
/// rows per group, or the distinct values (pairs of group and value, or
/// StateStudentIDs) of each batch, made distinct over all at the end.
enum Part {
    Rows(BTreeMap<String, u64>),
    Values(Vec<DataFrame>),
}

impl Part {
    fn new(what: What) -> Part {
        match what {
            What::Grouped(Count::Rows) => Part::Rows(BTreeMap::new()),
            _ => Part::Values(Vec::new()),
        }
    }

    /// The distinct rows of every batch's values, or none without a batch.
    fn distinct(values: Vec<DataFrame>) -> PolarsResult<Option<DataFrame>> {
        if values.is_empty() {
            return Ok(None);
        }
        let lazies: Vec<LazyFrame> = values.into_iter().map(|d| d.lazy()).collect();
        Ok(Some(
            concat(lazies, UnionArgs::default())?
                .unique(None, UniqueKeepStrategy::Any)
                .collect()?,
        ))
    }
}

/// One control total counted a batch of rows at a time.
struct Counter {
    name: String,
    column: &'static str,
    /// What of the column's values may be shown as a group.
    shape: Shape,
    what: What,
    filter: Option<Expr>,
    before: Part,
    after: Part,
    /// The distinct values read not shown (their SHA-256).
    masked: BTreeSet<[u8; 32]>,
}

impl Counter {
    fn new(
        name: &str,
        (column, shape): (&'static str, Shape),
        what: What,
        filter: Option<Expr>,
    ) -> Counter {
        Counter {
            name: name.to_string(),
            column,
            shape,
            what,
            filter,
            before: Part::new(what),
            after: Part::new(what),
            masked: BTreeSet::new(),
        }
    }

    /// Counts a batch of read rows and those of them that survived: each
    /// value as its group ([`group_of`]), the values masked of the rows
    /// read noted.
    fn add(&mut self, read: &DataFrame, survivors: &DataFrame) -> PolarsResult<()> {
        let (what, column, filter) = (self.what, self.column, &self.filter);
        let value = col(column).cast(DataType::String);
        for (part, df, note) in [
            (&mut self.before, read, true),
            (&mut self.after, survivors, false),
        ] {
            match part {
                Part::Rows(counts) => {
                    for (v, n) in group_counts(df, value.clone(), Count::Rows, filter.clone())? {
                        let g = group_of(&self.shape, &mut self.masked, v.as_deref(), note);
                        *counts.entry(g).or_default() += n;
                    }
                }
                Part::Values(values) => {
                    let mut lf = df.clone().lazy();
                    if let Some(f) = filter {
                        lf = lf.filter(f.clone());
                    }
                    let mut picked = match what {
                        What::Students => lf
                            .select([col(STATE_STUDENT_ID)])
                            .filter(col(STATE_STUDENT_ID).is_not_null()),
                        What::Grouped(Count::Distinct(c)) => {
                            lf.select([value.clone().alias(column), col(c)])
                        }
                        What::Grouped(Count::Rows) => unreachable!("rows are counted"),
                    }
                    .unique(None, UniqueKeepStrategy::Any)
                    .collect()?;
                    if let What::Grouped(_) = what {
                        let groups: Vec<String> = picked
                            .column(column)?
                            .str()?
                            .iter()
                            .map(|v| group_of(&self.shape, &mut self.masked, v, note))
                            .collect();
                        picked.with_column(Column::new(column.into(), groups))?;
                    }
                    values.push(picked);
                }
            }
        }
        Ok(())
    }

    fn finish(self, entity: &str) -> PolarsResult<ControlTotal> {
        let groups = match self.what {
            What::Students => {
                let distinct = |part: Part| -> PolarsResult<u64> {
                    let Part::Values(v) = part else {
                        unreachable!("students are values")
                    };
                    Ok(Part::distinct(v)?.map_or(0, |d| d.height() as u64))
                };
                let (before, after) = (distinct(self.before)?, distinct(self.after)?);
                vec![Total {
                    group: "all".into(),
                    before,
                    after,
                    rejected: before.saturating_sub(after),
                }]
            }
            What::Grouped(count) => {
                let masked = self.shape.masked_group(self.masked.len() as u64);
                let counts = |part: Part| -> PolarsResult<BTreeMap<String, u64>> {
                    let mut m = match part {
                        Part::Rows(m) => m,
                        Part::Values(v) => match Part::distinct(v)? {
                            Some(d) => group_counts(&d, col(self.column), count, None)?
                                .into_iter()
                                .map(|(g, n)| (g.unwrap_or_default(), n))
                                .collect(),
                            None => BTreeMap::new(),
                        },
                    };
                    if let Some(n) = m.remove(MASKED) {
                        m.insert(masked.clone(), n);
                    }
                    Ok(m)
                };
                let (before, after) = (counts(self.before)?, counts(self.after)?);
                before
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
                    .collect()
            }
        };
        Ok(ControlTotal {
            name: self.name,
            entity: entity.to_string(),
            column: self.column.to_string(),
            groups,
        })
    }
}

/// One entity's control totals counted a batch of its read rows at a time
/// (its rows in batches, in any order; those that reached the entity's last
/// stage told by their `source_row`): the same totals as
/// the whole frames, holding one batch at a time.
pub struct Tally {
    entity: String,
    counters: Vec<Counter>,
    /// The `source_row`s that reached the last stage, sorted.
    last: Vec<i64>,
}

impl Tally {
    /// `last`: the last stage's rows (only `source_row` is read).
    pub fn new(
        entity: &str,
        last: &DataFrame,
        tables: &Tables,
        shown: &Shown,
    ) -> PolarsResult<Tally> {
        let rows = last
            .column(SOURCE_ROW)?
            .as_materialized_series()
            .cast(&DataType::Int64)?;
        let mut last: Vec<i64> = rows.i64()?.into_no_null_iter().collect();
        last.sort_unstable();
        let mut counters = Vec::new();
        if entity == cutover_stages::schema::STUDENT_PERSONAL.name {
            let name = "students (distinct StateStudentID)";
            let id = (STATE_STUDENT_ID, Shape::StateId);
            counters.push(Counter::new(name, id, What::Students, None));
        }
        for &(e, name, column, count, special_ed) in GROUPED {
            if e == entity {
                let filter = special_ed.then(|| yes(SPECIAL_ED_FLAG));
                let grouped = (column, shown.shape(entity, column));
                counters.push(Counter::new(name, grouped, What::Grouped(count), filter));
            }
        }
        if entity == cutover_stages::schema::STUDENT_ENROLLMENT.name {
            counters.extend(exit_counters(tables, shown));
        }
        Ok(Tally {
            entity: entity.to_string(),
            counters,
            last,
        })
    }

    /// Counts a batch of the read rows ([`read_columns`]).
    pub fn add(&mut self, read: &DataFrame) -> PolarsResult<()> {
        let survivors = self.survivors(read)?;
        for c in &mut self.counters {
            c.add(read, &survivors)?;
        }
        Ok(())
    }

    /// The rows of `read` that reached the last stage.
    fn survivors(&self, read: &DataFrame) -> PolarsResult<DataFrame> {
        let rows = read
            .column(SOURCE_ROW)?
            .as_materialized_series()
            .cast(&DataType::Int64)?;
        let rows = rows.i64()?;
        let (Some(lo), Some(hi)) = (rows.min(), rows.max()) else {
            return Ok(read.head(Some(0)));
        };
        let from = self.last.partition_point(|r| *r < lo);
        let to = self.last.partition_point(|r| *r <= hi);
        let reached = Series::new(SOURCE_ROW.into(), &self.last[from..to]);
        read.clone()
            .lazy()
            .filter(
                col(SOURCE_ROW)
                    .cast(DataType::Int64)
                    .is_in(lit(reached).implode(false), false),
            )
            .collect()
    }

    pub fn finish(self) -> PolarsResult<Vec<ControlTotal>> {
        let entity = self.entity;
        self.counters
            .into_iter()
            .map(|c| c.finish(&entity))
            .collect()
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A tally of `counters` whose rows `last` reached the last stage.
    fn tally(counters: Vec<Counter>, last: &[i64]) -> Tally {
        let last = df!(SOURCE_ROW => last).unwrap();
        let shown = Shown::new(&Default::default(), &Tables::default());
        let mut t = Tally::new("test", &last, &Tables::default(), &shown).unwrap();
        t.counters = counters;
        t
    }

    #[test]
    fn control_totals_count_what_was_read_and_what_survived() {
        let read = df!(
            SOURCE_ROW => [2i64, 3, 4, 5],
            YEAR_CODE => ["2012", "2012", "2013", "2013"],
        )
        .unwrap();
        let year = (YEAR_CODE, Shape::Year);
        let by_year = Counter::new("by year", year, What::Grouped(Count::Rows), None);
        let mut t = tally(vec![by_year], &[2, 4, 5]);
        t.add(&read).unwrap();
        let totals = t.finish().unwrap();
        assert_eq!(
            totals[0].groups,
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

    #[test]
    fn control_totals_counted_in_batches_are_those_of_the_whole_frame() {
        // Incident 7 has rows in both batches, one of them rejected; a
        // student appears in both batches; a blank year and student.
        let read = df!(
            SOURCE_ROW => [2i64, 3, 4, 5, 6, 7, 8],
            YEAR_CODE => [Some("2012"), Some("2012"), Some("2013"), None, Some("2012"), Some("2013"), Some("2013")],
            INCIDENT_ID => ["7", "8", "9", "9", "7", "7", "10"],
            STATE_STUDENT_ID => [Some("a"), Some("b"), None, Some("a"), Some("c"), Some("b"), Some("a")],
        )
        .unwrap();
        let counters = || {
            vec![
                Counter::new(
                    "students",
                    (STATE_STUDENT_ID, Shape::StateId),
                    What::Students,
                    None,
                ),
                Counter::new(
                    "incidents",
                    (YEAR_CODE, Shape::Year),
                    What::Grouped(Count::Distinct(INCIDENT_ID)),
                    None,
                ),
                Counter::new(
                    "rows",
                    (YEAR_CODE, Shape::Year),
                    What::Grouped(Count::Rows),
                    None,
                ),
            ]
        };
        let reached = [2i64, 4, 5, 7, 8];
        let mut whole = tally(counters(), &reached);
        whole.add(&read).unwrap();
        let mut batched = tally(counters(), &reached);
        // Out of order, and a batch that reached nothing (row 3).
        for (from, rows) in [(4, 3), (1, 1), (0, 1), (2, 2)] {
            batched.add(&read.slice(from, rows)).unwrap();
        }
        let (whole, batched) = (whole.finish().unwrap(), batched.finish().unwrap());
        let groups = |t: &[ControlTotal]| t.iter().map(|c| c.groups.clone()).collect::<Vec<_>>();
        assert_eq!(groups(&whole), groups(&batched));
        let total = |group: &str, before: u64, after: u64| Total {
            group: group.into(),
            before,
            after,
            rejected: before - after,
        };
        assert_eq!(whole[0].groups, vec![total("all", 3, 2)]);
        assert_eq!(
            whole[1].groups,
            vec![
                total("(blank)", 1, 1),
                total("2012", 2, 1),
                total("2013", 3, 3)
            ]
        );
        assert_eq!(
            whole[2].groups,
            vec![
                total("(blank)", 1, 1),
                total("2012", 3, 1),
                total("2013", 3, 3)
            ]
        );
    }

    #[test]
    fn values_not_shown_are_counted_in_one_group_and_the_totals_still_add_up() {
        // A surname, a birth date and a long note in the year column, in
        // two batches (the note twice): one group of three values; a year
        // outside the run's is a year, shown.
        let note = "a note ".repeat(10_000);
        let read = df!(
            SOURCE_ROW => [2i64, 3, 4, 5, 6, 7, 8],
            YEAR_CODE => [Some("2012"), Some("Pelkey"), Some("2009-04-17"), Some(note.as_str()), None, Some(note.as_str()), Some("1999")],
            INCIDENT_ID => ["7", "8", "9", "9", "10", "11", "12"],
        )
        .unwrap();
        let counters = || {
            vec![
                Counter::new(
                    "rows",
                    (YEAR_CODE, Shape::Year),
                    What::Grouped(Count::Rows),
                    None,
                ),
                Counter::new(
                    "incidents",
                    (YEAR_CODE, Shape::Year),
                    What::Grouped(Count::Distinct(INCIDENT_ID)),
                    None,
                ),
            ]
        };
        let mut t = tally(counters(), &[2, 6, 8]);
        t.add(&read.slice(0, 4)).unwrap();
        t.add(&read.slice(4, 3)).unwrap();
        let totals = t.finish().unwrap();
        let total = |group: &str, before: u64, after: u64| Total {
            group: group.into(),
            before,
            after,
            rejected: before - after,
        };
        assert_eq!(
            totals[0].groups,
            vec![
                total("(blank)", 1, 1),
                total("(not a year: 3 values)", 4, 0),
                total("1999", 1, 1),
                total("2012", 1, 1),
            ]
        );
        // Incidents 9 (two rows, one note) counted once in the group.
        assert_eq!(
            totals[1].groups,
            vec![
                total("(blank)", 1, 1),
                total("(not a year: 3 values)", 3, 0),
                total("1999", 1, 1),
                total("2012", 1, 1),
            ]
        );
        let rows: u64 = totals[0].groups.iter().map(|g| g.before).sum();
        assert_eq!(rows, read.height() as u64);
    }
}
