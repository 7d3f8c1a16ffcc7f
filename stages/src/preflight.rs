//! # Pre-flight: Synergy's published rules, checked before a file is written
//!
//! **Input**: one upload's conformed frame (see [`crate::conform`]), its
//! layout, the primary enrollments (for concurrent enrollments), the NEO Org
//! IDs of the organization crosswalk and the new code sets.
//!
//! **Output**: the rows that broke no rule, and one violation row per broken
//! rule in Synergy's result-log columns (`Row Number` blank: the row was never
//! uploaded) plus `source_file`, `source_row` and `rule`. A row is rejected
//! once, counted under the first rule it broke.
//!
//! **Rules**: `required` (a layout column marked required is blank),
//! `no_sau_or_year` (nothing says which upload file the row belongs in),
//! `awaiting_state_id` (no StateStudentID yet: the New State ID upload must
//! assign one first), `medms_id` (an organization column holding a value that
//! is not a NEO Org ID), `code_not_in_set` (a value outside the new code set
//! the layout names), `future_date` (a date after the as-of date),
//! `after_june_30` (an enrollment, special-education segment or CTE program
//! ending after 30 June of its school year), `no_primary_enrollment` (a
//! concurrent enrollment or CTE program with no primary enrollment of the
//! student open on its start date), `concurrent_exits_after_primary` (one
//! that ends after that primary enrollment), `overlapping_primary` (a
//! primary enrollment still open when the student's next one begins), `no_valid_enrollment` (a
//! Student Personal row whose enrollments in that SAU and year were all held
//! back), `sped_overlap` (a special-ed
//! segment starting before the student's previous segment ended), and,
//! when `[end_of_year] action = "hold"`, the seven end-of-year rules of
//! [`crate::end_of_year`] (an upload row built from a flagged source row),
//! checked last: a row another rule holds is counted under that rule.

use crate::columns::*;
use crate::conform::{FieldType, Upload, UPLOAD_ROW, UPLOAD_SAU, UPLOAD_YEAR};
use crate::quarantine::{count_rules, flag_exprs, flag_name, Check, BAD};
use crate::report::StageReport;
use crate::text::short_key;
use chrono::{Datelike, NaiveDate};
use polars::prelude::*;
use std::collections::BTreeMap;

pub const STAGE: &str = "preflight";

/// How a layout column's value is written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Format {
    /// As it is.
    Text,
    /// `MM/DD/YYYY`.
    Date,
    /// `Y` or `N`.
    Flag,
    /// A NEO Org ID: digits, no padding.
    Id,
    /// A value of the named crosswalk table's new codes.
    Code(String),
}

impl Format {
    /// Parses a layout's format cell.
    pub fn parse(s: &str) -> Option<Format> {
        match s {
            "text" => Some(Format::Text),
            "date" => Some(Format::Date),
            "flag" => Some(Format::Flag),
            "id" => Some(Format::Id),
            _ => s
                .strip_prefix("code:")
                .filter(|d| !d.is_empty())
                .map(|d| Format::Code(d.to_string())),
        }
    }
}

/// One column of an upload file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LayoutColumn {
    pub header: String,
    pub source: String,
    pub format: Format,
    pub required: bool,
}

/// One upload's layout: its columns in file order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layout {
    pub upload: String,
    pub columns: Vec<LayoutColumn>,
}

/// What the rules need besides the upload itself.
pub struct Context<'a> {
    /// No date may be later than this.
    pub as_of: NaiveDate,
    /// Every NEO Org ID of the organization crosswalk.
    pub neo_ids: &'a [String],
    /// New codes by crosswalk table.
    pub code_sets: &'a BTreeMap<String, Vec<String>>,
    /// The periods of primary enrollment ([`primary_periods`]).
    pub primary_periods: &'a DataFrame,
    /// When the periods were made from the very rows checked
    /// ([`primary_periods_ranked`]: Student Enrollment a school year at a
    /// time): the rows' and the periods' students and years as numbers, so
    /// a row's periods are found without its text.
    pub ranked: Option<&'a Ranked>,
    /// Student Enrollment rows that passed pre-flight: a Student Personal row
    /// needs one in its school year and SAU.
    pub valid_enrollments: Option<&'a DataFrame>,
    /// With `[end_of_year] action = "hold"`: the source rows the launch
    /// notices' end-of-year rules flag ([`crate::end_of_year::flags_frame`]);
    /// every upload row built from one is held under that rule.
    pub end_of_year: Option<&'a DataFrame>,
    /// NEO Org ID -> name (columns `__n_id`, `__n_name`), for the CTE
    /// guide's message.
    pub org_names: Option<&'a DataFrame>,
}

/// Columns of a pre-flight violation file.
pub const VIOLATION_COLUMNS: [&str; 8] = [
    "Row Number",
    "SAU ID",
    "School ID",
    "State Student Number",
    "Error",
    SOURCE_FILE,
    SOURCE_ROW,
    "rule",
];

/// Fields whose values never appear in a message.
const PERSONAL: [&str; 5] = ["LastName", "FirstName", "MiddleName", "Suffix", "BirthDate"];

/// A pre-flight rule as its rule groups write it; checked as a
/// [`Check`] of the same machinery as ingest's rules.
struct Rule {
    rule: &'static str,
    violated: Expr,
    message: Expr,
}

impl From<Rule> for Check {
    /// A pre-flight rule concerns a row, not one column; its message names
    /// the fields.
    fn from(r: Rule) -> Check {
        Check {
            column: "",
            rule: r.rule,
            violated: r.violated,
            value: lit(NULL).cast(DataType::String),
            message: r.message,
            outcome: crate::quarantine::Outcome::Reject,
        }
    }
}

fn has(upload: &Upload, field: &str) -> bool {
    upload.fields.iter().any(|(n, _)| *n == field)
}

fn text_of(field: &str, kind: FieldType) -> Expr {
    match kind {
        FieldType::Date => col(field).dt().to_string("%m/%d/%Y"),
        FieldType::Flag => when(col(field))
            .then(lit("Y"))
            .otherwise(lit("N"))
            .cast(DataType::String),
        _ => col(field).cast(DataType::String),
    }
}

fn kind_of(upload: &Upload, field: &str) -> FieldType {
    upload
        .fields
        .iter()
        .find(|(n, _)| *n == field)
        .map(|(_, k)| *k)
        .unwrap_or(FieldType::Text)
}

const PRIMARY_END: &str = "__primary_end";
const PRIMARY_FOUND: &str = "__primary_found";
const PREV_END: &str = "__prev_end";
const VALID_ENROLLMENT: &str = "__valid_enrollment";
const CONCURRENT_FOUND: &str = "__concurrent_found";
const NEXT_SCHOOL: &str = "__next_school";
const HAS_PREV: &str = "__has_prev";

fn far_future() -> NaiveDate {
    NaiveDate::from_ymd_opt(9999, 12, 31).expect("valid date")
}

/// [`far_future`] as days since 1970.
fn far_days() -> i32 {
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid date");
    (far_future() - epoch).num_days() as i32
}

/// An open end, as a date far in the future.
fn far() -> Expr {
    lit(far_future()).cast(DataType::Date)
}

/// The periods of primary enrollment of every student and school year:
/// primary enrollments that touch or overlap (a transfer, a change of
/// status) are one period. Columns `__p_id`, `__p_year`, `__p_entry`,
/// `__p_exit` (an open enrollment ends far in the future), sorted by the
/// first three (blank first). The primary rows are ordered by position
/// (student, school year, entry date) and chained in one pass.
pub fn primary_periods(enrollments: Option<&DataFrame>) -> PolarsResult<DataFrame> {
    match enrollments {
        Some(e) => Ok(primary_periods_ranked(e, None)?.0),
        None => DataFrame::new(
            0,
            vec![
                Column::new_empty("__p_id".into(), &DataType::String),
                Column::new_empty("__p_year".into(), &DataType::String),
                Column::new_empty("__p_entry".into(), &DataType::Date),
                Column::new_empty("__p_exit".into(), &DataType::Date),
            ],
        ),
    }
}

/// StateStudentID's and SchoolYear's [`text_ranks`] of a frame's rows: a
/// student and year compared or ordered as two numbers (0: blank).
pub struct StudentYears {
    ids: Vec<u32>,
    years: Vec<u32>,
}

impl StudentYears {
    /// The ranks of `df`'s rows (its two columns ranked on both cores).
    pub fn of(df: &DataFrame) -> PolarsResult<StudentYears> {
        let (ids, years) = (
            text_values(df, "StateStudentID")?,
            text_values(df, "SchoolYear")?,
        );
        let (ids, years) = rayon::join(|| text_ranks(&ids), || text_ranks(&years));
        Ok(StudentYears { ids, years })
    }

    /// [`StudentYears::of`] with StateStudentID's ranks already made
    /// (`ids`, [`text_ranks`] of `df`'s, row for row: conform's,
    /// `conform::student_enrollment_rows`): only SchoolYear is ranked.
    fn with_ids(df: &DataFrame, ids: Option<Vec<u32>>) -> PolarsResult<StudentYears> {
        match ids.filter(|ids| ids.len() == df.height()) {
            Some(ids) => Ok(StudentYears {
                ids,
                years: text_ranks(&text_values(df, "SchoolYear")?),
            }),
            None => StudentYears::of(df),
        }
    }
}

