//! A fix list per district: every row a district can fix in ICSE before it
//! closes (quarantined at read, ingest or crosswalk; held by pre-flight),
//! one line per finding, as `fixlists/<SAU>.csv` and a page per SAU
//! (`fixlists/<SAU>.html`, linked from `fixlists/index.html`), with the
//! counts in `fixlists/summary.json`.
//!
//! Read from the run's own outputs: `quarantine/*.csv` and `preflight/*.csv`
//! give the findings; the read snapshots give each row's StateStudentID and
//! school as ICSE holds them; the crosswalk snapshots give the SAU (NEO Org
//! ID, as the upload folders name it) of a school in a school year, or of
//! a student's latest enrollment. A finding no SAU can be found for (a line
//! that could not be split, a student without an ID or enrollment) goes to
//! `fixlists/unassigned.csv`. IDs only: no names or birth dates, and no
//! values (a quarantined value may be a name or a birth date): an ID, a
//! school year or a value a message names is shown only when it is a code
//! or a well-formed value of its column (`report_values`), else what
//! stands for it (`(not a year)`).

use crate::output::write_atomic;
use crate::report_values::Shown;
use crate::runfiles;
use anyhow::{Context, Result};
use cutover_stages::columns::{SCHOOL_ID, SOURCE_FILE, SOURCE_ROW, STATE_STUDENT_ID, YEAR_CODE};
use cutover_stages::crosswalk::SAU_ORG_ID;
use polars::prelude::*;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

mod page;

/// The folder under the output root.
pub const DIR: &str = "fixlists";

/// The columns of the crosswalk stage's snapshots that place a finding in
/// its SAU ([`places`]): the report keeps the fix lists while they, the
/// quarantine and the pre-flight files are unchanged.
pub const PLACE_COLUMNS: [&str; 4] = [SCHOOL_ID, YEAR_CODE, SAU_ORG_ID, STATE_STUDENT_ID];
/// The fix list of findings no SAU could be found for.
pub const UNASSIGNED: &str = "unassigned";
/// The columns of a fix list.
pub const COLUMNS: [&str; 10] = [
    "file",
    "line",
    "StateStudentID",
    "School_ID",
    "school_year",
    "stage",
    "column",
    "rule",
    "message",
    "what_to_do",
];

/// One finding a district can fix.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Finding {
    pub file: String,
    pub line: i64,
    pub state_student_id: String,
    pub school_id: String,
    pub school_year: String,
    /// `read`, `ingest`, `crosswalk` or `pre-flight (<upload>)`.
    pub stage: String,
    pub column: String,
    pub rule: String,
    pub message: String,
    pub what_to_do: String,
    /// The SAU named by pre-flight, when it named one.
    #[serde(skip)]
    sau: String,
}

/// What `write` produced: findings per SAU file, in SAU order.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct Summary {
    pub saus: BTreeMap<String, u64>,
    pub total: u64,
    /// Each listed SAU's NEO name, where the organization table gives one.
    pub names: BTreeMap<String, String>,
}

