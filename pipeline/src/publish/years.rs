//! Student Enrollment checked and written a school year at a time: its
//! rules compare rows of one student and school year only (the primary
//! periods, made first from every year's rows, are looked up by student and
//! year; the next primary enrollment is one of the same student and year),
//! and its rows are ordered by school year first, so each year's rows
//! checked, written to their files and their manifest rows made, one year
//! after the other, are what checking and writing the whole upload makes.
//! Publish then holds one year's conformed rows and their pre-flight, not
//! the upload's (the years wait packed, a few bytes a row).
//!
//! The conformed snapshot is written a year at a time too, in the row
//! groups polars makes of the whole frame (its rows in one chunk), so its
//! bytes are those of the whole frame written; the manifest's part of the
//! upload is the years' rows joined, held as the whole upload's part is
//! (one chunk a column), for the same reason.

use super::packed::{self, Part};
use super::sources::{EnrollmentYears, Loaded, PersonalYears, YearRows};
use super::{
    joined, upload_files, write_violations, Clock, Enrollments, Planned, Shared, Turn,
    UploadSummary, Writing, STAGE,
};
use crate::output::{write_csv_parts, LineEnds};
use crate::snapshot;
use anyhow::Result;
use cutover_stages::conform::{self, FieldType, Upload, UPLOAD_SAU, UPLOAD_YEAR};
use cutover_stages::preflight::{self, Layout, VIOLATION_COLUMNS};
use cutover_stages::report::StageReport;
use polars::prelude::*;

/// The columns the primary periods are made from.
const PERIOD_COLUMNS: [&str; 5] = [
    "EnrollmentType",
    "StateStudentID",
    "SchoolYear",
    "EntryDate",
    "ExitDate",
];

impl<'a> Turn<'_, 'a, '_> {
    /// Checks and writes Student Enrollment conformed a school year at a
    /// time (`parts`: each year's rows, packed, in the upload's order), as
    /// [`Turn::conformed`] does the whole frame.
    pub(super) fn conformed_years(
        &mut self,
        p: &Planned,
        layout: &Layout,
        parts: Vec<Part>,
        us: &mut UploadSummary,
    ) -> Result<()> {
        let upload = p.upload;
        if parts.iter().all(|part| part.height() == 0) {
            let frame = match parts.first() {
                Some(_) => Part::joined(parts)?.frame()?,
                None => conform::empty(upload)?,
            };
            return self.conformed(p, layout, frame, us);
        }
        let mut clock = Clock::new(upload.name);
        let is_enrollment = upload.name == conform::STUDENT_ENROLLMENT_UPLOAD.name;
        let (periods, latest) = periods_and_latest(upload, &parts, is_enrollment)?;
        if let Some(periods) = periods {
            self.reuse.periods_now(&periods)?;
            self.enrollments.periods = Some(periods);
        }
        clock.lap("latest+periods");
        // FRM and ELL read nothing of Student Enrollment.
        let periods = self.enrollments.periods.as_ref().filter(|_| is_enrollment);
        let rules = Rules {
            shared: self.shared,
            periods: periods.map(|p| year_index(p).map(|i| (p, i))).transpose()?,
            own_periods: false,
            passed: None,
        };
        let total = parts.iter().map(Part::height).sum();
        let frames = parts.into_iter().map(|part| Ok((part.frame()?, None)));
        let (passed, _) =
            check_and_write_years(self.w, (upload, layout), (total, frames), &rules, us)?;
        clock.lap("check_and_write");
        if is_enrollment {
            self.reuse.passed_now(&passed)?;
            self.enrollments.passed = Some(passed);
            self.enrollments.pack_periods()?;
        }
        self.reuse
            .record(upload, &p.inputs, &latest, self.shared.as_of);
        Ok(())
    }