/// Rows and the primary periods made from them, ranked once
/// ([`primary_periods_ranked`]): each row's student and year, and each
/// period's (in the periods' order, which is theirs), as numbers.
pub struct Ranked {
    rows: StudentYears,
    periods: Vec<(u32, u32)>,
}

/// [`primary_periods`] of `e`, and `e`'s rows and the periods ranked
/// ([`Ranked`]) for pre-flight's look-ups on the same rows; `id_ranks`, when
/// given, StateStudentID's [`text_ranks`] of `e`'s rows, made before.
pub fn primary_periods_ranked(
    e: &DataFrame,
    id_ranks: Option<Vec<u32>>,
) -> PolarsResult<(DataFrame, Ranked)> {
    use rayon::prelude::*;
    let rows = StudentYears::with_ids(e, id_ranks)?;
    let kinds = text_values(e, "EnrollmentType")?;
    let ids = text_values(e, "StateStudentID")?;
    let years = text_values(e, "SchoolYear")?;
    let (entry, exit) = (day_values(e, "EntryDate")?, day_values(e, "ExitDate")?);
    let (id_ranks, year_ranks) = (&rows.ids, &rows.years);
    let entry: Vec<Option<i32>> = entry.iter().collect();
    let far = far_days();
    let exit: Vec<i32> = exit.iter().map(|d| d.unwrap_or(far)).collect();
    let mut order: Vec<usize> = kinds
        .iter()
        .enumerate()
        .filter(|(_, k)| *k == Some("P"))
        .map(|(i, _)| i)
        .collect();
    // By student, year and entry date: the ranks order as the text does.
    order.par_sort_unstable_by_key(|&i| (id_ranks[i], year_ranks[i], entry[i]));
    // A row begins a period when it is the first of its student and year
    // (equal ranks: equal text), or enters more than a day after every
    // earlier row of them has ended (`ended`: their latest exit); a period
    // ends at its rows' latest exit.
    let key = |i: usize| (id_ranks[i], year_ranks[i]);
    let (mut p_id, mut p_year, mut keys) = (Vec::new(), Vec::new(), Vec::new());
    let (mut p_entry, mut p_exit): (Vec<Option<i32>>, Vec<i32>) = (Vec::new(), Vec::new());
    let mut ended = 0;
    for (k, &i) in order.iter().enumerate() {
        let first = k == 0 || key(order[k - 1]) != key(i);
        let gap = matches!(entry[i], Some(entry) if entry > ended + 1);
        if first || gap {
            p_id.push(ids.get(i));
            p_year.push(years.get(i));
            keys.push(key(i));
            p_entry.push(entry[i]);
            p_exit.push(exit[i]);
        } else if let Some(end) = p_exit.last_mut() {
            *end = (*end).max(exit[i]);
        }
        ended = if first { exit[i] } else { ended.max(exit[i]) };
    }
    let periods = DataFrame::new(
        p_id.len(),
        vec![
            Column::new("__p_id".into(), p_id),
            Column::new("__p_year".into(), p_year),
            date_column("__p_entry", p_entry)?,
            date_column("__p_exit", p_exit.into_iter().map(Some).collect())?,
        ],
    )?;
    Ok((
        periods,
        Ranked {
            rows,
            periods: keys,
        },
    ))
}

/// The text of a column, in one chunk (null stays null).
fn text_values(df: &DataFrame, name: &str) -> PolarsResult<StringChunked> {
    let s = df
        .column(name)?
        .as_materialized_series()
        .cast(&DataType::String)?;
    Ok(s.str()?.rechunk().into_owned())
}

/// Each row's place among the column's distinct values in text order (0:
/// null, before every value): a sort on these numbers orders the rows as a
/// sort on the text does, step for step, without comparing the text again.
///
/// Text of up to 15 bytes (IDs, years, codes) is looked up and sorted as
/// one number ([`short_key`]), a value repeated from the row before without
/// a look-up; longer text by its bytes.
pub fn text_ranks(values: &StringChunked) -> Vec<u32> {
    let mut short: PlHashMap<u128, u32> = PlHashMap::default();
    let mut first: PlHashMap<&str, u32> = PlHashMap::default();
    let mut distinct: Vec<&str> = Vec::new();
    let mut last: Option<(u128, u32)> = None;
    let seen: Vec<u32> = values
        .iter()
        .map(|v| {
            let v = v?;
            let new = || {
                distinct.push(v);
                (distinct.len() - 1) as u32
            };
            Some(match short_key(v) {
                Some(k) => match last {
                    Some((at, d)) if at == k => d,
                    _ => {
                        let d = *short.entry(k).or_insert_with(new);
                        last = Some((k, d));
                        d
                    }
                },
                None => *first.entry(v).or_insert_with(new),
            })
        })
        .map(|d| d.unwrap_or(u32::MAX))
        .collect();
    let mut order: Vec<u32> = (0..distinct.len() as u32).collect();
    if first.is_empty() {
        let keys: Vec<u128> = distinct.iter().map(|v| short_key(v).unwrap_or(0)).collect();
        order.sort_unstable_by_key(|&d| keys[d as usize]);
    } else {
        order.sort_unstable_by_key(|&d| distinct[d as usize]);
    }
    let mut rank = vec![0u32; distinct.len()];
    for (r, &d) in order.iter().enumerate() {
        rank[d as usize] = r as u32 + 1;
    }
    seen.into_iter()
        .map(|d| if d == u32::MAX { 0 } else { rank[d as usize] })
        .collect()
}

/// A date column as days since 1970, in one chunk.
fn day_values(df: &DataFrame, name: &str) -> PolarsResult<Int32Chunked> {
    let s = df
        .column(name)?
        .as_materialized_series()
        .cast(&DataType::Date)?
        .cast(&DataType::Int32)?;
    Ok(s.i32()?.rechunk().into_owned())
}

/// Days since 1970 as a date column.
fn date_column(name: &str, days: Vec<Option<i32>>) -> PolarsResult<Column> {
    Column::new(name.into(), days).cast(&DataType::Date)
}

/// The concurrent-enrollment columns: whether a period of primary
/// enrollment of the student (same StateStudentID and school year, neither
/// blank) was open on `start`, and the end of the latest such period
/// (open = far future). The periods are looked up by student and year in a
/// hash table of their positions, row by row; by their ranks when they
/// were made from these rows (`ranked`).
fn with_primary(
    df: DataFrame,
    start: &str,
    periods: &DataFrame,
    ranked: Option<&Ranked>,
) -> PolarsResult<DataFrame> {
    if let Some(ranked) = ranked.filter(|r| r.rows.ids.len() == df.height()) {
        return with_primary_ranked(df, start, periods, ranked);
    }
    // A few rows (CTE's) against every student's periods: only their
    // students' periods are linked (a look-up per period, not a table of
    // them all); as many rows as periods (a year's enrollments): all.
    let only_rows_keys = df.height().saturating_mul(4) < periods.height();
    with_primary_keyed(df, start, periods, only_rows_keys)
}

/// [`with_primary`] by ranks: the periods come ordered by student rank
/// ([`primary_periods_ranked`]), so each student's are one run of them,
/// found by its rank in a table of where each rank's run begins.
fn with_primary_ranked(
    df: DataFrame,
    start: &str,
    periods: &DataFrame,
    ranked: &Ranked,
) -> PolarsResult<DataFrame> {
    let (p_entry, p_exit) = (
        day_values(periods, "__p_entry")?,
        day_values(periods, "__p_exit")?,
    );
    let (ids, years, keys) = (&ranked.rows.ids, &ranked.rows.years, &ranked.periods);
    debug_assert!(keys.is_sorted_by_key(|k| k.0));
    // `from[r]`: the first period of student rank `r` or after.
    let top = ids.iter().copied().max().unwrap_or(0) as usize;
    let mut from = vec![keys.len() as u32; top + 2];
    for (p, k) in keys.iter().enumerate().rev() {
        from[k.0 as usize] = p as u32;
    }
    for r in (0..=top).rev() {
        from[r] = from[r].min(from[r + 1]);
    }
    let starts = day_values(&df, start)?;
    let ends: Vec<Option<i32>> = starts
        .iter()
        .enumerate()
        .map(|(i, start)| {
            let (id, year, start) = (ids[i], years[i], start?);
            if id == 0 || year == 0 {
                return None;
            }
            let of_year = (from[id as usize] as usize..from[id as usize + 1] as usize)
                .filter(|&p| keys[p].1 == year);
            latest_open_end(of_year, start, &p_entry, &p_exit)
        })
        .collect();
    with_primary_columns(df, ends)
}

/// The latest end of `periods` open on `start` (entered on or before it,
/// not ended before it).
fn latest_open_end(
    periods: impl Iterator<Item = usize>,
    start: i32,
    p_entry: &Int32Chunked,
    p_exit: &Int32Chunked,
) -> Option<i32> {
    periods
        .filter(|&p| {
            p_entry.get(p).is_some_and(|e| e <= start) && p_exit.get(p).is_some_and(|e| e >= start)
        })
        .filter_map(|p| p_exit.get(p))
        .max()
}

/// `df` with [`with_primary`]'s two columns: each row's primary period's
/// end (`ends`) and whether one was found.
fn with_primary_columns(mut df: DataFrame, ends: Vec<Option<i32>>) -> PolarsResult<DataFrame> {
    let found: BooleanChunked = ends.iter().map(|e| Some(e.is_some())).collect();
    df.with_column(date_column(PRIMARY_END, ends)?)?;
    df.with_column(found.with_name(PRIMARY_FOUND.into()).into_column())?;
    Ok(df)
}