/// Plain-language advice for a rule, for the person fixing the row in ICSE.
pub fn what_to_do(rule: &str) -> &'static str {
    match rule {
        "column_count" => "The line has the wrong number of fields: look for a stray comma or quote in ICSE's export of this record.",
        "joined_rows" => "A quote in this line is closed on a later line, joining the lines into one row: look for a stray quote in ICSE's export of these records.",
        "repeated_header" => "The file holds its header row again at this line: the extract was probably made of two files joined; remove the line.",
        "required" => "Enter the missing value in ICSE.",
        "outside_school_years" => "The record's school year is outside the years this run migrates: correct its YearCode in ICSE, or widen school_years in the configuration.",
        "invalid_integer" | "invalid_year" | "invalid_date" | "invalid_flag" | "invalid_time" | "invalid_id" => "Correct the value's format in ICSE.",
        "unknown_code" | "retired_code" | "code_not_in_set" => "Choose a code valid in that school year.",
        "unmapped_code" => "The code has no mapping for its school year: correct it in ICSE, or the Department adds the code to the crosswalk table named and records its checksum (`make manifest`).",
        "implausible_birth_date" => "Check the student's birth date in ICSE.",
        "race_format" | "race_missing" => "Record race and ethnicity in the two-question format.",
        "exit_before_entry" | "end_before_start" | "resolution_before_event" => "Correct the dates: the later one comes before the earlier one.",
        "exit_date_required" | "esl_date_required" | "sped_start_required" | "sped_exit_pair" | "effective_date_required" | "resolution_date_required" | "us_school_date_required" => "Enter the date this record requires.",
        "awaiting_state_id" | "no_sau_or_year" => "Request a StateStudentID for the student (New State ID) and tie the enrollment to it.",
        "medms_id" => "The school or SAU has no NEO Org ID for that year: check the school on the enrollment.",
        "future_date" | "after_june_30" => "Correct the date: it must fall within the school year.",
        "no_primary_enrollment" | "concurrent_exits_after_primary" | "overlapping_primary" => "Correct the enrollment dates so the student has one primary enrollment at a time, covering every other enrollment.",
        "sped_overlap" => "Correct the special-education dates so the service periods do not overlap.",
        "no_valid_enrollment" => "Fix the student's enrollments in this SAU and year listed above; this row follows.",
        _ => "Correct the record in ICSE.",
    }
}

/// The stage that quarantined a rule's rows.
fn quarantine_stage(rule: &str) -> &'static str {
    match rule {
        "column_count" | "joined_rows" | "undecodable" | "repeated_header" => "read",
        "unmapped_code" => "crosswalk",
        _ => "ingest",
    }
}

/// `Column: message` -> `Column` (blank when the message names none).
fn column_of(message: &str) -> String {
    match message.split_once(": ") {
        Some((c, _))
            if !c.is_empty() && c.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '_') =>
        {
            c.to_string()
        }
        _ => String::new(),
    }
}

/// Every finding of the quarantine and pre-flight files, in file order (a
/// quarantined value a message names shown only as `shown` allows).
fn findings(root: &Path, shown: &Shown) -> Result<Vec<Finding>> {
    let mut out = Vec::new();
    let blank = |file: &str,
                 line: &str,
                 stage: &str,
                 column: String,
                 rule: String,
                 message: String,
                 sau: String| Finding {
        file: file.to_string(),
        line: line.parse().unwrap_or(0),
        state_student_id: String::new(),
        school_id: String::new(),
        school_year: String::new(),
        stage: stage.to_string(),
        what_to_do: what_to_do(&rule).to_string(),
        column,
        rule,
        message,
        sau,
    };
    for name in csv_names(root, "quarantine")? {
        let path = root.join("quarantine").join(format!("{name}.csv"));
        let Some((header, rows)) = runfiles::read_csv(&path)? else {
            continue;
        };
        for r in &rows {
            let get = |c: &str| runfiles::field(&header, r, c);
            let rule = get("rule").to_string();
            let column = get("column");
            out.push(blank(
                get(SOURCE_FILE),
                get(SOURCE_ROW),
                quarantine_stage(&rule),
                column.to_string(),
                rule,
                shown.mask_in(&name, column, get("value"), get("message")),
                String::new(),
            ));
        }
    }
    for name in csv_names(root, "preflight")? {
        let path = root.join("preflight").join(format!("{name}.csv"));
        let Some((header, rows)) = runfiles::read_csv(&path)? else {
            continue;
        };
        for r in &rows {
            let get = |c: &str| runfiles::field(&header, r, c);
            out.push(blank(
                get(SOURCE_FILE),
                get(SOURCE_ROW),
                &format!("pre-flight ({name})"),
                column_of(get("Error")),
                get("rule").to_string(),
                get("Error").to_string(),
                get("SAU ID").to_string(),
            ));
        }
    }
    Ok(out)
}

