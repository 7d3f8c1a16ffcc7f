//! The source frames of the uploads publish conforms: each snapshot read
//! with only the columns the uploads still to be conformed declare, the
//! enrollment rows split once for the uploads in a row that read them, each
//! frame dropped when the next upload does not read it (read again for an
//! upload further on). An upload kept from the last run reads nothing.

use crate::publish::packed::Part;
use crate::runfiles;
use anyhow::Result;
use cutover_stages::columns::{EXIT_DATE, SCHOOL_ENTRY_DATE, YEAR_CODE};
use cutover_stages::conform::{
    self, declared, sources_of, split_input, ConformConfig, Source, Sources, Upload,
};
use cutover_stages::identity::STUDENT_KEY;
use cutover_stages::report::StageReport;
use polars::prelude::*;
use std::collections::BTreeMap;
use std::path::Path;

/// The uploads checked and written a school year at a time
/// ([`Loaded::conform_years`]): each row's rules read rows of its own
/// school year only.
pub const CHECKED_BY_YEAR: [&Upload; 3] = [
    &conform::STUDENT_ENROLLMENT_UPLOAD,
    &conform::FRM,
    &conform::ELL,
];

/// The snapshot a source frame is read from.
pub fn snapshot_of(source: Source) -> String {
    format!("identity/{}.parquet", source.entity())
}

/// Whether the run has the snapshot of every frame `upload` reads.
pub fn available(root: &Path, upload: &Upload) -> bool {
    sources_of(upload)
        .into_iter()
        .all(|s| conform::optional(upload, s) || root.join(snapshot_of(s)).is_file())
}

/// The frames loaded so far, and what the uploads still to come may read.
pub struct Loaded<'a> {
    root: &'a Path,
    split: ConformConfig,
    /// Uploads that may still be conformed, in order.
    pending: Vec<&'static Upload>,
    frames: BTreeMap<Source, DataFrame>,
    /// Uploads conformed in an earlier upload's pass by school year: each
    /// year's rows packed, and conform's report of them all.
    by_year: BTreeMap<&'static str, (Vec<Part>, StageReport)>,
}

/// Where each school year's enrollment rows are ([`Loaded::year_plan`]).
struct YearPlan {
    path: std::path::PathBuf,
    /// (first row, rows) of each row group.
    groups: Vec<(usize, usize)>,
    /// The row groups holding each school year's rows.
    by_year: BTreeMap<Option<i32>, Vec<usize>>,
    /// The school years in the uploads' order.
    order: Vec<Option<i32>>,
    /// Whether some row exits more than a day before it enters (read only
    /// when asked for: [`Loaded::enrollment_years`]).
    exit_before_entry: bool,
}

/// Student Personal conformed a school year at a time: its rows of one
/// school year are the students joined with that year's enrollment rows
/// (the places of each student), and its rows are ordered by school year
/// first, so the years' rows one after the other are the upload.
pub struct PersonalYears {
    plan: YearPlan,
    made: PersonalMade,
    /// The school years with rows, in the upload's order, and their rows.
    years: Vec<(Option<i32>, usize)>,
    /// Conform's report of the upload.
    pub report: StageReport,
}

/// How Student Personal's rows of a school year are made.
enum PersonalMade {
    /// Each student one row of the students: each year's places (kept from
    /// the count, a few numbers each) gathered from the students shaped
    /// once ([`conform::PersonalStudents`]).
    Gathered {
        students: conform::PersonalStudents,
        places: Vec<conform::Places>,
    },
    /// Each year's enrollment rows read again and joined with the students
    /// ([`conform::student_personal_rows`]).
    Joined {
        /// The students (the columns the upload declares).
        students: DataFrame,
        /// The enrollment columns the upload declares (those the snapshot has).
        columns: Vec<String>,
    },
}

impl PersonalYears {
    /// The upload's rows.
    pub fn total(&self) -> usize {
        self.years.iter().map(|y| y.1).sum()
    }

