//! # End of year: the rules the Department asked districts to follow before ICSE closed
//!
//! The launch notices (`000_d6dad0fd79d0afd6.txt`, "Exit Data for Students",
//! lines 92-116) list the errors districts had to fix at the end of every
//! school year. This module finds them; it changes no row.
//!
//! **Input**: the crosswalked `student_enrollment` frame (`source_file`,
//! `source_row`, `school_year`, `SAUOrgID`, `StateStudentID`, `School_ID`,
//! `EnrollmentTypeCode`, `GradeLevelCode`, `SchoolEntryDate`, `StartStatus`,
//! `ExitDate`, `ExitTypeCode`, `HomelessCode`, `HomeSchooled`), the
//! `behavior` frame (`StateStudentID`, `school_year`, `ResolutionCode`) and
//! the `student_personal` frame (`StateStudentID`, `BirthDate`: used to
//! compute an age, never written out).
//!
//! **Output**: one finding per rule broken: `rule`, `source_file`,
//! `source_row`, `SAUOrgID`, `school_year`, in that order and sorted by SAU,
//! file and row.
//!
//! **Rules** (the notice's words in brackets):
//! - `continuing_start_status`: a primary enrollment in grades 9-12 that
//!   continues the student's primary enrollment at the same school in the
//!   previous school year has a start status other than 02 (line 102: "be
//!   sure the start status ... is a code 02 (continuous in same school)");
//! - `expelled_without_behavior`: exit 19 with no expulsion (resolution 01
//!   or 09) of the student in behavior that school year (line 106);
//! - `age_20_not_exited_20`: a student turning 20 on or before 1 July of the
//!   school year whose last primary enrollment that year is not exited or
//!   exited as a dropout (07), not with 20 (line 114);
//! - `home_schooled_not_exited_13`: a home-schooled enrollment that ends
//!   with an exit type other than 13 or none (line 104);
//! - `virtual_charter_exit_26`: exit 26 followed, within the school year,
//!   by an enrollment at Maine Virtual Academy or Maine Connections Academy
//!   (line 116: "must be exited with a code 12 ... Do not use exit code 26");
//! - `homeless_not_kept`: an enrollment without a homeless night-time
//!   residence after one of the same student and school year with it (line
//!   97: "Do not remove the homeless status ... until the following school
//!   year");
//! - `past_year_left_open`: an enrollment of a school year before the last
//!   one with no exit date (lines 99-103).
//!
//! The notice's rule for adult-education and equivalency diplomas (exit 23,
//! line 110) is not checked: the extract has no field that says which
//! diploma a student received.
//!
//! **Config keys**: `[end_of_year] action` (`report`, the default, or
//! `hold`), read by the pipeline, not here; `school_years` (the last year).

use crate::columns::*;
use crate::crosswalk::SAU_ORG_ID;
use chrono::{Datelike, NaiveDate};
use polars::prelude::*;
use rayon::prelude::*;
use std::collections::{BTreeMap, BTreeSet};

/// The findings frame's rule column.
pub const RULE: &str = "rule";
/// The two virtual charter schools of the notice (000 line 116).
/// The columns of the (re-keyed) enrollment rows the rules read.
pub const ENROLLMENT_COLUMNS: [&str; 14] = [
    SOURCE_FILE,
    SOURCE_ROW,
    SCHOOL_YEAR,
    SAU_ORG_ID,
    STATE_STUDENT_ID,
    SCHOOL_ID,
    ENROLLMENT_TYPE_CODE,
    GRADE_LEVEL_CODE,
    SCHOOL_ENTRY_DATE,
    START_STATUS,
    EXIT_DATE,
    EXIT_TYPE_CODE,
    HOMELESS_CODE,
    HOME_SCHOOLED,
];
/// The columns of the (re-keyed) behavior rows the rules read.
pub const BEHAVIOR_COLUMNS: [&str; 3] = [STATE_STUDENT_ID, SCHOOL_YEAR, RESOLUTION_CODE];
/// The columns of the schools the rules read.
pub const SCHOOL_COLUMNS: [&str; 2] = [SCHOOL_ID, SCHOOL_NAME];
pub const VIRTUAL_CHARTERS: [&str; 2] = ["Maine Virtual Academy", "Maine Connections Academy"];
/// Every rule, in the order the report lists them.
pub const RULES: [&str; 7] = [
    "continuing_start_status",
    "expelled_without_behavior",
    "age_20_not_exited_20",
    "home_schooled_not_exited_13",
    "virtual_charter_exit_26",
    "homeless_not_kept",
    "past_year_left_open",
];

