//! # Crosswalk: legacy codes to the new code sets, for each row's school year
//!
//! **Input**: ingest's typed `student_personal` and `student_enrollment`
//! frames (with `school_year`), and the crosswalk tables ([`Tables`]).
//!
//! **Output**: the same rows with the new columns added:
//! - enrollment: `id_scheme` (`medms`), `SchoolOrgID`, `SAUOrgID` (the
//!   school's SAU), `ResidentSAUOrgID`, and per coded column its new code
//!   (`GradeLevel`, `EntryCode`, `ExitCode`, `EconomicStatus`,
//!   `FiscalResponsibilityCode`, `ELStatus`, `SpedSettingCode`,
//!   `PrimaryDisability` + `PrimaryDisabilityLabel`, `SpedExitReasonCode`)
//!   and the flags its table declares (`EntryCode_transfer_in`,
//!   `ExitCode_transfer_out`, `ExitCode_dropout`, `ExitCode_graduate`);
//! - personal: `Hispanic`, `AmericanIndianAlaskaNative`, `Asian`,
//!   `BlackAfricanAmerican`, `NativeHawaiianPacificIslander`, `White`,
//!   `RaceQuality` (reported, derived_lossless, derived_assumed,
//!   derived_unknown_race) and `FederalRaceCategory`.
//!
//! **Rejects**: `unmapped_code`: a value with no mapping row for its school
//! year (never passed through, never dropped uncounted).
//!
//! **Checks**: the seven federal race categories counted before and after
//! bridging must agree in total, by school year and by SAU.
//!
//! **Config keys**: `school_years` (the years the tables are expanded over).

use crate::columns::*;
use crate::quarantine::{flag_exprs, split, Check};
use crate::report::StageReport;
use polars::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The stage name in reports and snapshot folders.
pub const STAGE: &str = "crosswalk";

pub const ID_SCHEME: &str = "id_scheme";
pub const SCHOOL_ORG_ID: &str = "SchoolOrgID";
pub const SAU_ORG_ID: &str = "SAUOrgID";
pub const RESIDENT_SAU_ORG_ID: &str = "ResidentSAUOrgID";
pub const HISPANIC: &str = "Hispanic";
pub const RACE_QUALITY: &str = "RaceQuality";
pub const FEDERAL_RACE_CATEGORY: &str = "FederalRaceCategory";
/// The bridged race flags, in the order of [`RACE_FLAGS`].
pub const NEW_RACE_FLAGS: [&str; 5] = [
    "AmericanIndianAlaskaNative",
    "Asian",
    "BlackAfricanAmerican",
    "NativeHawaiianPacificIslander",
    "White",
];
/// Federal category names for one race alone, in the order of [`RACE_FLAGS`].
pub const CATEGORIES: [&str; 5] = [
    "AmericanIndianAlaskaNative",
    "Asian",
    "Black",
    "NativeHawaiianPacificIslander",
    "White",
];

/// One mapping row of a code table.
#[derive(Clone, Debug, PartialEq)]
pub struct MapRow {
    pub legacy_code: String,
    pub new_code: String,
    pub new_label: String,
    pub first_year: i32,
    pub last_year: i32,
    pub loss_class: String,
    /// The table's extra Y/N columns, in table order.
    pub flags: Vec<bool>,
}

/// One code table.
#[derive(Clone, Debug, PartialEq)]
pub struct CodeMap {
    pub domain: String,
    pub flag_columns: Vec<String>,
    pub rows: Vec<MapRow>,
}

/// One row of the organization table.
#[derive(Clone, Debug, PartialEq)]
pub struct OrgMapRow {
    pub scheme: String,
    pub legacy_id: String,
    pub kind: String,
    pub first_year: i32,
    pub last_year: i32,
    pub neo_org_id: String,
    pub neo_parent_org_id: Option<String>,
    /// The organization's NEO name (pre-flight quotes it, as Synergy does).
    pub neo_name: String,
    pub change: String,
}

/// One row of the race table: the legacy single field bridged.
#[derive(Clone, Debug, PartialEq)]
pub struct RaceRow {
    pub legacy_code: String,
    pub federal_category: String,
    pub hispanic: bool,
    /// American Indian, Asian, Black, Pacific Islander, White.
    pub races: [bool; 5],
    pub quality: String,
    pub first_year: i32,
    pub last_year: i32,
    pub loss_class: String,
}

/// Every crosswalk table the stage uses.
#[derive(Clone, Debug, Default)]
pub struct Tables {
    pub codes: BTreeMap<String, CodeMap>,
    pub orgs: Vec<OrgMapRow>,
    pub race: Vec<RaceRow>,
}

impl Tables {
    /// NEO Org ID -> NEO name: the first non-empty name the organization
    /// table gives an ID (publish quotes it, the report shows it beside
    /// the ID).
    pub fn org_names(&self) -> BTreeMap<&str, &str> {
        let mut names: BTreeMap<&str, &str> = BTreeMap::new();
        for o in &self.orgs {
            if !o.neo_name.is_empty() {
                names
                    .entry(o.neo_org_id.as_str())
                    .or_insert(o.neo_name.as_str());
            }
        }
        names
    }
}

/// A coded enrollment column and where its new code goes.
pub struct Binding {
    pub column: &'static str,
    pub domain: &'static str,
    pub output: &'static str,
    pub label_output: Option<&'static str>,
}

/// The enrollment columns mapped through code tables.
pub const ENROLLMENT_BINDINGS: [Binding; 9] = [
    Binding {
        column: GRADE_LEVEL_CODE,
        domain: "grade_levels",
        output: "GradeLevel",
        label_output: None,
    },
    Binding {
        column: START_STATUS,
        domain: "entry_codes",
        output: "EntryCode",
        label_output: None,
    },
    Binding {
        column: EXIT_TYPE_CODE,
        domain: "exit_codes",
        output: "ExitCode",
        label_output: None,
    },
    Binding {
        column: SCHOOL_LUNCH_ELIG,
        domain: "economic_status",
        output: "EconomicStatus",
        label_output: None,
    },
    Binding {
        column: FISCAL_RESPONSIBILITY,
        domain: "fiscal_responsibility",
        output: "FiscalResponsibilityCode",
        label_output: None,
    },
    Binding {
        column: ENGLISH_PROFICIENCY,
        domain: "english_proficiency",
        output: "ELStatus",
        label_output: None,
    },
    Binding {
        column: SPED_SETTING,
        domain: "sped_setting",
        output: "SpedSettingCode",
        label_output: None,
    },
    Binding {
        column: EXCEPTIONALITY,
        domain: "exceptionality",
        output: "PrimaryDisability",
        label_output: Some("PrimaryDisabilityLabel"),
    },
    Binding {
        column: SPED_EXIT_REASON,
        domain: "sped_exit_reason",
        output: "SpedExitReasonCode",
        label_output: None,
    },
];

const fn bind(column: &'static str, domain: &'static str, output: &'static str) -> Binding {
    Binding {
        column,
        domain,
        output,
        label_output: None,
    }
}

/// The behavior columns mapped through code tables (`Resolution_removal`
/// marks the removals that make an incident reportable).
pub const BEHAVIOR_BINDINGS: [Binding; 3] = [
    bind(EVENT_CODE, "behavior_events", "BehaviorEvent"),
    bind(WEAPON_CODE, "weapons", "WeaponType"),
    bind(RESOLUTION_CODE, "resolutions", "Resolution"),
];

/// The truancy column mapped through its code table.
pub const TRUANCY_BINDINGS: [Binding; 1] = [bind(TRUANCY_LEVEL, "truancy_steps", "TruancyStep")];

/// The CTE columns mapped through code tables.
pub const CTE_BINDINGS: [Binding; 2] = [
    bind(CIP_CODE, "cip_codes", "CTECode"),
    bind(CTE_EXIT_STATUS, "cte_exit_status", "CTEExitStatusCode"),
];