    /// Each school year's rows, made one after the other.
    pub fn frames(&self) -> impl Iterator<Item = Result<DataFrame>> + '_ {
        let mut first = 0usize;
        self.years
            .iter()
            .enumerate()
            .map(move |(i, &(year, height))| {
                let df = match &self.made {
                    PersonalMade::Gathered { students, places } => {
                        students.rows(&places[i], first as IdxSize)?
                    }
                    PersonalMade::Joined { students, columns } => {
                        let rows = Loaded::year_rows(&self.plan, year, columns)?;
                        conform::student_personal_rows(students, &rows, first as IdxSize)?
                    }
                };
                anyhow::ensure!(
                    df.height() == height,
                    "student_personal: school year {year:?} made {} rows, counted {height}",
                    df.height()
                );
                first += height;
                Ok(df)
            })
    }
}

/// A school year's conformed rows and, when conform ranked them, each
/// row's StateStudentID as its rank among the rows'
/// (`conform::student_enrollment_rows`), for pre-flight to rank once.
pub type YearRows = (DataFrame, Option<Vec<u32>>);

/// Student Enrollment conformed a school year at a time while it is
/// checked and written ([`Loaded::enrollment_years`]): each year's
/// enrollment rows read and split once, that year's Student Enrollment
/// rows handed on, the riders' ([`conform::BY_YEAR`] uploads still to
/// come) packed for their turn. Its rules read the primary periods of the
/// year's own rows: a period is of one student and school year, and made
/// from the rows of that student and year only in the same way whatever
/// order rows tied on student, year and entry date come in, unless one
/// exits more than a day before it enters (those uploads are conformed as
/// before, the years packed and the periods made from all of them).
pub struct EnrollmentYears {
    plan: YearPlan,
    /// The enrollment columns read (the split's and every upload's).
    columns: Vec<String>,
    split: ConformConfig,
    riders: Vec<YearMade>,
    /// The upload's rows: those of the snapshot (a split row makes one).
    total: usize,
    /// Rows made so far.
    rows: usize,
    /// Split rows in, and those cut short.
    cut: (u64, u64),
}

impl EnrollmentYears {
    /// The upload's rows.
    pub fn total(&self) -> usize {
        self.total
    }

    /// Each school year's rows, made one after the other (the riders'
    /// rows of the year made and packed with them), with their
    /// StateStudentID's ranks.
    pub fn frames(&mut self) -> impl Iterator<Item = Result<YearRows>> + '_ {
        let order = self.plan.order.clone();
        order.into_iter().map(move |year| self.year(year))
    }

    fn year(&mut self, year: Option<i32>) -> Result<YearRows> {
        let rows = Loaded::year_rows(&self.plan, year, &self.columns)?;
        let seg = conform::split(&rows, &self.split)?;
        drop(rows);
        for m in &mut self.riders {
            m.add(&seg)?;
        }
        self.cut.0 += seg.height() as u64;
        self.cut.1 += seg.column(conform::SPLIT_CUT)?.bool()?.sum().unwrap_or(0) as u64;
        let (df, ids) = conform::student_enrollment_rows(&seg, self.rows as IdxSize)?;
        self.rows += df.height();
        Ok((df, ids))
    }

    /// Conform's report of the upload, once every year is made; the
    /// riders' rows left for their turn.
    pub fn finish(self, loaded: &mut Loaded) -> Result<StageReport> {
        anyhow::ensure!(
            self.rows == self.total,
            "student_enrollment: the school years made {} rows of {}",
            self.rows,
            self.total
        );
        for m in self.riders {
            let report = m.report(m.rows);
            loaded.by_year.insert(m.upload.name, (m.parts, report));
        }
        loaded.drop_unread();
        Ok(conform::student_enrollment_report(
            (self.cut.0, self.rows as u64),
            self.cut.1,
        ))
    }
}