/// What each rule's held row says in pre-flight's `Error` column (the
/// upload field, then the notice's rule), in the order of [`RULES`].
pub const MESSAGES: [&str; 7] = [
    "EntryCode: the student continues at this school from the previous school year; the launch notices ask for start status 02 (continuous in same school)",
    "ExitCode: exit 19 (expelled) needs an expulsion of the student in behavior that school year",
    "ExitCode: the student turns 20 on or before 1 July of the school year and must be exited with code 20 (maximum age for services)",
    "ExitCode: a home-schooled student is exited with code 13 (transfer to home schooling)",
    "ExitCode: a transfer to Maine Virtual Academy or Maine Connections Academy is exited with code 12 (transfer to a public charter school), never 26",
    "HomelessNightTimeResidence: the student was homeless earlier in the school year; the status is kept until the following school year",
    "ExitDate: an enrollment of a past school year is still open",
];

/// The flag column of a rule in [`flags_frame`].
pub fn flag_column(rule: &str) -> String {
    format!("__eoy_{rule}")
}

/// One row per source row with a finding: `source_file`, `source_row` and
/// a boolean column per rule ([`flag_column`]), for pre-flight to hold
/// the upload rows built from them.
pub fn flags_frame(findings: &[Finding]) -> PolarsResult<DataFrame> {
    let mut rows: BTreeMap<(&str, i64), [bool; 7]> = BTreeMap::new();
    for f in findings {
        let i = RULES.iter().position(|r| *r == f.rule).unwrap_or(0);
        rows.entry((f.file.as_str(), f.row)).or_default()[i] = true;
    }
    let mut columns = vec![
        Column::new(
            SOURCE_FILE.into(),
            rows.keys().map(|k| k.0).collect::<Vec<_>>(),
        ),
        Column::new(
            SOURCE_ROW.into(),
            rows.keys().map(|k| k.1).collect::<Vec<_>>(),
        ),
    ];
    for (i, rule) in RULES.iter().enumerate() {
        columns.push(Column::new(
            flag_column(rule).into(),
            rows.values().map(|v| v[i]).collect::<Vec<_>>(),
        ));
    }
    DataFrame::new(rows.len(), columns)
}

/// One enrollment, as the rules read it: its text values are numbers of
/// [`Words`] (thirteen million enrollments are never thirteen million sets
/// of strings, and are read once, not a share of students at a time).
#[derive(Clone, Copy, Debug)]
struct Row {
    line: i64,
    /// Its place among the rows added.
    seq: u32,
    file: u32,
    sau: u32,
    student: u32,
    school: u32,
    grade: u32,
    start: u32,
    exit_type: u32,
    year: i32,
    entry: Option<NaiveDate>,
    exit: Option<NaiveDate>,
    primary: bool,
    homeless: bool,
    home_schooled: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Finding {
    pub sau: String,
    pub file: String,
    pub row: i64,
    pub rule: &'static str,
    pub year: i32,
}

/// Each distinct text value of the enrollments held once, by number.
#[derive(Default)]
struct Words {
    at: PlHashMap<String, u32>,
    text: Vec<String>,
}

impl Words {
    fn id(&mut self, s: &str) -> u32 {
        if let Some(&i) = self.at.get(s) {
            return i;
        }
        let i = u32::try_from(self.text.len()).expect("fewer than 2^32 distinct values");
        self.text.push(s.to_string());
        self.at.insert(s.to_string(), i);
        i
    }

    fn get(&self, s: &str) -> Option<u32> {
        self.at.get(s).copied()
    }