/// The code bindings of an entity the stage maps (besides personal rows).
pub fn bindings_of(entity: &str) -> Option<&'static [Binding]> {
    match entity {
        "student_enrollment" => Some(&ENROLLMENT_BINDINGS),
        "behavior" => Some(&BEHAVIOR_BINDINGS),
        "truancy" => Some(&TRUANCY_BINDINGS),
        "cte" => Some(&CTE_BINDINGS),
        _ => None,
    }
}

/// Settings of the stage.
#[derive(Clone, Debug)]
pub struct CrosswalkConfig {
    pub first_year: i32,
    pub last_year: i32,
}

/// One distinct legacy value seen, with what it became.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Seen {
    pub value: String,
    pub count: u64,
    /// The new code, or `None` when unmapped.
    pub target: Option<String>,
    pub loss_class: Option<String>,
}

/// Every value seen in one column.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct ColumnCoverage {
    pub entity: String,
    pub column: String,
    pub domain: String,
    pub values: Vec<Seen>,
    pub unmapped_rows: u64,
}

/// One count of the seven-category table.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct CategoryCount {
    /// `total`, a school year, or an SAU Org ID.
    pub group: String,
    pub category: String,
    pub before: u64,
    pub after: u64,
}

/// The federal race categories before and after bridging.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct RaceCheck {
    pub total: Vec<CategoryCount>,
    pub by_year: Vec<CategoryCount>,
    pub by_sau: Vec<CategoryCount>,
    pub agree: bool,
}

/// The stage's output.
pub struct Crosswalked {
    pub personal: Option<(DataFrame, DataFrame, StageReport)>,
    pub enrollment: Option<(DataFrame, DataFrame, StageReport)>,
    /// Behavior, truancy and CTE rows: (entity, rows, quarantine, report).
    pub others: Vec<(&'static str, DataFrame, DataFrame, StageReport)>,
    pub coverage: Vec<ColumnCoverage>,
    pub race: RaceCheck,
}

/// Maps every coded column of personal and enrollment rows.
pub fn run(
    personal: Option<DataFrame>,
    enrollment: Option<DataFrame>,
    others: Vec<(&'static str, DataFrame)>,
    tables: &Tables,
    config: &CrosswalkConfig,
) -> PolarsResult<Crosswalked> {
    let frames = personal
        .iter()
        .chain(enrollment.iter())
        .chain(others.iter().map(|(_, d)| d));
    let config = &widened(config, frames)?;
    let mut coverage = Vec::new();
    let enrollment = match enrollment {
        Some(df) => Some(coded(
            df.lazy(),
            crate::schema::STUDENT_ENROLLMENT.name,
            tables,
            config,
            &mut coverage,
        )?),
        None => None,
    };
    let mut other_out = Vec::new();
    for (entity, df) in others {
        if bindings_of(entity).is_none() {
            continue;
        }
        let (rows, quarantine, report) = coded(df.lazy(), entity, tables, config, &mut coverage)?;
        other_out.push((entity, rows, quarantine, report));
    }
    let race_columns = enrollment
        .as_ref()
        .map(|e| race_evidence(&e.0))
        .transpose()?;
    let (personal, race) = personal_or_none(
        personal,
        race_columns.as_ref(),
        tables,
        config,
        &mut coverage,
    )?;
    Ok(Crosswalked {
        personal,
        enrollment,
        others: other_out,
        coverage,
        race,
    })
}

/// One entity's crosswalked rows, its quarantine and its report.
pub type Mapped = (DataFrame, DataFrame, StageReport);

/// The personal rows with race bridged (`personal_stage`), or no rows and nothing
/// to check.
pub fn personal_or_none(
    personal: Option<DataFrame>,
    enrollment: Option<&DataFrame>,
    tables: &Tables,
    config: &CrosswalkConfig,
    coverage: &mut Vec<ColumnCoverage>,
) -> PolarsResult<(Option<Mapped>, RaceCheck)> {
    Ok(match personal {
        Some(df) => {
            let (out, race) = personal_stage(df, enrollment, tables, config, coverage)?;
            (Some(out), race)
        }
        None => (
            None,
            RaceCheck {
                agree: true,
                ..Default::default()
            },
        ),
    })
}

/// The race check's evidence rows it counts: those with a StateStudentID
/// and an SAU.
pub fn counted_evidence() -> Expr {
    col(STATE_STUDENT_ID)
        .is_not_null()
        .and(col(SAU_ORG_ID).is_not_null())
}

/// The columns of crosswalked enrollment rows the race check reads (each
/// student's SAU: that of their latest enrollment).
pub const RACE_EVIDENCE: [&str; 5] = [
    STATE_STUDENT_ID,
    SAU_ORG_ID,
    SCHOOL_YEAR,
    SCHOOL_ENTRY_DATE,
    SOURCE_ROW,
];

/// [`RACE_EVIDENCE`] of crosswalked enrollment rows (those they have).
pub fn race_evidence(enrollment: &DataFrame) -> PolarsResult<DataFrame> {
    let present: Vec<&str> = RACE_EVIDENCE
        .into_iter()
        .filter(|c| enrollment.column(c).is_ok())
        .collect();
    enrollment.select(present)
}

/// Maps one entity with bindings (enrollment, behavior, truancy, CTE):
/// its school (and, for enrollments, resident SAU) and every bound code
/// column; its coverage appended to `coverage`. `config` is the run's
/// school years as [`widened_by`] widened them. All the rows at once: see
/// [`Coder`] for them a batch at a time.
pub fn coded(
    rows: LazyFrame,
    entity: &str,
    tables: &Tables,
    config: &CrosswalkConfig,
    coverage: &mut Vec<ColumnCoverage>,
) -> PolarsResult<Mapped> {
    let mut coder = Coder::new(entity, tables, config)?;
    let (rows, quarantine) = coder.batch(rows)?;
    let (columns, report) = coder.finish()?;
    coverage.extend(columns);
    Ok((rows, quarantine, report))
}

/// How far outside the configured school years a row's own year may lie and
/// still be looked up in an open-ended table row (a typo'd year beyond this is
/// `unmapped_code`, not a table expanded over centuries).
const YEAR_MARGIN: i32 = 50;

/// `config`'s school years widened to every school year the rows carry (within
/// [`YEAR_MARGIN`]): an identity effective before the first configured school
/// year still maps through a table row open at its start.
fn widened<'a>(
    config: &CrosswalkConfig,
    frames: impl Iterator<Item = &'a DataFrame>,
) -> PolarsResult<CrosswalkConfig> {
    let mut ranges = Vec::new();
    for df in frames {
        let Ok(year) = df.column(SCHOOL_YEAR) else {
            continue;
        };
        let year = year.as_materialized_series().cast(&DataType::Int32)?;
        let year = year.i32()?;
        ranges.push((year.min(), year.max()));
    }
    Ok(widened_by(config, ranges))
}

/// `config`'s school years widened to each entity's (least, greatest)
/// school year, each within [`YEAR_MARGIN`] (see [`widened`]).
pub fn widened_by(
    config: &CrosswalkConfig,
    ranges: impl IntoIterator<Item = (Option<i32>, Option<i32>)>,
) -> CrosswalkConfig {
    let mut out = config.clone();
    for (min, max) in ranges {
        if let Some(min) = min {
            out.first_year = out.first_year.min(min.max(config.first_year - YEAR_MARGIN));
        }
        if let Some(max) = max {
            out.last_year = out.last_year.max(max.min(config.last_year + YEAR_MARGIN));
        }
    }
    out
}

/// The school years a table row is expanded over: its own range, an open end
/// clipped to the years of the run (see [`widened`]).
fn years(first: i32, last: i32, config: &CrosswalkConfig) -> std::ops::RangeInclusive<i32> {
    first.max(config.first_year)..=last.min(config.last_year)
}

const KEY: &str = "__key";
const YEAR: &str = "__year";

fn loss_name(output: &str) -> String {
    format!("__loss_{output}")
}

/// A lookup frame keyed by (code, school year).
fn code_lookup(
    map: &CodeMap,
    binding: &Binding,
    config: &CrosswalkConfig,
) -> PolarsResult<DataFrame> {
    let mut keys = Vec::new();
    let mut years_col = Vec::new();
    let mut codes = Vec::new();
    let mut labels = Vec::new();
    let mut losses = Vec::new();
    let mut flags: Vec<Vec<bool>> = vec![Vec::new(); map.flag_columns.len()];
    for row in &map.rows {
        for y in years(row.first_year, row.last_year, config) {
            keys.push(row.legacy_code.clone());
            years_col.push(y);
            codes.push(row.new_code.clone());
            labels.push(row.new_label.clone());
            losses.push(row.loss_class.clone());
            for (i, f) in row.flags.iter().enumerate() {
                flags[i].push(*f);
            }
        }
    }
    let height = keys.len();
    let mut columns = vec![
        Column::new(KEY.into(), keys),
        Column::new(YEAR.into(), years_col),
        Column::new(binding.output.into(), codes),
        Column::new(loss_name(binding.output).into(), losses),
    ];
    if let Some(label) = binding.label_output {
        columns.push(Column::new(label.into(), labels));
    }
    for (name, values) in map.flag_columns.iter().zip(flags) {
        columns.push(Column::new(
            format!("{}_{name}", binding.output).into(),
            values,
        ));
    }
    DataFrame::new(height, columns)
}

fn org_lookup(
    tables: &Tables,
    config: &CrosswalkConfig,
    kind: &str,
    id_out: &str,
    parent_out: Option<&str>,
) -> PolarsResult<DataFrame> {
    let (mut schemes, mut keys, mut years_col, mut ids, mut parents, mut losses) = (
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
    );
    for row in tables.orgs.iter().filter(|r| r.kind == kind) {
        for y in years(row.first_year, row.last_year, config) {
            schemes.push(row.scheme.clone());
            keys.push(row.legacy_id.clone());
            years_col.push(y);
            ids.push(row.neo_org_id.clone());
            parents.push(row.neo_parent_org_id.clone());
            losses.push(if row.change.is_empty() {
                "lossless".to_string()
            } else {
                row.change.clone()
            });
        }
    }
    let height = keys.len();
    let mut columns = vec![
        Column::new(ID_SCHEME.into(), schemes),
        Column::new(KEY.into(), keys),
        Column::new(YEAR.into(), years_col),
        Column::new(id_out.into(), ids),
        Column::new(loss_name(id_out).into(), losses),
    ];
    if let Some(p) = parent_out {
        columns.push(Column::new(p.into(), parents));
    }
    DataFrame::new(height, columns)
}

fn left_join(lf: LazyFrame, lookup: DataFrame, left: Vec<Expr>, right: Vec<Expr>) -> LazyFrame {
    lf.join(lookup.lazy(), left, right, JoinArgs::new(JoinType::Left))
}

fn unmapped_check(column: &'static str, output: &'static str, domain: &str, file: &str) -> Check {
    Check::plain(
        column,
        "unmapped_code",
        col(column).is_not_null().and(col(output).is_null()),
        concat_str(
            [
                lit(format!(
                    "{column}: no row of {file} (domain {domain}) maps code "
                )),
                col(column),
                lit(" in school year "),
                col(SCHOOL_YEAR).cast(DataType::String),
            ],
            "",
            false,
        ),
    )
}

fn coverage_of(
    df: &DataFrame,
    entity: &str,
    column: &str,
    domain: &str,
    output: &str,
) -> PolarsResult<ColumnCoverage> {
    let counts = coverage_counts(df, column, output)?;
    coverage_from(vec![counts], entity, column, domain, output)
}

/// The rows of `df` by (value, target, loss class) of one column, unsorted:
/// what [`coverage_from`] adds up, a batch of rows at a time.
fn coverage_counts(df: &DataFrame, column: &str, output: &str) -> PolarsResult<DataFrame> {
    df.clone()
        .lazy()
        .filter(col(column).is_not_null())
        .group_by([col(column), col(output), col(loss_name(output))])
        .agg([len().cast(DataType::UInt64).alias("__n")])
        .collect()
}

/// One column's coverage from its counts ([`coverage_counts`]) of every
/// batch of rows.
fn coverage_from(
    counts: Vec<DataFrame>,
    entity: &str,
    column: &str,
    domain: &str,
    output: &str,
) -> PolarsResult<ColumnCoverage> {
    let parts: Vec<LazyFrame> = counts.into_iter().map(|d| d.lazy()).collect();
    let grouped = concat(parts, UnionArgs::default())?
        .group_by([col(column), col(output), col(loss_name(output))])
        .agg([col("__n").sum()])
        .sort_by_exprs(
            [col(column), col(output), col(loss_name(output))],
            SortMultipleOptions::default().with_nulls_last(true),
        )
        .collect()?;
    let values_c = grouped
        .column(column)?
        .as_materialized_series()
        .cast(&DataType::String)?;
    let values = values_c.str()?;
    let targets = grouped.column(output)?.str()?;
    let losses = grouped.column(&loss_name(output))?.str()?;
    let counts = grouped
        .column("__n")?
        .as_materialized_series()
        .cast(&DataType::UInt64)?;
    let counts = counts.u64()?;
    let mut seen = Vec::new();
    let mut unmapped_rows = 0;
    for i in 0..grouped.height() {
        let count = counts.get(i).unwrap_or(0);
        let target = targets.get(i).map(str::to_string);
        if target.is_none() {
            unmapped_rows += count;
        }
        seen.push(Seen {
            value: values.get(i).unwrap_or("").to_string(),
            count,
            target,
            loss_class: losses.get(i).map(str::to_string),
        });
    }
    // One line per (value, target): a code mapped differently in two years
    // shows twice; merge identical lines.
    seen.dedup_by(|b, a| {
        if a.value == b.value && a.target == b.target && a.loss_class == b.loss_class {
            a.count += b.count;
            true
        } else {
            false
        }
    });
    Ok(ColumnCoverage {
        entity: entity.to_string(),
        column: column.to_string(),
        domain: domain.to_string(),
        values: seen,
        unmapped_rows,
    })
}

/// The table a binding maps through (an empty one when the tables have
/// none).
fn code_map<'t>(tables: &'t Tables, b: &Binding) -> std::borrow::Cow<'t, CodeMap> {
    match tables.codes.get(b.domain) {
        Some(map) => std::borrow::Cow::Borrowed(map),
        None => std::borrow::Cow::Owned(CodeMap {
            domain: b.domain.to_string(),
            flag_columns: Vec::new(),
            rows: Vec::new(),
        }),
    }
}