/// The stems of the CSV files directly under `<root>/<dir>`, sorted.
fn csv_names(root: &Path, dir: &str) -> Result<Vec<String>> {
    let path = root.join(dir);
    if !path.is_dir() {
        return Ok(Vec::new());
    }
    let mut names = Vec::new();
    for e in std::fs::read_dir(&path).with_context(|| format!("cannot list {}", path.display()))? {
        let name = e?.file_name().to_string_lossy().to_string();
        if let Some(stem) = name.strip_suffix(".csv") {
            names.push(stem.to_string());
        }
    }
    names.sort();
    Ok(names)
}

/// Text values of a column, or blanks when the frame lacks it.
fn texts(df: &DataFrame, column: &str) -> Result<Vec<String>> {
    match df.column(column) {
        Ok(c) => Ok(c
            .as_materialized_series()
            .cast(&DataType::String)?
            .str()?
            .iter()
            .map(|v| v.unwrap_or("").to_string())
            .collect()),
        Err(_) => Ok(vec![String::new(); df.height()]),
    }
}

/// (file, line) -> (StateStudentID, School_ID, YearCode) as read (each as
/// `shown` shows it), for every line the findings name.
fn ids_as_read(
    root: &Path,
    found: &[Finding],
    shown: &Shown,
) -> Result<BTreeMap<(String, i64), [String; 3]>> {
    let wanted = DataFrame::new(
        found.len(),
        vec![
            Column::new(
                SOURCE_FILE.into(),
                found.iter().map(|f| f.file.clone()).collect::<Vec<_>>(),
            ),
            Column::new(
                SOURCE_ROW.into(),
                found.iter().map(|f| f.line).collect::<Vec<_>>(),
            ),
        ],
    )?
    .unique_stable(None, UniqueKeepStrategy::First, None)?;
    let mut out = BTreeMap::new();
    for entity in runfiles::parquet_names(root, "read")? {
        let rel = format!("read/{entity}.parquet");
        let columns = runfiles::columns_of(root, &rel)?;
        let pick: Vec<Expr> = [
            SOURCE_FILE,
            SOURCE_ROW,
            STATE_STUDENT_ID,
            SCHOOL_ID,
            YEAR_CODE,
        ]
        .iter()
        .filter(|c| columns.iter().any(|x| x == *c))
        .map(|c| {
            if *c == SOURCE_ROW {
                col(*c).cast(DataType::Int64)
            } else {
                col(*c)
            }
        })
        .collect();
        let Some(lf) = runfiles::scan(root, &rel)? else {
            continue;
        };
        let df = lf
            .select(pick)
            .join(
                wanted.clone().lazy(),
                [col(SOURCE_FILE), col(SOURCE_ROW)],
                [col(SOURCE_FILE), col(SOURCE_ROW)],
                JoinArgs::new(JoinType::Semi),
            )
            .collect()?;
        let (files, rows) = (texts(&df, SOURCE_FILE)?, texts(&df, SOURCE_ROW)?);
        let (ids, schools, years) = (
            texts(&df, STATE_STUDENT_ID)?,
            texts(&df, SCHOOL_ID)?,
            texts(&df, YEAR_CODE)?,
        );
        for i in 0..df.height() {
            let show = |column: &str, v: &str| shown.show(&entity, column, v);
            out.insert(
                (files[i].clone(), rows[i].parse().unwrap_or(0)),
                [
                    show(STATE_STUDENT_ID, &ids[i]),
                    show(SCHOOL_ID, &schools[i]),
                    show(YEAR_CODE, &years[i]),
                ],
            );
        }
    }
    Ok(out)
}

/// Where a school or a student belongs: (School_ID, YearCode) -> SAU and
/// StateStudentID -> SAU of the latest enrollment, from the crosswalk
/// snapshots; only the schools, school years and students the findings
/// name.
#[derive(Default)]
struct Places {
    school_year: HashMap<(String, String), Latest>,
    school: HashMap<String, Latest>,
    student: HashMap<String, Latest>,
}

/// The SAU of the last row in order of school year (as text, none first)
/// and then of the snapshot's rows: the last row of the latest year.
struct Latest {
    year: Option<String>,
    sau: String,
}