    fn text(&self, i: u32) -> &str {
        &self.text[i as usize]
    }
}

/// The enrollment rows the rules read, added a batch of rows at a time
/// (the rules read all of a student's rows, wherever they are in the
/// snapshot).
#[derive(Default)]
pub struct Enrollments {
    rows: Vec<Row>,
    words: Words,
}

impl Enrollments {
    /// Adds the rows of `df` (the columns of [`ENROLLMENT_COLUMNS`] it has),
    /// after those added before.
    pub fn add(&mut self, df: &DataFrame) -> PolarsResult<()> {
        let n = df.height();
        let mut ids: [Vec<u32>; 7] = Default::default();
        for (out, name) in ids.iter_mut().zip(WORD_COLUMNS) {
            *out = match text_column(df, name)? {
                None => vec![self.words.id(""); n],
                Some(s) => s
                    .str()?
                    .iter()
                    .map(|v| self.words.id(v.unwrap_or_default().trim()))
                    .collect(),
            };
        }
        let is = |name: &str, yes: fn(&str) -> bool| -> PolarsResult<Vec<bool>> {
            Ok(match text_column(df, name)? {
                None => vec![yes(""); n],
                Some(s) => s
                    .str()?
                    .iter()
                    .map(|v| yes(v.unwrap_or_default().trim()))
                    .collect(),
            })
        };
        let primary = is(ENROLLMENT_TYPE_CODE, |k| k == "P")?;
        let homeless = is(HOMELESS_CODE, |h| !h.is_empty())?;
        let line = ints(df, SOURCE_ROW)?;
        let year = ints(df, SCHOOL_YEAR)?;
        let entry = dates(df, SCHOOL_ENTRY_DATE)?;
        let exit = dates(df, EXIT_DATE)?;
        let home_schooled = flags(df, HOME_SCHOOLED)?;
        let [file, sau, student, school, grade, start, exit_type] = &ids;
        let first = self.rows.len();
        self.rows.extend((0..n).map(|i| Row {
            line: line[i],
            seq: u32::try_from(first + i).expect("fewer than 2^32 enrollments"),
            file: file[i],
            sau: sau[i],
            student: student[i],
            school: school[i],
            grade: grade[i],
            start: start[i],
            exit_type: exit_type[i],
            year: year[i] as i32,
            entry: entry[i],
            exit: exit[i],
            primary: primary[i],
            homeless: homeless[i],
            home_schooled: home_schooled[i],
        }));
        Ok(())
    }

    /// Finds every end-of-year rule broken by the rows added (see [`run`]).
    pub fn findings(
        mut self,
        behavior: Option<&DataFrame>,
        personal: Option<&DataFrame>,
        charter_schools: &BTreeSet<String>,
        last_year: i32,
    ) -> PolarsResult<Vec<Finding>> {
        let w = &self.words;
        let expelled = expulsions(behavior, w)?;
        let births = birth_dates(personal, w)?;
        let mut out = Vec::new();
        let mut find = |r: &Row, rule: &'static str| {
            out.push(Finding {
                sau: w.text(r.sau).to_string(),
                file: w.text(r.file).to_string(),
                row: r.line,
                rule,
                year: r.year,
            })
        };
        let code = |i: u32, c: &str| w.text(i) == c;
        for r in &self.rows {
            if code(r.exit_type, "19") && !expelled.contains(&(r.student, r.year)) {
                find(r, "expelled_without_behavior");
            }
            if r.home_schooled && r.exit.is_some() && !code(r.exit_type, "13") {
                find(r, "home_schooled_not_exited_13");
            }
            if r.exit.is_none() && r.year < last_year {
                find(r, "past_year_left_open");
            }
        }
        // Each student's rows together, in order of school year, entry date
        // (none first) and source row, rows equal in all three in the order
        // they were added.
        self.rows
            .par_sort_unstable_by_key(|r| (r.student, r.year, r.entry, r.line, r.seq));
        let rows = &self.rows;
        let mut start = 0;
        while start < rows.len() {
            let student = rows[start].student;
            let end = start
                + rows[start..]
                    .iter()
                    .take_while(|r| r.student == student)
                    .count();
            let list = &rows[start..end];
            start = end;
            if w.text(student).is_empty() {
                continue;
            }
            for (i, r) in list.iter().enumerate() {
                let earlier = &list[..i];
                if continues_at_same_school(r, earlier, w) && !code(r.start, "02") {
                    find(r, "continuing_start_status");
                }
                if r.homeless_dropped(earlier) {
                    find(r, "homeless_not_kept");
                }
                let later = &list[i + 1..];
                if code(r.exit_type, "26")
                    && later
                        .iter()
                        .any(|n| n.year == r.year && charter_schools.contains(w.text(n.school)))
                {
                    find(r, "virtual_charter_exit_26");
                }
                let last_primary =
                    r.primary && !later.iter().any(|n| n.year == r.year && n.primary);
                let turns_20 = births[student as usize]
                    .and_then(|b| b.with_year(b.year() + 20))
                    .zip(NaiveDate::from_ymd_opt(r.year, 7, 1))
                    .is_some_and(|(twenty, july)| twenty <= july);
                let exit_type = w.text(r.exit_type);
                if last_primary && turns_20 && (exit_type.is_empty() || exit_type == "07") {
                    find(r, "age_20_not_exited_20");
                }
            }
        }
        out.sort();
        Ok(out)
    }
}