/// The columns one binding adds: its new code, its label, its table's
/// flags (`<output>_<flag>`).
pub fn bound_names(b: &Binding, tables: &Tables) -> Vec<String> {
    let map = code_map(tables, b);
    std::iter::once(b.output.to_string())
        .chain(b.label_output.map(str::to_string))
        .chain(map.flag_columns.iter().map(|f| format!("{}_{f}", b.output)))
        .collect()
}

/// The columns of an entity's crosswalked rows, in order: its own
/// (`original`), the ID scheme and organization IDs, each binding's new
/// code (and label), then the bindings' flags.
pub fn output_names(entity: &str, original: &[String], tables: &Tables) -> Vec<String> {
    let bindings = bindings_of(entity).unwrap_or(&[]);
    let mut out = original.to_vec();
    out.extend([ID_SCHEME, SCHOOL_ORG_ID, SAU_ORG_ID].map(str::to_string));
    if entity == crate::schema::STUDENT_ENROLLMENT.name {
        out.push(RESIDENT_SAU_ORG_ID.to_string());
    }
    let mut flags = Vec::new();
    for b in bindings {
        let names = bound_names(b, tables);
        let plain = 1 + usize::from(b.label_output.is_some());
        out.extend(names[..plain].iter().cloned());
        flags.extend(names[plain..].iter().cloned());
    }
    out.extend(flags);
    out
}

