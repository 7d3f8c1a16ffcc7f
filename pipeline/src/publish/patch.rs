//! An upload patched rather than conformed again (Student Enrollment):
//! when of what its rows are made from only the source columns of its
//! patchable fields (`conform::PATCHABLE`: the grade level and the other
//! code columns a code table edit changes) and their code sets changed
//! (`Reuse::may_patch`), its conformed rows are the last run's, row for
//! row (those columns neither split, place nor order a row), with those
//! fields made again from the re-keyed rows. Pre-flight checks again only
//! the rows whose verdict may change: a row whose patched value changed or
//! holds a code that entered or left its field's code set, with every row
//! of the same student and school year (the rules that read other rows
//! read only those: the primary periods, the next primary enrollment). The
//! other rows keep their findings, read back from the last run's
//! pre-flight file, in the order a full check writes them (by upload row,
//! then rule). The caller writes the conformed snapshot, the findings and
//! every upload file again from the rows that passed: the same bytes a
//! full run writes.

use super::{sources, text_column, Shared};
use crate::runfiles;
use crate::snapshot;
use anyhow::Result;
use cutover_stages::columns::{SOURCE_FILE, SOURCE_ROW};
use cutover_stages::conform::{self, Source, Upload, UPLOAD_ROW};
use cutover_stages::preflight::{self, Layout, VIOLATION_COLUMNS};
use cutover_stages::report::StageReport;
use polars::prelude::*;
use std::collections::{BTreeMap, HashSet};
use std::path::Path;

