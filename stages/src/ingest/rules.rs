//! Ingest's rules over a value's characters, across rows of one file and
//! across files: what Synergy must never receive although each field, read
//! alone, has the right type.
//!
//! - `control_character`: a C0 control character (NUL, tab, ...; a line
//!   break is `line_break`'s) or DEL in any value;
//! - `line_break`: a CR or LF in a free-text value but the mailing Address
//!   (an upload row is one line; see [`line_break`]);
//! - `too_long`: a value longer than its column's `max_len` in the schema;
//! - `duplicate_row`: a row equal in every column to an earlier one;
//! - `duplicate_key`: a key (IdentityID, EnrollmentID, TruancyID; IncidentID
//!   with StateStudentID and RoleCode; StateStudentID in graduation and
//!   mailing_address, one row per student; School_ID in schools) seen on an
//!   earlier row; the first row is kept, the message names its line;
//! - `no_identity`: a StateStudentID no identity row of the bundle has;
//! - `outside_school_years`: a YearCode outside the configuration's
//!   `school_years` (the run was not asked to migrate that year);
//! - `year_mismatch`: YearCode not the school year of the row's own date
//!   (SchoolEntryDate, EventDate, StatusDate, ProgramStartDate);
//! - `spans_school_years`: an enrollment whose ExitDate is in a later school
//!   year than its SchoolEntryDate;
//! - `after_extract_date`: a date after the extract date (`publish.as_of`);
//! - `exceptionality_age`: Exceptionality 12 (Developmentally Delayed, ICSE
//!   Student Data Standards v2.5) outside PK, EK and KG or past age 6.

use super::{typed, IngestConfig};
use crate::columns::*;
use crate::quarantine::Check;
use crate::schema::{ColumnSpec, EntitySpec, Kind, YearSource};
use polars::prelude::*;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// Characters no value may hold: C0 controls except CR and LF (a quoted field
/// may span lines), and DEL.
const CONTROL: &str = r"[\x00-\x09\x0B\x0C\x0E-\x1F\x7F]";

/// The Exceptionality code of Developmentally Delayed (ICSE Student Data
/// Standards v2.5; 4-year-olds, EK and K only, age 6 at most).
pub const DEVELOPMENTALLY_DELAYED: &str = "12";

/// Grades Developmentally Delayed may be given in.
const EARLY_GRADES: [&str; 3] = ["PK", "EK", "KG"];

const BIRTH: &str = "__context_birth_date";
const CONTEXT_ID: &str = "__context_id";

/// What ingest knows of the bundle's other files, gathered from the read
/// frames before any entity is ingested.
#[derive(Clone, Debug, Default)]
pub struct Context {
    /// Every StateStudentID of the identity file (`None`: no identity file,
    /// no `no_identity` check).
    pub identities: Option<Vec<String>>,
    /// StateStudentIDs with an enrollment whose EnglishProficiency is 03 or
    /// 04 (limited English proficient).
    pub lep: Vec<String>,
    /// Each StateStudentID of the identity file with a readable birth date:
    /// its latest, in days since 1970-01-01 (`None`: no birth dates).
    pub birth_dates: Option<Arc<super::kernels::ById<i32>>>,
}