/// [`with_primary`], linking the periods of the rows' own students and
/// years only when `only_rows_keys` (the same result either way).
fn with_primary_keyed(
    df: DataFrame,
    start: &str,
    periods: &DataFrame,
    only_rows_keys: bool,
) -> PolarsResult<DataFrame> {
    let (p_ids, p_years) = (
        text_values(periods, "__p_id")?,
        text_values(periods, "__p_year")?,
    );
    let (p_entry, p_exit) = (
        day_values(periods, "__p_entry")?,
        day_values(periods, "__p_exit")?,
    );
    let (ids, years) = (
        text_values(&df, "StateStudentID")?,
        text_values(&df, "SchoolYear")?,
    );
    // Each student and year's last period, and each period's one before
    // of the same student and year (`NONE`: no more): no list made for
    // each.
    const NONE: u32 = u32::MAX;
    let mut by_key: PlHashMap<(&str, &str), u32> = PlHashMap::default();
    if only_rows_keys {
        for key in ids.iter().zip(years.iter()) {
            if let (Some(id), Some(year)) = key {
                by_key.insert((id, year), NONE);
            }
        }
    }
    let mut next = vec![NONE; p_ids.len()];
    for (i, key) in p_ids.iter().zip(p_years.iter()).enumerate() {
        let (Some(id), Some(year)) = key else {
            continue;
        };
        let last = if only_rows_keys {
            match by_key.get_mut(&(id, year)) {
                Some(last) => last,
                None => continue,
            }
        } else {
            by_key.entry((id, year)).or_insert(NONE)
        };
        next[i] = *last;
        *last = i as u32;
    }
    let periods_of = |last: u32| {
        std::iter::successors(Some(last), |&p| {
            let before = next[p as usize];
            (before != NONE).then_some(before)
        })
        .map(|p| p as usize)
    };
    let starts = day_values(&df, start)?;
    let ends: Vec<Option<i32>> = ids
        .iter()
        .zip(years.iter())
        .zip(starts.iter())
        .map(|((id, year), start)| {
            let (Some(id), Some(year), Some(start)) = (id, year, start) else {
                return None;
            };
            let last = *by_key.get(&(id, year))?;
            // A key of the rows with no period (linked only when keyed).
            let periods = periods_of((last != NONE).then_some(last)?);
            latest_open_end(periods, start, &p_entry, &p_exit)
        })
        .collect();
    with_primary_columns(df, ends)
}

/// A group of rules: those of `upload` (none when it does not apply).
type RuleGroup = fn(&Upload, &Layout, &Context) -> Vec<Rule>;

/// Every rule group, in the order rules are checked: a rejected row is
/// counted under the first rule it broke. A new rule is a function here
/// and a line in this list.
const RULE_GROUPS: [RuleGroup; 12] = [
    awaiting_state_id,
    layout_rules,
    no_sau_or_year,
    future_dates,
    after_june_30,
    concurrent_rules,
    no_concurrent_enrollment,
    overlapping_primary,
    no_valid_enrollment,
    sped_overlap,
    end_of_year_rules,
    wrong_value,
];

fn rules(upload: &Upload, layout: &Layout, ctx: &Context) -> Vec<Rule> {
    RULE_GROUPS
        .iter()
        .flat_map(|group| group(upload, layout, ctx))
        .collect()
}

/// `awaiting_state_id`: no StateStudentID yet.
fn awaiting_state_id(upload: &Upload, _: &Layout, _: &Context) -> Vec<Rule> {
    if !has(upload, "StateStudentID") {
        return vec![];
    }
    let id = || col("StateStudentID");
    vec![Rule {
        rule: "awaiting_state_id",
        violated: id()
            .is_null()
            .or(id().str().starts_with(lit("NEW-")))
            .or(id().str().starts_with(lit("CONFLICT-"))),
        message: lit("StateStudentID: the student has no StateStudentID yet; the New State ID upload assigns one first"),
    }]
}

/// Layout columns, in file order: `required` values, then `medms_id`
/// (organization IDs) or `code_not_in_set` (code sets).
fn layout_rules(upload: &Upload, layout: &Layout, ctx: &Context) -> Vec<Rule> {
    let mut rules = Vec::new();
    for c in &layout.columns {
        let src = c.source.as_str();
        let value = || col(src).cast(DataType::String);
        // A date or a flag is never blank text: only null is missing.
        let blank = match kind_of(upload, src) {
            FieldType::Date | FieldType::Flag => col(src).is_null(),
            _ => value().is_null().or(value().eq(lit(""))),
        };
        if c.required {
            rules.push(Rule {
                rule: "required",
                violated: blank,
                message: lit(format!("{}: a value is required", c.header)),
            });
        }
        match &c.format {
            Format::Id => rules.push(medms_id(&c.header, value(), ctx)),
            Format::Code(domain) => rules.push(code_not_in_set(&c.header, value(), domain, ctx)),
            _ => {}
        }
    }
    rules
}

/// `medms_id`: an organization column holding a value that is not a NEO Org ID.
fn medms_id(header: &str, value: Expr, ctx: &Context) -> Rule {
    Rule {
        rule: "medms_id",
        violated: value.clone().is_not_null().and(
            value
                .clone()
                .is_in(
                    lit(Series::new("neo".into(), ctx.neo_ids.to_vec())).implode(false),
                    false,
                )
                .not(),
        ),
        message: concat_str(
            [
                lit(format!("{header}: ")),
                value,
                lit(" is not a NEO Org ID of the organization crosswalk"),
            ],
            "",
            false,
        ),
    }
}

/// `code_not_in_set`: a value outside the new code set of `domain`.
fn code_not_in_set(header: &str, value: Expr, domain: &str, ctx: &Context) -> Rule {
    let set = ctx.code_sets.get(domain).cloned().unwrap_or_default();
    Rule {
        rule: "code_not_in_set",
        violated: value.clone().is_not_null().and(
            value
                .clone()
                .is_in(lit(Series::new("set".into(), set)).implode(false), false)
                .not(),
        ),
        message: concat_str(
            [
                lit(format!("{header}: code ")),
                value,
                lit(format!(" is not in the new code set {domain}")),
            ],
            "",
            false,
        ),
    }
}

/// `no_sau_or_year`: nothing says which upload file the row belongs in.
fn no_sau_or_year(_: &Upload, _: &Layout, _: &Context) -> Vec<Rule> {
    vec![Rule {
        rule: "no_sau_or_year",
        violated: col(UPLOAD_YEAR).is_null().or(col(UPLOAD_SAU).is_null()),
        message: lit("the row has no school year or SAU to choose its upload file"),
    }]
}

/// `future_date`: a date after the as-of date (personal dates not shown).
fn future_dates(upload: &Upload, _: &Layout, ctx: &Context) -> Vec<Rule> {
    let as_of = ctx.as_of.format("%m/%d/%Y");
    let mut rules = Vec::new();
    for (field, kind) in upload.fields {
        if *kind != FieldType::Date {
            continue;
        }
        let shown = if PERSONAL.contains(field) {
            lit(format!("{field}: a date is after the as-of date {as_of}"))
        } else {
            concat_str(
                [
                    lit(format!("{field}: ")),
                    text_of(field, *kind),
                    lit(format!(" is after the as-of date {as_of}")),
                ],
                "",
                false,
            )
        };
        rules.push(Rule {
            rule: "future_date",
            violated: col(*field).gt(lit(ctx.as_of).cast(DataType::Date)),
            message: shown,
        });
    }
    rules
}

/// `after_june_30`: an enrollment, special-education segment or CTE program
/// ending after 30 June of its school year.
fn after_june_30(upload: &Upload, _: &Layout, _: &Context) -> Vec<Rule> {
    let end = match upload.name {
        "student_enrollment" => "ExitDate",
        "special_ed" => "EndDate",
        "cte" => "ProgramEndDate",
        _ => return vec![],
    };
    let y = col(UPLOAD_YEAR);
    let d = || col(end);
    vec![Rule {
        rule: "after_june_30",
        violated: d().dt().year().gt(y.clone()).or(d()
            .dt()
            .year()
            .eq(y)
            .and(d().dt().month().gt(lit(6)))),
        message: concat_str(
            [
                lit(format!("{end}: ")),
                text_of(end, FieldType::Date),
                lit(" is after 30 June of school year "),
                col(UPLOAD_YEAR).cast(DataType::String),
            ],
            "",
            false,
        ),
    }]
}

/// `no_primary_enrollment` and `concurrent_exits_after_primary`: concurrent
/// enrollments and CTE programs need an open primary enrollment.
fn concurrent_rules(upload: &Upload, _: &Layout, _: &Context) -> Vec<Rule> {
    let (is_concurrent, start, end) = match upload.name {
        "student_enrollment" => (col("EnrollmentType").eq(lit("S")), "EntryDate", "ExitDate"),
        "cte" => (lit(true), "ProgramStartDate", "ProgramEndDate"),
        _ => return vec![],
    };
    vec![
        Rule {
            rule: "no_primary_enrollment",
            violated: is_concurrent.clone().and(col(PRIMARY_FOUND).not()),
            message: lit(format!(
                "{start}: no primary enrollment of the student is open on this date in the school year"
            )),
        },
        Rule {
            rule: "concurrent_exits_after_primary",
            violated: is_concurrent
                .and(col(PRIMARY_FOUND))
                .and(col(end).fill_null(far()).gt(col(PRIMARY_END))),
            message: concat_str(
                [
                    lit(format!("{end}: ")),
                    text_of(end, FieldType::Date).fill_null(lit("(open)")),
                    lit(" is after the primary enrollment's exit "),
                    col(PRIMARY_END).dt().to_string("%m/%d/%Y"),
                ],
                "",
                false,
            ),
        },
    ]
}