/// What a patch made.
pub struct Patched {
    /// The conformed rows.
    pub frame: DataFrame,
    /// Pre-flight's findings, in [`VIOLATION_COLUMNS`].
    pub violations: DataFrame,
    /// Pre-flight's report.
    pub report: StageReport,
    /// The rows that passed.
    pub passed: DataFrame,
    /// Whether pre-flight held the same rows as in the last run.
    pub held_as_before: bool,
    /// The fields that changed, each with the number of rows it changed in.
    pub fields: Vec<(&'static str, usize)>,
    /// Rows pre-flight checked again.
    pub checked: usize,
}

/// What a patch made again and kept, for `run.json` and `-v`: the fields
/// that changed and in how many rows, the rows pre-flight checked again,
/// the upload files written.
pub fn note(fields: &[(&str, usize)], rows: usize, checked: usize, files: u64) -> String {
    let changed: Vec<String> = fields.iter().map(|(f, n)| format!("{f} in {n}")).collect();
    let changed = if changed.is_empty() {
        "none (only a code set)".to_string()
    } else {
        changed.join(", ")
    };
    format!(
        "of its {rows} rows, changed: {changed}; pre-flight checked {checked} rows again (those changed, with their student's other rows of the year) and kept the findings of the other {}; its {files} upload files written again",
        rows - checked
    )
}

/// The column holding a patched field's new value while it is compared.
fn new_name(i: usize) -> String {
    format!("__patch_{i}")
}

/// Patches `upload` (see the module); `None` when the last run's rows do
/// not line up with the re-keyed rows (then it is conformed in full).
pub(super) fn run(
    root: &Path,
    upload: &Upload,
    layout: &Layout,
    shared: &Shared,
    changed_codes: &BTreeMap<String, Vec<String>>,
) -> Result<Option<Patched>> {
    let Some((frame, changed, fields)) = patched_frame(root, upload)? else {
        return Ok(None);
    };
    let mut affected = changed.clone();
    for (field, codes) in changed_codes {
        let codes: HashSet<&str> = codes.iter().map(String::as_str).collect();
        let values = text_column(&frame, field)?;
        let holds: BooleanChunked = values
            .iter()
            .map(|v| Some(v.is_some_and(|v| codes.contains(v))))
            .collect();
        affected = &affected | &holds;
    }
    let mask = with_same_student_and_year(&frame, &affected)?;
    let subset = frame.filter(&mask)?;
    let periods = preflight::primary_periods(Some(&subset))?;
    let checked = preflight::run(upload, layout, &subset, &shared.ctx(Some(&periods), None))?;
    let Some(merged) = merged_violations(root, upload, &frame, &mask, checked.violations)? else {
        return Ok(None);
    };
    let (report, held) = report_of(upload, &frame, &merged.violations)?;
    let passes: BooleanChunked = held.iter().map(|h| Some(!h)).collect();
    let passed = frame.filter(&passes)?;
    Ok(Some(Patched {
        violations: merged.violations.select(VIOLATION_COLUMNS)?,
        report,
        passed,
        held_as_before: merged.held_before == held,
        fields,
        checked: subset.height(),
        frame,
    }))
}

/// The conformed rows, which changed, and each field's count of changes.
type PatchedFrame = (DataFrame, BooleanChunked, Vec<(&'static str, usize)>);

/// The last run's conformed rows with the patchable fields made again from
/// the re-keyed rows (matched by source file and row), and which rows
/// changed; `None` when they do not line up.
fn patched_frame(root: &Path, upload: &Upload) -> Result<Option<PatchedFrame>> {
    let rel = sources::snapshot_of(Source::Segments);
    let pairs = conform::patchable(upload);
    let have = runfiles::columns_of(root, &rel)?;
    if !pairs.iter().all(|(s, _)| have.iter().any(|h| h == s)) {
        return Ok(None);
    }
    let Some(rows) = runfiles::scan(root, &rel)? else {
        return Ok(None);
    };
    let mut select = vec![
        col(SOURCE_FILE),
        col(SOURCE_ROW),
        lit(true).alias("__found"),
    ];
    for (i, (source, _)) in pairs.iter().enumerate() {
        select.push(conform::patch_field(source).alias(new_name(i)));
    }
    let path = root
        .join(conform::STAGE)
        .join(format!("{}.parquet", upload.name));
    let rows = rows.select(select).collect()?;
    let mut frame = snapshot::read_parquet(&path)?;
    if rows.height() != frame.height() {
        return Ok(None);
    }
    let args = JoinArgs {
        maintain_order: MaintainOrderJoin::Left,
        ..JoinArgs::new(JoinType::Left)
    };
    let new = frame
        .select([SOURCE_FILE, SOURCE_ROW])?
        .lazy()
        .with_column(col(SOURCE_ROW).cast(DataType::Int64))
        .join(
            rows.lazy()
                .with_column(col(SOURCE_ROW).cast(DataType::Int64)),
            [col(SOURCE_FILE), col(SOURCE_ROW)],
            [col(SOURCE_FILE), col(SOURCE_ROW)],
            args,
        )
        .collect()?;
    let in_order = frame
        .column(UPLOAD_ROW)?
        .as_materialized_series()
        .cast(&DataType::Int64)?;
    let positions = Series::new("".into(), (0..frame.height() as i64).collect::<Vec<_>>());
    if new.height() != frame.height()
        || new.column("__found")?.null_count() > 0
        || !in_order.equals_missing(&positions)
    {
        return Ok(None);
    }
    let mut changed = BooleanChunked::full("changed".into(), false, frame.height());
    let mut fields = Vec::new();
    for (i, (_, field)) in pairs.iter().enumerate() {
        let now = new.column(&new_name(i))?.as_materialized_series();
        let before = frame.column(field)?.as_materialized_series();
        let differs = before.not_equal_missing(now)?;
        let n = differs.sum().unwrap_or(0) as usize;
        if n > 0 {
            fields.push((*field, n));
        }
        changed = &changed | &differs;
        frame.replace(field, now.clone().with_name((*field).into()).into_column())?;
    }
    Ok(Some((frame, changed, fields)))
}

/// `affected` with every row of the same student (StateStudentID) and
/// school year as an affected row: what pre-flight's rules that read other
/// rows read (a row without a StateStudentID is checked alone).
fn with_same_student_and_year(
    frame: &DataFrame,
    affected: &BooleanChunked,
) -> Result<BooleanChunked> {
    let ids = text_column(frame, "StateStudentID")?;
    let years = text_column(frame, "SchoolYear")?;
    let mut keys: HashSet<(&str, Option<&str>)> = HashSet::new();
    for ((a, id), year) in affected.iter().zip(ids.iter()).zip(years.iter()) {
        if let (Some(true), Some(id)) = (a, id) {
            keys.insert((id, year));
        }
    }
    Ok(affected
        .iter()
        .zip(ids.iter())
        .zip(years.iter())
        .map(|((a, id), year)| {
            Some(a == Some(true) || id.is_some_and(|id| keys.contains(&(id, year))))
        })
        .collect())
}

/// The findings merged, each with its upload row (`UPLOAD_ROW`), and the
/// rows the last run's findings held.
struct Merged {
    violations: DataFrame,
    held_before: Vec<bool>,
}

/// The last run's findings of the rows not checked again, and this run's
/// of those that were, by upload row (a row's findings all come from one of
/// the two, in rule order); `None` when a finding's source row is not a
/// conformed row.
fn merged_violations(
    root: &Path,
    upload: &Upload,
    frame: &DataFrame,
    checked: &BooleanChunked,
    now: DataFrame,
) -> Result<Option<Merged>> {
    let before = read_violations(root, upload)?;
    let mut rows = frame.select([SOURCE_FILE, SOURCE_ROW, UPLOAD_ROW])?;
    rows.with_column(checked.clone().with_name("__checked".into()).into_column())?;
    let place = |v: DataFrame| -> PolarsResult<DataFrame> {
        let args = JoinArgs {
            maintain_order: MaintainOrderJoin::Left,
            ..JoinArgs::new(JoinType::Left)
        };
        v.lazy()
            .join(
                rows.clone()
                    .lazy()
                    .with_column(col(SOURCE_ROW).cast(DataType::Int64)),
                [col(SOURCE_FILE), col(SOURCE_ROW)],
                [col(SOURCE_FILE), col(SOURCE_ROW)],
                args,
            )
            .collect()
    };
    let before = place(before)?;
    if before.column(UPLOAD_ROW)?.null_count() > 0 {
        return Ok(None);
    }
    let mut held_before = vec![false; frame.height()];
    for r in before
        .column(UPLOAD_ROW)?
        .cast(&DataType::UInt64)?
        .u64()?
        .iter()
        .flatten()
    {
        held_before[r as usize] = true;
    }
    let kept = before.lazy().filter(col("__checked").not());
    let violations = concat([kept, place(now)?.lazy()], UnionArgs::default())?
        .sort(
            [UPLOAD_ROW],
            SortMultipleOptions::default().with_maintain_order(true),
        )
        .collect()?;
    Ok(Some(Merged {
        violations,
        held_before,
    }))
}

/// The last run's pre-flight findings of `upload`, typed as pre-flight
/// makes them (text, the source row a number).
fn read_violations(root: &Path, upload: &Upload) -> Result<DataFrame> {
    let path = root
        .join(preflight::STAGE)
        .join(format!("{}.csv", upload.name));
    let (header, records) = runfiles::read_csv(&path)?
        .ok_or_else(|| anyhow::anyhow!("{} is missing", path.display()))?;
    if header != VIOLATION_COLUMNS {
        anyhow::bail!("{}: unexpected columns {header:?}", path.display());
    }
    let mut columns = Vec::new();
    for (i, name) in VIOLATION_COLUMNS.iter().enumerate() {
        let values = records.iter().map(|r| r.get(i).filter(|v| !v.is_empty()));
        let column = if *name == SOURCE_ROW {
            let rows: Vec<Option<i64>> = values.map(|v| v.and_then(|v| v.parse().ok())).collect();
            Column::new((*name).into(), rows)
        } else {
            let texts: Vec<Option<&str>> = values.map(|v| v.map(String::as_str)).collect();
            Column::new((*name).into(), texts)
        };
        columns.push(column);
    }
    Ok(DataFrame::new(records.len(), columns)?)
}

/// Pre-flight's report from the merged findings (a row counted under its
/// first rule, every finding under its own), and the rows held.
fn report_of(
    upload: &Upload,
    frame: &DataFrame,
    violations: &DataFrame,
) -> Result<(StageReport, Vec<bool>)> {
    let mut report = StageReport::new(preflight::STAGE, upload.name);
    report.rows_in = frame.height() as u64;
    let mut held = vec![false; frame.height()];
    let rows = violations.column(UPLOAD_ROW)?.cast(&DataType::UInt64)?;
    let rules = violations.column("rule")?.str()?.clone();
    let mut last = None;
    for (row, rule) in rows.u64()?.iter().zip(rules.iter()) {
        let (Some(row), Some(rule)) = (row, rule) else {
            anyhow::bail!("{}: a finding without its row or rule", upload.name);
        };
        *report.violations.entry(rule.to_string()).or_default() += 1;
        if last != Some(row) {
            *report.rejected.entry(rule.to_string()).or_default() += 1;
            held[row as usize] = true;
            last = Some(row);
        }
    }
    report.rows_out = held.iter().filter(|h| !**h).count() as u64;
    Ok((report, held))
}