impl Context {
    /// From the read frames (text columns) of the identity and enrollment
    /// files, when the bundle has them.
    /// `unreadable` holds the StateStudentIDs of identity rows the read step
    /// rejected (a wrong field count): those students have an identity.
    pub fn new(
        personal: Option<&DataFrame>,
        unreadable: &BTreeSet<String>,
        enrollment: Option<&DataFrame>,
        config: &IngestConfig,
    ) -> PolarsResult<Context> {
        let mut context = Context::default();
        if let Some(df) = personal.filter(|d| d.column(STATE_STUDENT_ID).is_ok()) {
            let mut ids: BTreeSet<String> = distinct(
                df.clone()
                    .lazy()
                    .select([col(STATE_STUDENT_ID)])
                    .filter(col(STATE_STUDENT_ID).is_not_null()),
            )?
            .into_iter()
            .collect();
            ids.extend(unreadable.iter().filter(|id| !id.is_empty()).cloned());
            context.identities = Some(ids.into_iter().collect());
            if df.column(BIRTH_DATE).is_ok() {
                let births = df
                    .clone()
                    .lazy()
                    .filter(col(STATE_STUDENT_ID).is_not_null())
                    .group_by([col(STATE_STUDENT_ID).alias(CONTEXT_ID)])
                    .agg([super::date_expr(BIRTH_DATE, &config.date_formats)
                        .max()
                        .alias(BIRTH)])
                    .collect()?;
                let ids = births.column(CONTEXT_ID)?.str()?;
                let days = births.column(BIRTH)?.date()?.physical().clone();
                let known = ids.iter().zip(days.iter());
                let map = known.filter_map(|(id, day)| Some((id?, day?)));
                context.birth_dates = Some(Arc::new(map.collect()));
            }
        }
        if let Some(df) = enrollment {
            context.lep = Context::lep_of(df)?;
        }
        Ok(context)
    }

    /// The StateStudentIDs of `enrollment`'s rows (read frame: text
    /// columns) whose EnglishProficiency is 03 or 04, each once, in order:
    /// [`Context::lep`] of a file is that of its rows taken together.
    pub fn lep_of(enrollment: &DataFrame) -> PolarsResult<Vec<String>> {
        let df = enrollment;
        if df.column(ENGLISH_PROFICIENCY).is_err() || df.column(STATE_STUDENT_ID).is_err() {
            return Ok(Vec::new());
        }
        let p = || col(ENGLISH_PROFICIENCY);
        distinct(
            df.clone()
                .lazy()
                .filter(
                    col(STATE_STUDENT_ID)
                        .is_not_null()
                        .and(p().eq(lit("03")).or(p().eq(lit("04")))),
                )
                .select([col(STATE_STUDENT_ID)]),
        )
    }

    /// Adds what `entity`'s rules need from the other files (the student's
    /// birth date, for enrollments, looked up by StateStudentID).
    pub(super) fn join(
        &self,
        entity: &EntitySpec,
        present: &BTreeSet<String>,
        lf: LazyFrame,
    ) -> LazyFrame {
        match &self.birth_dates {
            Some(births)
                if entity.name == crate::schema::STUDENT_ENROLLMENT.name
                    && present.contains(STATE_STUDENT_ID) =>
            {
                let births = births.clone();
                let birth = col(STATE_STUDENT_ID).map(
                    move |c: Column| {
                        let days: Int32Chunked =
                            c.str()?.iter().map(|id| births.get(id?)).collect();
                        Ok(days.into_series().into_date().into_column())
                    },
                    |_, _| Ok(Field::new(BIRTH.into(), DataType::Date)),
                );
                lf.with_columns([birth.alias(BIRTH)])
            }
            _ => lf,
        }
    }

    fn has_births(&self, entity: &EntitySpec, present: &BTreeSet<String>) -> bool {
        self.birth_dates.is_some()
            && entity.name == crate::schema::STUDENT_ENROLLMENT.name
            && present.contains(STATE_STUDENT_ID)
    }
}

fn distinct(lf: LazyFrame) -> PolarsResult<Vec<String>> {
    let df = lf
        .unique_stable(None, UniqueKeepStrategy::First)
        .sort([STATE_STUDENT_ID], SortMultipleOptions::default())
        .collect()?;
    let ids = df.column(STATE_STUDENT_ID)?.str()?;
    Ok((0..ids.len())
        .filter_map(|i| ids.get(i).map(str::to_string))
        .collect())
}

fn list(values: &[String]) -> Expr {
    lit(Series::new("values".into(), values.to_vec())).implode(false)
}