    /// Checks and writes Student Personal conformed a school year at a
    /// time (`years`: each year's rows made in turn), as
    /// [`Turn::conformed`] does the whole frame. Each year's rules read
    /// the passed enrollments of that year only (a row's are those of its
    /// own student, school year and SAU).
    pub(super) fn personal_years(
        &mut self,
        p: &Planned,
        layout: &Layout,
        years: PersonalYears,
        us: &mut UploadSummary,
    ) -> Result<()> {
        let upload = p.upload;
        let mut clock = Clock::new(upload.name);
        self.enrollments
            .read_kept(self.w, self.reuse, self.shared)?;
        clock.lap("latest+periods");
        let rules = Rules {
            shared: self.shared,
            periods: None,
            own_periods: false,
            passed: self.enrollments.passed.as_ref(),
        };
        let mut latest = String::new();
        let frames = years.frames().map(|f| f.map(|f| (f, None)));
        let frames = noting_latest(upload, frames, &mut latest);
        let total = years.total();
        check_and_write_years(self.w, (upload, layout), (total, frames), &rules, us)?;
        clock.lap("check_and_write");
        self.reuse
            .record(upload, &p.inputs, &latest, self.shared.as_of);
        Ok(())
    }
}

impl<'a> Turn<'_, 'a, '_> {
    /// Checks and writes Student Enrollment conformed a school year at a
    /// time as it goes (`years`: each year's rows made in turn, no year
    /// packed), as [`Turn::conformed_years`] does the years made first.
    /// Each year's rules read the primary periods made from that year's
    /// rows; the upload's periods are the years' together (their hash
    /// is that of the rows whatever their order).
    pub(super) fn enrollment_years(
        &mut self,
        p: &Planned,
        layout: &Layout,
        mut years: EnrollmentYears,
        loaded: &mut Loaded,
        us: &mut UploadSummary,
    ) -> Result<()> {
        let upload = p.upload;
        let mut clock = Clock::new(upload.name);
        let rules = Rules {
            shared: self.shared,
            periods: None,
            own_periods: true,
            passed: None,
        };
        let mut latest = String::new();
        let total = years.total();
        let frames = noting_latest(upload, years.frames(), &mut latest);
        let (passed, periods) =
            check_and_write_years(self.w, (upload, layout), (total, frames), &rules, us)?;
        self.w.conform_reports.push(years.finish(loaded)?);
        clock.lap("conform+check_and_write by school year");
        let mut all: Option<DataFrame> = None;
        for year in periods {
            match all.as_mut() {
                Some(a) => {
                    a.vstack_mut(&year)?;
                }
                None => all = Some(year),
            }
        }
        let mut periods = match all {
            Some(all) => all,
            None => preflight::primary_periods(None)?,
        };
        periods.rechunk_mut();
        self.reuse.periods_now(&periods)?;
        self.enrollments.periods = Some(periods);
        self.reuse.passed_now(&passed)?;
        self.enrollments.passed = Some(passed);
        self.enrollments.pack_periods()?;
        clock.lap("periods+passed hashed");
        self.reuse
            .record(upload, &p.inputs, &latest, self.shared.as_of);
        Ok(())
    }
}

impl Enrollments<'_> {
    /// Packs the primary periods (parquet, LZ4, in memory) until an upload
    /// that reads them comes (CTE, after Student Personal, FRM, Special Ed
    /// and ELL): they were the largest frame held through those turns.
    fn pack_periods(&mut self) -> Result<()> {
        if let Some(periods) = self.periods.take() {
            self.packed_periods = Some(Part::pack(&periods)?);
        }
        Ok(())
    }

    /// The primary periods unpacked, when they were packed.
    pub(super) fn unpack_periods(&mut self) -> Result<()> {
        if let Some(packed) = self.packed_periods.take() {
            self.periods = Some(packed.frame()?);
        }
        Ok(())
    }
}

