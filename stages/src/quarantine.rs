//! Rejected rows, shared by every stage: a check is a rule applied to one
//! column; a row breaking any check is rejected once (counted under the
//! first check it broke) and listed in quarantine once per violation.
//!
//! A check may instead keep the row ([`Outcome::Keep`], a finding, not a
//! reject): the row goes on (its value cleared where the stage says so),
//! the finding is listed in quarantine all the same, its message ending
//! with [`KEPT`] or [`KEPT_CLEARED`], and the row is counted once under
//! `kept` (by the first finding) unless a reject check also holds it.

use crate::columns::*;
use crate::report::StageReport;
use crate::schema::ColumnSpec;
use polars::prelude::*;

/// Shown instead of a personal value (names, birth dates, addresses).
pub const REDACTED: &str = "[redacted]";

/// What a check does to a row that breaks it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The row is rejected (quarantined, left out).
    Reject,
    /// The row is kept and the finding listed; `clear`: the column's value
    /// cannot be trusted and the stage clears it (null).
    Keep { clear: bool },
}

/// The end of a kept finding's message, its value cleared.
pub const KEPT_CLEARED: &str = " (row kept, the value cleared)";
/// The end of a kept finding's message.
pub const KEPT: &str = " (row kept)";

/// One rule applied to one column.
pub struct Check {
    pub column: &'static str,
    pub rule: &'static str,
    /// True where the row breaks the rule (null counts as false).
    pub violated: Expr,
    /// The value shown in quarantine (text).
    pub value: Expr,
    /// The message shown in quarantine (text).
    pub message: Expr,
    /// Whether the row is rejected or kept.
    pub outcome: Outcome,
}

impl Check {
    /// A check on a column that holds no personal information.
    pub fn plain(column: &'static str, rule: &'static str, violated: Expr, message: Expr) -> Self {
        Check {
            column,
            rule,
            violated,
            value: col(column),
            message,
            outcome: Outcome::Reject,
        }
    }

    /// A check on a column of an entity: personal values are redacted.
    pub fn new(
        spec: &ColumnSpec,
        rule: &'static str,
        violated: Expr,
        message: impl Into<Expr>,
    ) -> Self {
        let value = if spec.pii {
            lit(REDACTED)
        } else {
            col(spec.name)
        };
        Check {
            column: spec.name,
            rule,
            violated,
            value,
            message: message.into(),
            outcome: Outcome::Reject,
        }
    }

    /// Whether the check rejects the row it holds.
    pub fn rejects(&self) -> bool {
        self.outcome == Outcome::Reject
    }
}

/// The name of check `i`'s violation flag column.
pub fn flag_name(i: usize) -> String {
    format!("__violation_{i}")
}

/// The flag columns of `checks`, and a column `__bad` true where any check
/// that rejects is.
pub fn flag_exprs(checks: &[Check]) -> PolarsResult<(Vec<Expr>, Expr)> {
    let flags: Vec<Expr> = checks
        .iter()
        .enumerate()
        .map(|(i, check)| {
            check
                .violated
                .clone()
                .fill_null(lit(false))
                .alias(flag_name(i))
        })
        .collect();
    let any_bad = any_flag(checks, |c| c.rejects())?;
    Ok((flags, any_bad.alias(BAD)))
}

/// True where any check `which` picks is broken (the flag columns must be
/// on the frame).
fn any_flag(checks: &[Check], which: impl Fn(&Check) -> bool) -> PolarsResult<Expr> {
    let picked: Vec<Expr> = (0..checks.len())
        .filter(|&i| which(&checks[i]))
        .map(|i| col(flag_name(i)))
        .collect();
    if picked.is_empty() {
        Ok(lit(false))
    } else {
        any_horizontal(picked)
    }
}

/// True where any check that keeps the row is broken (a finding).
pub fn any_finding(checks: &[Check]) -> PolarsResult<Expr> {
    any_flag(checks, |c| !c.rejects())
}

/// The value `expr` gives column `column`, null where a check that keeps
/// its row and clears the column is broken (the flag columns must be on
/// the frame).
pub fn cleared(expr: Expr, column: &str, checks: &[Check]) -> PolarsResult<Expr> {
    let clears = |c: &Check| c.column == column && c.outcome == Outcome::Keep { clear: true };
    if !checks.iter().any(clears) {
        return Ok(expr);
    }
    Ok(when(any_flag(checks, clears)?)
        .then(lit(NULL))
        .otherwise(expr))
}

/// The column true on rejected rows.
pub const BAD: &str = "__bad";

