//! New State IDs round-tripped. Students with no StateStudentID get a
//! provisional key `NEW-<PersonID>` (or `CONFLICT-<PersonID>`) and a row in
//! the New State ID upload; the helpdesk returns the IDs it found or
//! generated (launch notices, `000_d6dad0fd79d0afd6.txt` lines 14-22).
//!
//! `cutover ids assign ISSUED.csv` ties each returned row to the student
//! awaiting an ID with its name, birth date and gender, and records
//! `provisional_key, StateStudentID, SAUID, SchoolStudentID` in
//! `review/issued_ids.csv` (no names, no birth dates). Like reviewer
//! decisions, the records are data every later run applies: the identity
//! stage gives the person's identity rows the issued ID and the enrollment
//! rows with no StateStudentID at that SAU and local student number
//! (`SAUOrgID`, `SchoolStudentID`) the same ID, before it resolves
//! identities: an ID Synergy found for a student already known merges the
//! two as any shared ID does. The extract's enrollments carry no PersonID,
//! so an enrollment is tied only through the SAUID and SchoolStudentID the
//! returned file gives; without them the student has an ID and the
//! enrollments stay held (`awaiting_state_id`).

use crate::output::write_atomic;
use anyhow::{bail, Context, Result};
use chrono::{Datelike, NaiveDate};
use cutover_stages::columns::*;
use cutover_stages::crosswalk::SAU_ORG_ID;
use cutover_stages::identity::{NEEDS_NEW_STATE_ID, STUDENT_KEY};
use polars::prelude::*;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

/// Where the records are kept, under the output folder.
pub const FILE: &str = "review/issued_ids.csv";
/// The records' columns.
pub const COLUMNS: [&str; 4] = [
    "provisional_key",
    "StateStudentID",
    "SAUID",
    "SchoolStudentID",
];
/// Columns an issued-ID file must have.
const REQUIRED: [&str; 5] = [
    "StateStudentID",
    "LastName",
    "FirstName",
    "BirthDate",
    "Gender",
];

/// One issued ID, as recorded.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Issued {
    pub key: String,
    pub id: String,
    pub sau: String,
    pub local: String,
}

/// The recorded IDs; none when the file does not exist.
pub fn read(root: &Path) -> Result<Vec<Issued>> {
    let path = root.join(FILE);
    if !path.is_file() {
        return Ok(Vec::new());
    }
    let name = path.display().to_string();
    let mut r = csv::Reader::from_path(&path).with_context(|| format!("{name}: cannot read"))?;
    let header: Vec<String> = r.headers()?.iter().map(str::to_string).collect();
    if header != COLUMNS {
        bail!(
            "{name}: line 1: expected the columns {}",
            COLUMNS.join(", ")
        );
    }
    let mut out = Vec::new();
    for rec in r.records() {
        let rec = rec.with_context(|| format!("{name}: not a record of issued IDs"))?;
        let get = |i: usize| rec.get(i).unwrap_or("").trim().to_string();
        out.push(Issued {
            key: get(0),
            id: get(1),
            sau: get(2),
            local: get(3),
        });
    }
    Ok(out)
}

fn write(root: &Path, records: &[Issued]) -> Result<()> {
    crate::output::private_dir(&root.join("review"))?;
    write_atomic(&root.join(FILE), |file| {
        let mut w = csv::Writer::from_writer(std::io::BufWriter::new(file));
        w.write_record(COLUMNS)?;
        for r in records {
            w.write_record([&r.key, &r.id, &r.sau, &r.local])?;
        }
        w.flush()?;
        Ok(())
    })
}

/// A gender compared as Synergy would: trimmed, upper case.
fn fold(s: &str) -> String {
    s.trim().to_uppercase()
}

/// A name compared normalised, as the Synergy notices have it ("names with
/// punctuation caused mismatches at launch: send names as the identity has
/// them, but compare them normalised", `../shared/spec/synergy-uploads.md`):
/// accents and punctuation dropped (a typographic apostrophe as a
/// straight one), case and spaces ignored, as identity compares them. The
/// New State ID upload sent `O’Brien`; the helpdesk's `O'BRIEN` tied to no one.
fn fold_name(s: &str) -> String {
    cutover_stages::identity::fold(s)
}