/// `no_concurrent_enrollment`: a CTE program row with no concurrent
/// (partial, `S`) Student Enrollment row of the student at the CTE school in
/// that school year, passing pre-flight, whose dates overlap the program's
/// (the guide names no dates: a concurrent enrollment that ended before the
/// program began, or began after it ended, is read as no enrollment for it). The CTE upload guide
/// (`001_8ad9ad3bacfac23c.txt` line 4: "students must have a primary
/// enrollment and a concurrent enrollment at a CTE school prior to
/// completing this upload"); the message is the guide's own error
/// (line 66).
fn no_concurrent_enrollment(upload: &Upload, _: &Layout, _: &Context) -> Vec<Rule> {
    if upload.name != "cte" {
        return vec![];
    }
    vec![Rule {
        rule: "no_concurrent_enrollment",
        violated: col(CONCURRENT_FOUND).is_null(),
        message: concat_str(
            [
                lit("Secondary enrollment not found at \""),
                coalesce(&[col("__n_name"), col("SchoolID").cast(DataType::String)]),
                lit("\""),
            ],
            "",
            false,
        ),
    }]
}

/// `overlapping_primary`: a primary enrollment still open when the
/// student's next one begins.
fn overlapping_primary(upload: &Upload, _: &Layout, _: &Context) -> Vec<Rule> {
    if upload.name != "student_enrollment" {
        return vec![];
    }
    vec![Rule {
        rule: "overlapping_primary",
        violated: col(NEXT_SCHOOL).is_not_null(),
        message: concat_str(
            [
                lit("ExitDate: "),
                text_of("ExitDate", FieldType::Date).fill_null(lit("(open)")),
                lit(" is not before the student's next primary enrollment (school "),
                col(NEXT_SCHOOL),
                lit(") begins on "),
                col("__next_entry").dt().to_string("%m/%d/%Y"),
            ],
            "",
            false,
        ),
    }]
}

/// `no_valid_enrollment`: a Student Personal row whose enrollments in that
/// SAU and year were all held back.
fn no_valid_enrollment(upload: &Upload, _: &Layout, _: &Context) -> Vec<Rule> {
    if upload.name != "student_personal" {
        return vec![];
    }
    vec![Rule {
        rule: "no_valid_enrollment",
        violated: col(VALID_ENROLLMENT).is_null(),
        message: lit("StateStudentID: no enrollment of the student in this SAU and school year passed pre-flight"),
    }]
}

/// `sped_overlap`: a special-ed segment starting before the student's
/// previous segment ended.
fn sped_overlap(upload: &Upload, _: &Layout, _: &Context) -> Vec<Rule> {
    if upload.name != "special_ed" {
        return vec![];
    }
    vec![Rule {
        rule: "sped_overlap",
        violated: col(HAS_PREV).and(col("StartDate").lt(col(PREV_END))),
        message: concat_str(
            [
                lit("StartDate: "),
                text_of("StartDate", FieldType::Date),
                lit(" is before the student's previous special-ed segment ends ("),
                when(col(PREV_END).eq(far()))
                    .then(lit("open"))
                    .otherwise(col(PREV_END).dt().to_string("%m/%d/%Y")),
                lit(")"),
            ],
            "",
            false,
        ),
    }]
}

/// Conformed rows made before `wrong_values` was carried have none.
fn with_wrong_values(lf: LazyFrame) -> LazyFrame {
    let has = lf
        .clone()
        .collect_schema()
        .is_ok_and(|s| s.contains(WRONG_VALUES));
    if has {
        lf
    } else {
        lf.with_column(lit(NULL).cast(DataType::String).alias(WRONG_VALUES))
    }
}

/// `wrong_value`: the student's current identity was kept at ingest with a
/// value the Department's rules call wrong (or a value cleared for it)
/// that no other identity of the student fills: Synergy must not receive
/// it (`wrong_values` names the column and rule).
fn wrong_value(upload: &Upload, _: &Layout, _: &Context) -> Vec<Rule> {
    if upload.name != crate::conform::STUDENT_PERSONAL_UPLOAD.name {
        return vec![];
    }
    vec![Rule {
        rule: "wrong_value",
        violated: col(WRONG_VALUES).is_not_null(),
        message: concat_str(
            [
                col(WRONG_VALUES),
                lit(" (the student's identity row was kept with this value wrong or cleared; correct it in ICSE)"),
            ],
            "",
            false,
        ),
    }]
}

/// The end-of-year rules, when they hold rows: an upload row built from a
/// source row one of them flagged.
fn end_of_year_rules(_: &Upload, _: &Layout, ctx: &Context) -> Vec<Rule> {
    if ctx.end_of_year.is_none() {
        return vec![];
    }
    crate::end_of_year::RULES
        .iter()
        .zip(crate::end_of_year::MESSAGES)
        .map(|(rule, message)| Rule {
            rule,
            violated: col(crate::end_of_year::flag_column(rule)),
            message: lit(message),
        })
        .collect()
}

/// What pre-flight produced for one upload.
pub struct Checked {
    /// The rows that may be written (the conformed columns).
    pub rows: DataFrame,
    /// One row per violation, in [`VIOLATION_COLUMNS`].
    pub violations: DataFrame,
    pub report: StageReport,
}

/// Checks one upload's conformed rows.
pub fn run(
    upload: &Upload,
    layout: &Layout,
    df: &DataFrame,
    ctx: &Context,
) -> PolarsResult<Checked> {
    let original: Vec<Expr> = df
        .get_column_names()
        .into_iter()
        .map(|c| col(c.as_str()))
        .collect();
    let ruled = with_rule_columns(df, upload.name, ctx)?;
    let checks: Vec<Check> = rules(upload, layout, ctx)
        .into_iter()
        .map(Check::from)
        .collect();
    let flagged = flag_rows(ruled.lazy(), &checks)?;
    let bad = flagged.clone().lazy().filter(col(BAD)).collect()?;
    let violations = violation_rows(upload, &checks, &bad)?;
    let mut report = StageReport::new(STAGE, upload.name);
    report.rows_in = df.height() as u64;
    count_rules(&bad, &checks, &mut report)?;
    let good = !flagged.column(BAD)?.bool()?;
    let rows = flagged.lazy().select(original).collect()?;
    // Only the kept rows, one column at a time (nothing to do when every
    // row passed).
    let rows = if bad.height() == 0 {
        rows
    } else {
        rows.filter(&good)?
    };
    report.rows_out = rows.height() as u64;
    Ok(Checked {
        rows,
        violations,
        report,
    })
}

/// The columns an upload's rules read besides its own.
fn with_rule_columns(df: &DataFrame, upload: &str, ctx: &Context) -> PolarsResult<DataFrame> {
    // Student Enrollment's primary columns first, on the rows as they
    // came (the order `ctx.ranked` knows them in): the flags' join below
    // adds columns to each row, whatever order it leaves them in.
    let df = match upload {
        "student_enrollment" => {
            let ranked = ctx.ranked;
            let primary = with_primary(df.clone(), "EntryDate", ctx.primary_periods, ranked)?;
            with_next_primary(primary, ranked.map(|r| &r.rows))?
        }
        _ => df.clone(),
    };
    let df = match ctx.end_of_year {
        Some(flags) => df
            .lazy()
            .join(
                flags.clone().lazy(),
                [col(SOURCE_FILE), col(SOURCE_ROW)],
                [col(SOURCE_FILE), col(SOURCE_ROW)],
                JoinArgs::new(JoinType::Left),
            )
            .collect()?,
        None => df,
    };
    match upload {
        "cte" => with_concurrent_enrollment(
            with_primary(df, "ProgramStartDate", ctx.primary_periods, None)?.lazy(),
            ctx,
        )?
        .collect(),
        "student_personal" => {
            with_valid_enrollment(with_wrong_values(df.lazy()), ctx.valid_enrollments)?.collect()
        }
        "special_ed" => with_previous_segment(df.lazy())?.collect(),
        _ => Ok(df),
    }
}

