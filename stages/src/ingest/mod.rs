//! # Ingest: types, required values, year-aware code sets, row rules
//!
//! **Input**: one entity's frame from the read step: every column of the
//! entity's [`EntitySpec`] as text (null when blank), plus `source_file` and
//! `source_row`. Columns the file did not have are null and listed as absent.
//!
//! **Output**: the rows that broke no rule, typed: dates as dates, flags as
//! booleans, internal ids and years as integers, codes and state/organization
//! ids as text (leading zeros kept), plus `school_year` (the year a row's codes
//! were checked against) when the entity has one, and for identity rows
//! `missing_values` (a blank first name, surname or birth date: kept and
//! named there, never rejected; see [`crate::schema::missing_values`]).
//!
//! **Rejects** (each violation one quarantine row naming column, value, rule
//! and message; a row is rejected once, counted under the first rule it broke):
//! `required`, `invalid_integer`, `invalid_id`, `invalid_year`, `invalid_date`,
//! `invalid_flag`, `invalid_number`, `invalid_time`, `unknown_code`, `retired_code`, and the row
//! rules `implausible_birth_date`, `race_format`, `race_missing`,
//! `us_school_date_required`, `exit_before_entry`, `exit_date_required`,
//! `esl_date_required`, `sped_start_required`, `sped_exit_pair`,
//! `effective_date_required`, `resolution_date_required`,
//! `resolution_before_event`, `end_before_start`; then, in [`rules`],
//! `control_character`, `too_long`, `code_format`, `duplicate_row`,
//! `duplicate_key`, `no_identity`, `outside_school_years`, `year_mismatch`, `spans_school_years`,
//! `after_extract_date`, `exceptionality_age`. Values of personal columns
//! (names, birth dates) are written as `[redacted]`. On identity rows a
//! rule of a column other than the keys keeps the row (a finding, its value
//! cleared where it cannot be trusted; see `ingest/findings.rs`).
//!
//! **Config keys**: `ingest.date_formats`, `ingest.birth_date_earliest`,
//! `ingest.birth_date_latest`, `ingest.check_birth_dates`, `publish.as_of`
//! (the extract date). A [`Context`] gathered from the read frames of the
//! identity and enrollment files gives the cross-file rules their facts.

use crate::codes::CodeSet;
use crate::columns::*;
use crate::quarantine::{flag_exprs, split, Check};
use crate::report::StageReport;
use crate::schema::{ColumnSpec, EntitySpec, Kind, YearSource};
use chrono::NaiveDate;
use polars::prelude::*;
use std::collections::BTreeSet;

/// The stage name in reports and snapshot folders.
pub const STAGE: &str = "ingest";

pub use crate::quarantine::{empty_quarantine, REDACTED};

mod findings;
pub(crate) use findings::joined;
mod kernels;
pub mod rules;
pub use rules::{Context, FirstRows, KeysSeen};

/// Ingest settings (the `[ingest]` table of the run configuration).
#[derive(Clone, Debug)]
pub struct IngestConfig {
    /// chrono/strftime formats a date may be written in, tried in order.
    pub date_formats: Vec<String>,
    /// Whether birth dates are checked against the plausible range.
    pub check_birth_dates: bool,
    /// Earliest plausible birth date.
    pub birth_date_earliest: NaiveDate,
    /// Latest plausible birth date.
    pub birth_date_latest: NaiveDate,
    /// The extract's date (`publish.as_of`): no date may be after it.
    pub extract_date: NaiveDate,
    /// The configuration's `school_years` (first, last): a row whose
    /// YearCode is outside them is quarantined (`outside_school_years`).
    pub school_years: (i32, i32),
}

/// Ingest's output for one entity.
pub struct Ingested {
    /// Typed good rows.
    pub rows: DataFrame,
    /// One row per violation: `source_file, source_row, column, value, rule, message`.
    pub quarantine: DataFrame,
    pub report: StageReport,
}

/// Types and checks one entity whose rows are all in `input` (one batch,
/// its own first rows). `present` names the columns the file had.
pub fn run(
    spec: &EntitySpec,
    input: LazyFrame,
    present: &BTreeSet<String>,
    codes: &CodeSet,
    config: &IngestConfig,
    context: &Context,
) -> PolarsResult<Ingested> {
    let input = input.collect()?;
    let first = FirstRows::of(
        spec,
        present,
        Some(input.clone().lazy()),
        input.clone().lazy(),
    )?;
    let mut ingestion = Ingestion::new(spec, present, codes, config, context, first);
    let (rows, quarantine) = ingestion.batch(input)?;
    Ok(Ingested {
        rows,
        quarantine,
        report: ingestion.finish(),
    })
}

/// One entity typed and checked a batch of rows at a time (batches in
/// `source_row` order): the rules that read the whole file (duplicates)
/// were settled beforehand, in [`FirstRows`], so no batch needs another.
pub struct Ingestion<'a> {
    spec: &'a EntitySpec,
    present: &'a BTreeSet<String>,
    config: &'a IngestConfig,
    context: &'a Context,
    checks: Vec<Check>,
    first: FirstRows,
    report: StageReport,
}

impl<'a> Ingestion<'a> {
    pub fn new(
        spec: &'a EntitySpec,
        present: &'a BTreeSet<String>,
        codes: &CodeSet,
        config: &'a IngestConfig,
        context: &'a Context,
        first: FirstRows,
    ) -> Self {
        Ingestion {
            checks: build_checks(spec, present, codes, config, context),
            spec,
            present,
            config,
            context,
            first,
            report: StageReport::new(STAGE, spec.name),
        }
    }

    /// Types and checks one batch of the read rows: (good rows, their
    /// quarantine rows in `source_row` order). Counts go to the report.
    pub fn batch(&mut self, input: DataFrame) -> PolarsResult<(DataFrame, DataFrame)> {
        let (spec, present) = (self.spec, self.present);
        let input = self.first.add_to(input)?;
        let input = self.context.join(spec, present, input.lazy());
        let typed: Vec<Expr> = spec
            .columns
            .iter()
            .map(|c| typed_expr(c, self.config).alias(typed_name(c.name)))
            .collect();
        // `with_columns`, never `with_column`: polars runs a one-column
        // `with_column` sequentially, and its optimizer moves the later
        // columns that do not read it (the typed columns, most flags) into
        // that step, so they ran on one core.
        let mut flagged = input.with_columns(typed);
        if let Some(year) = year_expr(spec) {
            flagged = flagged.with_columns([year.alias(SCHOOL_YEAR)]);
        }
        let (flags, any_bad) = flag_exprs(&self.checks)?;
        let flagged = flagged
            .with_columns(flags)
            .with_columns([any_bad])
            .collect()?;
        let out = self.out_columns()?;
        split(flagged, &self.checks, out, &mut self.report)
    }

    /// The columns of the good rows: each typed (a value a kept finding
    /// clears, null), the school year, and for identity rows
    /// `missing_values` and `wrong_values` ([`findings`]).
    fn out_columns(&self) -> PolarsResult<Vec<Expr>> {
        let (spec, checks) = (self.spec, &self.checks);
        let mut out: Vec<Expr> = vec![col(SOURCE_FILE), col(SOURCE_ROW)];
        for c in spec.columns {
            out.push(crate::quarantine::cleared(typed(c.name), c.name, checks)?.alias(c.name));
        }
        match spec.year {
            YearSource::None => {}
            YearSource::SchoolYearOf(c) => out
                .push(crate::quarantine::cleared(col(SCHOOL_YEAR), c, checks)?.alias(SCHOOL_YEAR)),
            YearSource::YearColumn(_) => out.push(col(SCHOOL_YEAR)),
        }
        if !spec.blank_flagged().is_empty() {
            out.push(findings::missing_values(spec, self.present, checks)?);
        }
        if findings::keeps(spec) {
            out.push(findings::wrong_values(checks));
        }
        Ok(out)
    }