/// (last, first, birth date, gender) -> the keys of the students awaiting an
/// ID, from the identity stage's `students` snapshot.
type Awaiting = BTreeMap<(String, String, NaiveDate, String), Vec<String>>;

fn awaiting(root: &Path) -> Result<Awaiting> {
    let path = root.join("identity/students.parquet");
    if !path.is_file() {
        bail!(
            "{}: no students yet (run `cutover run` first)",
            path.display()
        );
    }
    let students = crate::snapshot::read_parquet(&path)?
        .lazy()
        .filter(col(NEEDS_NEW_STATE_ID))
        .select([
            col(STUDENT_KEY),
            col(LAST_NAME),
            col(FIRST_NAME),
            col(BIRTH_DATE).cast(DataType::String),
            col(GENDER),
        ])
        .collect()?;
    let text = |c: &str| -> Result<Vec<String>> {
        let s = students
            .column(c)?
            .as_materialized_series()
            .cast(&DataType::String)?;
        let ca = s.str()?;
        Ok((0..ca.len())
            .map(|i| ca.get(i).unwrap_or("").to_string())
            .collect())
    };
    let (keys, last, first, birth, gender) = (
        text(STUDENT_KEY)?,
        text(LAST_NAME)?,
        text(FIRST_NAME)?,
        text(BIRTH_DATE)?,
        text(GENDER)?,
    );
    let mut out = Awaiting::new();
    for i in 0..keys.len() {
        if let Ok(b) = NaiveDate::parse_from_str(&birth[i], "%Y-%m-%d") {
            out.entry((
                fold_name(&last[i]),
                fold_name(&first[i]),
                b,
                fold(&gender[i]),
            ))
            .or_default()
            .push(keys[i].clone());
        }
    }
    Ok(out)
}

/// `cutover ids assign ISSUED.csv`: ties every row of the returned file to
/// its student and records the IDs; returns what to print. Every problem is
/// reported at once, by line, without the names or birth dates it read.
pub fn assign(root: &Path, issued: &Path) -> Result<String> {
    let waiting = awaiting(root)?;
    let name = issued.display().to_string();
    let bytes = std::fs::read(issued).with_context(|| format!("{name}: cannot read"))?;
    let (text, _, _) = crate::read::decode(&bytes, crate::read::EncodingChoice::Auto);
    let mut r = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let header: Vec<String> = r
        .headers()
        .with_context(|| format!("{name}: not a CSV file"))?
        .iter()
        .map(|h| h.trim().to_string())
        .collect();
    let at = |c: &str| header.iter().position(|h| h == c);
    let missing: Vec<&str> = REQUIRED.into_iter().filter(|c| at(c).is_none()).collect();
    if !missing.is_empty() {
        bail!("{name}: line 1: missing the columns {}", missing.join(", "));
    }
    let mut problems = Vec::new();
    let mut found: BTreeMap<String, Issued> = BTreeMap::new();
    for rec in r.records() {
        let rec = rec.with_context(|| format!("{name}: not a CSV file"))?;
        let line = crate::csvline::line_of(text.as_bytes(), &rec);
        let get = |c: &str| {
            at(c)
                .and_then(|i| rec.get(i))
                .unwrap_or("")
                .trim()
                .to_string()
        };
        match tie_row(&get, &waiting) {
            Ok(i) => {
                if let Some(before) = found.insert(i.key.clone(), i) {
                    problems.push(format!(
                        "{name}: line {line}: a second ID for the student of ID {}",
                        before.id
                    ));
                }
            }
            Err(p) => problems.push(format!("{name}: line {line}: {p}")),
        }
    }
    if !problems.is_empty() {
        bail!("{}", problems.join("\n"));
    }
    let mut records: BTreeMap<String, Issued> = read(root)?
        .into_iter()
        .map(|i| (i.key.clone(), i))
        .collect();
    let (mut added, mut replaced, mut untied) = (0, 0, 0);
    for (k, i) in found.clone() {
        untied += u64::from(i.sau.is_empty() || i.local.is_empty());
        match records.insert(k, i) {
            Some(_) => replaced += 1,
            None => added += 1,
        }
    }
    let all: Vec<Issued> = records.into_values().collect();
    write(root, &all)?;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{} New State IDs recorded in {} ({added} new, {replaced} replaced); the next `cutover run` applies them",
        found.len(),
        root.join(FILE).display()
    );
    if untied > 0 {
        let _ = writeln!(
            s,
            "{untied} without SAUID and SchoolStudentID: their enrollments cannot be tied and stay held (awaiting_state_id)"
        );
    }
    Ok(s)
}