/// The checks on one column's characters: `control_character`, `too_long`,
/// `code_format`.
pub(super) fn character_checks(spec: &ColumnSpec) -> Vec<Check> {
    let raw = || col(spec.name);
    let mut checks = Vec::new();
    let mut control = Check::new(
        spec,
        "control_character",
        super::kernels::has_control(raw()),
        lit(format!(
            "{}: a control character (NUL, tab, ...) in the value",
            spec.name
        )),
    );
    if !spec.pii {
        // The quarantine file shows where: each control character as U+FFFD.
        control.value = raw()
            .str()
            .replace_all(lit(CONTROL), lit("\u{FFFD}"), false);
    }
    checks.push(control);
    if matches!(spec.kind, Kind::Text) && spec.name != ADDRESS {
        checks.push(line_break(spec));
    }
    if matches!(spec.kind, Kind::Text) {
        checks.push(curly_quoted(spec));
    }
    if let Some(max) = spec.max_len {
        let mut long = Check::new(
            spec,
            "too_long",
            raw().str().len_chars().gt(lit(max as u32)),
            concat_str(
                [
                    lit(format!("{}: ", spec.name)),
                    raw().str().len_chars().cast(DataType::String),
                    lit(format!(" characters; the standard allows {max}")),
                ],
                "",
                false,
            ),
        );
        if !spec.pii {
            // The value's first characters, never a megabyte of it.
            long.value = concat_str(
                [raw().str().slice(lit(0), lit(max as u64)), lit("...")],
                "",
                false,
            );
        }
        checks.push(long);
    }
    match spec.kind {
        Kind::Digits(n) => checks.push(Check::new(
            spec,
            "code_format",
            raw()
                .is_not_null()
                .and(super::kernels::digits(raw(), n, n).not()),
            when(super::kernels::zeros_dropped(raw(), n))
                .then(super::zeros_dropped_message(
                    spec.name,
                    &format!("{n} digits"),
                    "code",
                    "town's",
                ))
                .otherwise(lit(format!(
                    "{}: expected {n} digits, leading zeros kept",
                    spec.name
                ))),
        )),
        Kind::OrgId => checks.push(Check::new(
            spec,
            "code_format",
            super::kernels::leading_zero(raw()),
            lit(format!(
                "{}: a MEDMS id is written without leading zeros",
                spec.name
            )),
        )),
        _ => {}
    }
    checks
}

/// `line_break`: a CR or LF in a free-text value (a name, a code kept as
/// text; a quoted value over two lines), which the read step keeps. An
/// upload row is one line: Synergy's result log names a row by its number
/// ("Row Number: corresponds to the row in the upload file that had the
/// error", `../shared/seeds/001_8ad9ad3bacfac23c.txt` line 46), and the
/// upload file is a CSV a district may open in Excel (line 12). A value over
/// two lines is not sent, nor sent changed: the row is held for correction.
/// The mailing Address alone may keep one (an address's lines): no upload
/// field carries it. Other kinds of value with a line break fail their
/// own format.
fn line_break(spec: &ColumnSpec) -> Check {
    let raw = || col(spec.name);
    let mut check = Check::new(
        spec,
        "line_break",
        super::kernels::has_line_break(raw()),
        lit(format!(
            "{}: a line break in the value (a quoted value over two lines): an upload row is one \
             line, Synergy's result log naming each row by its number",
            spec.name
        )),
    );
    if !spec.pii {
        check.value = raw()
            .str()
            .replace_all(lit(r"[\r\n]"), lit("\u{FFFD}"), false);
    }
    check
}