/// Splits a flagged frame: (good rows with `out` columns, quarantine), and
/// adds its counts to `report` (rows in and out, rejections by rule): a
/// stage checking its rows in batches splits each into the same report.
pub fn split(
    flagged: DataFrame,
    checks: &[Check],
    out: Vec<Expr>,
    report: &mut StageReport,
) -> PolarsResult<(DataFrame, DataFrame)> {
    report.rows_in += flagged.height() as u64;
    let listed = col(BAD).or(any_finding(checks)?);
    let bad = flagged.clone().lazy().filter(listed).collect()?;
    let quarantine = quarantine_frame(&bad, checks)?;
    count_rules(&bad, checks, report)?;
    let keep = !flagged.column(BAD)?.bool()?;
    let any_bad = bad.column(BAD)?.bool()?.any();
    drop(bad);
    // The output columns first (the flagged frame, with the raw columns and
    // the flags, dropped), then filtered one column at a time: the rows are
    // never held twice.
    let selected = flagged.lazy().select(out).collect()?;
    if !any_bad {
        report.rows_out += selected.height() as u64;
        return Ok((selected, quarantine));
    }
    let height = keep.sum().unwrap_or(0) as usize;
    let mut columns = selected.into_columns();
    for c in columns.iter_mut() {
        *c = c.filter(&keep)?;
    }
    let rows = DataFrame::new(height, columns)?;
    report.rows_out += rows.height() as u64;
    Ok((rows, quarantine))
}

pub fn quarantine_frame(bad: &DataFrame, checks: &[Check]) -> PolarsResult<DataFrame> {
    const ORDER: &str = "__check";
    let mut parts = Vec::with_capacity(checks.len() + 1);
    parts.push(
        empty_quarantine()?
            .lazy()
            .with_column(lit(0u32).alias(ORDER)),
    );
    for (i, check) in checks.iter().enumerate() {
        // A check no row broke adds no line: not planned at all (most
        // checks, in most batches).
        if !bad.column(&flag_name(i))?.bool()?.any() {
            continue;
        }
        parts.push(bad.clone().lazy().filter(col(flag_name(i))).select([
            col(SOURCE_FILE),
            col(SOURCE_ROW),
            lit(check.column).alias(Q_COLUMN),
            check.value.clone().cast(DataType::String).alias(Q_VALUE),
            lit(check.rule).alias(Q_RULE),
            kept_message(check).alias(Q_MESSAGE),
            lit(i as u32).alias(ORDER),
        ]));
    }
    concat(parts, UnionArgs::default())?
        .sort_by_exprs(
            [col(SOURCE_ROW), col(ORDER)],
            SortMultipleOptions::default().with_maintain_order(true),
        )
        .select(QUARANTINE_COLUMNS.map(col))
        .collect()
}

/// A check's message, saying so when the row is kept (a finding of a row
/// another check rejects is listed as it is).
fn kept_message(check: &Check) -> Expr {
    let end = match check.outcome {
        Outcome::Reject => return check.message.clone(),
        Outcome::Keep { clear: true } => KEPT_CLEARED,
        Outcome::Keep { clear: false } => KEPT,
    };
    when(col(BAD))
        .then(check.message.clone())
        .otherwise(concat_str([check.message.clone(), lit(end)], "", false))
}

/// An empty quarantine frame with the quarantine columns and types.
pub fn empty_quarantine() -> PolarsResult<DataFrame> {
    DataFrame::new(
        0,
        vec![
            Column::new_empty(SOURCE_FILE.into(), &DataType::String),
            Column::new_empty(SOURCE_ROW.into(), &DataType::Int64),
            Column::new_empty(Q_COLUMN.into(), &DataType::String),
            Column::new_empty(Q_VALUE.into(), &DataType::String),
            Column::new_empty(Q_RULE.into(), &DataType::String),
            Column::new_empty(Q_MESSAGE.into(), &DataType::String),
        ],
    )
}

/// Counts every violation of the `bad` rows, each rejected row once (under
/// the first check that rejects it), and each row only kept with a
/// finding once (under `kept`, by its first finding).
pub fn count_rules(
    bad: &DataFrame,
    checks: &[Check],
    report: &mut StageReport,
) -> PolarsResult<()> {
    let mut columns = Vec::with_capacity(checks.len());
    for i in 0..checks.len() {
        columns.push(bad.column(&flag_name(i))?.bool()?.clone());
    }
    for row in 0..bad.height() {
        let (mut first, mut finding, mut cleared) = (None, None, None);
        for (i, column) in columns.iter().enumerate() {
            if column.get(row) == Some(true) {
                *report
                    .violations
                    .entry(checks[i].rule.to_string())
                    .or_default() += 1;
                match checks[i].outcome {
                    Outcome::Reject => first.get_or_insert(i),
                    Outcome::Keep { clear } => {
                        if clear {
                            cleared.get_or_insert(i);
                        }
                        finding.get_or_insert(i)
                    }
                };
            }
        }
        count_row(checks, report, first, finding, cleared);
    }
    Ok(())
}

/// Counts one row: under `rejected` by its first reject, else under `kept`
/// by its first finding and, when a finding cleared a value, under
/// `cleared` by the first such (`Column: rule`).
fn count_row(
    checks: &[Check],
    report: &mut StageReport,
    first: Option<usize>,
    finding: Option<usize>,
    cleared: Option<usize>,
) {
    let (counts, i) = match (first, finding) {
        (Some(i), _) => (&mut report.rejected, i),
        (None, Some(i)) => (&mut report.kept, i),
        (None, None) => return,
    };
    *counts.entry(checks[i].rule.to_string()).or_default() += 1;
    if let (None, Some(c)) = (first, cleared) {
        let key = format!("{}: {}", checks[c].column, checks[c].rule);
        *report.cleared.entry(key).or_default() += 1;
    }
}