/// A primary enrollment still open when the student's next primary
/// enrollment begins (a change of status was split into touching rows by
/// conform, so it is not an overlap): that next school and entry date.
/// "Next": the primary rows ordered by student, school year, entry date
/// (blank first) and upload row; a student's rows of a year are
/// neighbours, compared on their positions in one pass.
fn with_next_primary(mut df: DataFrame, ranks: Option<&StudentYears>) -> PolarsResult<DataFrame> {
    use rayon::prelude::*;
    let own;
    let ranks = match ranks.filter(|r| r.ids.len() == df.height()) {
        Some(ranks) => ranks,
        None => {
            own = StudentYears::of(&df)?;
            &own
        }
    };
    let kinds = text_values(&df, "EnrollmentType")?;
    let schools = text_values(&df, "SchoolID")?;
    let (entry, exit) = (day_values(&df, "EntryDate")?, day_values(&df, "ExitDate")?);
    let rows = df
        .column(UPLOAD_ROW)?
        .as_materialized_series()
        .cast(&DataType::Int64)?;
    let rows = rows.i64()?.rechunk();
    let (id_ranks, year_ranks) = (&ranks.ids, &ranks.years);
    let entry: Vec<Option<i32>> = entry.iter().collect();
    let rows: Vec<Option<i64>> = rows.iter().collect();
    // By student, year, entry date and upload row: the ranks order as the
    // text does.
    let key = |i: usize| (id_ranks[i], year_ranks[i], entry[i], rows[i]);
    let mut primary: Vec<usize> = kinds
        .iter()
        .enumerate()
        .filter(|(_, k)| *k == Some("P"))
        .map(|(i, _)| i)
        .collect();
    primary.par_sort_unstable_by(|&a, &b| key(a).cmp(&key(b)));
    let far = far_days();
    let mut next_school: Vec<Option<&str>> = vec![None; df.height()];
    let mut next_entry: Vec<Option<i32>> = vec![None; df.height()];
    for pair in primary.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        // Equal ranks: equal text (0: blank, never the same student).
        let same = id_ranks[a] != 0 && (id_ranks[a], year_ranks[a]) == (id_ranks[b], year_ranks[b]);
        let open = matches!(entry[b], Some(e) if e < exit.get(a).unwrap_or(far));
        if same && open {
            next_school[a] = schools.get(b);
            next_entry[a] = entry[b];
        }
    }
    let next_school = StringChunked::new(NEXT_SCHOOL.into(), next_school)
        .into_series()
        .cast(df.column("SchoolID")?.dtype())?;
    df.with_column(next_school.into_column())?;
    df.with_column(date_column("__next_entry", next_entry)?)?;
    Ok(df)
}

/// Whether a concurrent Student Enrollment row that passed pre-flight exists
/// at the row's school in its school year and overlaps the program's dates
/// (`__concurrent_found`), and the school's name (`__n_name`). Overlap: the
/// enrollment enters on or before the program ends and exits (or is open)
/// on or after it starts; an open program runs to the end of time.
fn with_concurrent_enrollment(lf: LazyFrame, ctx: &Context) -> PolarsResult<LazyFrame> {
    let concurrent = match ctx.valid_enrollments {
        Some(v) => v
            .clone()
            .lazy()
            .filter(col("EnrollmentType").eq(lit("S")))
            .select([
                col("StateStudentID").alias("__c_id"),
                col(UPLOAD_YEAR).alias("__c_year"),
                col("SchoolID").cast(DataType::String).alias("__c_school"),
                col("EntryDate").alias("__c_entry"),
                col("ExitDate").fill_null(far()).alias("__c_exit"),
            ]),
        None => DataFrame::new(
            0,
            [
                ("__c_id", DataType::String),
                ("__c_year", DataType::Int32),
                ("__c_school", DataType::String),
                ("__c_entry", DataType::Date),
                ("__c_exit", DataType::Date),
            ]
            .iter()
            .map(|(n, t)| Column::new_empty((*n).into(), t))
            .collect(),
        )?
        .lazy(),
    };
    let lf = lf.with_column(col("SchoolID").cast(DataType::String).alias("__cte_school"));
    let found = lf
        .clone()
        .select([
            col(UPLOAD_ROW),
            col("StateStudentID"),
            col(UPLOAD_YEAR),
            col("__cte_school"),
            col("ProgramStartDate"),
            col("ProgramEndDate").fill_null(far()).alias("__p_end"),
        ])
        .join(
            concurrent,
            [col("StateStudentID"), col(UPLOAD_YEAR), col("__cte_school")],
            [col("__c_id"), col("__c_year"), col("__c_school")],
            JoinArgs::new(JoinType::Inner),
        )
        .filter(
            col("__c_entry")
                .lt_eq(col("__p_end"))
                .and(col("__c_exit").gt_eq(col("ProgramStartDate")))
                .fill_null(lit(false)),
        )
        .select([col(UPLOAD_ROW), lit(true).alias(CONCURRENT_FOUND)])
        .unique(None, UniqueKeepStrategy::First);
    let lf = lf.join(
        found,
        [col(UPLOAD_ROW)],
        [col(UPLOAD_ROW)],
        JoinArgs::new(JoinType::Left),
    );
    Ok(match ctx.org_names {
        Some(names) => lf.join(
            names.clone().lazy(),
            [col("__cte_school")],
            [col("__n_id")],
            JoinArgs::new(JoinType::Left),
        ),
        None => lf.with_column(lit(NULL).cast(DataType::String).alias("__n_name")),
    })
}

/// Whether a Student Enrollment row that passed pre-flight exists in the
/// row's school year and SAU.
fn with_valid_enrollment(
    lf: LazyFrame,
    valid_enrollments: Option<&DataFrame>,
) -> PolarsResult<LazyFrame> {
    let valid = match valid_enrollments {
        Some(v) => v
            .clone()
            .lazy()
            .select([
                col("StateStudentID").alias("__v_id"),
                col(UPLOAD_YEAR).alias("__v_year"),
                col(UPLOAD_SAU).alias("__v_sau"),
                lit(true).alias(VALID_ENROLLMENT),
            ])
            .unique(None, UniqueKeepStrategy::First),
        None => DataFrame::new(
            0,
            vec![
                Column::new_empty("__v_id".into(), &DataType::String),
                Column::new_empty("__v_year".into(), &DataType::Int32),
                Column::new_empty("__v_sau".into(), &DataType::String),
                Column::new_empty(VALID_ENROLLMENT.into(), &DataType::Boolean),
            ],
        )?
        .lazy(),
    };
    Ok(lf.join(
        valid,
        [col("StateStudentID"), col(UPLOAD_YEAR), col(UPLOAD_SAU)],
        [col("__v_id"), col("__v_year"), col("__v_sau")],
        JoinArgs::new(JoinType::Left),
    ))
}

/// The end of the student's previous special-ed segment (open = far future).
fn with_previous_segment(lf: LazyFrame) -> PolarsResult<LazyFrame> {
    let end = col("EndDate").fill_null(far());
    Ok(lf
        .sort_by_exprs(
            [col("StateStudentID"), col("StartDate"), col(UPLOAD_ROW)],
            SortMultipleOptions::default(),
        )
        .with_columns([
            end.shift(lit(1))
                .over([col("StateStudentID")])?
                .alias(PREV_END),
            col(UPLOAD_ROW)
                .shift(lit(1))
                .over([col("StateStudentID")])?
                .is_not_null()
                .alias(HAS_PREV),
        ]))
}

/// The rows with a flag per rule and `__bad` (any rule broken), in upload order.
fn flag_rows(lf: LazyFrame, checks: &[Check]) -> PolarsResult<DataFrame> {
    let (flags, any_bad) = flag_exprs(checks)?;
    let flagged = lf.with_columns(flags).with_column(any_bad).collect()?;
    // The rule columns keep the conformed order (upload order) unless a
    // join changed it: then sorted back.
    let rows = flagged
        .column(UPLOAD_ROW)?
        .as_materialized_series()
        .cast(&DataType::Int64)?;
    let mut last = None;
    let in_order = rows.i64()?.iter().all(|r| {
        let ok = r.is_some() && (last.is_none() || r > last);
        last = r;
        ok
    });
    if in_order {
        Ok(flagged)
    } else {
        flagged.sort([UPLOAD_ROW], SortMultipleOptions::default())
    }
}

/// One row per violation of the `bad` rows, in [`VIOLATION_COLUMNS`], by
/// upload row and then rule order.
fn violation_rows(upload: &Upload, rules: &[Check], bad: &DataFrame) -> PolarsResult<DataFrame> {
    let text = |field: &str| {
        if has(upload, field) {
            col(field).cast(DataType::String)
        } else {
            lit(NULL).cast(DataType::String)
        }
    };
    let mut parts = vec![DataFrame::new(
        0,
        VIOLATION_COLUMNS
            .iter()
            .map(|c| {
                let dtype = if *c == SOURCE_ROW {
                    DataType::Int64
                } else {
                    DataType::String
                };
                Column::new_empty((*c).into(), &dtype)
            })
            .chain([Column::new_empty("__order".into(), &DataType::UInt32)])
            .chain([Column::new_empty(UPLOAD_ROW.into(), &DataType::UInt32)])
            .collect(),
    )?
    .lazy()];
    for (i, r) in rules.iter().enumerate() {
        parts.push(bad.clone().lazy().filter(col(flag_name(i))).select([
            lit(NULL).cast(DataType::String).alias("Row Number"),
            text("SAUID").alias("SAU ID"),
            text("SchoolID").alias("School ID"),
            text("StateStudentID").alias("State Student Number"),
            r.message.clone().cast(DataType::String).alias("Error"),
            col(SOURCE_FILE),
            col(SOURCE_ROW),
            lit(r.rule).alias("rule"),
            lit(i as u32).cast(DataType::UInt32).alias("__order"),
            col(UPLOAD_ROW),
        ]));
    }
    concat(parts, UnionArgs::default())?
        .sort(
            [UPLOAD_ROW, "__order"],
            SortMultipleOptions::default().with_maintain_order(true),
        )
        .select(VIOLATION_COLUMNS.map(col))
        .collect()
}