/// The years' frames as they come, noting in `latest` the latest date in
/// them ([`super::latest_date`]).
fn noting_latest<'a>(
    upload: &'a Upload,
    frames: impl Iterator<Item = Result<YearRows>> + 'a,
    latest: &'a mut String,
) -> impl Iterator<Item = Result<YearRows>> + 'a {
    frames.map(move |year| {
        let year = year?;
        let of_year = super::latest_date(upload, &year.0)?;
        if of_year > *latest {
            *latest = of_year;
        }
        Ok(year)
    })
}

/// The primary periods of the upload's rows when `periods` (made from the
/// columns they read of every year's rows, in the upload's order: the
/// periods of the whole frame) and the latest date in them
/// ([`super::latest_date`]).
fn periods_and_latest(
    upload: &Upload,
    parts: &[Part],
    periods: bool,
) -> Result<(Option<DataFrame>, String)> {
    let mut wanted: Vec<&str> = if periods {
        PERIOD_COLUMNS.to_vec()
    } else {
        Vec::new()
    };
    for (field, kind) in upload.fields {
        if *kind == FieldType::Date && !wanted.contains(field) {
            wanted.push(field);
        }
    }
    let mut latest = String::new();
    let mut rows: Option<DataFrame> = None;
    for part in parts {
        let year = part.columns(&wanted)?;
        let of_year = super::latest_date(upload, &year)?;
        if of_year > latest {
            latest = of_year;
        }
        if !periods {
            continue;
        }
        let narrow = year.select(PERIOD_COLUMNS)?;
        drop(year);
        match rows.as_mut() {
            Some(r) => {
                r.vstack_mut(&narrow)?;
            }
            None => rows = Some(narrow),
        }
    }
    let Some(mut rows) = rows else {
        return Ok((None, latest));
    };
    rows.rechunk_mut();
    Ok((Some(preflight::primary_periods(Some(&rows))?), latest))
}

/// The primary periods of each school year (`__p_year`): the rows of
/// the periods frame that hold it.
fn year_index(periods: &DataFrame) -> Result<PlHashMap<String, Vec<IdxSize>>> {
    let years = periods
        .column("__p_year")?
        .as_materialized_series()
        .cast(&DataType::String)?;
    let mut index: PlHashMap<String, Vec<IdxSize>> = PlHashMap::default();
    for (i, year) in years.str()?.iter().enumerate() {
        if let Some(year) = year {
            match index.get_mut(year) {
                Some(rows) => rows.push(i as IdxSize),
                None => {
                    index.insert(year.to_string(), vec![i as IdxSize]);
                }
            }
        }
    }
    Ok(index)
}

/// What a year's rules read: the periods of its school years only (a row's
/// primary period is one of its own student and school year).
struct Rules<'r> {
    shared: &'r Shared,
    periods: Option<(&'r DataFrame, PlHashMap<String, Vec<IdxSize>>)>,
    /// Student Enrollment made a year at a time ([`EnrollmentYears`]):
    /// each year's primary periods made from its own rows.
    own_periods: bool,
    /// Student Personal: the keys of Student Enrollment's rows that passed.
    passed: Option<&'r DataFrame>,
}

impl Rules<'_> {
    /// The primary periods of the school years of `year`'s rows (in the
    /// order of the whole periods frame).
    fn periods_of(&self, year: &DataFrame) -> Result<Option<DataFrame>> {
        let Some((periods, index)) = &self.periods else {
            return Ok(None);
        };
        let texts = year
            .column("SchoolYear")?
            .as_materialized_series()
            .cast(&DataType::String)?
            .unique()?;
        let mut rows: Vec<IdxSize> = Vec::new();
        for text in texts.str()?.iter().flatten() {
            if let Some(of_year) = index.get(text) {
                rows.extend_from_slice(of_year);
            }
        }
        rows.sort_unstable();
        Ok(Some(periods.take(&IdxCa::from_vec("".into(), rows))?))
    }

    /// The passed enrollments (student, school year, SAU) of the school
    /// years of `year`'s rows: the only ones its rows are joined with.
    fn passed_of(&self, year: &DataFrame) -> Result<Option<DataFrame>> {
        let Some(passed) = self.passed else {
            return Ok(None);
        };
        let years: Vec<i32> = year
            .column(UPLOAD_YEAR)?
            .i32()?
            .unique()?
            .iter()
            .flatten()
            .collect();
        let keep: BooleanChunked = passed
            .column(UPLOAD_YEAR)?
            .i32()?
            .iter()
            .map(|y| y.is_some_and(|y| years.contains(&y)))
            .collect();
        let keys = passed.select(["StateStudentID", UPLOAD_YEAR, UPLOAD_SAU])?;
        Ok(Some(keys.filter(&keep)?))
    }
}