/// One binding mapped alone over every row of `rows` (which need
/// `source_row`, the bound column and the school year), as
/// [`coded`] maps it: `source_row` and the binding's columns
/// ([`bound_names`]) sorted by `source_row`, and the column's coverage.
pub fn remap(
    rows: LazyFrame,
    entity: &str,
    b: &Binding,
    tables: &Tables,
    config: &CrosswalkConfig,
) -> PolarsResult<(DataFrame, ColumnCoverage)> {
    let lookup = code_lookup(&code_map(tables, b), b, config)?;
    let lf = rows.select([col(SOURCE_ROW), col(b.column), col(SCHOOL_YEAR)]);
    let joined = left_join(
        lf,
        lookup,
        vec![col(b.column), col(SCHOOL_YEAR)],
        vec![col(KEY), col(YEAR)],
    )
    .sort([SOURCE_ROW], SortMultipleOptions::default())
    .collect()?;
    let coverage = coverage_of(&joined, entity, b.column, b.domain, b.output)?;
    let mut keep = vec![SOURCE_ROW.to_string()];
    keep.extend(bound_names(b, tables));
    Ok((joined.select(keep)?, coverage))
}

/// Whether `df`'s source rows strictly increase, none null: sorting the
/// rows by them moves none.
pub fn in_source_row_order(df: &DataFrame) -> PolarsResult<bool> {
    let rows = df
        .column(SOURCE_ROW)?
        .as_materialized_series()
        .cast(&DataType::Int64)?;
    let rows = rows.i64()?;
    if rows.null_count() > 0 {
        return Ok(false);
    }
    let mut last = None;
    for row in rows.into_no_null_iter() {
        if last.is_some_and(|l| l >= row) {
            return Ok(false);
        }
        last = Some(row);
    }
    Ok(true)
}

/// A column whose coverage is counted: (column, domain, output).
type Covered = (&'static str, &'static str, &'static str);

/// Maps an entity's school to its NEO Org ID and SAU (and, for enrollments,
/// the resident SAU) by (scheme, id, year), and every bound code column, a
/// batch of rows at a time ([`Coder::batch`], each batch in `source_row`
/// order): the batches' rows, one after another, are those [`coded`] makes
/// of all of them; [`Coder::finish`] gives the coverage and the report.
pub struct Coder<'t> {
    entity: String,
    /// The lookups, each with the columns of the rows it is joined on.
    lookups: Vec<(DataFrame, Vec<Expr>, Vec<Expr>)>,
    checks: Vec<Check>,
    /// The output columns, known from the first batch's columns.
    out: Option<Vec<String>>,
    /// (column, domain, output) of each coverage, with its counts so far.
    coverage: Vec<(Covered, Vec<DataFrame>)>,
    report: StageReport,
    tables: &'t Tables,
}

impl<'t> Coder<'t> {
    pub fn new(
        entity: &str,
        tables: &'t Tables,
        config: &CrosswalkConfig,
    ) -> PolarsResult<Coder<'t>> {
        let bindings = bindings_of(entity).unwrap_or(&[]);
        let resident_sau = entity == crate::schema::STUDENT_ENROLLMENT.name;
        let org_keys = |id: &str| {
            (
                vec![col(ID_SCHEME), col(id), col(SCHOOL_YEAR)],
                vec![col(ID_SCHEME), col(KEY), col(YEAR)],
            )
        };
        let mut lookups = Vec::new();
        let mut checks = Vec::new();
        let mut coverage = Vec::new();
        let school = org_lookup(tables, config, "school", SCHOOL_ORG_ID, Some(SAU_ORG_ID))?;
        let (left, right) = org_keys(SCHOOL_ID);
        lookups.push((school, left, right));
        checks.push(unmapped_check(
            SCHOOL_ID,
            SCHOOL_ORG_ID,
            "organizations",
            "organizations.csv",
        ));
        coverage.push(((SCHOOL_ID, "organizations", SCHOOL_ORG_ID), Vec::new()));
        if resident_sau {
            let sau = org_lookup(tables, config, "sau", RESIDENT_SAU_ORG_ID, None)?;
            let (left, right) = org_keys(RESIDENT_SAU_ID);
            lookups.push((sau, left, right));
            checks.push(unmapped_check(
                RESIDENT_SAU_ID,
                RESIDENT_SAU_ORG_ID,
                "organizations",
                "organizations.csv",
            ));
            coverage.push((
                (RESIDENT_SAU_ID, "organizations", RESIDENT_SAU_ORG_ID),
                Vec::new(),
            ));
        }
        for b in bindings {
            let lookup = code_lookup(&code_map(tables, b), b, config)?;
            let left = vec![col(b.column), col(SCHOOL_YEAR)];
            lookups.push((lookup, left, vec![col(KEY), col(YEAR)]));
            checks.push(unmapped_check(
                b.column,
                b.output,
                b.domain,
                &format!("{}.csv", b.domain),
            ));
            coverage.push(((b.column, b.domain, b.output), Vec::new()));
        }
        Ok(Coder {
            entity: entity.to_string(),
            lookups,
            checks,
            out: None,
            coverage,
            report: StageReport::new(STAGE, entity),
            tables,
        })
    }

    /// Maps one batch of rows: (rows, quarantine), both in `source_row`
    /// order.
    pub fn batch(&mut self, mut lf: LazyFrame) -> PolarsResult<(DataFrame, DataFrame)> {
        if self.out.is_none() {
            let original: Vec<String> = lf
                .collect_schema()?
                .iter_names()
                .map(|c| c.to_string())
                .collect();
            self.out = Some(output_names(&self.entity, &original, self.tables));
        }
        let base = lf.with_column(lit("medms").alias(ID_SCHEME)).collect()?;
        let joined = match self.joined_in_order(&base)? {
            Some(joined) => joined,
            None => self.joined_sorted(base)?,
        };
        for ((column, _, output), counts) in self.coverage.iter_mut() {
            counts.push(coverage_counts(&joined, column, output)?);
        }
        let (flags, any_bad) = flag_exprs(&self.checks)?;
        let flagged = joined
            .lazy()
            .with_columns(flags)
            .with_column(any_bad)
            .collect()?;
        let out = self
            .out
            .as_ref()
            .expect("set above")
            .iter()
            .map(|c| col(c.as_str()))
            .collect();
        split(flagged, &self.checks, out, &mut self.report)
    }

    /// The rows with every lookup's columns, each lookup joined on the
    /// few columns it reads and its columns put beside the rows: the frame
    /// [`Coder::joined_sorted`] makes when the rows are in strictly
    /// increasing source row order (sorting them moves none) and each
    /// lookup gives a row one match at most; `None` otherwise.
    fn joined_in_order(&self, base: &DataFrame) -> PolarsResult<Option<DataFrame>> {
        if !in_source_row_order(base)? {
            return Ok(None);
        }
        let mut args = JoinArgs::new(JoinType::Left);
        args.maintain_order = MaintainOrderJoin::Left;
        let rows = base.column(SOURCE_ROW)?;
        let mut columns = base.columns().to_vec();
        for (lookup, left, right) in &self.lookups {
            let narrow: Vec<Expr> = std::iter::once(col(SOURCE_ROW))
                .chain(left.iter().cloned())
                .collect();
            let joined = base
                .clone()
                .lazy()
                .select(narrow)
                .join(
                    lookup.clone().lazy(),
                    left.clone(),
                    right.clone(),
                    args.clone(),
                )
                .collect()?;
            if joined.height() != base.height() || !joined.column(SOURCE_ROW)?.equals(rows) {
                return Ok(None);
            }
            for c in &joined.columns()[1 + left.len()..] {
                if columns.iter().any(|have| have.name() == c.name()) {
                    return Ok(None);
                }
                columns.push(c.clone());
            }
        }
        Ok(Some(DataFrame::new(base.height(), columns)?))
    }

    /// The rows with every lookup's columns, joined one lookup after
    /// another and sorted by source row.
    fn joined_sorted(&self, base: DataFrame) -> PolarsResult<DataFrame> {
        let mut lf = base.lazy();
        for (lookup, left, right) in &self.lookups {
            lf = left_join(lf, lookup.clone(), left.clone(), right.clone());
        }
        lf.sort([SOURCE_ROW], SortMultipleOptions::default())
            .collect()
    }

    /// The coverage of every column mapped, and the report, of all the
    /// batches.
    pub fn finish(self) -> PolarsResult<(Vec<ColumnCoverage>, StageReport)> {
        let mut columns = Vec::new();
        for ((column, domain, output), counts) in self.coverage {
            columns.push(coverage_from(counts, &self.entity, column, domain, output)?);
        }
        Ok((columns, self.report))
    }
}