/// Finds every end-of-year rule broken. `charter_schools` are the
/// `School_ID`s of the two virtual charter schools (see
/// [`charter_school_ids`]); `last_year` the last school year of the extract.
pub fn run(
    enrollment: &DataFrame,
    behavior: Option<&DataFrame>,
    personal: Option<&DataFrame>,
    charter_schools: &BTreeSet<String>,
    last_year: i32,
) -> PolarsResult<Vec<Finding>> {
    let mut rows = Enrollments::default();
    rows.add(enrollment)?;
    rows.findings(behavior, personal, charter_schools, last_year)
}

impl Row {
    /// An earlier enrollment of the same student and year had a homeless
    /// night-time residence and this one has none.
    fn homeless_dropped(&self, earlier: &[Row]) -> bool {
        !self.homeless && earlier.iter().any(|e| e.year == self.year && e.homeless)
    }
}

/// A primary enrollment in grades 9-12 whose student's last primary
/// enrollment of the previous school year was at the same school and was
/// not exited (the student continued there).
fn continues_at_same_school(r: &Row, earlier: &[Row], w: &Words) -> bool {
    if !r.primary || !["09", "10", "11", "12"].contains(&w.text(r.grade)) {
        return false;
    }
    if earlier.iter().any(|e| e.year == r.year && e.primary) {
        return false;
    }
    earlier
        .iter()
        .rev()
        .find(|e| e.primary && e.year == r.year - 1)
        .is_some_and(|e| e.school == r.school && w.text(e.exit_type).is_empty())
}
/// The findings as a frame: `rule`, `source_file`, `source_row`,
/// `SAUOrgID`, `school_year`.
pub fn frame(findings: &[Finding]) -> PolarsResult<DataFrame> {
    df!(
        RULE => findings.iter().map(|f| f.rule).collect::<Vec<_>>(),
        SOURCE_FILE => findings.iter().map(|f| f.file.as_str()).collect::<Vec<_>>(),
        SOURCE_ROW => findings.iter().map(|f| f.row).collect::<Vec<_>>(),
        SAU_ORG_ID => findings.iter().map(|f| f.sau.as_str()).collect::<Vec<_>>(),
        SCHOOL_YEAR => findings.iter().map(|f| f.year).collect::<Vec<_>>(),
    )
}

/// The `School_ID`s whose name in `schools.csv` is one of the two virtual
/// charter schools.
pub fn charter_school_ids(schools: Option<&DataFrame>) -> PolarsResult<BTreeSet<String>> {
    let mut out = BTreeSet::new();
    let Some(schools) = schools else {
        return Ok(out);
    };
    let ids = text(schools, SCHOOL_ID)?;
    let names = text(schools, SCHOOL_NAME)?;
    for (id, name) in ids.into_iter().zip(names) {
        if VIRTUAL_CHARTERS
            .iter()
            .any(|c| name.eq_ignore_ascii_case(c))
        {
            out.insert(id);
        }
    }
    Ok(out)
}