/// The rows of an upload file as text, columns named by the layout's
/// headers, in the layout's order.
pub fn format(upload: &Upload, layout: &Layout, rows: &DataFrame) -> PolarsResult<DataFrame> {
    let mut dates = Vec::new();
    let exprs: Vec<Expr> = layout
        .columns
        .iter()
        .map(|c| {
            let kind = kind_of(upload, &c.source);
            let e = match c.format {
                // Dates are written below, without a format string per value.
                _ if c.format == Format::Date
                    || (kind == FieldType::Date && c.format != Format::Flag) =>
                {
                    dates.push((c.header.as_str(), c.source.as_str()));
                    lit(NULL)
                }
                Format::Flag => when(col(c.source.as_str()).cast(DataType::Boolean))
                    .then(lit("Y"))
                    .when(col(c.source.as_str()).is_null())
                    .then(lit(NULL).cast(DataType::String))
                    .otherwise(lit("N")),
                _ => text_of(&c.source, kind),
            };
            e.cast(DataType::String).alias(c.header.as_str())
        })
        .collect();
    let mut out = rows.clone().lazy().select(exprs).collect()?;
    for (header, source) in dates {
        let text = us_dates(rows.column(source)?, header)?;
        out.replace(header, text.into_column())?;
    }
    Ok(out)
}