/// What the years checked so far add up to.
struct Years {
    /// Pre-flight's report.
    checked: StageReport,
    /// The publish report (rows written).
    written: StageReport,
    violations: Vec<DataFrame>,
    /// Student Enrollment: the keys of the rows that passed
    /// ([`super::passed_keys`]).
    passed: Option<Vec<DataFrame>>,
    /// The manifest rows, packed a year at a time.
    manifest: Vec<Part>,
    /// Each year's own primary periods ([`Rules::own_periods`]).
    periods: Vec<DataFrame>,
}

/// Adds a year's report to the upload's (every count).
fn add_report(into: &mut StageReport, part: &StageReport) {
    conform::add_report(into, part);
    for (rule, n) in &part.kept {
        *into.kept.entry(rule.clone()).or_default() += n;
    }
}

impl Years {
    /// Checks one year's rows and writes their files.
    fn add(
        &mut self,
        w: &mut Writing,
        (upload, layout): (&'static Upload, &Layout),
        (year, ids): (&DataFrame, Option<Vec<u32>>),
        rules: &Rules,
        us: &mut UploadSummary,
    ) -> Result<()> {
        // The year's own periods are made with its rows' ranks (`ids`,
        // StateStudentID's, when conform made them), which its rules read
        // again.
        let (periods, ranked) = if rules.own_periods {
            let (periods, ranked) = preflight::primary_periods_ranked(year, ids)?;
            (Some(periods), Some(ranked))
        } else {
            (rules.periods_of(year)?, None)
        };
        let passed = rules.passed_of(year)?;
        let mut ctx = rules.shared.ctx(periods.as_ref(), passed.as_ref());
        ctx.ranked = ranked.as_ref();
        let checked = preflight::run(upload, layout, year, &ctx)?;
        drop(passed);
        if let Some(periods) = periods.filter(|_| rules.own_periods) {
            self.periods.push(periods);
        }
        add_report(&mut self.checked, &checked.report);
        self.violations.push(checked.violations);
        let (written, part) = upload_files(w, upload, layout, &checked.rows, us)?;
        add_report(&mut self.written, &written);
        self.manifest.push(Part::pack(&part)?);
        if let Some(passed) = self.passed.as_mut() {
            passed.push(super::passed_keys(&checked.rows)?);
        }
        Ok(())
    }
}

/// [`super::check_and_write`] a school year at a time: the conformed
/// snapshot written on another thread in the whole frame's row groups,
/// each year checked, its files written and its manifest rows packed;
/// then the findings and the manifest part of the whole upload. Returns
/// the keys of the rows that passed (Student Enrollment's; else none) and
/// each year's own primary periods ([`Rules::own_periods`]; else none).
fn check_and_write_years(
    w: &mut Writing,
    (upload, layout): (&'static Upload, &Layout),
    (total, frames): (usize, impl Iterator<Item = Result<YearRows>>),
    rules: &Rules,
    us: &mut UploadSummary,
) -> Result<(DataFrame, Vec<DataFrame>)> {
    let mut clock = Clock::new(upload.name);
    us.conformed = total as u64;
    let groups = packed::row_groups_of_one_chunk(total)?;
    let mut years = Years {
        checked: StageReport::new(preflight::STAGE, upload.name),
        written: StageReport::new(STAGE, upload.name),
        violations: Vec::new(),
        passed: (upload.name == conform::STUDENT_ENROLLMENT_UPLOAD.name).then(Vec::new),
        manifest: Vec::new(),
        periods: Vec::new(),
    };
    let (root, provenance) = (w.root, w.provenance);
    let (written, checked) = std::thread::scope(|s| {
        let (tx, rx) = std::sync::mpsc::sync_channel::<DataFrame>(1);
        let parquet = s.spawn(move || {
            snapshot::stage_parquet_batches(
                root,
                conform::STAGE,
                upload.name,
                provenance,
                |sink| {
                    packed::frames_in_groups(rx.into_iter().map(Ok), &groups, |group| {
                        sink.write(group)
                    })
                },
            )?
            .persist()
        });
        let checked = frames.into_iter().try_for_each(|year| {
            let (year, ids) = year?;
            // A parquet thread gone has failed: its error is the one told.
            let _ = tx.send(year.clone());
            years.add(w, (upload, layout), (&year, ids), rules, us)
        });
        drop(tx);
        (joined(parquet), checked)
    });
    // A year that failed cuts the snapshot short: its error first.
    checked?;
    written?;
    w.outputs
        .push(format!("{}/{}.parquet", conform::STAGE, upload.name));
    tracing::info!(upload = upload.name, rows = total, "conformed");
    tracing::info!(
        upload = upload.name,
        held = years.checked.rejected_total(),
        "pre-flight"
    );
    clock.lap("conform parquet+preflight+files by school year");
    let periods = std::mem::take(&mut years.periods);
    Ok((finish(w, upload, years, us)?, periods))
}

/// The upload's findings, reports and manifest part, once every year is
/// checked and written. Returns the keys of the rows that passed.
fn finish(
    w: &mut Writing,
    upload: &'static Upload,
    years: Years,
    us: &mut UploadSummary,
) -> Result<DataFrame> {
    let Years {
        checked,
        written,
        violations,
        passed,
        manifest,
        ..
    } = years;
    us.preflight = checked.rejected.clone();
    if violations.len() == 1 {
        write_violations(w.root, upload, &violations[0])?;
    } else {
        let path = w
            .root
            .join("preflight")
            .join(format!("{}.csv", upload.name));
        write_csv_parts(
            &path,
            violations.into_iter().map(Ok),
            &VIOLATION_COLUMNS,
            LineEnds::Crlf,
        )?;
    }
    w.outputs.push(format!("preflight/{}.csv", upload.name));
    w.reports.push(checked);
    w.reports.push(written);
    w.manifests.push(Part::joined(manifest)?);
    super::log_upload(upload.name, us);
    let passed = passed.unwrap_or_default();
    let apart = years_apart(&passed)?;
    let mut keys: Option<DataFrame> = None;
    for year in passed {
        match keys.as_mut() {
            Some(k) => {
                k.vstack_mut(&year)?;
            }
            None => keys = Some(year),
        }
    }
    match keys {
        // Each year's keys are unique: with a school year of their own,
        // no key is met in two years.
        Some(keys) if apart => Ok(keys),
        // A key met in two years is kept once, as in the whole upload's keys.
        Some(keys) => super::passed_keys(&keys),
        None => Ok(DataFrame::empty()),
    }
}

/// Whether each of the years' passed keys holds one school year (or
/// none) that no other holds.
fn years_apart(years: &[DataFrame]) -> Result<bool> {
    let mut seen: Vec<Option<i32>> = Vec::new();
    for keys in years {
        let of = keys.column(UPLOAD_YEAR)?.i32()?.unique()?;
        match of.len() {
            0 => continue,
            1 if !seen.contains(&of.get(0)) => seen.push(of.get(0)),
            _ => return Ok(false),
        }
    }
    Ok(true)
}