    /// The report, once every batch is checked.
    pub fn finish(mut self) -> StageReport {
        for c in self.spec.columns {
            if !self.present.contains(c.name) {
                self.report.notes.push(format!(
                    "column {} absent from the file: left blank",
                    c.name
                ));
            }
        }
        self.report
    }
}

fn typed_name(column: &str) -> String {
    format!("__typed_{column}")
}

fn typed(column: &str) -> Expr {
    col(typed_name(column))
}

fn message(text: String) -> Expr {
    lit(text)
}

fn date_expr(column: &str, formats: &[String]) -> Expr {
    let parsed: Vec<Expr> = formats
        .iter()
        .map(|f| {
            let date = col(column).str().to_date(StrptimeOptions {
                format: Some(f.as_str().into()),
                strict: false,
                exact: true,
                cache: true,
            });
            match year_first_width(f) {
                Some(width) => when(col(column).str().len_bytes().eq(lit(width)))
                    .then(date)
                    .otherwise(lit(NULL).cast(DataType::Date)),
                None => date,
            }
        })
        .collect();
    let date = match parsed.len() {
        0 => return lit(NULL).cast(DataType::Date),
        1 => parsed[0].clone(),
        _ => coalesce(&parsed),
    };
    // A year of one to three digits parses (`%Y` takes any number of
    // digits), but is never meant: `5/22/14`, Excel's short date, read as
    // the year 14, was quarantined under year_mismatch naming "school year
    // 14", or kept as a birth or effective date in the year 99.
    let earliest = NaiveDate::from_ymd_opt(1000, 1, 1).expect("a valid date");
    when(date.clone().lt(lit(earliest)))
        .then(lit(NULL).cast(DataType::Date))
        .otherwise(date)
}

/// The width of a date written in a year-first format (`%Y-%m-%d`: 10),
/// its month and day two digits each; None for any other format. `%m` and
/// `%d` take one digit too, so `2009-08-3` read as August 3rd: an ISO date
/// is written in 10 characters (the spec: "ICSE uploads used 10-character
/// ISO dates"), and one cut short in its day (`2009-08-30` to `2009-08-3`)
/// is another date. A month-first date (`8/30/2009`, as Excel writes it)
/// keeps its one-digit forms: cut short, it loses its year's digits and is
/// refused (a year before 1000).
fn year_first_width(format: &str) -> Option<u32> {
    let mut width = 4;
    let mut rest = format.strip_prefix("%Y")?.chars();
    while let Some(c) = rest.next() {
        width += match c {
            '%' => match rest.next()? {
                'm' | 'd' => 2,
                _ => return None,
            },
            c => c.len_utf8() as u32,
        };
    }
    Some(width)
}

fn flag_upper(column: &str) -> Expr {
    kernels::upper(col(column))
}

fn typed_expr(spec: &ColumnSpec, config: &IngestConfig) -> Expr {
    let raw = col(spec.name);
    match spec.kind {
        Kind::Text | Kind::StateId | Kind::OrgId | Kind::Time | Kind::Digits(_) => raw,
        Kind::Code(_) => kernels::upper(raw),
        Kind::Integer => raw.cast(DataType::Int64),
        Kind::Year => raw.cast(DataType::Int32),
        Kind::Decimal => raw.cast(DataType::Float64),
        Kind::Date => date_expr(spec.name, &config.date_formats),
        Kind::Flag => when(flag_upper(spec.name).eq(lit("Y")))
            .then(lit(true))
            .when(flag_upper(spec.name).eq(lit("N")))
            .then(lit(false))
            .when(raw.is_null())
            .then(lit(false))
            .otherwise(lit(NULL).cast(DataType::Boolean)),
        Kind::FlagOrBlank => when(flag_upper(spec.name).eq(lit("Y")))
            .then(lit(true))
            .when(flag_upper(spec.name).eq(lit("N")))
            .then(lit(false))
            .otherwise(lit(NULL).cast(DataType::Boolean)),
    }
}

fn year_expr(spec: &EntitySpec) -> Option<Expr> {
    match spec.year {
        YearSource::YearColumn(c) => Some(typed(c)),
        YearSource::SchoolYearOf(c) => Some(rules::school_year_of(typed(c))),
        YearSource::None => None,
    }
}

fn matches(column: &str, pattern: &str) -> Expr {
    col(column).str().contains(lit(pattern.to_string()), true)
}

fn column_checks(
    spec: &ColumnSpec,
    entity: &EntitySpec,
    codes: &CodeSet,
    config: &IngestConfig,
) -> Vec<Check> {
    let mut checks = Vec::new();
    if spec.required {
        checks.push(Check::new(
            spec,
            "required",
            col(spec.name).is_null(),
            message(format!("{}: a value is required", spec.name)),
        ));
    }
    match spec.kind {
        Kind::Text | Kind::Digits(_) => {}
        Kind::Code(domain) => checks.extend(code_checks(spec, entity, codes, domain)),
        _ => checks.extend(kind_check(spec, config)),
    }
    checks
}