/// The federal category of a row from flags: Hispanic of any race; else
/// exactly one race; else two or more; no race at all is `Unknown`.
fn category(hispanic: Expr, races: &[Expr]) -> Expr {
    let count = races.iter().fold(lit(0i32), |acc, r| {
        acc + r.clone().fill_null(lit(false)).cast(DataType::Int32)
    });
    let mut single = lit("Unknown");
    for (r, name) in races.iter().zip(CATEGORIES).rev() {
        single = when(r.clone().fill_null(lit(false)))
            .then(lit(name))
            .otherwise(single);
    }
    when(hispanic.fill_null(lit(false)))
        .then(lit("Hispanic"))
        .when(count.clone().gt(lit(1)))
        .then(lit("TwoOrMoreRaces"))
        .when(count.eq(lit(1)))
        .then(single)
        .otherwise(lit("Unknown"))
}

const BEFORE: &str = "__category_before";

/// The race table as a join frame, one row per legacy code and school year.
fn race_lookup(tables: &Tables, config: &CrosswalkConfig) -> PolarsResult<DataFrame> {
    let (mut keys, mut years_col, mut hisp, mut qual, mut cat, mut loss) = (
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
    );
    let mut races: [Vec<bool>; 5] = Default::default();
    for row in &tables.race {
        for y in years(row.first_year, row.last_year, config) {
            keys.push(row.legacy_code.clone());
            years_col.push(y);
            hisp.push(row.hispanic);
            qual.push(row.quality.clone());
            cat.push(row.federal_category.clone());
            loss.push(row.loss_class.clone());
            for (i, r) in row.races.iter().enumerate() {
                races[i].push(*r);
            }
        }
    }
    let mut columns = vec![
        Column::new(KEY.into(), keys),
        Column::new(YEAR.into(), years_col),
        Column::new("__race_hispanic".into(), hisp),
        Column::new("__race_quality".into(), qual),
        Column::new("__race_category".into(), cat),
        Column::new(loss_name("__race_quality").into(), loss),
    ];
    for (i, r) in races.into_iter().enumerate() {
        columns.push(Column::new(format!("__race_{i}").into(), r));
    }
    DataFrame::new(columns[0].len(), columns)
}

/// The bridged columns: the new-format fields where the row has them,
/// otherwise the race table's row for the legacy code; the federal
/// category before (`BEFORE`) and after.
fn bridged_columns() -> Vec<Expr> {
    let nf = || col("__new_format");
    let mut bridged = vec![when(nf())
        .then(col(HISPANIC_LATINO).fill_null(lit(false)))
        .otherwise(col("__race_hispanic"))
        .alias(HISPANIC)];
    for (i, (old, new)) in RACE_FLAGS.iter().zip(NEW_RACE_FLAGS).enumerate() {
        bridged.push(
            when(nf())
                .then(col(*old).fill_null(lit(false)))
                .otherwise(col(format!("__race_{i}")))
                .alias(new),
        );
    }
    bridged.push(
        when(nf())
            .then(lit("reported"))
            .otherwise(col("__race_quality"))
            .alias(RACE_QUALITY),
    );
    let reported_category = category(col(HISPANIC_LATINO), &RACE_FLAGS.map(col));
    bridged.push(
        when(nf())
            .then(reported_category)
            .otherwise(col("__race_category"))
            .alias(BEFORE),
    );
    bridged
}

/// A legacy race code no row of the race table maps in its school year.
fn unmapped_race() -> Check {
    Check::plain(
        RACE_ETHNICITY,
        "unmapped_code",
        col("__new_format")
            .not()
            .and(col(RACE_ETHNICITY).is_not_null())
            .and(col("__race_quality").is_null()),
        concat_str(
            [
                lit("RaceEthnicity: no row of race.csv (domain race) maps code "),
                col(RACE_ETHNICITY),
                lit(" in school year "),
                // An identity kept with no IdentityEffectiveDate has none.
                col(SCHOOL_YEAR)
                    .cast(DataType::String)
                    .fill_null(lit("unknown (no IdentityEffectiveDate)")),
            ],
            "",
            false,
        ),
    )
}

/// An identity row whose legacy race code no row of the race table maps
/// is still a student: kept (its race left blank, as the join left it),
/// the finding listed in quarantine and added to its `wrong_values`, so
/// pre-flight holds its Student Personal row (`check` is the
/// [`unmapped_race`] check, flag column 0; `out` the output columns,
/// `wrong_values` at `wrong_at`).
fn keep_unmapped_race(check: &mut Check, out: &mut [Expr], wrong_at: Option<usize>) {
    check.outcome = crate::quarantine::Outcome::Keep { clear: false };
    let unmapped = when(col(crate::quarantine::flag_name(0)))
        .then(lit(format!("{RACE_ETHNICITY}: unmapped_code")))
        .otherwise(lit(NULL).cast(DataType::String));
    if let Some(at) = wrong_at {
        out[at] = crate::ingest::joined(vec![col(WRONG_VALUES), unmapped], WRONG_VALUES);
    }
}

/// Whether the personal rows carry race at all (a bundle of names, birth
/// dates and addresses only is not bridged: every race column is blank).
fn has_race(df: &DataFrame) -> bool {
    [RACE_ETHNICITY, HISPANIC_LATINO]
        .iter()
        .chain(RACE_FLAGS.iter())
        .all(|c| df.column(c).is_ok())
        && [RACE_ETHNICITY, HISPANIC_LATINO]
            .iter()
            .any(|c| df.column(c).is_ok_and(|c| c.null_count() < c.len()))
}

/// Bridges the single legacy race field to the Hispanic flag, the five race
/// flags, a quality code and the federal category; records the coverage of
/// the legacy codes seen.
fn bridge_race(
    df: DataFrame,
    tables: &Tables,
    config: &CrosswalkConfig,
    coverage: &mut Vec<ColumnCoverage>,
) -> PolarsResult<DataFrame> {
    let new_format = RACE_FLAGS
        .iter()
        .fold(col(HISPANIC_LATINO).is_not_null(), |acc, f| {
            acc.or(col(*f).is_not_null())
        });
    let lf = left_join(
        df.lazy(),
        race_lookup(tables, config)?,
        vec![col(RACE_ETHNICITY), col(SCHOOL_YEAR)],
        vec![col(KEY), col(YEAR)],
    )
    .with_column(new_format.alias("__new_format"))
    .with_columns(bridged_columns());
    let after = category(col(HISPANIC), &NEW_RACE_FLAGS.map(col));
    let joined = lf
        .with_column(
            when(col(RACE_QUALITY).is_null())
                .then(lit(NULL).cast(DataType::String))
                .otherwise(after)
                .alias(FEDERAL_RACE_CATEGORY),
        )
        .sort([SOURCE_ROW], SortMultipleOptions::default())
        .collect()?;
    let legacy_rows = joined
        .clone()
        .lazy()
        .filter(col("__new_format").not())
        .collect()?;
    coverage.push(coverage_of(
        &legacy_rows,
        crate::schema::STUDENT_PERSONAL.name,
        RACE_ETHNICITY,
        "race",
        "__race_quality",
    )?);
    Ok(joined)
}