impl Latest {
    /// Takes a later row of the snapshot, if of this year or a later one.
    fn update(slot: Option<&mut Latest>, year: Option<&str>, sau: &str) -> Option<Latest> {
        let new = || Latest {
            year: year.map(str::to_string),
            sau: sau.to_string(),
        };
        match slot {
            None => Some(new()),
            Some(l) => {
                if year >= l.year.as_deref() {
                    *l = new();
                }
                None
            }
        }
    }
}

/// What the findings look up: their (School_ID, school year), School_IDs
/// and StateStudentIDs.
#[derive(Default)]
struct Wanted {
    school_year: HashSet<(String, String)>,
    school: HashSet<String>,
    student: HashSet<String>,
}

impl Wanted {
    fn of(found: &[Finding]) -> Wanted {
        let mut w = Wanted::default();
        for f in found.iter().filter(|f| f.sau.is_empty()) {
            w.school_year
                .insert((f.school_id.clone(), f.school_year.clone()));
            w.school.insert(f.school_id.clone());
            w.student.insert(f.state_student_id.clone());
        }
        w
    }
}

fn places(root: &Path, wanted: &Wanted) -> Result<Places> {
    let mut p = Places::default();
    for entity in runfiles::parquet_names(root, "crosswalk")? {
        let rel = format!("crosswalk/{entity}.parquet");
        let columns = runfiles::columns_of(root, &rel)?;
        if ![SCHOOL_ID, YEAR_CODE, SAU_ORG_ID]
            .iter()
            .all(|c| columns.iter().any(|x| x == *c))
        {
            continue;
        }
        let has_id = columns.iter().any(|x| x == STATE_STUDENT_ID);
        let text = |c: &str| col(c).cast(DataType::String);
        let mut pick = vec![text(SCHOOL_ID), text(YEAR_CODE), text(SAU_ORG_ID)];
        let mut read = vec![SCHOOL_ID, YEAR_CODE, SAU_ORG_ID];
        if has_id {
            pick.push(text(STATE_STUDENT_ID));
            read.push(STATE_STUDENT_ID);
        }
        // A batch of rows at a time, in the snapshot's order.
        let path = root.join(&rel);
        let batch = crate::snapshot::batch_rows();
        let mut of_entity = Places::default();
        crate::snapshot::read_column_slices(&path, batch, &read, |df| {
            let df = df
                .lazy()
                .select(pick.clone())
                .filter(col(SAU_ORG_ID).is_not_null())
                .collect()?;
            of_entity.add(&df, has_id, wanted)
        })?;
        // A later snapshot's places replace an earlier one's.
        p.school_year.extend(of_entity.school_year);
        p.school.extend(of_entity.school);
        p.student.extend(of_entity.student);
    }
    Ok(p)
}

impl Places {
    /// Adds a batch of rows (text columns; SAU never null), in order.
    fn add(&mut self, df: &DataFrame, has_id: bool, wanted: &Wanted) -> Result<()> {
        let schools = df.column(SCHOOL_ID)?.str()?;
        let years = df.column(YEAR_CODE)?.str()?;
        let saus = df.column(SAU_ORG_ID)?.str()?;
        let ids = if has_id {
            Some(df.column(STATE_STUDENT_ID)?.str()?)
        } else {
            None
        };
        for i in 0..df.height() {
            let (year, sau) = (years.get(i), saus.get(i).unwrap_or(""));
            let school = schools.get(i).unwrap_or("");
            let key = (school.to_string(), year.unwrap_or("").to_string());
            if wanted.school_year.contains(&key) {
                if let Some(l) = Latest::update(self.school_year.get_mut(&key), year, sau) {
                    self.school_year.insert(key, l);
                }
            }
            if wanted.school.contains(school) {
                if let Some(l) = Latest::update(self.school.get_mut(school), year, sau) {
                    self.school.insert(school.to_string(), l);
                }
            }
            let id = ids.and_then(|ids| ids.get(i)).unwrap_or("");
            if !id.is_empty() && wanted.student.contains(id) {
                if let Some(l) = Latest::update(self.student.get_mut(id), year, sau) {
                    self.student.insert(id.to_string(), l);
                }
            }
        }
        Ok(())
    }