/// `curly_quotes`: a free-text value wrapped whole in curly quotes
/// (`“Smith”`, `‘Smith’`), a field quoted by a word processor's or a mail
/// program's autocorrect: only straight quotes quote a CSV field, so the
/// curly ones stayed in the value and reached the uploads as part of a
/// name. They are not taken off here (the value may have been changed
/// more); a curly apostrophe inside a name (`O’Brien`) is a name's.
fn curly_quoted(spec: &ColumnSpec) -> Check {
    let starts = |q: &str| col(spec.name).str().starts_with(lit(q.to_string()));
    let ends = |q: &str| col(spec.name).str().ends_with(lit(q.to_string()));
    let wrapped =
        (starts("\u{201C}").and(ends("\u{201D}"))).or(starts("\u{2018}").and(ends("\u{2019}")));
    let nickname = col(spec.name)
        .str()
        .contains(lit("\u{201C}[^\u{201D}]+\u{201D}"), false);
    Check::new(
        spec,
        "curly_quotes",
        wrapped.clone().or(nickname),
        when(wrapped)
            .then(lit(format!(
                "{}: the value is wrapped in curly quotes (\u{201C}...\u{201D}), as a word \
                 processor quotes a field: they are not part of the value (only straight quotes \
                 quote a CSV field); take the file from the extract again",
                spec.name
            )))
            .otherwise(lit(format!(
                "{}: a part of the value is in curly quotes (\u{201C}...\u{201D}), as a \
                 nickname is written beside a name (Robert \u{201C}Bob\u{201D}): the quoted part \
                 is not the name; correct the value in ICSE and take the file from the extract \
                 again",
                spec.name
            ))),
    )
}

/// The key of an entity's rows, when it has one.
fn key_of(entity: &EntitySpec) -> Option<&'static [&'static str]> {
    use crate::schema::{
        BEHAVIOR, GRADUATION, MAILING_ADDRESS, SCHOOLS, STUDENT_ENROLLMENT, STUDENT_PERSONAL,
        TRUANCY,
    };
    match entity.name {
        n if n == STUDENT_PERSONAL.name => Some(&[IDENTITY_ID]),
        // "one row per student with graduation-tab fields".
        n if n == GRADUATION.name => Some(&[STATE_STUDENT_ID]),
        // v2.5 (002 line 37): "Address: This is the mailing address ... for
        // the student": one per student.
        n if n == MAILING_ADDRESS.name => Some(&[STATE_STUDENT_ID]),
        n if n == SCHOOLS.name => Some(&[SCHOOL_ID]),
        n if n == STUDENT_ENROLLMENT.name => Some(&[ENROLLMENT_ID]),
        n if n == TRUANCY.name => Some(&[TRUANCY_ID]),
        // One incident has a row per student and role.
        n if n == BEHAVIOR.name => Some(&[INCIDENT_ID, STATE_STUDENT_ID, ROLE_CODE]),
        _ => None,
    }
}

const FIRST_ROW: &str = "__first_same_row";
const FIRST_KEY: &str = "__first_same_key";

/// The columns the present columns of `entity` are compared on.
fn row_columns(entity: &EntitySpec, present: &BTreeSet<String>) -> Vec<Expr> {
    entity
        .columns
        .iter()
        .filter(|c| present.contains(c.name))
        .map(|c| col(c.name))
        .collect()
}

fn present_key(entity: &EntitySpec, present: &BTreeSet<String>) -> Option<&'static [&'static str]> {
    key_of(entity).filter(|k| k.iter().all(|c| present.contains(*c)))
}

/// The line of the first row equal to each row, and of the first row with
/// its key, over the whole file: found before any row is set aside, so a
/// message names the row that is kept. Only the rows that are not their
/// own first are held.
#[derive(Clone, Debug, Default)]
pub struct FirstRows {
    /// `source_row` -> the first row equal to it, when an earlier one.
    same_row: BTreeMap<i64, i64>,
    /// `source_row` -> the first row with its key, when an earlier one.
    same_key: BTreeMap<i64, i64>,
}

impl FirstRows {
    /// From `candidates`, the rows that may equal another (every row will
    /// do; `None`: no row equals another) with the present columns, and
    /// `keys`, every row's `source_row` and key columns (others may be
    /// there too).
    pub fn of(
        entity: &EntitySpec,
        present: &BTreeSet<String>,
        candidates: Option<LazyFrame>,
        keys: LazyFrame,
    ) -> PolarsResult<FirstRows> {
        let mut first = FirstRows::default();
        let columns = row_columns(entity, present);
        if columns.is_empty() {
            return Ok(first);
        }
        if let Some(rows) = candidates {
            first.same_row = earlier(rows, columns)?;
        }
        if let Some(key) = present_key(entity, present) {
            first.same_key = earlier(keys, key.iter().map(|c| col(*c)).collect())?;
        }
        Ok(first)
    }