/// A date column as `MM/DD/YYYY` text (null stays null), as
/// `dt().to_string("%m/%d/%Y")` writes it.
fn us_dates(c: &Column, name: &str) -> PolarsResult<StringChunked> {
    let days = c.cast(&DataType::Date)?.to_physical_repr();
    let days = days.i32()?;
    let mut out = StringChunkedBuilder::new(name.into(), days.len());
    let mut buf = *b"MM/DD/YYYY";
    for d in days.iter() {
        let Some(d) = d else {
            out.append_null();
            continue;
        };
        // 719,163 days from 1 January of year 1 to 1970-01-01.
        let date = NaiveDate::from_num_days_from_ce_opt(d + 719_163);
        match date {
            Some(date) if (0..=9999).contains(&date.year()) => {
                let (y, m, dd) = (date.year() as u32, date.month(), date.day());
                let digits = [
                    m / 10,
                    m % 10,
                    dd / 10,
                    dd % 10,
                    y / 1000,
                    y / 100 % 10,
                    y / 10 % 10,
                    y % 10,
                ];
                for (at, v) in [0, 1, 3, 4, 6, 7, 8, 9].into_iter().zip(digits) {
                    buf[at] = b'0' + v as u8;
                }
                out.append_value(std::str::from_utf8(&buf).expect("ASCII digits"));
            }
            Some(date) => out.append_value(date.format("%m/%d/%Y").to_string()),
            None => out.append_null(),
        }
    }
    Ok(out.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_sorted_on_text_ranks_come_in_the_order_sorted_on_the_text() {
        use rayon::prelude::*;
        // Many ties (a unstable sort must still make the same moves) and
        // nulls, which order first.
        let mut random = crate::lcg(7);
        let mut next = || random() as usize;
        let words = ["", "10", "9", "100", "a", "A", "é", "10 ", "0099"];
        let values: Vec<Option<&str>> = (0..20_000)
            .map(|_| match next() % 10 {
                0 => None,
                k => Some(words[k % words.len()]),
            })
            .collect();
        let days: Vec<Option<i32>> = (0..20_000).map(|_| Some((next() % 5) as i32)).collect();
        let ranks = text_ranks(&StringChunked::new("v".into(), &values));
        for (i, j) in [(0, 1), (2, 3), (5, 9), (4, 17)] {
            assert_eq!(values[i].cmp(&values[j]), ranks[i].cmp(&ranks[j]));
        }
        let mut by_text: Vec<usize> = (0..values.len()).collect();
        by_text.par_sort_unstable_by_key(|&i| (values[i], days[i]));
        let mut by_rank: Vec<usize> = (0..values.len()).collect();
        by_rank.par_sort_unstable_by_key(|&i| (ranks[i], days[i]));
        assert_eq!(by_text, by_rank);
    }

    #[test]
    fn text_ranks_order_short_and_long_text_as_the_text_orders() {
        // Up to 15 bytes as numbers, longer as text; prefixes, zero bytes
        // and repeats in a row.
        let words = [
            "",
            "\0",
            "a",
            "a\0",
            "a\0b",
            "ab",
            "b",
            "123456789012345",
            "1234567890123456",
            "123456789012345\0",
            "12345678901234",
            "zzzzzzzzzzzzzzzzzzzz",
            "é",
            "1001",
            "1001",
        ];
        let check = |values: Vec<Option<&str>>| {
            let ranks = text_ranks(&StringChunked::new("v".into(), &values));
            let mut distinct: Vec<&str> = values.iter().flatten().copied().collect();
            distinct.sort_unstable();
            distinct.dedup();
            let want: Vec<u32> = values
                .iter()
                .map(|v| v.map_or(0, |v| distinct.binary_search(&v).unwrap() as u32 + 1))
                .collect();
            assert_eq!(ranks, want);
        };
        let all: Vec<Option<&str>> = words.iter().copied().map(Some).chain([None]).collect();
        check(all.iter().rev().copied().collect());
        check(
            all.iter()
                .filter(|w| w.is_none_or(|w| w.len() <= 15))
                .copied()
                .collect(),
        );
        check(vec![
            Some("2017"),
            Some("2017"),
            None,
            Some("2016"),
            Some("2017"),
        ]);
    }

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    /// [`with_primary`] and [`with_next_primary`] as they were before
    /// they looked rows up by position: joins and windows on the text keys.
    fn old_with_primary(
        lf: LazyFrame,
        start: &str,
        periods: &DataFrame,
    ) -> PolarsResult<LazyFrame> {
        let primaries = periods.clone().lazy();
        let found = lf
            .clone()
            .select([
                col(UPLOAD_ROW),
                col("StateStudentID"),
                col("SchoolYear"),
                col(start),
            ])
            .join(
                primaries,
                [col("StateStudentID"), col("SchoolYear")],
                [col("__p_id"), col("__p_year")],
                JoinArgs::new(JoinType::Inner),
            )
            .filter(
                col("__p_entry")
                    .lt_eq(col(start))
                    .and(col("__p_exit").gt_eq(col(start))),
            )
            .group_by([col(UPLOAD_ROW)])
            .agg([col("__p_exit").max().alias(PRIMARY_END)]);
        Ok(lf
            .join(
                found,
                [col(UPLOAD_ROW)],
                [col(UPLOAD_ROW)],
                JoinArgs::new(JoinType::Left),
            )
            .with_column(col(PRIMARY_END).is_not_null().alias(PRIMARY_FOUND)))
    }

    fn old_with_next_primary(lf: LazyFrame) -> PolarsResult<LazyFrame> {
        let overlaps = lf
            .clone()
            .filter(col("EnrollmentType").eq(lit("P")))
            .select([
                col(UPLOAD_ROW),
                col("StateStudentID"),
                col("SchoolYear"),
                col("SchoolID"),
                col("EntryDate"),
                col("ExitDate"),
            ])
            .sort(
                ["StateStudentID", "SchoolYear", "EntryDate", UPLOAD_ROW],
                SortMultipleOptions::default(),
            )
            .with_columns([
                col("EntryDate")
                    .shift(lit(-1))
                    .over([col("StateStudentID"), col("SchoolYear")])?
                    .alias("__next_entry"),
                col("SchoolID")
                    .shift(lit(-1))
                    .over([col("StateStudentID"), col("SchoolYear")])?
                    .alias(NEXT_SCHOOL),
            ])
            .filter(
                col("__next_entry")
                    .lt(col("ExitDate").fill_null(far()))
                    .and(col("StateStudentID").is_not_null())
                    .fill_null(lit(false)),
            )
            .select([col(UPLOAD_ROW), col(NEXT_SCHOOL), col("__next_entry")]);
        Ok(lf.join(
            overlaps,
            [col(UPLOAD_ROW)],
            [col(UPLOAD_ROW)],
            JoinArgs::new(JoinType::Left),
        ))
    }

    /// Primary and concurrent enrollments with the awkward cases: an open
    /// primary, overlaps, touching rows, blank students, school years and
    /// entry dates, two rows entering the same day, a concurrent row no
    /// primary covers.
    fn awkward_enrollments() -> DataFrame {
        type Row = (
            Option<&'static str>,
            Option<&'static str>,
            &'static str,
            &'static str,
            Option<&'static str>,
            Option<&'static str>,
        );
        let rows: [Row; 15] = [
            (
                Some("A"),
                Some("2016"),
                "S1",
                "P",
                Some("2015-09-01"),
                Some("2015-12-31"),
            ),
            (Some("A"), Some("2016"), "S2", "P", Some("2015-11-01"), None),
            (
                Some("A"),
                Some("2016"),
                "S3",
                "P",
                Some("2016-01-05"),
                Some("2016-06-10"),
            ),
            (
                Some("A"),
                Some("2016"),
                "S4",
                "S",
                Some("2016-02-01"),
                Some("2016-03-01"),
            ),
            (Some("A"), Some("2017"), "S1", "P", None, Some("2016-10-01")),
            (
                Some("A"),
                Some("2017"),
                "S1",
                "P",
                Some("2016-09-01"),
                Some("2017-06-01"),
            ),
            (
                None,
                Some("2016"),
                "S1",
                "P",
                Some("2015-09-01"),
                Some("2016-06-01"),
            ),
            (
                None,
                Some("2016"),
                "S2",
                "P",
                Some("2015-10-01"),
                Some("2016-06-01"),
            ),
            (
                Some("B"),
                None,
                "S1",
                "P",
                Some("2015-09-01"),
                Some("2016-06-01"),
            ),
            (
                Some("B"),
                None,
                "S2",
                "P",
                Some("2015-10-01"),
                Some("2016-06-01"),
            ),
            (
                Some("B"),
                Some("2016"),
                "S1",
                "P",
                Some("2015-09-01"),
                Some("2015-09-30"),
            ),
            (
                Some("B"),
                Some("2016"),
                "S2",
                "P",
                Some("2015-10-01"),
                Some("2016-06-01"),
            ),
            (Some("B"), Some("2016"), "S5", "S", Some("2016-07-01"), None),
            (
                Some("C"),
                Some("2016"),
                "S1",
                "P",
                Some("2015-09-01"),
                Some("2016-06-01"),
            ),
            (
                Some("C"),
                Some("2016"),
                "S2",
                "P",
                Some("2015-09-01"),
                Some("2016-05-01"),
            ),
        ];
        let day = |v: Option<&str>| v.map(d);
        let mut df = df!(
            "StateStudentID" => rows.map(|r| r.0),
            "SchoolYear" => rows.map(|r| r.1),
            "SchoolID" => rows.map(|r| r.2),
            "EnrollmentType" => rows.map(|r| r.3),
            "EntryDate" => rows.map(|r| day(r.4)),
            "ExitDate" => rows.map(|r| day(r.5)),
        )
        .unwrap();
        // Upload rows numbered in another order than the frame's.
        let upload_rows: Vec<u32> = (0..15u32).map(|i| (i * 7) % 15).collect();
        df.with_column(Column::new(UPLOAD_ROW.into(), upload_rows))
            .unwrap();
        df
    }

    /// Columns of `df` as text, in upload row order.
    fn as_text(df: &DataFrame, columns: &[&str]) -> Vec<Vec<Option<String>>> {
        let df = df.sort([UPLOAD_ROW], Default::default()).unwrap();
        columns
            .iter()
            .map(|c| {
                let s = df.column(c).unwrap().cast(&DataType::String).unwrap();
                s.str()
                    .unwrap()
                    .iter()
                    .map(|v| v.map(String::from))
                    .collect()
            })
            .collect()
    }

    /// [`primary_periods`] as it was before it ordered rows by position:
    /// a sort of the frame, then the chain.
    fn old_primary_periods(enrollments: Option<&DataFrame>) -> PolarsResult<DataFrame> {
        let Some(e) = enrollments else {
            return DataFrame::new(
                0,
                vec![
                    Column::new_empty("__p_id".into(), &DataType::String),
                    Column::new_empty("__p_year".into(), &DataType::String),
                    Column::new_empty("__p_entry".into(), &DataType::Date),
                    Column::new_empty("__p_exit".into(), &DataType::Date),
                ],
            );
        };
        let sorted = e
            .clone()
            .lazy()
            .filter(col("EnrollmentType").eq(lit("P")))
            .select([
                col("StateStudentID").alias("__p_id"),
                col("SchoolYear").alias("__p_year"),
                col("EntryDate").cast(DataType::Int32).alias("__p_entry"),
                col("ExitDate")
                    .fill_null(far())
                    .cast(DataType::Int32)
                    .alias("__p_exit"),
            ])
            .sort(
                ["__p_id", "__p_year", "__p_entry"],
                SortMultipleOptions::default(),
            )
            .collect()?;
        let periods = old_chain_periods(&sorted)?;
        old_with_period_ends(sorted.take(&periods)?, &sorted, &periods)
    }

    fn old_chain_periods(sorted: &DataFrame) -> PolarsResult<IdxCa> {
        let ids = sorted
            .column("__p_id")?
            .as_materialized_series()
            .cast(&DataType::String)?;
        let ids = ids.str()?.rechunk();
        let years = sorted
            .column("__p_year")?
            .as_materialized_series()
            .cast(&DataType::String)?;
        let years = years.str()?.rechunk();
        let entry = sorted.column("__p_entry")?.i32()?.rechunk();
        let exit = sorted.column("__p_exit")?.i32()?.rechunk();
        let mut firsts: Vec<IdxSize> = Vec::new();
        let mut ended: Option<i32> = None;
        let rows = ids
            .iter()
            .zip(years.iter())
            .zip(entry.iter().zip(exit.iter()));
        let mut last_key = None;
        for (i, (key, (entry, exit))) in rows.enumerate() {
            // `ended`: the latest exit of the earlier rows of the student and
            // year (open = far future).
            let first = last_key != Some(key);
            let gap = matches!((entry, ended), (Some(entry), Some(ended)) if entry > ended + 1);
            if first || gap {
                firsts.push(i as IdxSize);
            }
            ended = if first { exit } else { ended.max(exit) };
            last_key = Some(key);
        }
        Ok(IdxCa::from_vec("".into(), firsts))
    }

    fn old_with_period_ends(
        firsts: DataFrame,
        sorted: &DataFrame,
        periods: &IdxCa,
    ) -> PolarsResult<DataFrame> {
        let exit = sorted.column("__p_exit")?.i32()?.rechunk();
        let starts: Vec<usize> = periods.into_no_null_iter().map(|i| i as usize).collect();
        let ends: Vec<Option<i32>> = starts
            .iter()
            .enumerate()
            .map(|(k, &from)| {
                let to = starts.get(k + 1).copied().unwrap_or(sorted.height());
                (from..to).filter_map(|i| exit.get(i)).max()
            })
            .collect();
        let mut out = firsts;
        out.with_column(Column::new("__p_exit".into(), ends))?;
        out.lazy()
            .select([
                col("__p_id"),
                col("__p_year"),
                col("__p_entry").cast(DataType::Date),
                col("__p_exit").cast(DataType::Date),
            ])
            .collect()
    }

    #[test]
    fn primary_periods_by_position_match_the_sorted_frame() {
        let df = awkward_enrollments();
        let new = primary_periods(Some(&df)).unwrap();
        let old = old_primary_periods(Some(&df)).unwrap();
        assert!(new.equals_missing(&old), "new\n{new}\nold\n{old}");
        // Not a vacuous match: one period per student and year (A's three
        // overlapping 2016 rows, B's touching ones, blank keys included).
        assert_eq!(new.height(), 6);
    }

    #[test]
    fn primary_lookups_by_position_match_the_joins_they_replace() {
        let df = awkward_enrollments();
        // The periods of these rows, and hand-made ones that overlap (two
        // open on one date: the later end wins) or have blank keys.
        let made = df!(
            "__p_id" => [Some("A"), Some("A"), None, Some("B")],
            "__p_year" => [Some("2016"), Some("2016"), Some("2016"), None],
            "__p_entry" => [d("2015-09-01"), d("2016-01-01"), d("2015-09-01"), d("2015-09-01")],
            "__p_exit" => [d("2016-02-15"), d("2016-04-01"), d("2016-06-01"), d("2016-06-01")],
        )
        .unwrap();
        let columns = [PRIMARY_END, PRIMARY_FOUND, NEXT_SCHOOL, "__next_entry"];
        for periods in [primary_periods(Some(&df)).unwrap(), made] {
            let old = old_with_next_primary(
                old_with_primary(df.clone().lazy(), "EntryDate", &periods).unwrap(),
            )
            .unwrap()
            .collect()
            .unwrap();
            // Every period linked, or only those of the rows' keys.
            for keyed in [false, true] {
                let new = with_primary_keyed(df.clone(), "EntryDate", &periods, keyed).unwrap();
                let new = with_next_primary(new, None).unwrap();
                assert_eq!(as_text(&new, &columns), as_text(&old, &columns));
            }
        }
        // The periods made from these rows, looked up by rank: the
        // students ranked here, or before (as conform ranks them).
        let ids = text_ranks(&text_values(&df, "StateStudentID").unwrap());
        for given in [None, Some(ids)] {
            let (periods, ranked) = primary_periods_ranked(&df, given).unwrap();
            let old = old_with_next_primary(
                old_with_primary(df.clone().lazy(), "EntryDate", &periods).unwrap(),
            )
            .unwrap()
            .collect()
            .unwrap();
            let new = with_primary(df.clone(), "EntryDate", &periods, Some(&ranked)).unwrap();
            let new = with_next_primary(new, Some(&ranked.rows)).unwrap();
            assert_eq!(as_text(&new, &columns), as_text(&old, &columns));
        }
        // Not a vacuous match: who overlaps whom, by frame row.
        let periods = primary_periods(Some(&df)).unwrap();
        let new = with_primary(df, "EntryDate", &periods, None).unwrap();
        let new = with_next_primary(new, None).unwrap();
        let next = new.column(NEXT_SCHOOL).unwrap().str().unwrap().clone();
        let next: Vec<(usize, &str)> = next
            .iter()
            .enumerate()
            .filter_map(|(i, s)| Some((i, s?)))
            .collect();
        assert_eq!(
            next,
            [(0, "S2"), (1, "S3"), (4, "S1"), (8, "S2"), (13, "S2")]
        );
        let found = new.column(PRIMARY_FOUND).unwrap().bool().unwrap().clone();
        assert_eq!((found.get(3), found.get(12)), (Some(true), Some(false)));
    }

    #[test]
    fn touching_primary_enrollments_are_one_period() {
        let enrollments = df!(
            "StateStudentID" => ["000000001", "000000001", "000000001"],
            "SchoolYear" => ["2016", "2016", "2016"],
            "EnrollmentType" => ["P", "P", "S"],
            "EntryDate" => [d("2015-09-01"), d("2015-10-21"), d("2015-09-03")],
            "ExitDate" => [Some(d("2015-10-20")), Some(d("2016-06-10")), Some(d("2016-06-07"))],
            UPLOAD_ROW => [0u32, 1, 2],
        )
        .unwrap();
        let (periods, ranked) = primary_periods_ranked(&enrollments, None).unwrap();
        // By text and by rank.
        for ranked in [None, Some(&ranked)] {
            let out = with_primary(enrollments.clone(), "EntryDate", &periods, ranked).unwrap();
            let found = out.column(PRIMARY_FOUND).unwrap().bool().unwrap().clone();
            let found: Vec<Option<bool>> = (0..found.len()).map(|i| found.get(i)).collect();
            assert_eq!(found, [Some(true), Some(true), Some(true)]);
            let end = out
                .column(PRIMARY_END)
                .unwrap()
                .cast(&DataType::String)
                .unwrap();
            assert_eq!(end.str().unwrap().get(2), Some("2016-06-10"));
        }
    }

    /// The truancy layout as shipped (layouts/truancy.csv).
    fn truancy_layout() -> Layout {
        let column = |header: &str, format: Format| LayoutColumn {
            header: header.to_string(),
            source: header.to_string(),
            format,
            required: true,
        };
        Layout {
            upload: "truancy".to_string(),
            columns: vec![
                column("SAUID", Format::Id),
                column("SchoolID", Format::Id),
                column("StateStudentID", Format::Text),
                column("SchoolYear", Format::Text),
                column("TruancyStep", Format::Code("truancy_steps".to_string())),
                column("StepDate", Format::Date),
            ],
        }
    }

    #[test]
    fn medms_ids_codes_outside_the_set_and_future_dates_are_held_with_their_rule() {
        let df = df!(
            crate::conform::SOURCE_ENTITY => ["truancy"; 5],
            SOURCE_FILE => ["truancy.csv"; 5],
            SOURCE_ROW => [2i64, 3, 4, 5, 6],
            UPLOAD_YEAR => [2017i32; 5],
            UPLOAD_SAU => ["2462"; 5],
            "SAUID" => ["2462"; 5],
            "SchoolID" => ["3955", "1234", "3955", "3955", "1234"],
            "StateStudentID" => ["952708003"; 5],
            "SchoolYear" => ["2017"; 5],
            "TruancyStep" => ["Step1", "Step1", "1A", "Step2", "Step2"],
            "StepDate" => [d("2017-01-31"), d("2017-02-07"), d("2017-03-01"), d("2017-07-15"), d("2017-07-16")],
            UPLOAD_ROW => [0u32, 1, 2, 3, 4],
        )
        .unwrap();
        let neo_ids = ["2462".to_string(), "3955".to_string()];
        let code_sets = BTreeMap::from([(
            "truancy_steps".to_string(),
            vec!["Step1".to_string(), "Step2".to_string()],
        )]);
        let periods = primary_periods(None).unwrap();
        let ctx = Context {
            as_of: d("2017-06-30"),
            neo_ids: &neo_ids,
            code_sets: &code_sets,
            primary_periods: &periods,
            ranked: None,
            valid_enrollments: None,
            end_of_year: None,
            org_names: None,
        };
        let upload = crate::conform::TRUANCY_UPLOAD;
        let checked = run(&upload, &truancy_layout(), &df, &ctx).unwrap();

        // Only the clean row passes.
        let kept = checked
            .rows
            .column(SOURCE_ROW)
            .unwrap()
            .i64()
            .unwrap()
            .clone();
        assert_eq!((kept.len(), kept.get(0)), (1, Some(2)));
        // One violation row per broken rule, word for word.
        let text = |c: &str| {
            let s = checked
                .violations
                .column(c)
                .unwrap()
                .cast(&DataType::String)
                .unwrap();
            let s = s.str().unwrap();
            (0..s.len())
                .map(|i| s.get(i).unwrap_or("").to_string())
                .collect::<Vec<_>>()
        };
        assert_eq!(text(SOURCE_ROW), ["3", "4", "5", "6", "6"]);
        assert_eq!(
            text("rule"),
            [
                "medms_id",
                "code_not_in_set",
                "future_date",
                "medms_id",
                "future_date"
            ]
        );
        assert_eq!(
            text("Error"),
            [
                "SchoolID: 1234 is not a NEO Org ID of the organization crosswalk",
                "TruancyStep: code 1A is not in the new code set truancy_steps",
                "StepDate: 07/15/2017 is after the as-of date 06/30/2017",
                "SchoolID: 1234 is not a NEO Org ID of the organization crosswalk",
                "StepDate: 07/16/2017 is after the as-of date 06/30/2017",
            ]
        );
        assert_eq!(text("Row Number"), ["", "", "", "", ""]);
        assert_eq!(text("School ID"), ["1234", "3955", "3955", "1234", "1234"]);
        // A row is rejected once, under its first rule; every violation is
        // counted.
        let r = &checked.report;
        assert_eq!((r.rows_in, r.rows_out), (5, 1));
        assert_eq!(
            r.rejected,
            BTreeMap::from([
                ("code_not_in_set".to_string(), 1),
                ("future_date".to_string(), 1),
                ("medms_id".to_string(), 2),
            ])
        );
        assert_eq!(r.violations["future_date"], 2);
    }

    #[test]
    fn end_of_year_findings_hold_the_rows_built_from_them_only_when_given() {
        let df = df!(
            crate::conform::SOURCE_ENTITY => ["truancy"; 3],
            SOURCE_FILE => ["truancy.csv"; 3],
            SOURCE_ROW => [2i64, 3, 4],
            UPLOAD_YEAR => [2017i32; 3],
            UPLOAD_SAU => ["2462"; 3],
            "SAUID" => ["2462"; 3],
            "SchoolID" => ["3955", "1234", "3955"],
            "StateStudentID" => ["952708003"; 3],
            "SchoolYear" => ["2017"; 3],
            "TruancyStep" => ["Step1"; 3],
            "StepDate" => [d("2017-01-31"); 3],
            UPLOAD_ROW => [0u32, 1, 2],
        )
        .unwrap();
        let neo_ids = ["2462".to_string(), "3955".to_string()];
        let code_sets = BTreeMap::from([("truancy_steps".to_string(), vec!["Step1".to_string()])]);
        let periods = primary_periods(None).unwrap();
        // Row 2: a past year left open; row 3: a MEDMS ID and exit 19 with
        // no expulsion; row 4 of another file: not this upload's row.
        let finding = |row: i64, rule: &'static str, file: &str| crate::end_of_year::Finding {
            sau: "2462".into(),
            file: file.into(),
            row,
            rule,
            year: 2017,
        };
        let flags = crate::end_of_year::flags_frame(&[
            finding(2, "past_year_left_open", "truancy.csv"),
            finding(3, "expelled_without_behavior", "truancy.csv"),
            finding(4, "homeless_not_kept", "student_enrollment.csv"),
        ])
        .unwrap();
        let check = |end_of_year: Option<&DataFrame>| {
            let ctx = Context {
                as_of: d("2017-06-30"),
                neo_ids: &neo_ids,
                code_sets: &code_sets,
                primary_periods: &periods,
                ranked: None,
                valid_enrollments: None,
                end_of_year,
                org_names: None,
            };
            run(
                &crate::conform::TRUANCY_UPLOAD,
                &truancy_layout(),
                &df,
                &ctx,
            )
            .unwrap()
        };
        // Reported only: one row held, by its MEDMS ID.
        assert_eq!(check(None).report.rows_out, 2);
        let held = check(Some(&flags));
        let r = &held.report;
        assert_eq!((r.rows_in, r.rows_out), (3, 1));
        assert_eq!(
            r.rejected,
            BTreeMap::from([
                ("medms_id".to_string(), 1),
                ("past_year_left_open".to_string(), 1),
            ])
        );
        assert_eq!(r.violations["expelled_without_behavior"], 1);
        let errors = held
            .violations
            .column("Error")
            .unwrap()
            .str()
            .unwrap()
            .clone();
        let rules = held
            .violations
            .column("rule")
            .unwrap()
            .str()
            .unwrap()
            .clone();
        let got: Vec<(&str, &str)> = (0..errors.len())
            .map(|i| (rules.get(i).unwrap(), errors.get(i).unwrap()))
            .collect();
        assert_eq!(
            got,
            [
                ("past_year_left_open", "ExitDate: an enrollment of a past school year is still open"),
                ("medms_id", "SchoolID: 1234 is not a NEO Org ID of the organization crosswalk"),
                (
                    "expelled_without_behavior",
                    "ExitCode: exit 19 (expelled) needs an expulsion of the student in behavior that school year"
                ),
            ]
        );
    }
}