// ------------------------------------------------------------------ helpers

fn text(df: &DataFrame, name: &str) -> PolarsResult<Vec<String>> {
    let Ok(c) = df.column(name) else {
        return Ok(vec![String::new(); df.height()]);
    };
    let s = c.as_materialized_series().cast(&DataType::String)?;
    let ca = s.str()?;
    Ok((0..ca.len())
        .map(|i| ca.get(i).unwrap_or_default().trim().to_string())
        .collect())
}

fn dates(df: &DataFrame, name: &str) -> PolarsResult<Vec<Option<NaiveDate>>> {
    let Ok(c) = df.column(name) else {
        return Ok(vec![None; df.height()]);
    };
    let days = c.as_materialized_series().cast(&DataType::Int32)?;
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch");
    let ca = days.i32()?;
    Ok((0..ca.len())
        .map(|i| ca.get(i).map(|d| epoch + chrono::Duration::days(d.into())))
        .collect())
}

fn flags(df: &DataFrame, name: &str) -> PolarsResult<Vec<bool>> {
    let Ok(c) = df.column(name) else {
        return Ok(vec![false; df.height()]);
    };
    let s = c.as_materialized_series().cast(&DataType::Boolean)?;
    let ca = s.bool()?;
    Ok((0..ca.len()).map(|i| ca.get(i).unwrap_or(false)).collect())
}

fn ints(df: &DataFrame, name: &str) -> PolarsResult<Vec<i64>> {
    let s = df
        .column(name)?
        .as_materialized_series()
        .cast(&DataType::Int64)?;
    let ca = s.i64()?;
    Ok((0..ca.len()).map(|i| ca.get(i).unwrap_or(0)).collect())
}

/// The text columns of the enrollments held as [`Words`], in the order of
/// [`Enrollments::add`]'s numbers.
const WORD_COLUMNS: [&str; 7] = [
    SOURCE_FILE,
    SAU_ORG_ID,
    STATE_STUDENT_ID,
    SCHOOL_ID,
    GRADE_LEVEL_CODE,
    START_STATUS,
    EXIT_TYPE_CODE,
];

/// A column cast to text, if the frame has it.
fn text_column(df: &DataFrame, name: &str) -> PolarsResult<Option<Series>> {
    match df.column(name) {
        Ok(c) => Ok(Some(c.as_materialized_series().cast(&DataType::String)?)),
        Err(_) => Ok(None),
    }
}

/// (student, school year) of every expulsion (resolution 01 or 09) of a
/// student among `words` (no other is looked up).
fn expulsions(behavior: Option<&DataFrame>, words: &Words) -> PolarsResult<PlHashSet<(u32, i32)>> {
    let mut out = PlHashSet::new();
    let Some(b) = behavior else {
        return Ok(out);
    };
    let student = text(b, STATE_STUDENT_ID)?;
    let year = ints(b, SCHOOL_YEAR)?;
    let resolution = text(b, RESOLUTION_CODE)?;
    for i in 0..b.height() {
        if resolution[i] == "01" || resolution[i] == "09" {
            if let Some(s) = words.get(&student[i]) {
                out.insert((s, year[i] as i32));
            }
        }
    }
    Ok(out)
}