/// The check of a typed column's form: the rule, what makes a present value
/// bad, and what it should have been.
fn kind_check(spec: &ColumnSpec, config: &IngestConfig) -> Option<Check> {
    let untyped = || typed(spec.name).is_null();
    let (rule, bad, expected) = match spec.kind {
        Kind::Integer => (
            "invalid_integer",
            kernels::digits(col(spec.name), 1, 18).not(),
            "a whole number".to_string(),
        ),
        Kind::StateId => (
            "invalid_id",
            kernels::digits(col(spec.name), 9, 9).not(),
            "nine digits".to_string(),
        ),
        Kind::OrgId => (
            "invalid_id",
            kernels::digits(col(spec.name), 1, 4).not(),
            "a MEDMS id of one to four digits".to_string(),
        ),
        Kind::Year => (
            "invalid_year",
            kernels::digits(col(spec.name), 4, 4).not(),
            "a four-digit year".to_string(),
        ),
        Kind::Time => (
            "invalid_time",
            matches(spec.name, "^([01][0-9]|2[0-3]):[0-5][0-9]$").not(),
            "a time as HH:MM (24-hour)".to_string(),
        ),
        Kind::Decimal => ("invalid_number", untyped(), "a number".to_string()),
        Kind::Date => {
            let formats: Vec<String> = config
                .date_formats
                .iter()
                .map(|f| describe_format(f))
                .collect();
            (
                "invalid_date",
                untyped(),
                format!("a date as {}", formats.join(" or ")),
            )
        }
        Kind::Flag | Kind::FlagOrBlank => ("invalid_flag", untyped(), "Y or N".to_string()),
        Kind::Text | Kind::Digits(_) | Kind::Code(_) => return None,
    };
    let mut text = message(format!("{}: expected {expected}", spec.name));
    if spec.kind == Kind::Date {
        text = date_hint(spec.name, &expected, text);
    } else if spec.kind == Kind::Year {
        text = when(matches(spec.name, r"^[0-9]{4} ?[-/] ?([0-9]{2}|[0-9]{4})$"))
            .then(message(format!(
                "{}: expected {expected}, found a school year written as two years: \
                 a school year is named by the year it ends (2016-17 is 2017); \
                 the value is not converted here",
                spec.name
            )))
            .otherwise(text);
    }
    if spec.kind == Kind::StateId {
        text = when(kernels::zeros_dropped(col(spec.name), 9))
            .then(zeros_dropped_message(
                spec.name,
                "nine digits",
                "ID",
                "student's",
            ))
            .when(matches(spec.name, r"^[0-9](\.[0-9]+)?[Ee]\+?[0-9]+$"))
            .then(message(format!(
                "{}: expected nine digits, found a number in scientific notation (4.35E+08, as \
                 Excel shows a long number): its last digits are lost; take the file from the \
                 extract again (the ID is not rebuilt here)",
                spec.name
            )))
            .when(matches(spec.name, r"^'[0-9]+$"))
            .then(message(format!(
                "{}: expected nine digits, found digits after an apostrophe (as Excel marks a \
                 number kept as text): the apostrophe was saved as part of the value; take the \
                 file from the extract again (the value is not changed here)",
                spec.name
            )))
            .when(matches(spec.name, r#"^="[0-9]+"$"#))
            .then(message(format!(
                "{}: expected nine digits, found digits in a formula (=\"...\", as Excel \
                 writes a number kept as text): the formula was saved as the value; take the \
                 file from the extract again (the value is not changed here)",
                spec.name
            )))
            .when(matches(
                spec.name,
                r"^#(N/A|VALUE!|REF!|NAME\?|DIV/0!|NUM!|NULL!)$",
            ))
            .then(message(format!(
                "{}: expected nine digits, found an Excel error value (#N/A, #REF! and the \
                 like: a lookup or formula in the spreadsheet failed): the ID was lost \
                 there; take the file from the extract again",
                spec.name
            )))
            .otherwise(text);
    }
    Some(Check::new(
        spec,
        rule,
        col(spec.name).is_not_null().and(bad),
        text,
    ))
}

/// The message of a date that did not parse, saying what Excel makes of
/// dates where the value shows it: a two-digit year (its short date,
/// `5/22/14`), or a serial day number (a date column saved as a number).
/// Neither is converted: the century, or the date system, is a guess.
fn date_hint(column: &str, expected: &str, text: Expr) -> Expr {
    when(matches(column, r"^[0-9]{1,2}[/-][0-9]{1,2}[/-][0-9]{2}$"))
        .then(message(format!(
            "{column}: expected {expected}, found a two-digit year: the century cannot be \
             told (Excel's short date?); take the file from the extract again with \
             four-digit years"
        )))
        .when(matches(
            column,
            r"^[0-9]{4}-([0-9]-[0-9]{1,2}|[0-9]{2}-[0-9])$",
        ))
        .then(message(format!(
            "{column}: expected {expected}, found a month or day of one digit: an ISO date \
             is written in 10 characters, and one cut short (2009-08-30 to 2009-08-3) would \
             be read as another date; take the file from the extract again (the value is not \
             read as a date here)"
        )))
        .when(matches(column, r"^[0-9]{5}(\.0+)?$"))
        .then(message(format!(
            "{column}: expected {expected}, found a number of five digits: a date as \
             Excel stores it (a day count), saved from a column not formatted as a date? \
             Take the file from the extract again (the number is not converted here)"
        )))
        .otherwise(text)
}

/// The message for a value of digits too short whose first is not a 0:
/// its leading zeros were most likely dropped by a spreadsheet. The value
/// is never padded back: it may be a digit short instead, and the padded
/// `noun` another `owner` one.
pub(crate) fn zeros_dropped_message(column: &str, expected: &str, noun: &str, owner: &str) -> Expr {
    concat_str(
        [
            lit(format!("{column}: expected {expected}, found ")),
            col(column).str().len_chars().cast(DataType::String),
            lit(format!(
                ": leading zeros lost, as when the file is opened and saved in Excel? \
                 Take the file from the extract again (the {noun} is not padded here: a \
                 digit may be missing instead, and the padded {noun} another {owner})"
            )),
        ],
        "",
        false,
    )
}

/// A coded column: the code must be in the legacy code set, and (where the
/// entity has a school year) valid in the row's school year.
fn code_checks(
    spec: &ColumnSpec,
    entity: &EntitySpec,
    codes: &CodeSet,
    domain: &str,
) -> Vec<Check> {
    let all = codes.codes(domain);
    let code = || typed(spec.name);
    let known = code().is_in(
        lit(Series::new("codes".into(), all.clone())).implode(false),
        false,
    );
    let unknown = format!(
        "{}: not a code of the legacy {} code set ({})",
        spec.name,
        domain,
        all.join(", ")
    );
    // A code of the set with its leading zeros dropped (GradeLevelCode 3
    // for 03, as a spreadsheet saves a column it reads as numbers).
    let stripped: Vec<String> = all
        .iter()
        .filter(|c| c.len() > 1 && c.starts_with('0') && c.bytes().all(|b| b.is_ascii_digit()))
        .map(|c| c.trim_start_matches('0').to_string())
        .filter(|c| !c.is_empty() && !all.contains(c))
        .collect();
    let text = if stripped.is_empty() {
        message(unknown)
    } else {
        when(code().is_in(
            lit(Series::new("stripped".into(), stripped)).implode(false),
            false,
        ))
        .then(message(format!(
            "{unknown}: leading zeros lost, as when the file is opened and saved in Excel? \
             Take the file from the extract again (a code is not padded here)"
        )))
        .otherwise(message(unknown))
    };
    let mut checks = vec![Check::new(
        spec,
        "unknown_code",
        col(spec.name).is_not_null().and(known.clone().not()),
        text,
    )];
    if entity.year == YearSource::None {
        return checks;
    }
    let year = || col(SCHOOL_YEAR);
    let valid = kernels::valid_in_year(code(), year(), codes, domain);
    let mut years = lit(NULL).cast(DataType::String);
    for c in all.iter().rev() {
        years = when(code().eq(lit(c.clone())))
            .then(lit(codes.valid_years(domain, c)))
            .otherwise(years);
    }
    checks.push(Check::new(
        spec,
        "retired_code",
        known.and(year().is_not_null()).and(valid.not()),
        concat_str(
            [
                lit(format!("{}: code ", spec.name)),
                code(),
                lit(" is not valid in school year "),
                year().cast(DataType::String),
                lit(" (valid "),
                years,
                lit(")"),
            ],
            "",
            false,
        ),
    ));
    checks
}

/// `%Y-%m-%d` as a person reads it: `YYYY-MM-DD`.
pub fn describe_format(format: &str) -> String {
    format
        .replace("%Y", "YYYY")
        .replace("%m", "MM")
        .replace("%d", "DD")
}

fn build_checks(
    entity: &EntitySpec,
    present: &BTreeSet<String>,
    codes: &CodeSet,
    config: &IngestConfig,
    context: &Context,
) -> Vec<Check> {
    let mut checks = Vec::new();
    for spec in entity.columns.iter().filter(|c| present.contains(c.name)) {
        checks.extend(column_checks(spec, entity, codes, config));
    }
    checks.extend(row_checks(entity, present, config, context));
    for spec in entity.columns.iter().filter(|c| present.contains(c.name)) {
        checks.extend(rules::character_checks(spec));
    }
    checks.extend(rules::duplicate_checks(entity, present));
    checks.extend(rules::identity_checks(entity, present, context));
    checks.extend(rules::date_checks(entity, present, config));
    checks.extend(rules::exceptionality_checks(entity, present, context));
    findings::keep_findings(entity, &mut checks);
    checks
}

/// The rules of one row across its columns (conditional values, dates in
/// order, the race format).
fn row_checks(
    entity: &EntitySpec,
    present: &BTreeSet<String>,
    config: &IngestConfig,
    context: &Context,
) -> Vec<Check> {
    use crate::schema::{BEHAVIOR, CTE, STUDENT_ENROLLMENT, STUDENT_PERSONAL};
    let has = |c: &str| present.contains(c);
    let mut checks = Vec::new();
    match entity.name {
        n if n == STUDENT_PERSONAL.name => {
            checks.extend(personal_checks(entity, present, config, context))
        }
        n if n == STUDENT_ENROLLMENT.name => checks.extend(enrollment_checks(entity, present)),
        n if n == BEHAVIOR.name && has(RESOLUTION_CODE) && has(RESOLUTION_DATE) => {
            checks.push(Check::new(
                col_spec(entity, RESOLUTION_DATE),
                "resolution_date_required",
                col(RESOLUTION_CODE)
                    .is_not_null()
                    .and(col(RESOLUTION_DATE).is_null()),
                message("ResolutionDate: required when ResolutionCode is set".to_string()),
            ));
            if has(EVENT_DATE) {
                checks.push(Check::new(
                    col_spec(entity, RESOLUTION_DATE),
                    "resolution_before_event",
                    typed(RESOLUTION_DATE).lt(typed(EVENT_DATE)),
                    message("ResolutionDate: before EventDate".to_string()),
                ));
            }
        }
        n if n == CTE.name && has(PROGRAM_END_DATE) => checks.push(Check::new(
            col_spec(entity, PROGRAM_END_DATE),
            "end_before_start",
            typed(PROGRAM_END_DATE).lt(typed(PROGRAM_START_DATE)),
            message("ProgramEndDate: before ProgramStartDate".to_string()),
        )),
        _ => {}
    }
    checks
}

fn col_spec<'a>(entity: &'a EntitySpec, column: &str) -> &'a ColumnSpec {
    entity
        .column(column)
        .expect("row rule names a column of its entity")
}