    /// `df` with the columns [`duplicate_checks`] reads.
    pub(super) fn add_to(&self, mut df: DataFrame) -> PolarsResult<DataFrame> {
        let rows = df.column(SOURCE_ROW)?.i64()?.clone();
        let first = |m: &BTreeMap<i64, i64>, name: &str| {
            let values: Int64Chunked = rows
                .iter()
                .map(|r| r.map(|r| m.get(&r).copied().unwrap_or(r)))
                .collect();
            values.with_name(name.into()).into_column()
        };
        df.with_column(first(&self.same_row, FIRST_ROW))?;
        df.with_column(first(&self.same_key, FIRST_KEY))?;
        Ok(df)
    }
}

/// Whether every row of a file so far is the first with its key, told a
/// batch at a time in `source_row` order. While it is, no row equals an
/// earlier one either (equal rows have equal keys), so the file's
/// [`FirstRows`] hold none of these rows: each batch can be checked as it
/// is read, before the rest of the file. A key is held as a 64-bit hash
/// (SipHash with fixed keys): two keys with one hash count as repeated, as
/// does a blank key, and the caller then settles the file whole.
pub struct KeysSeen {
    key: &'static [&'static str],
    seen: PlHashSet<u64>,
}

impl KeysSeen {
    /// For `entity` with the columns `present` (`None` when it has no key
    /// or the file lacks one of its columns).
    pub fn new(entity: &EntitySpec, present: &BTreeSet<String>) -> Option<KeysSeen> {
        let key = present_key(entity, present)?;
        Some(KeysSeen {
            key,
            seen: PlHashSet::default(),
        })
    }

    /// Takes the keys of the next batch: false when one is blank or was
    /// seen before (in this batch or an earlier one, or a hash shared).
    pub fn all_first(&mut self, batch: &DataFrame) -> PolarsResult<bool> {
        use std::hash::{Hash, Hasher};
        let mut hashers = vec![std::hash::DefaultHasher::new(); batch.height()];
        for name in self.key {
            let values = batch.column(name)?.str()?;
            for (hasher, value) in hashers.iter_mut().zip(values.iter()) {
                match value {
                    Some(v) => v.hash(hasher),
                    None => return Ok(false),
                }
            }
        }
        Ok(hashers.iter().all(|h| self.seen.insert(h.finish())))
    }
}

/// The rows of `lf` whose first row with the same `by` values is an earlier
/// one: `source_row` -> that row.
fn earlier(lf: LazyFrame, by: Vec<Expr>) -> PolarsResult<BTreeMap<i64, i64>> {
    let df = lf
        .select([
            col(SOURCE_ROW),
            col(SOURCE_ROW).min().over(by)?.alias(FIRST_ROW),
        ])
        .filter(col(SOURCE_ROW).neq(col(FIRST_ROW)))
        .collect()?;
    let (rows, first) = (df.column(SOURCE_ROW)?.i64()?, df.column(FIRST_ROW)?.i64()?);
    Ok(rows
        .iter()
        .zip(first.iter())
        .filter_map(|(r, f)| Some((r?, f?)))
        .collect())
}