/// Whether a row of `dates` (the snapshot's entry and exit dates) exits
/// more than a day before it enters: the only rows whose place among
/// those tied with them on student, year and entry date could change the
/// student's primary periods ([`EnrollmentYears`]). After the split a row
/// exits where it did or the day before the next row's start, which is
/// after its own, so the split rows have one only if the snapshot has one.
fn exits_before_entry(dates: &DataFrame) -> Result<bool> {
    let days = |c: &str| col(c).cast(DataType::Date).cast(DataType::Int32);
    let any = dates
        .clone()
        .lazy()
        .select([days(EXIT_DATE)
            .lt(days(SCHOOL_ENTRY_DATE) - lit(1))
            .fill_null(lit(false))
            .any(true)
            .alias("any")])
        .collect()?;
    Ok(any.column("any")?.bool()?.get(0).unwrap_or(false))
}

/// One upload's rows as its school years are conformed: the upload
/// conformed now holds its years' rows as one frame; the others', packed
/// a year at a time, wait for their turn.
struct YearMade {
    upload: &'static Upload,
    now: bool,
    frame: Option<DataFrame>,
    parts: Vec<Part>,
    rows: usize,
    report: StageReport,
    /// Student Enrollment: the split rows in, and those cut short.
    split: (u64, u64),
}

impl YearMade {
    fn new(upload: &'static Upload, now: bool) -> YearMade {
        YearMade {
            upload,
            now,
            frame: None,
            parts: Vec::new(),
            rows: 0,
            report: StageReport::new(conform::STAGE, upload.name),
            split: (0, 0),
        }
    }

    /// Adds the upload's rows of one school year's split rows `seg`.
    fn add(&mut self, seg: &DataFrame) -> Result<()> {
        let first = self.rows as IdxSize;
        let part = if self.upload.name == conform::STUDENT_ENROLLMENT_UPLOAD.name {
            self.split.0 += seg.height() as u64;
            self.split.1 += seg.column(conform::SPLIT_CUT)?.bool()?.sum().unwrap_or(0) as u64;
            conform::student_enrollment_rows(seg, first)?.0
        } else {
            let built = conform::year_rows(self.upload, seg, first)?;
            conform::add_report(&mut self.report, &built.report);
            built.frame
        };
        self.rows += part.height();
        if !self.now {
            self.parts.push(Part::pack(&part)?);
            return Ok(());
        }
        match self.frame.as_mut() {
            Some(f) => {
                f.vstack_mut(&part)?;
            }
            None => self.frame = Some(part),
        }
        Ok(())
    }

    /// Conform's report of the upload's rows (`rows` of them).
    fn report(&self, rows: usize) -> StageReport {
        if self.upload.name == conform::STUDENT_ENROLLMENT_UPLOAD.name {
            conform::student_enrollment_report((self.split.0, rows as u64), self.split.1)
        } else {
            self.report.clone()
        }
    }

    /// The upload conformed now: its rows and conform's report of them.
    fn built(mut self) -> Result<Option<conform::Built>> {
        let Some(mut frame) = self.frame.take() else {
            return Ok(None);
        };
        frame.rechunk_mut();
        let report = self.report(frame.height());
        Ok(Some(conform::Built {
            name: self.upload.name,
            frame,
            report,
        }))
    }
}

impl<'a> Loaded<'a> {
    pub fn new(root: &'a Path, split: ConformConfig, pending: Vec<&'static Upload>) -> Self {
        Loaded {
            root,
            split,
            pending,
            frames: BTreeMap::new(),
            by_year: BTreeMap::new(),
        }
    }