fn personal_stage(
    df: DataFrame,
    enrollment: Option<&DataFrame>,
    tables: &Tables,
    config: &CrosswalkConfig,
    coverage: &mut Vec<ColumnCoverage>,
) -> PolarsResult<((DataFrame, DataFrame, StageReport), RaceCheck)> {
    let entity = crate::schema::STUDENT_PERSONAL.name;
    let mut out: Vec<Expr> = df
        .get_column_names()
        .into_iter()
        .map(|c| col(c.as_str()))
        .collect();
    let mut checks = Vec::new();
    let wrong_at = df
        .get_column_names()
        .iter()
        .position(|c| c.as_str() == WRONG_VALUES);
    let (joined, race) = if has_race(&df) {
        let joined = bridge_race(df, tables, config, coverage)?;
        checks.push(unmapped_race());
        keep_unmapped_race(&mut checks[0], &mut out, wrong_at);
        out.push(col(HISPANIC));
        out.extend(NEW_RACE_FLAGS.iter().map(|c| col(*c)));
        out.push(col(RACE_QUALITY));
        out.push(col(FEDERAL_RACE_CATEGORY));
        let race = race_check(&joined, enrollment)?;
        (joined, race)
    } else {
        let race = RaceCheck {
            agree: true,
            ..Default::default()
        };
        (df, race)
    };
    let (flags, any_bad) = flag_exprs(&checks)?;
    let flagged = joined
        .lazy()
        .with_columns(flags)
        .with_column(any_bad)
        .collect()?;
    let mut report = StageReport::new(STAGE, entity);
    let (rows, quarantine) = split(flagged, &checks, out, &mut report)?;
    Ok(((rows, quarantine, report), race))
}

/// The seven-category table before and after bridging, in total, by school
/// year and by SAU (`sau`, when the SAUs are known): the rows grouped once
/// by year, SAU and both categories, each group's count added to the
/// three tables.
fn counts(df: &DataFrame, sau: bool) -> PolarsResult<[Vec<CategoryCount>; 3]> {
    let sau_key = if sau { col("__sau") } else { lit(NULL) };
    let g = df
        .clone()
        .lazy()
        .filter(
            col(BEFORE)
                .is_not_null()
                .or(col(FEDERAL_RACE_CATEGORY).is_not_null()),
        )
        .group_by([
            col(SCHOOL_YEAR).cast(DataType::String).alias("__year"),
            sau_key.cast(DataType::String).alias("__sau_group"),
            col(BEFORE).alias("__before"),
            col(FEDERAL_RACE_CATEGORY).alias("__after"),
        ])
        .agg([len().alias("__n")])
        .collect()?;
    let text = |name: &str| -> PolarsResult<StringChunked> { Ok(g.column(name)?.str()?.clone()) };
    let (years, saus) = (text("__year")?, text("__sau_group")?);
    let (before, after) = (text("__before")?, text("__after")?);
    let n = g
        .column("__n")?
        .as_materialized_series()
        .cast(&DataType::UInt64)?;
    let n = n.u64()?;
    let mut tables: [CategoryTable; 3] = Default::default();
    for i in 0..g.height() {
        let groups = [Some("total"), years.get(i), saus.get(i)];
        let n = n.get(i).unwrap_or(0);
        for (table, group) in tables.iter_mut().zip(groups) {
            let group = group.unwrap_or("none");
            if let Some(c) = before.get(i) {
                table.entry((group.into(), c.into())).or_default().0 += n;
            }
            if let Some(c) = after.get(i) {
                table.entry((group.into(), c.into())).or_default().1 += n;
            }
        }
    }
    if !sau {
        tables[2].clear();
    }
    Ok(tables.map(category_counts))
}

/// Counts before and after by (group, category).
type CategoryTable = BTreeMap<(String, String), (u64, u64)>;

fn category_counts(table: CategoryTable) -> Vec<CategoryCount> {
    table
        .into_iter()
        .map(|((group, category), (before, after))| CategoryCount {
            group,
            category,
            before,
            after,
        })
        .collect()
}

/// Each student's SAU (`__sau`): that of their latest enrollment with one,
/// in order of school year, entry date and source row. Rows already one a
/// student (the crosswalk's evidence is each student's latest row) are
/// taken as they are: no sort, no groups.
fn latest_sau(enrollment: &DataFrame) -> PolarsResult<LazyFrame> {
    let rows = enrollment
        .clone()
        .lazy()
        .filter(counted_evidence())
        .collect()?;
    if rows.column(STATE_STUDENT_ID)?.n_unique()? == rows.height() {
        let sau = col(SAU_ORG_ID).alias("__sau");
        return Ok(rows.lazy().select([col(STATE_STUDENT_ID), sau]));
    }
    Ok(rows
        .lazy()
        .sort_by_exprs(
            [
                col(STATE_STUDENT_ID),
                col(SCHOOL_YEAR),
                col(SCHOOL_ENTRY_DATE),
                col(SOURCE_ROW),
            ],
            SortMultipleOptions::default(),
        )
        .group_by([col(STATE_STUDENT_ID)])
        .agg([col(SAU_ORG_ID).last().alias("__sau")]))
}