fn personal_checks(
    entity: &EntitySpec,
    present: &BTreeSet<String>,
    config: &IngestConfig,
    context: &Context,
) -> Vec<Check> {
    let has = |c: &str| present.contains(c);
    let mut checks = Vec::new();
    if has(BIRTH_DATE) && config.check_birth_dates {
        let bd = || typed(BIRTH_DATE);
        checks.push(Check::new(
            col_spec(entity, BIRTH_DATE),
            "implausible_birth_date",
            bd()
                .lt(lit(config.birth_date_earliest))
                .or(bd().gt(lit(config.birth_date_latest))),
            message(format!(
                "BirthDate: outside the plausible range {} to {} (ingest.birth_date_earliest, ingest.birth_date_latest)",
                config.birth_date_earliest, config.birth_date_latest
            )),
        ));
    }
    let race_columns = [RACE_ETHNICITY, HISPANIC_LATINO];
    if race_columns.iter().all(|c| has(c)) && RACE_FLAGS.iter().all(|c| has(c)) {
        checks.extend(race_checks(col_spec(entity, RACE_ETHNICITY)));
    }
    if has(US_SCHOOL_DATE) {
        let immigrant = if has(IMMIGRANT_FLAG) {
            typed(IMMIGRANT_FLAG)
        } else {
            lit(false)
        };
        let lep = if has(STATE_STUDENT_ID) {
            rules::lep(context).fill_null(lit(false))
        } else {
            lit(false)
        };
        checks.push(Check::new(
            col_spec(entity, US_SCHOOL_DATE),
            "us_school_date_required",
            immigrant.or(lep).and(col(US_SCHOOL_DATE).is_null()),
            message(
                "USSchoolDate: required when ImmigrantFlag is Y or the student is limited English proficient (EnglishProficiency 03 or 04)"
                    .to_string(),
            ),
        ));
    }
    checks
}

/// The race format by the identity's school year (the two-question format
/// from 2010-11 on, the legacy single field before; a row may carry both),
/// and a race marked.
fn race_checks(spec: &ColumnSpec) -> Vec<Check> {
    let new_format = || {
        RACE_FLAGS
            .iter()
            .fold(col(HISPANIC_LATINO).is_not_null(), |acc, f| {
                acc.or(col(*f).is_not_null())
            })
    };
    let any_race = || {
        RACE_FLAGS
            .iter()
            .fold(lit(false), |acc, f| acc.or(typed(f).fill_null(lit(false))))
    };
    let legacy = || col(RACE_ETHNICITY).is_not_null();
    let year = || col(SCHOOL_YEAR);
    vec![
        Check::new(
            spec,
            "race_format",
            year().gt_eq(lit(2011)).and(legacy()).and(new_format().not()),
            message(
                "RaceEthnicity: an identity effective from 2010-11 on needs the two-question format (HispanicLatino and the race flags), not the legacy single field".to_string(),
            ),
        ),
        Check::new(
            spec,
            "race_format",
            year().lt(lit(2011)).and(new_format()).and(legacy().not()),
            message(
                "RaceEthnicity: an identity effective before 2010-11 needs the legacy single field, not the two-question format alone".to_string(),
            ),
        ),
        Check::new(
            spec,
            "race_missing",
            legacy().not().and(new_format().not()),
            message("RaceEthnicity: no race or ethnicity in either format".to_string()),
        ),
        Check::new(
            spec,
            "race_missing",
            new_format().and(any_race().not()),
            message("RaceEthnicity: the two-question format with no race flag Y".to_string()),
        ),
    ]
}