/// Whether `id` is fewer than nine digits, the first not a 0: a
/// StateStudentID whose leading zeros a spreadsheet dropped, most likely.
pub fn zeros_dropped(id: &str) -> bool {
    (1..9).contains(&id.len()) && !id.starts_with('0') && id.bytes().all(|b| b.is_ascii_digit())
}

/// One returned row: its ID checked, its student found.
fn tie_row(get: &dyn Fn(&str) -> String, waiting: &Awaiting) -> Result<Issued, String> {
    let id = get("StateStudentID");
    if id.len() != 9 || !id.bytes().all(|b| b.is_ascii_digit()) {
        let hint = if zeros_dropped(&id) {
            format!(
                " ({} digits: leading zeros lost, as when the file is opened and saved in \
                 Excel? Take the helpdesk's file again)",
                id.len()
            )
        } else {
            String::new()
        };
        return Err(format!(
            "StateStudentID: expected 9 digits, found {id:?}{hint}"
        ));
    }
    let birth = get("BirthDate");
    // `%Y` takes a two-digit year as the year 10 (Excel's short date,
    // 11/30/10): it matched no student, and was said to be a wrong name.
    let Some(birth) = ["%m/%d/%Y", "%Y-%m-%d"]
        .iter()
        .find_map(|f| NaiveDate::parse_from_str(&birth, f).ok())
        .filter(|d| d.year() >= 1000)
    else {
        let short = NaiveDate::parse_from_str(&birth, "%m/%d/%Y").is_ok();
        return Err(format!(
            "BirthDate: expected a date as MM/DD/YYYY or YYYY-MM-DD{}",
            if short {
                ", found a two-digit year: the century cannot be told (opened and saved \
                 in Excel?); take the helpdesk's file again"
            } else {
                ""
            }
        ));
    };
    let who = (
        fold_name(&get("LastName")),
        fold_name(&get("FirstName")),
        birth,
        fold(&get("Gender")),
    );
    let key = match waiting.get(&who).map(Vec::as_slice) {
        Some([key]) => key.clone(),
        Some(many) => {
            return Err(format!(
                "{} students awaiting a New State ID share this name, birth date and gender: {}",
                many.len(),
                many.join(" ")
            ))
        }
        None => {
            return Err(
                "no student awaiting a New State ID has this name, birth date and gender"
                    .to_string(),
            )
        }
    };
    Ok(Issued {
        key,
        id,
        sau: get("SAUID"),
        local: get("SchoolStudentID"),
    })
}

/// What applying the records changed, for the ledger.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Applied {
    /// Provisional keys whose person's identity rows now carry an issued ID.
    pub keys: u64,
    /// Enrollment rows given an issued ID through their SAU and local number.
    pub enrollments: u64,
}

/// The person of a provisional key (`NEW-12` and `CONFLICT-12` -> 12).
fn person_of(key: &str) -> Option<i64> {
    key.rsplit_once('-').and_then(|(_, p)| p.parse().ok())
}

/// Gives the issued IDs to the crosswalked identity rows (by PersonID) and
/// to the enrollment rows with no StateStudentID at the SAU and local
/// student number recorded (or the ID the person had, for a conflict).
pub fn apply(
    personal: &DataFrame,
    enrollment: Option<&DataFrame>,
    issued: &[Issued],
) -> Result<(DataFrame, Option<DataFrame>, Applied)> {
    let (personal, places, mut applied) = to_personal(personal, issued)?;
    let enrollment = enrollment
        .map(|e| places.give(e, &mut applied))
        .transpose()?;
    Ok((personal, enrollment, applied))
}