/// `duplicate_row` and `duplicate_key`: every row after the first of its
/// kind (the columns of [`FirstRows::add_to`] must be on the frame).
pub(super) fn duplicate_checks(entity: &EntitySpec, present: &BTreeSet<String>) -> Vec<Check> {
    let mut checks = Vec::new();
    let Some(first_column) = entity.columns.iter().find(|c| present.contains(c.name)) else {
        return checks;
    };
    checks.push(Check::new(
        first_column,
        "duplicate_row",
        col(SOURCE_ROW).neq(col(FIRST_ROW)),
        concat_str(
            [
                lit("the same row as line "),
                col(FIRST_ROW).cast(DataType::String),
                lit(" (that row is kept)"),
            ],
            "",
            false,
        ),
    ));
    let Some(key) = present_key(entity, present) else {
        return checks;
    };
    let spec = entity.column(key[0]).expect("key column of its entity");
    let complete = key
        .iter()
        .fold(lit(true), |acc, c| acc.and(col(*c).is_not_null()));
    let mut message = vec![lit(format!("{}: ", key.join(" + ")))];
    for (i, c) in key.iter().enumerate() {
        if i > 0 {
            message.push(lit(" + "));
        }
        message.push(col(*c));
    }
    message.extend([
        lit(" already on line "),
        col(FIRST_KEY).cast(DataType::String),
        lit(" (that row is kept)"),
    ]);
    checks.push(Check::new(
        spec,
        "duplicate_key",
        complete.and(col(SOURCE_ROW).neq(col(FIRST_KEY))),
        concat_str(message, "", false),
    ));
    checks
}

/// `no_identity`: a row naming a student the identity file does not have.
pub(super) fn identity_checks(
    entity: &EntitySpec,
    present: &BTreeSet<String>,
    context: &Context,
) -> Vec<Check> {
    let (Some(ids), Some(spec)) = (&context.identities, entity.column(STATE_STUDENT_ID)) else {
        return Vec::new();
    };
    if entity.name == crate::schema::STUDENT_PERSONAL.name || !present.contains(STATE_STUDENT_ID) {
        return Vec::new();
    }
    // One set for every batch, rather than one built from a list per batch.
    let ids: Arc<super::kernels::ById<()>> =
        Arc::new(ids.iter().map(|id| (id.as_str(), ())).collect());
    let known = col(STATE_STUDENT_ID).map(
        move |c: Column| {
            let out = super::kernels::answers(c.str()?, &|id: &str| ids.get(id).is_some());
            Ok(out.into_column())
        },
        |_, f| Ok(Field::new(f.name().clone(), DataType::Boolean)),
    );
    vec![Check::new(
        spec,
        "no_identity",
        col(STATE_STUDENT_ID).is_not_null().and(known.not()),
        lit("StateStudentID: no identity row has this StateStudentID".to_string()),
    )]
}

/// The school year (1 July to 30 June, named by the year it ends) of a date.
pub(super) fn school_year_of(date: Expr) -> Expr {
    when(date.clone().dt().month().gt_eq(lit(7)))
        .then(date.clone().dt().year() + lit(1))
        .otherwise(date.dt().year())
        .cast(DataType::Int32)
}

/// The date a row's YearCode must agree with.
fn dated_by(entity: &EntitySpec) -> Option<&'static str> {
    use crate::schema::{BEHAVIOR, CTE, STUDENT_ENROLLMENT, TRUANCY};
    match entity.name {
        n if n == STUDENT_ENROLLMENT.name => Some(SCHOOL_ENTRY_DATE),
        n if n == CTE.name => Some(PROGRAM_START_DATE),
        n if n == BEHAVIOR.name => Some(EVENT_DATE),
        n if n == TRUANCY.name => Some(STATUS_DATE),
        _ => None,
    }
}