fn enrollment_checks(entity: &EntitySpec, present: &BTreeSet<String>) -> Vec<Check> {
    let has = |c: &str| present.contains(c);
    let raw_null = |c: &str| col(c).is_null();
    let mut checks = Vec::new();
    if has(EXIT_DATE) && has(SCHOOL_ENTRY_DATE) {
        checks.push(Check::new(
            col_spec(entity, EXIT_DATE),
            "exit_before_entry",
            typed(EXIT_DATE).lt(typed(SCHOOL_ENTRY_DATE)),
            message("ExitDate: before SchoolEntryDate".to_string()),
        ));
    }
    if has(EXIT_TYPE_CODE) && has(EXIT_DATE) {
        checks.push(Check::new(
            col_spec(entity, EXIT_DATE),
            "exit_date_required",
            col(EXIT_TYPE_CODE).is_not_null().and(raw_null(EXIT_DATE)),
            message("ExitDate: required when ExitTypeCode is set".to_string()),
        ));
    }
    if has(ENGLISH_PROFICIENCY) && has(DATE_FIRST_ENROLLED_ESL) {
        checks.push(Check::new(
            col_spec(entity, DATE_FIRST_ENROLLED_ESL),
            "esl_date_required",
            typed(ENGLISH_PROFICIENCY)
                .eq(lit("03"))
                .or(typed(ENGLISH_PROFICIENCY).eq(lit("04")))
                .and(raw_null(DATE_FIRST_ENROLLED_ESL)),
            message(
                "DateFirstEnrolledESL: required when EnglishProficiency is 03 or 04".to_string(),
            ),
        ));
    }
    if has(SPECIAL_ED_FLAG) && has(SPED_START_DATE) {
        checks.push(Check::new(
            col_spec(entity, SPED_START_DATE),
            "sped_start_required",
            typed(SPECIAL_ED_FLAG).and(raw_null(SPED_START_DATE)),
            message("SpedStartDate: required when SpecialEdFlag is Y".to_string()),
        ));
    }
    if has(SPED_EXIT_DATE) && has(SPED_EXIT_REASON) {
        checks.push(Check::new(
            col_spec(entity, SPED_EXIT_REASON),
            "sped_exit_pair",
            raw_null(SPED_EXIT_DATE).neq(raw_null(SPED_EXIT_REASON)),
            message(
                "SpedExitReason: SpedExitDate and SpedExitReason require each other".to_string(),
            ),
        ));
    }
    if has(ACTION) && has(EFFECTIVE_DATE) {
        checks.push(Check::new(
            col_spec(entity, EFFECTIVE_DATE),
            "effective_date_required",
            col(ACTION).is_not_null().and(raw_null(EFFECTIVE_DATE)),
            message("EffectiveDate: required when Action is set".to_string()),
        ));
    }
    checks
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codes::CodeRow;
    use crate::schema::{SCHOOLS, STUDENT_ENROLLMENT, STUDENT_PERSONAL};

    fn config() -> IngestConfig {
        IngestConfig {
            date_formats: vec!["%Y-%m-%d".into(), "%m/%d/%Y".into()],
            check_birth_dates: true,
            birth_date_earliest: NaiveDate::from_ymd_opt(1980, 1, 1).unwrap(),
            birth_date_latest: NaiveDate::from_ymd_opt(2015, 12, 31).unwrap(),
            extract_date: NaiveDate::from_ymd_opt(2017, 6, 30).unwrap(),
            school_years: (2005, 2017),
        }
    }

    fn codes() -> CodeSet {
        let row = |domain: &str, code: &str, first: i32, last: i32| CodeRow {
            domain: domain.into(),
            code: code.into(),
            label: String::new(),
            first_year: first,
            last_year: last,
        };
        CodeSet::new(vec![
            row("gender", "M", 1990, 2099),
            row("gender", "F", 1990, 2099),
            row("race_legacy", "C", 1990, 2099),
            row("race_legacy", "H", 1990, 2099),
            row("race_determination", "P", 1990, 2099),
            row("enrollment_type", "P", 1990, 2099),
            row("grade_level", "05", 1990, 2099),
            row("grade_level", "06", 1990, 2099),
            row("fiscal_responsibility", "R", 1990, 2099),
            row("fiscal_responsibility", "A", i32::MIN, 2010),
            row("english_proficiency", "01", 1990, 2099),
            row("english_proficiency", "03", 1990, 2099),
            row("exit_type", "10", 1990, 2099),
        ])
    }

    /// Six rows' identity numbers, one to six.
    const ONE_TO_SIX: [Option<&str>; 6] = [
        Some("1"),
        Some("2"),
        Some("3"),
        Some("4"),
        Some("5"),
        Some("6"),
    ];

    /// Student Personal rows of `columns` ([`frame`]) ingested with the
    /// test codes, configuration and context.
    fn ingest_personal(columns: &[(&str, Vec<Option<&str>>)]) -> Ingested {
        let (lf, present) = frame(&STUDENT_PERSONAL, columns);
        run(
            &STUDENT_PERSONAL,
            lf,
            &present,
            &codes(),
            &config(),
            &Context::default(),
        )
        .unwrap()
    }

    /// The quarantine's (row, value, rule, message) of the findings `keep`
    /// keeps by column and rule, in order.
    fn findings(
        q: &DataFrame,
        keep: impl Fn(&str, &str) -> bool,
    ) -> Vec<(i64, String, String, String)> {
        let get = |c: &str, i: usize| q.column(c).unwrap().get(i).unwrap().str_value().to_string();
        (0..q.height())
            .filter(|&i| keep(&get(Q_COLUMN, i), &get(Q_RULE, i)))
            .map(|i| {
                let row = q.column(SOURCE_ROW).unwrap().i64().unwrap().get(i).unwrap();
                (row, get(Q_VALUE, i), get(Q_RULE, i), get(Q_MESSAGE, i))
            })
            .collect()
    }

    /// A frame of text columns from (column, values) pairs, with source rows 2..
    fn frame(
        spec: &EntitySpec,
        columns: &[(&str, Vec<Option<&str>>)],
    ) -> (LazyFrame, BTreeSet<String>) {
        let height = columns[0].1.len();
        let mut cols = vec![
            Column::new(SOURCE_FILE.into(), vec!["test.csv"; height]),
            Column::new(
                SOURCE_ROW.into(),
                (2..2 + height as i64).collect::<Vec<_>>(),
            ),
        ];
        let mut present = BTreeSet::new();
        for spec_col in spec.columns {
            match columns.iter().find(|(n, _)| *n == spec_col.name) {
                Some((name, values)) => {
                    present.insert(name.to_string());
                    cols.push(Column::new((*name).into(), values.clone()));
                }
                None => cols.push(Column::new(
                    spec_col.name.into(),
                    vec![None::<&str>; height],
                )),
            }
        }
        (DataFrame::new(height, cols).unwrap().lazy(), present)
    }

    fn rules(out: &Ingested) -> Vec<(i64, String, String, String)> {
        let q = &out.quarantine;
        (0..q.height())
            .map(|i| {
                let get = |c: &str| q.column(c).unwrap().get(i).unwrap().str_value().to_string();
                (
                    q.column(SOURCE_ROW).unwrap().i64().unwrap().get(i).unwrap(),
                    get(Q_COLUMN),
                    get(Q_RULE),
                    get(Q_VALUE),
                )
            })
            .collect()
    }

    #[test]
    fn enrollment_rules_each_catch_their_row_and_nothing_else() {
        let (lf, present) = frame(
            &STUDENT_ENROLLMENT,
            &[
                (
                    ENROLLMENT_ID,
                    vec![
                        Some("1"),
                        Some("2"),
                        Some("3"),
                        Some("4"),
                        Some("x5"),
                        Some("6"),
                    ],
                ),
                (
                    SCHOOL_ID,
                    vec![
                        Some("1024"),
                        Some("17"),
                        Some("12345"),
                        Some("17"),
                        Some("17"),
                        Some("17"),
                    ],
                ),
                (ENROLLMENT_TYPE_CODE, vec![Some("P"); 6]),
                (
                    YEAR_CODE,
                    vec![
                        Some("2012"),
                        Some("2009"),
                        Some("2012"),
                        Some("2012"),
                        Some("2012"),
                        Some("2012"),
                    ],
                ),
                (
                    GRADE_LEVEL_CODE,
                    vec![
                        Some("05"),
                        Some("06"),
                        Some("05"),
                        Some("13"),
                        Some("05"),
                        Some("05"),
                    ],
                ),
                (
                    SCHOOL_ENTRY_DATE,
                    vec![
                        Some("2011-09-01"),
                        Some("09/02/2008"),
                        Some("2011-09-01"),
                        Some("2011-09-01"),
                        Some("2011-09-01"),
                        Some("2011-09-01"),
                    ],
                ),
                (
                    EXIT_DATE,
                    vec![
                        Some("2012-06-14"),
                        Some("2008-08-30"),
                        None,
                        None,
                        None,
                        Some("2012-02-30"),
                    ],
                ),
                (
                    EXIT_TYPE_CODE,
                    vec![Some("10"), Some("10"), None, None, None, Some("10")],
                ),
                (
                    FISCAL_RESPONSIBILITY,
                    vec![Some("R"), Some("A"), Some("A"), Some("r"), None, Some("R")],
                ),
                (
                    ENGLISH_PROFICIENCY,
                    vec![Some("01"), Some("03"), None, None, None, None],
                ),
                (DATE_FIRST_ENROLLED_ESL, vec![None; 6]),
            ],
        );
        let out = run(
            &STUDENT_ENROLLMENT,
            lf,
            &present,
            &codes(),
            &config(),
            &Context::default(),
        )
        .unwrap();
        assert_eq!(
            rules(&out),
            vec![
                (
                    3,
                    EXIT_DATE.into(),
                    "exit_before_entry".into(),
                    "2008-08-30".into()
                ),
                (
                    3,
                    DATE_FIRST_ENROLLED_ESL.into(),
                    "esl_date_required".into(),
                    "null".into()
                ),
                (4, SCHOOL_ID.into(), "invalid_id".into(), "12345".into()),
                (
                    4,
                    FISCAL_RESPONSIBILITY.into(),
                    "retired_code".into(),
                    "A".into()
                ),
                (
                    5,
                    GRADE_LEVEL_CODE.into(),
                    "unknown_code".into(),
                    "13".into()
                ),
                (
                    6,
                    ENROLLMENT_ID.into(),
                    "invalid_integer".into(),
                    "x5".into()
                ),
                (
                    7,
                    EXIT_DATE.into(),
                    "invalid_date".into(),
                    "2012-02-30".into()
                ),
            ]
        );
        let r = &out.report;
        assert_eq!((r.rows_in, r.rows_out), (6, 1));
        assert_eq!(r.rejected.get("exit_before_entry"), Some(&1));
        assert_eq!(r.rejected.get("invalid_id"), Some(&1));
        assert_eq!(r.rejected.get("retired_code"), None);
        assert_eq!(r.violations.get("retired_code"), Some(&1));
        assert!(r.balanced());
        // The good row is typed: dates as dates, lower-case codes upper-cased.
        let row = &out.rows;
        assert_eq!(
            row.column(SCHOOL_ENTRY_DATE).unwrap().dtype(),
            &DataType::Date
        );
        assert_eq!(
            row.column(FISCAL_RESPONSIBILITY)
                .unwrap()
                .str()
                .unwrap()
                .get(0),
            Some("R")
        );
        assert_eq!(
            row.column(SCHOOL_YEAR).unwrap().i32().unwrap().get(0),
            Some(2012)
        );
        // A retired code names the year and the years it was valid.
        let msg = out
            .quarantine
            .column(Q_MESSAGE)
            .unwrap()
            .str()
            .unwrap()
            .get(3)
            .unwrap()
            .to_string();
        assert_eq!(
            msg,
            "FiscalResponsibility: code A is not valid in school year 2012 (valid through 2010)"
        );
    }

    #[test]
    fn personal_values_are_redacted_and_race_format_follows_the_year() {
        let (lf, present) = frame(
            &STUDENT_PERSONAL,
            &[
                (PERSON_ID, vec![Some("1"), Some("2"), Some("3"), Some("4")]),
                (
                    IDENTITY_ID,
                    vec![Some("1"), Some("2"), Some("3"), Some("4")],
                ),
                (
                    LAST_NAME,
                    vec![Some("Thériault"), Some("Lévesque"), None, Some("O'Brien")],
                ),
                (
                    FIRST_NAME,
                    vec![Some("Ann"), Some("Luc"), Some("Zoé"), Some("Pat")],
                ),
                (
                    BIRTH_DATE,
                    vec![
                        Some("2001-03-04"),
                        Some("1911-03-04"),
                        Some("2001-03-04"),
                        Some("2001-03-04"),
                    ],
                ),
                (GENDER, vec![Some("F"), Some("M"), Some("F"), Some("M")]),
                (
                    RACE_ETHNICITY,
                    vec![Some("C"), Some("C"), Some("H"), Some("C")],
                ),
                (HISPANIC_LATINO, vec![None, None, None, Some("N")]),
                (RACE_AMERICAN_INDIAN, vec![None; 4]),
                (RACE_ASIAN, vec![None; 4]),
                (RACE_BLACK, vec![None; 4]),
                (RACE_PACIFIC_ISLANDER, vec![None; 4]),
                (RACE_WHITE, vec![None, None, None, Some("Y")]),
                (
                    IDENTITY_EFFECTIVE_DATE,
                    vec![
                        Some("2009-09-01"),
                        Some("2009-09-01"),
                        Some("2012-09-01"),
                        Some("2012-09-01"),
                    ],
                ),
            ],
        );
        let out = run(
            &STUDENT_PERSONAL,
            lf,
            &present,
            &codes(),
            &config(),
            &Context::default(),
        )
        .unwrap();
        assert_eq!(
            rules(&out),
            vec![
                (
                    3,
                    BIRTH_DATE.into(),
                    "implausible_birth_date".into(),
                    REDACTED.into()
                ),
                (4, RACE_ETHNICITY.into(), "race_format".into(), "H".into()),
            ]
        );
        // Both rows are kept: the implausible birth date cleared and named
        // missing, the legacy race of 2012-13 bridged later and named wrong.
        assert_eq!(out.rows.height(), 4);
        assert_eq!(
            out.rows.column(LAST_NAME).unwrap().str().unwrap().get(0),
            Some("Thériault")
        );
        assert_eq!(
            out.rows.column(RACE_WHITE).unwrap().bool().unwrap().get(0),
            None
        );
        assert_eq!(
            out.rows.column(RACE_WHITE).unwrap().bool().unwrap().get(3),
            Some(true)
        );
        assert_eq!(out.rows.column(BIRTH_DATE).unwrap().null_count(), 1);
        assert_eq!(
            texts(&out.rows, MISSING_VALUES),
            vec![
                None,
                Some("BirthDate".into()),
                Some("LastName".into()),
                None
            ]
        );
        assert_eq!(
            texts(&out.rows, WRONG_VALUES),
            vec![None, None, Some("RaceEthnicity: race_format".into()), None]
        );
        let r = &out.report;
        assert_eq!((r.rows_in, r.rows_out, r.rejected_total()), (4, 4, 0));
        assert_eq!(r.kept.get("implausible_birth_date"), Some(&1));
        assert_eq!(r.kept.get("race_format"), Some(&1));
        assert!(r.balanced());
        // The quarantine says the row was kept, and whether its value was cleared.
        assert_eq!(
            texts(&out.quarantine, Q_MESSAGE),
            vec![
                Some("BirthDate: outside the plausible range 1980-01-01 to 2015-12-31 (ingest.birth_date_earliest, ingest.birth_date_latest) (row kept, the value cleared)".into()),
                Some("RaceEthnicity: an identity effective from 2010-11 on needs the two-question format (HispanicLatino and the race flags), not the legacy single field (row kept)".into()),
            ]
        );
    }

    fn texts(df: &DataFrame, column: &str) -> Vec<Option<String>> {
        df.column(column)
            .unwrap()
            .str()
            .unwrap()
            .iter()
            .map(|v| v.map(str::to_string))
            .collect()
    }

    #[test]
    fn a_wrong_non_key_value_is_kept_cleared_and_named_a_wrong_key_is_rejected() {
        let (lf, present) = frame(
            &STUDENT_PERSONAL,
            &[
                (
                    PERSON_ID,
                    vec![Some("1"), Some("2"), Some("3"), Some("4"), Some("x5")],
                ),
                (
                    IDENTITY_ID,
                    vec![Some("1"), Some("2"), Some("3"), Some("3"), Some("5")],
                ),
                (
                    STATE_STUDENT_ID,
                    vec![
                        Some("100000001"),
                        Some("12345"),
                        Some("100000003"),
                        Some("100000004"),
                        Some("100000005"),
                    ],
                ),
                (LAST_NAME, vec![Some("Cyr"); 5]),
                (FIRST_NAME, vec![Some("Ann"); 5]),
                (
                    GENDER,
                    vec![Some("X"), Some("F"), Some("F"), Some("F"), Some("F")],
                ),
                (BIRTH_DATE, vec![Some("2001-03-04"); 5]),
                (
                    RACE_DETERMINATION,
                    vec![Some("P"), Some("P"), Some("Q"), Some("P"), Some("P")],
                ),
                (IMMIGRANT_FLAG, vec![Some("Y"), None, None, None, None]),
                (US_SCHOOL_DATE, vec![None; 5]),
            ],
        );
        let out = run(
            &STUDENT_PERSONAL,
            lf,
            &present,
            &codes(),
            &config(),
            &Context::default(),
        )
        .unwrap();
        assert_eq!(
            rules(&out),
            vec![
                (2, GENDER.into(), "unknown_code".into(), "X".into()),
                (
                    2,
                    US_SCHOOL_DATE.into(),
                    "us_school_date_required".into(),
                    "null".into()
                ),
                (
                    3,
                    STATE_STUDENT_ID.into(),
                    "invalid_id".into(),
                    "12345".into()
                ),
                (
                    4,
                    RACE_DETERMINATION.into(),
                    "unknown_code".into(),
                    "Q".into()
                ),
                (5, IDENTITY_ID.into(), "duplicate_key".into(), "3".into()),
                (6, PERSON_ID.into(), "invalid_integer".into(), "x5".into()),
            ]
        );
        // A wrong StateStudentID, a duplicate IdentityID and a PersonID that
        // is not a number are rejects; the others are kept.
        let r = &out.report;
        assert_eq!((r.rows_in, r.rows_out), (5, 2));
        assert_eq!(r.rejected.get("invalid_id"), Some(&1));
        assert_eq!(r.rejected.get("duplicate_key"), Some(&1));
        assert_eq!(r.rejected.get("invalid_integer"), Some(&1));
        assert_eq!(r.kept.get("unknown_code"), Some(&2));
        assert!(r.balanced());
        // The unknown gender is cleared and missing (identity fills it); the
        // missing USSchoolDate and the cleared determination are wrong values.
        assert_eq!(texts(&out.rows, GENDER), vec![None, Some("F".into())]);
        assert_eq!(
            texts(&out.rows, RACE_DETERMINATION),
            vec![Some("P".into()), None]
        );
        assert_eq!(
            texts(&out.rows, MISSING_VALUES),
            vec![Some("Gender".into()), None]
        );
        assert_eq!(
            texts(&out.rows, WRONG_VALUES),
            vec![
                Some("USSchoolDate: us_school_date_required".into()),
                Some("RaceDetermination: unknown_code".into())
            ]
        );
    }

    #[test]
    fn an_iso_date_with_a_one_digit_month_or_day_is_not_read_as_a_date() {
        let dates = [
            "2009-08-3",
            "2009-8-30",
            "2009-08-30",
            "8/3/2009",
            "2009-08-30T00:00:00",
        ];
        let out = ingest_personal(&[
            (PERSON_ID, vec![Some("1"); 5]),
            (
                IDENTITY_ID,
                vec![Some("1"), Some("2"), Some("3"), Some("4"), Some("5")],
            ),
            (LAST_NAME, vec![Some("Cyr"); 5]),
            (FIRST_NAME, vec![Some("Ann"); 5]),
            (
                IDENTITY_EFFECTIVE_DATE,
                dates.iter().map(|d| Some(*d)).collect(),
            ),
        ]);
        let found = findings(&out.quarantine, |column, _| {
            column == IDENTITY_EFFECTIVE_DATE
        });
        let one_digit = "IdentityEffectiveDate: expected a date as YYYY-MM-DD or MM/DD/YYYY, \
                         found a month or day of one digit: an ISO date is written in 10 \
                         characters, and one cut short (2009-08-30 to 2009-08-3) would be read \
                         as another date; take the file from the extract again (the value is \
                         not read as a date here) (row kept, the value cleared)";
        let invalid = |row: i64, value: &str, message: &str| {
            (
                row,
                value.to_string(),
                "invalid_date".to_string(),
                message.to_string(),
            )
        };
        assert_eq!(
            found,
            vec![
                invalid(2, "2009-08-3", one_digit),
                invalid(3, "2009-8-30", one_digit),
                invalid(
                    6,
                    "2009-08-30T00:00:00",
                    "IdentityEffectiveDate: expected a date as YYYY-MM-DD or MM/DD/YYYY \
                     (row kept, the value cleared)"
                ),
            ]
        );
        // The whole ISO date and the month-first date of one-digit month and
        // day (as Excel writes it) are read.
        let read: Vec<String> = (0..out.rows.height())
            .map(|i| {
                let d = out
                    .rows
                    .column(IDENTITY_EFFECTIVE_DATE)
                    .unwrap()
                    .get(i)
                    .unwrap();
                d.to_string()
            })
            .collect();
        assert_eq!(
            read,
            vec!["null", "null", "2009-08-30", "2009-08-03", "null"]
        );
    }

    #[test]
    fn a_name_wrapped_in_curly_quotes_or_holding_a_curly_quoted_nickname_is_a_finding() {
        let names = [
            "\u{201C}Cyr\u{201D}",
            "O\u{2019}Brien",
            "\u{2018}Cyr\u{2019}",
            "Cyr\u{201D}",
            "Cyr",
            "Cyr",
        ];
        let out = ingest_personal(&[
            (PERSON_ID, vec![Some("1"); 6]),
            (IDENTITY_ID, ONE_TO_SIX.to_vec()),
            (LAST_NAME, names.iter().map(|n| Some(*n)).collect()),
            (
                FIRST_NAME,
                vec![
                    Some("Ann"),
                    Some("Ann"),
                    Some("Ann"),
                    Some("Ann"),
                    Some("Robert \u{201C}Bob\u{201D}"),
                    Some("Robert \"Bob\""),
                ],
            ),
        ]);
        let found: Vec<(i64, String, String)> =
            findings(&out.quarantine, |_, rule| rule == "curly_quotes")
                .into_iter()
                .map(|(row, value, _, message)| (row, value, message))
                .collect();
        let message = "LastName: the value is wrapped in curly quotes (\u{201C}...\u{201D}), as \
                       a word processor quotes a field: they are not part of the value (only \
                       straight quotes quote a CSV field); take the file from the extract again \
                       (row kept, the value cleared)";
        let nickname = "FirstName: a part of the value is in curly quotes (\u{201C}...\u{201D}), \
                        as a nickname is written beside a name (Robert \u{201C}Bob\u{201D}): the \
                        quoted part is not the name; correct the value in ICSE and take the file \
                        from the extract again (row kept, the value cleared)";
        assert_eq!(
            found,
            vec![
                (2, REDACTED.to_string(), message.to_string()),
                (4, REDACTED.to_string(), message.to_string()),
                (6, REDACTED.to_string(), nickname.to_string()),
            ]
        );
    }

    #[test]
    fn a_state_id_in_scientific_notation_or_excel_text_marks_is_said_to_be_so() {
        let out = ingest_personal(&[
            (PERSON_ID, vec![Some("1"); 7]),
            (
                IDENTITY_ID,
                vec![
                    Some("1"),
                    Some("2"),
                    Some("3"),
                    Some("4"),
                    Some("5"),
                    Some("6"),
                    Some("7"),
                ],
            ),
            (
                STATE_STUDENT_ID,
                vec![
                    Some("4.35E+08"),
                    Some("4.35454900"),
                    Some("'435454900"),
                    Some("=\"435454900\""),
                    Some("'43545490a"),
                    Some("#N/A"),
                    Some("#N/A "),
                ],
            ),
            (LAST_NAME, vec![Some("Cyr"); 7]),
            (FIRST_NAME, vec![Some("Ann"); 7]),
        ]);
        let messages: Vec<String> = findings(&out.quarantine, |_, rule| rule == "invalid_id")
            .into_iter()
            .map(|(_, _, _, message)| message)
            .collect();
        assert_eq!(
            messages,
            vec![
                "StateStudentID: expected nine digits, found a number in scientific notation \
                 (4.35E+08, as Excel shows a long number): its last digits are lost; take the \
                 file from the extract again (the ID is not rebuilt here)",
                "StateStudentID: expected nine digits",
                "StateStudentID: expected nine digits, found digits after an apostrophe (as \
                 Excel marks a number kept as text): the apostrophe was saved as part of the \
                 value; take the file from the extract again (the value is not changed here)",
                "StateStudentID: expected nine digits, found digits in a formula (=\"...\", \
                 as Excel writes a number kept as text): the formula was saved as the value; \
                 take the file from the extract again (the value is not changed here)",
                "StateStudentID: expected nine digits",
                "StateStudentID: expected nine digits, found an Excel error value (#N/A, \
                 #REF! and the like: a lookup or formula in the spreadsheet failed): the ID \
                 was lost there; take the file from the extract again",
                "StateStudentID: expected nine digits",
            ]
        );
    }

    #[test]
    fn a_blank_name_part_or_birth_date_is_kept_and_named_in_missing_values() {
        let (lf, present) = frame(
            &STUDENT_PERSONAL,
            &[
                (
                    PERSON_ID,
                    vec![Some("1"), Some("2"), Some("3"), Some("4"), None, Some("6")],
                ),
                (IDENTITY_ID, ONE_TO_SIX.to_vec()),
                (
                    LAST_NAME,
                    vec![
                        Some("Cyr"),
                        None,
                        Some("Roy"),
                        None,
                        Some("Roy"),
                        Some("Roy"),
                    ],
                ),
                (
                    FIRST_NAME,
                    vec![
                        Some("Ann"),
                        Some("Luc"),
                        None,
                        None,
                        Some("Zoé"),
                        Some("Pat"),
                    ],
                ),
                (
                    BIRTH_DATE,
                    vec![
                        Some("2001-03-04"),
                        Some("2001-03-04"),
                        None,
                        None,
                        Some("2001-03-04"),
                        Some("2001-02-30"),
                    ],
                ),
            ],
        );
        let out = run(
            &STUDENT_PERSONAL,
            lf,
            &present,
            &codes(),
            &config(),
            &Context::default(),
        )
        .unwrap();
        // A blank PersonID is still rejected; blanks of the three are not,
        // nor is a birth date that is not a date (kept, cleared, missing).
        assert_eq!(
            rules(&out),
            vec![
                (6, PERSON_ID.into(), "required".into(), "null".into()),
                (7, BIRTH_DATE.into(), "invalid_date".into(), REDACTED.into()),
            ]
        );
        let missing: Vec<Option<String>> = out
            .rows
            .column(MISSING_VALUES)
            .unwrap()
            .str()
            .unwrap()
            .iter()
            .map(|v| v.map(str::to_string))
            .collect();
        assert_eq!(
            missing,
            vec![
                None,
                Some("LastName".into()),
                Some("FirstName BirthDate".into()),
                Some("LastName FirstName BirthDate".into()),
                Some("BirthDate".into()),
            ]
        );
        assert_eq!(out.report.rows_out, 5);
        assert_eq!(out.report.kept.get("invalid_date"), Some(&1));
    }

    #[test]
    fn an_empty_file_passes_with_an_empty_quarantine() {
        let (lf, present) = frame(&SCHOOLS, &[(SCHOOL_ID, vec![]), (SAU_ID, vec![])]);
        let out = run(
            &SCHOOLS,
            lf,
            &present,
            &codes(),
            &config(),
            &Context::default(),
        )
        .unwrap();
        assert_eq!(out.rows.height(), 0);
        assert_eq!(out.quarantine.height(), 0);
        assert!(out.report.balanced());
    }

    #[test]
    fn keys_seen_says_whether_every_row_so_far_is_the_first_with_its_key() {
        let ids = |ids: Vec<Option<&str>>| frame(&STUDENT_ENROLLMENT, &[(ENROLLMENT_ID, ids)]);
        let batch = |v: Vec<Option<&str>>| ids(v).0.collect().unwrap();
        let present = ids(vec![Some("1")]).1;
        let new = || KeysSeen::new(&STUDENT_ENROLLMENT, &present).unwrap();
        let mut keys = new();
        assert!(keys.all_first(&batch(vec![Some("1"), Some("2")])).unwrap());
        assert!(keys.all_first(&batch(vec![Some("3")])).unwrap());
        // A key of an earlier batch, of the same batch, a blank key.
        assert!(!keys.all_first(&batch(vec![Some("4"), Some("2")])).unwrap());
        assert!(!new().all_first(&batch(vec![Some("5"), Some("5")])).unwrap());
        assert!(!new().all_first(&batch(vec![Some("6"), None])).unwrap());
        // No key column in the file, no key at all.
        let no_key = frame(&STUDENT_ENROLLMENT, &[(STATE_STUDENT_ID, vec![Some("1")])]).1;
        assert!(KeysSeen::new(&STUDENT_ENROLLMENT, &no_key).is_none());
        assert!(KeysSeen::new(&crate::schema::CTE, &no_key).is_none());
        // A key of three columns: "1" + "AB" is not "1A" + "B".
        let behavior = |incidents: Vec<Option<&str>>, students: Vec<Option<&str>>| {
            let roles = vec![Some("x"); incidents.len()];
            frame(
                &crate::schema::BEHAVIOR,
                &[
                    (INCIDENT_ID, incidents),
                    (STATE_STUDENT_ID, students),
                    (ROLE_CODE, roles),
                ],
            )
        };
        let (lf, present) = behavior(vec![Some("1"), Some("1A")], vec![Some("AB"), Some("B")]);
        let mut keys = KeysSeen::new(&crate::schema::BEHAVIOR, &present).unwrap();
        assert!(keys.all_first(&lf.collect().unwrap()).unwrap());
        let (lf, _) = behavior(vec![Some("1")], vec![Some("AB")]);
        assert!(!keys.all_first(&lf.collect().unwrap()).unwrap());
    }
}