/// Where enrollment rows take an issued ID: (SAU, local number) -> (issued
/// ID, the ID the person had). Made once from the personal rows, then
/// given to enrollment rows a batch at a time.
#[derive(Default)]
pub struct Places(BTreeMap<(String, String), (String, Option<String>)>);

/// Gives the issued IDs to the identity rows (by PersonID): those rows, the
/// places their enrollment rows take the IDs at, and the keys resolved.
pub fn to_personal(
    personal: &DataFrame,
    issued: &[Issued],
) -> Result<(DataFrame, Places, Applied)> {
    let mut applied = Applied::default();
    let mut places = Places::default();
    if issued.is_empty() {
        return Ok((personal.clone(), places, applied));
    }
    let by_person: BTreeMap<i64, &Issued> = issued
        .iter()
        .filter_map(|i| person_of(&i.key).map(|p| (p, i)))
        .collect();
    let persons = personal
        .column(PERSON_ID)?
        .as_materialized_series()
        .cast(&DataType::Int64)?;
    let persons = persons.i64()?;
    let mut ids = strings(personal, STATE_STUDENT_ID)?;
    let mut seen = std::collections::BTreeSet::new();
    for (r, id) in ids.iter_mut().enumerate() {
        let Some(i) = persons.get(r).and_then(|p| by_person.get(&p)) else {
            continue;
        };
        if !i.sau.is_empty() && !i.local.is_empty() {
            let place = (i.sau.clone(), i.local.clone());
            places.0.insert(place, (i.id.clone(), id.clone()));
        }
        if seen.insert(i.key.clone()) {
            applied.keys += 1;
        }
        *id = Some(i.id.clone());
    }
    let mut personal = personal.clone();
    personal.with_column(Column::new(STATE_STUDENT_ID.into(), ids))?;
    Ok((personal, places, applied))
}

impl Places {
    /// Gives the issued IDs to enrollment rows with no StateStudentID (or
    /// the person's old one) at a place, counting them in `applied`.
    pub fn give(&self, e: &DataFrame, applied: &mut Applied) -> Result<DataFrame> {
        if self.0.is_empty() {
            return Ok(e.clone());
        }
        let sau = strings(e, SAU_ORG_ID)?;
        let local = strings(e, SCHOOL_STUDENT_ID)?;
        let mut ids = strings(e, STATE_STUDENT_ID)?;
        for (r, id) in ids.iter_mut().enumerate() {
            let key = (
                sau[r].clone().unwrap_or_default(),
                local[r].clone().unwrap_or_default(),
            );
            if let Some((new, had)) = self.0.get(&key) {
                if id.is_none() || id == had {
                    *id = Some(new.clone());
                    applied.enrollments += 1;
                }
            }
        }
        let mut e = e.clone();
        e.with_column(Column::new(STATE_STUDENT_ID.into(), ids))?;
        Ok(e)
    }
}

fn strings(df: &DataFrame, name: &str) -> Result<Vec<Option<String>>> {
    let s = df
        .column(name)?
        .as_materialized_series()
        .cast(&DataType::String)?;
    let ca = s.str()?;
    Ok((0..ca.len())
        .map(|i| ca.get(i).map(str::to_string))
        .collect())
}

/// Says in the identity stage's ledger what the issued IDs resolved.
pub fn note(reports: &mut [cutover_stages::report::StageReport], applied: &Applied) {
    if applied.keys == 0 {
        return;
    }
    for r in reports.iter_mut() {
        if r.entity == cutover_stages::schema::STUDENT_PERSONAL.name {
            r.notes.push(format!(
                "{} provisional keys resolved by issued New State IDs ({FILE})",
                applied.keys
            ));
        } else if r.entity == cutover_stages::schema::STUDENT_ENROLLMENT.name {
            r.notes.push(format!(
                "{} enrollment rows given an issued New State ID through their SAU and SchoolStudentID ({FILE})",
                applied.enrollments
            ));
        }
    }
}