/// Each student's birth date (the earliest given, if identities differ), by
/// number of `words` (none for a word no student has).
fn birth_dates(
    personal: Option<&DataFrame>,
    words: &Words,
) -> PolarsResult<Vec<Option<NaiveDate>>> {
    let mut out: Vec<Option<NaiveDate>> = vec![None; words.text.len()];
    let Some(p) = personal else {
        return Ok(out);
    };
    let student = text(p, STATE_STUDENT_ID)?;
    let birth = dates(p, BIRTH_DATE)?;
    for (s, b) in student.into_iter().zip(birth) {
        if let (false, Some(b), Some(i)) = (s.is_empty(), b, words.get(&s)) {
            let e = out[i as usize].get_or_insert(b);
            *e = (*e).min(b);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Option<NaiveDate> {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
    }

    /// Enrollments: (row, year, student, school, type, grade, entry, start,
    /// exit, exit type, homeless, home-schooled).
    #[allow(clippy::type_complexity)]
    fn enrollments(
        rows: &[(
            i64,
            i32,
            &str,
            &str,
            &str,
            &str,
            &str,
            &str,
            &str,
            &str,
            &str,
            bool,
        )],
    ) -> DataFrame {
        let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap();
        let days = |v: &str| d(v).map(|x| (x - epoch).num_days() as i32);
        let date_series = |name: &str, v: Vec<Option<i32>>| {
            Series::new(name.into(), v).cast(&DataType::Date).unwrap()
        };
        let entry = date_series(SCHOOL_ENTRY_DATE, rows.iter().map(|r| days(r.6)).collect());
        let exit = date_series(EXIT_DATE, rows.iter().map(|r| days(r.8)).collect());
        let mut df = df!(
            SOURCE_FILE => rows.iter().map(|_| "student_enrollment.csv").collect::<Vec<_>>(),
            SOURCE_ROW => rows.iter().map(|r| r.0).collect::<Vec<_>>(),
            SCHOOL_YEAR => rows.iter().map(|r| r.1).collect::<Vec<_>>(),
            SAU_ORG_ID => rows.iter().map(|_| "2544").collect::<Vec<_>>(),
            STATE_STUDENT_ID => rows.iter().map(|r| r.2).collect::<Vec<_>>(),
            SCHOOL_ID => rows.iter().map(|r| r.3).collect::<Vec<_>>(),
            ENROLLMENT_TYPE_CODE => rows.iter().map(|r| r.4).collect::<Vec<_>>(),
            GRADE_LEVEL_CODE => rows.iter().map(|r| r.5).collect::<Vec<_>>(),
            START_STATUS => rows.iter().map(|r| r.7).collect::<Vec<_>>(),
            EXIT_TYPE_CODE => rows.iter().map(|r| r.9).collect::<Vec<_>>(),
            HOMELESS_CODE => rows.iter().map(|r| r.10).collect::<Vec<_>>(),
            HOME_SCHOOLED => rows.iter().map(|r| r.11).collect::<Vec<_>>(),
        )
        .unwrap();
        df.with_column(entry.into_column()).unwrap();
        df.with_column(exit.into_column()).unwrap();
        df
    }

    #[test]
    fn each_rule_finds_its_row_and_only_it() {
        let e = enrollments(&[
            // A: continuing senior, 2016 then 2017 at school 1 with start 14.
            (
                2,
                2016,
                "A",
                "1",
                "P",
                "11",
                "2015-08-31",
                "02",
                "2016-06-10",
                "",
                "",
                false,
            ),
            (
                3,
                2017,
                "A",
                "1",
                "P",
                "12",
                "2016-08-30",
                "14",
                "2017-06-09",
                "",
                "",
                false,
            ),
            // B: expelled without an expulsion in behavior.
            (
                4,
                2017,
                "B",
                "1",
                "P",
                "10",
                "2016-08-30",
                "02",
                "2017-02-01",
                "19",
                "",
                false,
            ),
            // C: expelled, with the expulsion recorded: no finding.
            (
                5,
                2017,
                "C",
                "1",
                "P",
                "10",
                "2016-08-30",
                "02",
                "2017-02-01",
                "19",
                "",
                false,
            ),
            // D: turns 20 before 1 July 2017, not exited.
            (
                6,
                2017,
                "D",
                "1",
                "P",
                "12",
                "2016-08-30",
                "02",
                "2017-06-09",
                "",
                "",
                false,
            ),
            // E: home-schooled, ended with no exit type.
            (
                7,
                2017,
                "E",
                "1",
                "P",
                "09",
                "2016-08-30",
                "02",
                "2017-06-09",
                "",
                "",
                true,
            ),
            // F: exit 26, then the virtual charter school the same year.
            (
                8,
                2017,
                "F",
                "1",
                "P",
                "09",
                "2016-08-30",
                "02",
                "2016-12-01",
                "26",
                "",
                false,
            ),
            (
                9,
                2017,
                "F",
                "9",
                "P",
                "09",
                "2016-12-05",
                "12",
                "2017-06-09",
                "",
                "",
                false,
            ),
            // G: homeless in the first enrollment of 2017, not in the second.
            (
                10,
                2017,
                "G",
                "1",
                "P",
                "05",
                "2016-08-30",
                "02",
                "2016-12-01",
                "01",
                "2",
                false,
            ),
            (
                11,
                2017,
                "G",
                "2",
                "P",
                "05",
                "2016-12-02",
                "11",
                "2017-06-09",
                "",
                "",
                false,
            ),
            // H: a 2016 enrollment left open.
            (
                12,
                2016,
                "H",
                "1",
                "P",
                "05",
                "2015-08-31",
                "02",
                "",
                "",
                "",
                false,
            ),
        ]);
        let behavior = df!(
            STATE_STUDENT_ID => ["C", "B"],
            SCHOOL_YEAR => [2017, 2017],
            RESOLUTION_CODE => ["09", "02"],
        )
        .unwrap();
        let birth = (NaiveDate::from_ymd_opt(1997, 6, 30).unwrap()
            - NaiveDate::from_ymd_opt(1970, 1, 1).unwrap())
        .num_days() as i32;
        let personal = df!(
            STATE_STUDENT_ID => ["D", "A"],
            BIRTH_DATE => [birth, birth + 5],
        )
        .unwrap()
        .lazy()
        .with_column(col(BIRTH_DATE).cast(DataType::Date))
        .collect()
        .unwrap();
        let charters = BTreeSet::from(["9".to_string()]);
        let found = run(&e, Some(&behavior), Some(&personal), &charters, 2017).unwrap();
        let got: Vec<(i64, &str)> = found.iter().map(|f| (f.row, f.rule)).collect();
        assert_eq!(
            got,
            vec![
                (3, "continuing_start_status"),
                (4, "expelled_without_behavior"),
                (6, "age_20_not_exited_20"),
                (7, "home_schooled_not_exited_13"),
                (8, "virtual_charter_exit_26"),
                (11, "homeless_not_kept"),
                (12, "past_year_left_open"),
            ]
        );
        let f = frame(&found).unwrap();
        assert_eq!(f.height(), 7);
        assert_eq!(
            f.get_column_names()
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>(),
            vec![RULE, SOURCE_FILE, SOURCE_ROW, SAU_ORG_ID, SCHOOL_YEAR]
        );
    }

    #[test]
    fn a_blank_birth_date_is_no_age_and_another_identity_gives_one() {
        // E and F: open seniors of 2017 (exit type blank); E's only identity
        // has no birth date, F has a blank one and one turning 20 in time.
        let row = |line, student| {
            (
                line,
                2017,
                student,
                "1",
                "P",
                "12",
                "2016-08-30",
                "02",
                "2017-06-09",
                "",
                "",
                false,
            )
        };
        let e = enrollments(&[row(2, "E"), row(3, "F")]);
        let days =
            |d: NaiveDate| (d - NaiveDate::from_ymd_opt(1970, 1, 1).unwrap()).num_days() as i32;
        let twenty = days(NaiveDate::from_ymd_opt(1997, 6, 30).unwrap());
        let personal = df!(
            STATE_STUDENT_ID => ["E", "F", "F"],
            BIRTH_DATE => [None, None, Some(twenty)],
        )
        .unwrap()
        .lazy()
        .with_column(col(BIRTH_DATE).cast(DataType::Date))
        .collect()
        .unwrap();
        let found = run(&e, None, Some(&personal), &BTreeSet::new(), 2017).unwrap();
        let got: Vec<(i64, &str)> = found.iter().map(|f| (f.row, f.rule)).collect();
        assert_eq!(got, vec![(3, "age_20_not_exited_20")]);
    }
}