/// `outside_school_years`, `year_mismatch`, `spans_school_years` and
/// `after_extract_date`.
pub(super) fn date_checks(
    entity: &EntitySpec,
    present: &BTreeSet<String>,
    config: &IngestConfig,
) -> Vec<Check> {
    let mut checks = Vec::new();
    let has = |c: &str| present.contains(c);
    // A YearCode outside the configured school years: the run was not asked
    // to migrate that year (publish would make an upload folder for it).
    if let YearSource::YearColumn(year) = entity.year {
        if has(year) {
            let spec = entity.column(year).expect("year column");
            let (first, last) = config.school_years;
            checks.push(Check::new(
                spec,
                "outside_school_years",
                typed(year).lt(lit(first)).or(typed(year).gt(lit(last))),
                lit(format!(
                    "{year}: outside the school years this run migrates, {first} to {last} (school_years in the configuration)"
                )),
            ));
        }
    }
    if let (YearSource::YearColumn(year), Some(date)) = (entity.year, dated_by(entity)) {
        if has(year) && has(date) {
            let spec = entity.column(year).expect("year column");
            let actual = school_year_of(typed(date));
            checks.push(Check::new(
                spec,
                "year_mismatch",
                typed(year).neq(actual.clone()),
                concat_str(
                    [
                        lit(format!("{year}: {date} ")),
                        col(date),
                        lit(" is in school year "),
                        actual.cast(DataType::String),
                    ],
                    "",
                    false,
                ),
            ));
        }
    }
    if entity.name == crate::schema::STUDENT_ENROLLMENT.name
        && has(EXIT_DATE)
        && has(SCHOOL_ENTRY_DATE)
    {
        let spec = entity.column(EXIT_DATE).expect("exit date");
        let exit_year = school_year_of(typed(EXIT_DATE));
        checks.push(Check::new(
            spec,
            "spans_school_years",
            exit_year
                .clone()
                .gt(school_year_of(typed(SCHOOL_ENTRY_DATE))),
            concat_str(
                [
                    lit("ExitDate: in school year "),
                    exit_year.cast(DataType::String),
                    lit(", after the school year of SchoolEntryDate (an enrollment ends within its school year)"),
                ],
                "",
                false,
            ),
        ));
    }
    for spec in entity
        .columns
        .iter()
        .filter(|c| c.kind == Kind::Date && has(c.name))
    {
        checks.push(Check::new(
            spec,
            "after_extract_date",
            typed(spec.name).gt(lit(config.extract_date)),
            lit(format!(
                "{}: after the extract date {} (publish.as_of)",
                spec.name, config.extract_date
            )),
        ));
    }
    checks
}

/// Whole years from `birth` to `on`.
fn age(birth: Expr, on: Expr) -> Expr {
    let md = |d: Expr| {
        d.clone().dt().month().cast(DataType::Int32) * lit(100) + d.dt().day().cast(DataType::Int32)
    };
    (on.clone().dt().year() - birth.clone().dt().year())
        - when(md(on).lt(md(birth))).then(lit(1)).otherwise(lit(0))
}

/// `exceptionality_age`: Developmentally Delayed only for 4-year-olds, EK
/// and K, age 6 at most on the enrollment's entry date.
pub(super) fn exceptionality_checks(
    entity: &EntitySpec,
    present: &BTreeSet<String>,
    context: &Context,
) -> Vec<Check> {
    let has = |c: &str| present.contains(c);
    if entity.name != crate::schema::STUDENT_ENROLLMENT.name || !has(EXCEPTIONALITY) {
        return Vec::new();
    }
    let spec = entity.column(EXCEPTIONALITY).expect("exceptionality");
    let dd = typed(EXCEPTIONALITY).eq(lit(DEVELOPMENTALLY_DELAYED));
    let early = EARLY_GRADES.map(|g| g.to_string());
    let mut wrong = if has(GRADE_LEVEL_CODE) {
        typed(GRADE_LEVEL_CODE).is_in(list(&early), false).not()
    } else {
        lit(false)
    };
    if context.has_births(entity, present) && has(SCHOOL_ENTRY_DATE) {
        wrong = wrong.or(age(col(BIRTH), typed(SCHOOL_ENTRY_DATE))
            .gt(lit(6))
            .fill_null(lit(false)));
    }
    vec![Check::new(
        spec,
        "exceptionality_age",
        dd.and(wrong),
        lit(format!(
            "Exceptionality: {DEVELOPMENTALLY_DELAYED} (Developmentally Delayed) only for 4-year-olds, EK and K, age 6 at most (ICSE Student Data Standards v2.5)"
        )),
    )]
}

/// The students who need a USSchoolDate for being LEP.
pub(super) fn lep(context: &Context) -> Expr {
    col(STATE_STUDENT_ID).is_in(list(&context.lep), false)
}