    /// The columns of `source` that `upload` and the uploads still pending
    /// read: loaded once for all of them.
    fn wanted(&self, upload: &Upload, source: Source) -> Vec<&'static str> {
        let mut out = declared(upload, source);
        for u in &self.pending {
            for c in declared(u, source) {
                if !out.contains(&c) {
                    out.push(c);
                }
            }
        }
        out
    }

    /// Reads `columns` of a snapshot (those it has).
    fn read(&self, source: Source, columns: &[&str]) -> Result<DataFrame> {
        let rel = snapshot_of(source);
        let have = runfiles::columns_of(self.root, &rel)?;
        let keep: Vec<Expr> = columns
            .iter()
            .filter(|c| have.iter().any(|h| h == *c))
            .map(|c| col(*c))
            .collect();
        let lf =
            runfiles::scan(self.root, &rel)?.ok_or_else(|| anyhow::anyhow!("{rel} is missing"))?;
        Ok(lf.select(keep).collect()?)
    }

    /// Whether the loaded frame of `source` has every column in `columns`
    /// the snapshot has.
    fn covers(&self, source: Source, columns: &[&str]) -> Result<bool> {
        let Some(df) = self.frames.get(&source) else {
            return Ok(false);
        };
        let have = runfiles::columns_of(self.root, &snapshot_of(source))?;
        Ok(columns
            .iter()
            .filter(|c| have.iter().any(|h| h == *c) || **c == conform::SPLIT_CUT)
            .all(|c| df.column(c).is_ok()))
    }

    /// Makes sure the frames `upload` reads are loaded.
    fn load(&mut self, upload: &Upload) -> Result<()> {
        for source in sources_of(upload) {
            if conform::optional(upload, source) && !self.root.join(snapshot_of(source)).is_file() {
                continue;
            }
            let wanted = self.wanted(upload, source);
            if self.covers(source, &wanted)? {
                continue;
            }
            let mut clock = crate::publish::Clock::new(upload.name);
            let frame = if source == Source::Segments {
                let mut readers: Vec<&Upload> = self.pending.clone();
                readers.push(upload);
                let rows = self.read(Source::Segments, &split_input(readers))?;
                clock.lap("read segments");
                conform::split(&rows, &self.split)?
            } else {
                self.read(source, &wanted)?
            };
            clock.lap(if source == Source::Segments {
                "split"
            } else {
                "read"
            });
            self.frames.insert(source, frame);
        }
        Ok(())
    }

    /// Conforms `upload` (`None` when a frame it reads is absent), then
    /// drops the frames no upload still pending reads.
    pub fn conform(&mut self, upload: &'static Upload) -> Result<Option<conform::Built>> {
        self.pending.retain(|u| u.name != upload.name);
        if let Some(built) = self.take_by_year(upload)? {
            self.drop_unread();
            return Ok(Some(built));
        }
        let by_year = (upload.name == conform::STUDENT_ENROLLMENT_UPLOAD.name
            || conform::BY_YEAR.iter().any(|u| u.name == upload.name))
            && !self.frames.contains_key(&Source::Segments);
        if by_year {
            if let Some(built) = self.segments_by_year(upload)? {
                self.drop_unread();
                return Ok(Some(built));
            }
        }
        self.load(upload)?;
        let mut clock = crate::publish::Clock::new(upload.name);
        let built = {
            let f = |s: Source| self.frames.get(&s);
            conform::build(
                upload,
                &Sources {
                    students: f(Source::Students),
                    enrollment: f(Source::Enrollment),
                    segments: f(Source::Segments),
                    behavior: f(Source::Behavior),
                    truancy: f(Source::Truancy),
                    cte: f(Source::Cte),
                },
            )?
        };
        clock.lap("build");
        self.drop_unread();
        Ok(built)
    }

    /// Where each school year's enrollment rows are: the snapshot, its row
    /// groups, the row groups holding each year's rows and the years in
    /// the uploads' order (ascending, a row without a year last). `None`
    /// when the snapshot has no rows or they are not grouped by school
    /// year (its row groups would be read about once a year each).
    fn year_plan(&self) -> Result<Option<YearPlan>> {
        self.year_plan_checked(false)
    }

    /// [`Loaded::year_plan`], with [`YearPlan::exit_before_entry`] found
    /// when `dates`.
    fn year_plan_checked(&self, dates: bool) -> Result<Option<YearPlan>> {
        let path = self.root.join(snapshot_of(Source::Segments));
        if !path.is_file() {
            return Ok(None);
        }
        let groups = crate::snapshot::row_groups(&path)?;
        let total: usize = groups.iter().map(|g| g.1).sum();
        if total == 0 {
            return Ok(None);
        }
        let mut read = vec![YEAR_CODE.to_string()];
        if dates {
            read.extend([SCHOOL_ENTRY_DATE.to_string(), EXIT_DATE.to_string()]);
        }
        let years = crate::snapshot::read_slice(&path, (0, total), Some(&read))?;
        let exit_before_entry = dates && exits_before_entry(&years)?;
        let years = years
            .lazy()
            .select([conform::enrollment_year()])
            .collect()?;
        let years: Vec<Option<i32>> = years.columns()[0].i32()?.iter().collect();
        let mut by_year: BTreeMap<Option<i32>, Vec<usize>> = BTreeMap::new();
        for (g, (first, rows)) in groups.iter().enumerate() {
            for y in &years[*first..first + rows] {
                let holding = by_year.entry(*y).or_default();
                if holding.last() != Some(&g) {
                    holding.push(g);
                }
            }
        }
        let reads: usize = by_year.values().map(Vec::len).sum();
        if reads > 2 * groups.len() + by_year.len() {
            return Ok(None);
        }
        let mut order: Vec<Option<i32>> = by_year.keys().copied().collect();
        order.sort_by_key(|y| (y.is_none(), *y));
        Ok(Some(YearPlan {
            path,
            groups,
            by_year,
            order,
            exit_before_entry,
        }))
    }

    /// The enrollment rows of school year `year`, `columns` of them.
    fn year_rows(plan: &YearPlan, year: Option<i32>, columns: &[String]) -> Result<DataFrame> {
        let mut rows: Option<DataFrame> = None;
        for &g in &plan.by_year[&year] {
            let slice = crate::snapshot::read_slice(&plan.path, plan.groups[g], Some(columns))?;
            match rows.as_mut() {
                Some(r) => {
                    r.vstack_mut(&slice)?;
                }
                None => rows = Some(slice),
            }
        }
        let Some(rows) = rows else {
            anyhow::bail!("school year {year:?} has no row group");
        };
        let key = conform::enrollment_year();
        let of_year = match year {
            Some(y) => key.eq(lit(y)),
            None => key.is_null(),
        };
        Ok(rows.lazy().filter(of_year).collect()?)
    }

    /// `upload` (Student Enrollment, or one of [`conform::BY_YEAR`])
    /// conformed a school year at a time, and with it every upload of
    /// [`conform::BY_YEAR`] still pending (packed until its turn: see
    /// [`Loaded::conform`]): each year's enrollment rows read (only the row
    /// groups that hold them), split once, each upload's rows of that year
    /// made, then dropped; an upload's years one frame, as conforming them
    /// all at once makes it. `None` (conform them all at once) when the
    /// snapshot's rows are not grouped by school year.
    fn segments_by_year(&mut self, upload: &'static Upload) -> Result<Option<conform::Built>> {
        match self.year_pass(upload, true)? {
            Some(made) => made.built(),
            None => Ok(None),
        }
    }

    /// Student Enrollment, FRM or ELL conformed a school year at a time
    /// as [`Loaded::segments_by_year`] does (or in an earlier upload's
    /// pass), its years' rows left packed (one part a year, in the upload's
    /// order) to be checked and written a year at a time; with conform's
    /// report of them all. `None` for any other upload (Special Ed's rule
    /// on the previous segment reads across years), or when the enrollment
    /// rows are not to be conformed by year (then [`Loaded::conform`]).
    pub fn conform_years(
        &mut self,
        upload: &'static Upload,
    ) -> Result<Option<(Vec<Part>, StageReport)>> {
        if !CHECKED_BY_YEAR.iter().any(|u| u.name == upload.name) {
            return Ok(None);
        }
        self.pending.retain(|u| u.name != upload.name);
        if let Some(taken) = self.by_year.remove(upload.name) {
            self.drop_unread();
            return Ok(Some(taken));
        }
        if self.frames.contains_key(&Source::Segments) {
            return Ok(None);
        }
        let Some(made) = self.year_pass(upload, false)? else {
            return Ok(None);
        };
        self.drop_unread();
        let report = made.report(made.rows);
        Ok(Some((made.parts, report)))
    }

    /// The pass of [`Loaded::segments_by_year`]: `upload`'s rows (one
    /// frame when `now`, else packed a year at a time); the riders' rows
    /// kept packed for their turn.
    fn year_pass(&mut self, upload: &'static Upload, now: bool) -> Result<Option<YearMade>> {
        let Some(plan) = self.year_plan()? else {
            return Ok(None);
        };
        let riders = self
            .pending
            .iter()
            .copied()
            .filter(|u| conform::BY_YEAR.iter().any(|b| b.name == u.name));
        let mut made: Vec<YearMade> = std::iter::once(upload)
            .chain(riders)
            .enumerate()
            .map(|(i, u)| YearMade::new(u, now && i == 0))
            .collect();
        let have = runfiles::columns_of(self.root, &snapshot_of(Source::Segments))?;
        let columns: Vec<String> = split_input(made.iter().map(|m| m.upload))
            .into_iter()
            .filter(|c| have.iter().any(|h| h == c))
            .map(str::to_string)
            .collect();
        let mut clock = crate::publish::Clock::new(upload.name);
        for &year in &plan.order {
            let rows = Self::year_rows(&plan, year, &columns)?;
            let seg = conform::split(&rows, &self.split)?;
            drop(rows);
            for m in &mut made {
                m.add(&seg)?;
            }
        }
        clock.lap("split+build by school year");
        let mut made = made.into_iter();
        let first = made.next();
        for m in made {
            self.by_year.insert(m.upload.name, (m.parts, m.report));
        }
        Ok(first)
    }

    /// Student Enrollment conformed a school year at a time as each year
    /// is checked and written ([`EnrollmentYears`]): no year's rows are
    /// packed and read back. `None` for any other upload, or when
    /// [`Loaded::conform_years`] must make it: the rows not grouped by
    /// school year or none, or a row exiting more than a day before it
    /// enters (then a student's primary periods of a year could depend on
    /// the rows of other years: see [`EnrollmentYears`]).
    pub fn enrollment_years(&mut self, upload: &'static Upload) -> Result<Option<EnrollmentYears>> {
        if upload.name != conform::STUDENT_ENROLLMENT_UPLOAD.name
            || self.by_year.contains_key(upload.name)
            || self.frames.contains_key(&Source::Segments)
        {
            return Ok(None);
        }
        let Some(plan) = self.year_plan_checked(true)? else {
            return Ok(None);
        };
        let total: usize = plan.groups.iter().map(|g| g.1).sum();
        if plan.exit_before_entry || total == 0 {
            return Ok(None);
        }
        self.pending.retain(|u| u.name != upload.name);
        let riders: Vec<YearMade> = self
            .pending
            .iter()
            .copied()
            .filter(|u| conform::BY_YEAR.iter().any(|b| b.name == u.name))
            .map(|u| YearMade::new(u, false))
            .collect();
        let have = runfiles::columns_of(self.root, &snapshot_of(Source::Segments))?;
        let columns: Vec<String> =
            split_input(std::iter::once(upload).chain(riders.iter().map(|m| m.upload)))
                .into_iter()
                .filter(|c| have.iter().any(|h| h == c))
                .map(str::to_string)
                .collect();
        Ok(Some(EnrollmentYears {
            plan,
            columns,
            split: self.split.clone(),
            riders,
            total,
            rows: 0,
            cut: (0, 0),
        }))
    }

    /// Student Personal conformed a school year at a time
    /// ([`PersonalYears`]): the students read, each year's rows counted
    /// (the conformed snapshot's row groups are those of the whole upload);
    /// the rows are made as they are checked. `None` for any other upload,
    /// or when the enrollment rows are not grouped by school year or make
    /// no row (then [`Loaded::conform`]).
    pub fn personal_years(&mut self, upload: &'static Upload) -> Result<Option<PersonalYears>> {
        if upload.name != conform::STUDENT_PERSONAL_UPLOAD.name || !available(self.root, upload) {
            return Ok(None);
        }
        let Some(plan) = self.year_plan()? else {
            return Ok(None);
        };
        self.pending.retain(|u| u.name != upload.name);
        let mut clock = crate::publish::Clock::new(upload.name);
        let students = self.read(Source::Students, &declared(upload, Source::Students))?;
        let have = runfiles::columns_of(self.root, &snapshot_of(Source::Enrollment))?;
        let columns: Vec<String> = declared(upload, Source::Enrollment)
            .into_iter()
            .filter(|c| have.iter().any(|h| h == c))
            .map(str::to_string)
            .collect();
        let (made, (years, placed)) = match gathered_places(&plan, &students, &columns)? {
            Some((shaped, places, counted)) => {
                let made = PersonalMade::Gathered {
                    students: shaped,
                    places,
                };
                (made, counted)
            }
            None => {
                let counted = joined_counts(&plan, &students, &columns)?;
                (PersonalMade::Joined { students, columns }, counted)
            }
        };
        let total: usize = years.iter().map(|y| y.1).sum();
        clock.lap("read+count by school year");
        self.drop_unread();
        if total == 0 {
            return Ok(None);
        }
        let students = match &made {
            PersonalMade::Gathered { students, .. } => students.height(),
            PersonalMade::Joined { students, .. } => students.height(),
        };
        let report = conform::student_personal_report(students as u64, total as u64, placed);
        Ok(Some(PersonalYears {
            plan,
            made,
            years,
            report,
        }))
    }

    /// An upload conformed in an earlier upload's pass by school year
    /// ([`Loaded::segments_by_year`]): its years' rows unpacked into one
    /// frame.
    fn take_by_year(&mut self, upload: &'static Upload) -> Result<Option<conform::Built>> {
        let Some((parts, report)) = self.by_year.remove(upload.name) else {
            return Ok(None);
        };
        let mut clock = crate::publish::Clock::new(upload.name);
        let mut frame: Option<DataFrame> = None;
        for part in parts {
            let rows = part.frame()?;
            match frame.as_mut() {
                Some(f) => {
                    f.vstack_mut(&rows)?;
                }
                None => frame = Some(rows),
            }
        }
        let mut frame = match frame {
            Some(f) => f,
            None => conform::empty(upload)?,
        };
        frame.rechunk_mut();
        clock.lap("unpack by school year");
        Ok(Some(conform::Built {
            name: upload.name,
            frame,
            report,
        }))
    }

    /// An upload found kept after all: nothing more is loaded for it.
    pub fn kept(&mut self, upload: &Upload) {
        self.pending.retain(|u| u.name != upload.name);
        self.by_year.remove(upload.name);
        self.drop_unread();
    }

    /// Drops the frames the next upload to be conformed does not read: the
    /// upload just conformed is checked and written without them, and a
    /// frame an upload further on reads is read (and split) again then.
    /// Publish holds one upload's source frames at a time, not every
    /// frame some upload still reads.
    fn drop_unread(&mut self) {
        let next = self.pending.first().map(|u| sources_of(u));
        self.frames
            .retain(|s, _| next.as_ref().is_some_and(|n| n.contains(s)));
    }
}