    fn sau_of(&self, f: &Finding) -> String {
        if !f.sau.is_empty() {
            return f.sau.clone();
        }
        let found = self
            .school_year
            .get(&(f.school_id.clone(), f.school_year.clone()))
            .or_else(|| self.school.get(&f.school_id))
            .or_else(|| self.student.get(&f.state_student_id));
        found
            .map(|l| l.sau.clone())
            .unwrap_or_else(|| UNASSIGNED.to_string())
    }
}

/// Every finding with its IDs, by SAU, each list in file and line order.
pub fn build(root: &Path, shown: &Shown) -> Result<BTreeMap<String, Vec<Finding>>> {
    let mut found = findings(root, shown)?;
    let ids = ids_as_read(root, &found, shown)?;
    for f in found.iter_mut() {
        if let Some([id, school, year]) = ids.get(&(f.file.clone(), f.line)) {
            f.state_student_id = id.clone();
            f.school_id = school.clone();
            f.school_year = year.clone();
        }
    }
    let places = places(root, &Wanted::of(&found))?;
    let mut by_sau: BTreeMap<String, Vec<Finding>> = BTreeMap::new();
    for f in found {
        by_sau.entry(places.sau_of(&f)).or_default().push(f);
    }
    for list in by_sau.values_mut() {
        // Stable: findings of one line keep their order in their file.
        list.sort_by(|a, b| (&a.file, a.line).cmp(&(&b.file, b.line)));
    }
    Ok(by_sau)
}

fn csv_bytes(list: &[Finding]) -> Result<Vec<u8>> {
    crate::output::csv_bytes(
        &COLUMNS,
        list.iter().map(|f| {
            [
                f.file.as_str(),
                &f.line.to_string(),
                &f.state_student_id,
                &f.school_id,
                &f.school_year,
                &f.stage,
                &f.column,
                &f.rule,
                &f.message,
                &f.what_to_do,
            ]
            .map(str::to_string)
        }),
    )
}

/// Writes `fixlists/` under the run's output root: a CSV and a page per
/// SAU, the index page and `summary.json`, into a folder beside it that
/// then replaces an earlier run's whole.
pub fn write(root: &Path, names: &BTreeMap<&str, &str>, shown: &Shown) -> Result<Summary> {
    let by_sau = build(root, shown)?;
    // Built whole beside the earlier lists, then swapped with them: a
    // district never finds a few lists, or none, after a killed run.
    let building = crate::output::Building::start(&root.join(DIR))?;
    let dir = building.path().to_path_buf();
    let mut summary = Summary::default();
    for (sau, list) in &by_sau {
        let bytes = csv_bytes(list)?;
        write_atomic(&dir.join(format!("{sau}.csv")), |f| {
            std::io::Write::write_all(f, &bytes)?;
            Ok(())
        })?;
        let name = names.get(sau.as_str()).copied().unwrap_or_default();
        let html = page::sau_page(sau, name, list)?;
        write_atomic(&dir.join(format!("{sau}.html")), |f| {
            std::io::Write::write_all(f, html.as_bytes())?;
            Ok(())
        })?;
        summary.saus.insert(sau.clone(), list.len() as u64);
        if !name.is_empty() {
            summary.names.insert(sau.clone(), name.to_string());
        }
        summary.total += list.len() as u64;
    }
    let index = page::index_page(&summary)?;
    write_atomic(&dir.join("index.html"), |f| {
        std::io::Write::write_all(f, index.as_bytes())?;
        Ok(())
    })?;
    let json = serde_json::to_vec_pretty(&summary)?;
    write_atomic(&dir.join("summary.json"), |f| {
        std::io::Write::write_all(f, &json)?;
        Ok(())
    })?;
    building.finish()?;
    Ok(summary)
}