fn race_check(personal: &DataFrame, enrollment: Option<&DataFrame>) -> PolarsResult<RaceCheck> {
    let [total, by_year, by_sau] = match enrollment {
        Some(e) if e.column(SAU_ORG_ID).is_ok() => {
            let joined = personal
                .clone()
                .lazy()
                .join(
                    latest_sau(e)?,
                    [col(STATE_STUDENT_ID)],
                    [col(STATE_STUDENT_ID)],
                    JoinArgs::new(JoinType::Left),
                )
                .collect()?;
            counts(&joined, true)?
        }
        _ => counts(personal, false)?,
    };
    let agree = [&total, &by_year, &by_sau]
        .iter()
        .all(|t| t.iter().all(|c| c.before == c.after));
    Ok(RaceCheck {
        total,
        by_year,
        by_sau,
        agree,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strs(df: &DataFrame, column: &str) -> Vec<Option<String>> {
        let c = df.column(column).unwrap().str().unwrap();
        (0..c.len()).map(|i| c.get(i).map(str::to_string)).collect()
    }

    fn some(v: &[&str]) -> Vec<Option<String>> {
        v.iter().map(|s| Some(s.to_string())).collect()
    }

    fn config() -> CrosswalkConfig {
        CrosswalkConfig {
            first_year: 2005,
            last_year: 2017,
        }
    }

    fn tables() -> Tables {
        let map = |domain: &str, rows: &[(&str, &str, i32, i32)]| CodeMap {
            domain: domain.into(),
            flag_columns: vec![],
            rows: rows
                .iter()
                .map(|(l, n, f, t)| MapRow {
                    legacy_code: l.to_string(),
                    new_code: n.to_string(),
                    new_label: format!("label {n}"),
                    first_year: *f,
                    last_year: *t,
                    loss_class: "lossless".into(),
                    flags: vec![],
                })
                .collect(),
        };
        let mut codes = BTreeMap::new();
        codes.insert(
            "grade_levels".to_string(),
            map(
                "grade_levels",
                &[
                    ("KG", "K", i32::MIN, i32::MAX),
                    ("03", "3", i32::MIN, i32::MAX),
                ],
            ),
        );
        codes.insert(
            "exceptionality".to_string(),
            map(
                "exceptionality",
                &[("01", "01", i32::MIN, 2010), ("01", "01", 2011, i32::MAX)],
            ),
        );
        let org = |scheme: &str,
                   id: &str,
                   kind: &str,
                   first: i32,
                   last: i32,
                   neo: &str,
                   parent: Option<&str>| OrgMapRow {
            scheme: scheme.into(),
            legacy_id: id.into(),
            kind: kind.into(),
            first_year: first,
            last_year: last,
            neo_org_id: neo.into(),
            neo_parent_org_id: parent.map(str::to_string),
            neo_name: String::new(),
            change: String::new(),
        };
        let race =
            |code: &str, cat: &str, hispanic: bool, races: [bool; 5], quality: &str| RaceRow {
                legacy_code: code.into(),
                federal_category: cat.into(),
                hispanic,
                races,
                quality: quality.into(),
                first_year: i32::MIN,
                last_year: i32::MAX,
                loss_class: "assumed".into(),
            };
        Tables {
            codes,
            orgs: vec![
                // MEDMS school 17 is NEO 903 until 2010, then renumbered 904;
                // NEO 17 is another school altogether.
                org("medms", "17", "school", i32::MIN, 2010, "903", Some("500")),
                org("medms", "17", "school", 2011, i32::MAX, "904", Some("500")),
                org("neo", "17", "school", i32::MIN, i32::MAX, "17", Some("501")),
                org("medms", "1001", "sau", i32::MIN, i32::MAX, "500", None),
            ],
            race: vec![
                race(
                    "C",
                    "White",
                    false,
                    [false, false, false, false, true],
                    "derived_assumed",
                ),
                race("H", "Hispanic", true, [false; 5], "derived_unknown_race"),
            ],
        }
    }

    fn enrollment(rows: &[(&str, &str, i32, &str, Option<&str>)]) -> DataFrame {
        let n = rows.len();
        df!(
            SOURCE_FILE => vec!["e.csv"; n],
            SOURCE_ROW => (2..2 + n as i64).collect::<Vec<_>>(),
            STATE_STUDENT_ID => rows.iter().map(|r| r.0).collect::<Vec<_>>(),
            SCHOOL_ID => rows.iter().map(|r| r.1).collect::<Vec<_>>(),
            RESIDENT_SAU_ID => vec!["1001"; n],
            SCHOOL_YEAR => rows.iter().map(|r| r.2).collect::<Vec<_>>(),
            SCHOOL_ENTRY_DATE => rows.iter().map(|r| r.2 as i64).collect::<Vec<_>>(),
            GRADE_LEVEL_CODE => rows.iter().map(|r| r.3).collect::<Vec<_>>(),
            EXCEPTIONALITY => rows.iter().map(|r| r.4).collect::<Vec<_>>(),
        )
        .unwrap()
    }

    #[test]
    fn open_ended_rows_map_years_before_and_after_the_configured_ones() {
        // school_years 2005-2017; rows of 2002 and 2019 map through rows open
        // at that end, a row closed in 2010 still stops at 2010.
        let mut e = enrollment(&[
            ("000000001", "17", 2002, "KG", Some("01")),
            ("000000001", "17", 2019, "03", Some("01")),
        ]);
        for b in &ENROLLMENT_BINDINGS {
            if e.column(b.column).is_err() {
                e.with_column(Column::new(b.column.into(), vec![None::<&str>; 2]))
                    .unwrap();
            }
        }
        let out = run(None, Some(e), Vec::new(), &tables(), &config()).unwrap();
        let (rows, quarantine, _) = out.enrollment.unwrap();
        assert_eq!(quarantine.height(), 0);
        assert_eq!(strs(&rows, SCHOOL_ORG_ID), some(&["903", "904"]));
    }

    /// The rows of `enrollment` with every bound column, blank where the
    /// frame has none, mapped by [`coded`].
    fn mapped_whole(mut e: DataFrame, tables: &Tables) -> Mapped {
        for b in &ENROLLMENT_BINDINGS {
            if e.column(b.column).is_err() {
                let blank = vec![None::<&str>; e.height()];
                e.with_column(Column::new(b.column.into(), blank)).unwrap();
            }
        }
        let mut coverage = Vec::new();
        let entity = crate::schema::STUDENT_ENROLLMENT.name;
        coded(e.lazy(), entity, tables, &config(), &mut coverage).unwrap()
    }

    #[test]
    fn rows_out_of_source_row_order_are_mapped_as_the_sorted_rows_are() {
        let e = enrollment(&[
            ("000000001", "17", 2010, "KG", Some("01")),
            ("000000001", "17", 2011, "03", Some("01")),
            ("000000002", "17", 2012, "13", None),
            ("000000003", "18", 2012, "03", None),
        ]);
        assert!(in_source_row_order(&e).unwrap());
        let reversed = e.reverse();
        assert!(!in_source_row_order(&reversed).unwrap());
        let (rows, quarantine, report) = mapped_whole(e, &tables());
        let (r_rows, r_quarantine, r_report) = mapped_whole(reversed, &tables());
        assert!(rows.equals_missing(&r_rows));
        assert!(quarantine.equals_missing(&r_quarantine));
        assert_eq!(report.rows_out, r_report.rows_out);
        assert_eq!(strs(&rows, SCHOOL_ORG_ID), some(&["903", "904"]));
    }

    #[test]
    fn a_code_mapped_twice_in_a_year_gives_both_rows_as_the_joins_do() {
        let mut tables = tables();
        let grades = tables.codes.get_mut("grade_levels").unwrap();
        let twice = grades
            .rows
            .iter()
            .find(|r| r.legacy_code == "03")
            .unwrap()
            .clone();
        grades.rows.push(MapRow {
            new_code: "THREE".into(),
            ..twice
        });
        let e = enrollment(&[
            ("000000001", "17", 2011, "03", Some("01")),
            ("000000001", "17", 2011, "KG", Some("01")),
        ]);
        let (rows, _, report) = mapped_whole(e, &tables);
        assert_eq!(report.rows_in, 3);
        assert_eq!(rows.height(), 3);
        let mut grades = strs(&rows, "GradeLevel");
        grades.sort();
        assert_eq!(grades[2], Some("THREE".to_string()));
    }

    #[test]
    fn an_id_is_mapped_by_scheme_and_year_and_an_unknown_code_is_quarantined() {
        let mut e = enrollment(&[
            ("000000001", "17", 2010, "KG", Some("01")),
            ("000000001", "17", 2011, "03", Some("01")),
            ("000000002", "17", 2012, "13", None),
            ("000000003", "18", 2012, "03", None),
        ]);
        // Columns the bindings name but this frame lacks are added blank.
        for b in &ENROLLMENT_BINDINGS {
            if e.column(b.column).is_err() {
                e.with_column(Column::new(b.column.into(), vec![None::<&str>; 4]))
                    .unwrap();
            }
        }
        let out = run(None, Some(e), Vec::new(), &tables(), &config()).unwrap();
        let (rows, quarantine, report) = out.enrollment.unwrap();
        assert_eq!(strs(&rows, SCHOOL_ORG_ID), some(&["903", "904"]));
        assert_eq!(
            rows.column(SAU_ORG_ID).unwrap().str().unwrap().get(0),
            Some("500")
        );
        assert_eq!(
            rows.column("GradeLevel").unwrap().str().unwrap().get(0),
            Some("K")
        );
        assert_eq!(
            rows.column("PrimaryDisabilityLabel")
                .unwrap()
                .str()
                .unwrap()
                .get(0),
            Some("label 01")
        );
        assert_eq!(
            (report.rows_in, report.rows_out, report.rejected_total()),
            (4, 2, 2)
        );
        let messages: Vec<String> = strs(&quarantine, Q_MESSAGE).into_iter().flatten().collect();
        assert_eq!(
            messages,
            vec![
                "GradeLevelCode: no row of grade_levels.csv (domain grade_levels) maps code 13 in school year 2012",
                "School_ID: no row of organizations.csv (domain organizations) maps code 18 in school year 2012",
            ]
        );
        let grades = out
            .coverage
            .iter()
            .find(|c| c.column == GRADE_LEVEL_CODE)
            .unwrap();
        assert_eq!(grades.unmapped_rows, 1);
        assert_eq!(grades.values.len(), 3);
    }

    fn saus(lf: LazyFrame) -> Vec<(String, String)> {
        let df = lf
            .sort([STATE_STUDENT_ID], Default::default())
            .collect()
            .unwrap();
        let ids = strs(&df, STATE_STUDENT_ID);
        let saus = strs(&df, "__sau");
        ids.into_iter()
            .zip(saus)
            .map(|(i, s)| (i.unwrap(), s.unwrap()))
            .collect()
    }

    #[test]
    fn each_students_sau_is_their_latest_enrollments_whether_or_not_the_rows_are_one_a_student() {
        // A: two years (the later one's SAU); B: the latest row has no SAU
        // (the latest with one); C: two rows of one year, the later entry
        // date first in the file; D: one row. None without an ID counts.
        let rows = df!(
            STATE_STUDENT_ID => [Some("A"), Some("A"), Some("B"), Some("B"), Some("C"), Some("C"), Some("D"), None],
            SAU_ORG_ID => [Some("s1"), Some("s2"), Some("s3"), None, Some("s4"), Some("s5"), Some("s6"), Some("s7")],
            SCHOOL_YEAR => [2016i32, 2015, 2015, 2016, 2016, 2016, 2017, 2017],
            SCHOOL_ENTRY_DATE => [Some(100i32), Some(200), None, Some(50), Some(300), Some(100), None, None],
            SOURCE_ROW => [2i64, 3, 4, 5, 6, 7, 8, 9],
        )
        .unwrap();
        let expected: Vec<(String, String)> = [("A", "s1"), ("B", "s3"), ("C", "s4"), ("D", "s6")]
            .iter()
            .map(|(i, s)| (i.to_string(), s.to_string()))
            .collect();
        assert_eq!(saus(latest_sau(&rows).unwrap()), expected);
        // The same students' latest rows alone: taken as they are.
        let one_each = rows
            .take(&IdxCa::from_vec("i".into(), vec![0, 2, 4, 6]))
            .unwrap();
        assert_eq!(saus(latest_sau(&one_each).unwrap()), expected);
    }

    /// (group, category, before, after) of a table.
    fn table(t: &[CategoryCount]) -> Vec<(&str, &str, u64, u64)> {
        t.iter()
            .map(|c| (c.group.as_str(), c.category.as_str(), c.before, c.after))
            .collect()
    }

    #[test]
    fn the_race_tables_count_each_category_before_and_after_in_total_by_year_and_by_sau() {
        // 1 and 2 change category (White to Black, none to White), 3 keeps
        // Asian and has no year, 4 has no enrollment (SAU "none"), 5 has no
        // category either side (not counted).
        let personal = df!(
            STATE_STUDENT_ID => ["1", "2", "3", "4", "5"],
            SCHOOL_YEAR => [Some(2016i32), Some(2016), None, Some(2017), Some(2017)],
            BEFORE => [Some("White"), None, Some("Asian"), Some("White"), None],
            FEDERAL_RACE_CATEGORY => [Some("Black"), Some("White"), Some("Asian"), Some("White"), None],
        )
        .unwrap();
        let enrollment = df!(
            STATE_STUDENT_ID => ["1", "2", "3", "5"],
            SAU_ORG_ID => ["s1", "s1", "s2", "s2"],
            SCHOOL_YEAR => [2016i32, 2016, 2016, 2017],
            SCHOOL_ENTRY_DATE => [Some(1i32), Some(1), Some(1), Some(1)],
            SOURCE_ROW => [2i64, 3, 4, 5],
        )
        .unwrap();
        let race = race_check(&personal, Some(&enrollment)).unwrap();
        assert_eq!(
            table(&race.total),
            [
                ("total", "Asian", 1, 1),
                ("total", "Black", 0, 1),
                ("total", "White", 2, 2)
            ]
        );
        assert_eq!(
            table(&race.by_year),
            [
                ("2016", "Black", 0, 1),
                ("2016", "White", 1, 1),
                ("2017", "White", 1, 1),
                ("none", "Asian", 1, 1),
            ]
        );
        assert_eq!(
            table(&race.by_sau),
            [
                ("none", "White", 1, 1),
                ("s1", "Black", 0, 1),
                ("s1", "White", 1, 1),
                ("s2", "Asian", 1, 1),
            ]
        );
        assert!(!race.agree);
        // Without the enrollments' SAUs: no table by SAU, the others the same.
        let alone = race_check(&personal, None).unwrap();
        assert_eq!((alone.total, alone.by_year), (race.total, race.by_year));
        assert!(alone.by_sau.is_empty());
    }

    #[test]
    fn legacy_race_is_bridged_with_its_quality_and_the_categories_agree() {
        let p = df!(
            SOURCE_FILE => ["p.csv"; 3],
            SOURCE_ROW => [2i64, 3, 4],
            STATE_STUDENT_ID => ["000000001", "000000002", "000000003"],
            SCHOOL_YEAR => [2009i32, 2009, 2012],
            RACE_ETHNICITY => [Some("C"), Some("H"), None],
            HISPANIC_LATINO => [None, None, Some(false)],
            RACE_AMERICAN_INDIAN => [None, None, Some(false)],
            RACE_ASIAN => [None, None, Some(true)],
            RACE_BLACK => [None, None, Some(true)],
            RACE_PACIFIC_ISLANDER => [None::<bool>, None, Some(false)],
            RACE_WHITE => [None::<bool>, None, Some(false)],
        )
        .unwrap();
        let out = run(Some(p), None, Vec::new(), &tables(), &config()).unwrap();
        let (rows, _, report) = out.personal.unwrap();
        assert_eq!(report.rows_out, 3);
        assert_eq!(
            strs(&rows, RACE_QUALITY),
            some(&["derived_assumed", "derived_unknown_race", "reported"])
        );
        assert_eq!(
            strs(&rows, FEDERAL_RACE_CATEGORY),
            some(&["White", "Hispanic", "TwoOrMoreRaces"])
        );
        assert!(out.race.agree);
        // A table that bridges C to Black breaks the check.
        let mut bad = tables();
        bad.race[0].races = [false, false, true, false, false];
        let p = df!(
            SOURCE_FILE => ["p.csv"],
            SOURCE_ROW => [2i64],
            STATE_STUDENT_ID => ["000000001"],
            SCHOOL_YEAR => [2009i32],
            RACE_ETHNICITY => [Some("C")],
            HISPANIC_LATINO => [None::<bool>],
            RACE_AMERICAN_INDIAN => [None::<bool>],
            RACE_ASIAN => [None::<bool>],
            RACE_BLACK => [None::<bool>],
            RACE_PACIFIC_ISLANDER => [None::<bool>],
            RACE_WHITE => [None::<bool>],
        )
        .unwrap();
        let out = run(Some(p), None, Vec::new(), &bad, &config()).unwrap();
        assert!(!out.race.agree);
        let white = out
            .race
            .total
            .iter()
            .find(|c| c.category == "White")
            .unwrap();
        assert_eq!((white.before, white.after), (1, 0));
    }

    #[test]
    fn an_identity_row_whose_race_code_no_row_maps_is_kept_and_named_wrong() {
        let p = df!(
            SOURCE_FILE => ["p.csv"; 2],
            SOURCE_ROW => [2i64, 3],
            STATE_STUDENT_ID => ["000000001", "000000002"],
            SCHOOL_YEAR => [Some(2009i32), None],
            RACE_ETHNICITY => [Some("C"), Some("C")],
            HISPANIC_LATINO => [None::<bool>, None],
            RACE_AMERICAN_INDIAN => [None::<bool>, None],
            RACE_ASIAN => [None::<bool>, None],
            RACE_BLACK => [None::<bool>, None],
            RACE_PACIFIC_ISLANDER => [None::<bool>, None],
            RACE_WHITE => [None::<bool>, None],
            WRONG_VALUES => [None::<&str>, Some("USSchoolDate: us_school_date_required")],
        )
        .unwrap();
        let out = run(Some(p), None, Vec::new(), &tables(), &config()).unwrap();
        let (rows, quarantine, report) = out.personal.unwrap();
        assert_eq!((report.rows_out, report.rejected_total()), (2, 0));
        assert_eq!(report.kept.get("unmapped_code"), Some(&1));
        assert_eq!(
            strs(&rows, RACE_QUALITY),
            vec![Some("derived_assumed".into()), None]
        );
        assert_eq!(
            strs(&rows, WRONG_VALUES),
            vec![
                None,
                Some("USSchoolDate: us_school_date_required; RaceEthnicity: unmapped_code".into())
            ]
        );
        assert_eq!(
            strs(&quarantine, Q_MESSAGE),
            vec![Some("RaceEthnicity: no row of race.csv (domain race) maps code C in school year unknown (no IdentityEffectiveDate) (row kept)".into())]
        );
    }
}