/// The school years with Student Personal rows and how many each
/// ([`PersonalYears::years`]), and how many distinct students are placed.
type Counted = (Vec<(Option<i32>, usize)>, u64);

/// Student Personal's places of each school year of `plan`, made by
/// [`conform::PersonalStudents`] (the students shaped once) and kept, with
/// the years' counts; `None` when the students or the enrollment rows do
/// not allow it (then [`joined_counts`]).
fn gathered_places(
    plan: &YearPlan,
    students: &DataFrame,
    columns: &[String],
) -> Result<Option<(conform::PersonalStudents, Vec<conform::Places>, Counted)>> {
    let Some(shaped) = conform::PersonalStudents::new(students)? else {
        return Ok(None);
    };
    let mut placed = vec![false; shaped.height()];
    let (mut years, mut all) = (Vec::new(), Vec::new());
    for &year in &plan.order {
        let rows = Loaded::year_rows(plan, year, columns)?;
        let Some(places) = shaped.places(&rows)? else {
            return Ok(None);
        };
        for &s in places.students() {
            placed[s as usize] = true;
        }
        if !places.is_empty() {
            years.push((year, places.len()));
            all.push(places);
        }
    }
    let placed = placed.iter().filter(|p| **p).count() as u64;
    Ok(Some((shaped, all, (years, placed))))
}

/// Student Personal's rows of each school year of `plan` counted by
/// joining the year's distinct places with the students' keys.
fn joined_counts(plan: &YearPlan, students: &DataFrame, columns: &[String]) -> Result<Counted> {
    // Each distinct student (`__k`) and how many rows of the students
    // have it (`__n`): a place of the student makes that many rows.
    let keys = students
        .clone()
        .lazy()
        .group_by([col(STUDENT_KEY)])
        .agg([len().alias("__n")])
        .with_row_index("__k", None)
        .collect()?;
    let mut placed = vec![false; keys.height()];
    let mut years = Vec::new();
    for &year in &plan.order {
        let rows = Loaded::year_rows(plan, year, columns)?;
        let met = conform::student_places(&rows)
            .join(
                keys.clone().lazy(),
                [col(STUDENT_KEY)],
                [col(STUDENT_KEY)],
                JoinArgs::new(JoinType::Inner),
            )
            .select([col("__k"), col("__n")])
            .collect()?;
        let n: u64 = met
            .column("__n")?
            .idx()?
            .iter()
            .flatten()
            .map(u64::from)
            .sum();
        for k in met.column("__k")?.idx()?.iter().flatten() {
            placed[k as usize] = true;
        }
        if n > 0 {
            years.push((year, n as usize));
        }
    }
    Ok((years, placed.iter().filter(|p| **p).count() as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Entry and exit dates as the snapshot holds them (days since 1970).
    fn dates(rows: &[(Option<i32>, Option<i32>)]) -> DataFrame {
        let column = |name: &str, days: Vec<Option<i32>>| {
            Column::new(name.into(), days)
                .cast(&DataType::Date)
                .unwrap()
        };
        DataFrame::new(
            rows.len(),
            vec![
                column(SCHOOL_ENTRY_DATE, rows.iter().map(|r| r.0).collect()),
                column(EXIT_DATE, rows.iter().map(|r| r.1).collect()),
            ],
        )
        .unwrap()
    }

    #[test]
    fn only_an_exit_more_than_a_day_before_the_entry_sends_enrollment_back_to_packed_years() {
        // Open, a day long, exiting the day before it enters (a transfer's
        // touching rows), blanks: the years are made as they are checked.
        let fine = [
            (Some(100), None),
            (Some(100), Some(100)),
            (Some(100), Some(99)),
            (None, Some(50)),
            (None, None),
        ];
        assert!(!exits_before_entry(&dates(&fine)).unwrap());
        // Two days before: its periods could hang on the order of ties.
        let mut odd = fine.to_vec();
        odd.push((Some(100), Some(98)));
        assert!(exits_before_entry(&dates(&odd)).unwrap());
        assert!(!exits_before_entry(&dates(&[])).unwrap());
    }
}
