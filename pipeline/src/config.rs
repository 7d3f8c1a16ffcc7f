//! The run configuration: one TOML file describes a run (what the data means
//! and where it is; how to run goes on the command line).
//!
//! Loading has two steps, after ripgrep's low-level/high-level split: the
//! raw TOML sections as written, then a validation that collects **every**
//! problem (file, key, what was expected) before failing. `cutover validate`
//! runs only that.

use crate::checksum::hex;
use crate::read::EncodingChoice;
use crate::stage::StageId;
use chrono::NaiveDate;
use cutover_stages::ingest::IngestConfig;
use cutover_stages::schema::{self, ENTITIES};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

/// The `[read]` table.
#[derive(Debug, Default, Deserialize)]
struct RawRead {
    /// Date formats of the extract (chrono/strftime), tried in order.
    date_formats: Option<Vec<String>>,
    /// Per bundle file: `auto`, `utf-8` or `windows-1252`.
    #[serde(default)]
    encoding: BTreeMap<String, String>,
    /// Per entity: extract column name -> canonical column name.
    #[serde(default)]
    columns: BTreeMap<String, BTreeMap<String, String>>,
}

/// The `[ingest]` table.
#[derive(Debug, Default, Deserialize)]
struct RawIngest {
    /// Share of rejected rows above which the stage fails (0 to 1).
    max_reject_rate: Option<f64>,
    /// Files with fewer rows are not failed on their reject rate.
    reject_rate_min_rows: Option<u64>,
    /// Whether birth dates are checked against the plausible range.
    check_birth_dates: Option<bool>,
    /// Earliest plausible birth date (`YYYY-MM-DD`).
    birth_date_earliest: Option<toml::Value>,
    /// Latest plausible birth date (`YYYY-MM-DD`).
    birth_date_latest: Option<toml::Value>,
    /// The day the extract was taken: no date in it may be later
    /// (`YYYY-MM-DD`; default 30 June of the last school year).
    extract_date: Option<toml::Value>,
}

/// The `[identity]` table.
#[derive(Debug, Default, Deserialize)]
struct RawIdentity {
    /// Match probability at or above which a pair across IDs is merged.
    merge_probability: Option<f64>,
    /// Match probability at or above which a pair goes to review.
    review_probability: Option<f64>,
    /// Blocks larger than this are not paired.
    max_block: Option<usize>,
    /// "review" (default) or "score": same name and birth date across IDs.
    same_name_birth_date: Option<String>,
}

/// The `[publish]` table.
#[derive(Debug, Default, Deserialize)]
struct RawPublish {
    /// No upload date may be after this (YYYY-MM-DD).
    as_of: Option<toml::Value>,
    /// Exit code of the first part of an enrollment split at a change of status.
    split_exit_code: Option<String>,
    /// Entry code of the second part.
    split_entry_code: Option<String>,
}

/// The `[end_of_year]` table.
#[derive(Debug, Default, Deserialize)]
struct RawEndOfYear {
    /// "report" (default): the launch notices' end-of-year rules are listed
    /// by SAU; "hold": the upload rows built from a flagged row are held.
    action: Option<String>,
}

/// One thing wrong with a configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub file: String,
    pub key: String,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.key.is_empty() {
            write!(f, "{}: {}", self.file, self.message)
        } else {
            write!(f, "{}: {}: {}", self.file, self.key, self.message)
        }
    }
}

/// Every problem found, one per line.
#[derive(Debug)]
pub struct Problems(pub Vec<Problem>);

impl fmt::Display for Problems {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let lines: Vec<String> = self.0.iter().map(|p| p.to_string()).collect();
        write!(f, "{}", lines.join("\n"))
    }
}

impl std::error::Error for Problems {}

/// A validated run configuration.
#[derive(Clone, Debug, Serialize)]
pub struct Config {
    /// The configuration file, or `<defaults>`.
    pub source: String,
    pub bundle: PathBuf,
    pub output: PathBuf,
    pub crosswalks: PathBuf,
    /// The upload layouts (default: `layouts` beside the crosswalks).
    pub layouts: PathBuf,
    pub first_year: i32,
    pub last_year: i32,
    /// Entity -> file name in the bundle.
    pub files: BTreeMap<String, String>,
    pub date_formats: Vec<String>,
    /// File name -> encoding.
    pub encodings: BTreeMap<String, EncodingChoice>,
    /// Entity -> (extract column -> canonical column).
    pub columns: BTreeMap<String, BTreeMap<String, String>>,
    pub max_reject_rate: f64,
    pub reject_rate_min_rows: u64,
    pub check_birth_dates: bool,
    pub birth_date_earliest: NaiveDate,
    pub birth_date_latest: NaiveDate,
    pub merge_probability: f64,
    pub review_probability: f64,
    pub max_block: usize,
    /// `identity.same_name_birth_date = "review"` (true, the default) or "score".
    pub same_name_birth_date_review: bool,
    /// No upload date may be after this; default 30 June of the last school year.
    pub as_of: NaiveDate,
    /// No date in the extract may be after this; default 30 June of the last
    /// school year.
    pub extract_date: NaiveDate,
    pub split_exit_code: String,
    pub split_entry_code: String,
    /// `[end_of_year] action = "hold"`: pre-flight holds the upload rows built
    /// from a row the end-of-year rules flag; "report" (false, the default)
    /// only lists them.
    pub end_of_year_hold: bool,
    /// SHA-256 of the configuration file (or of the defaults as JSON).
    pub checksum: String,
}

const TOP_KEYS: [&str; 11] = [
    "identity",
    "end_of_year",
    "publish",
    "layouts",
    "bundle",
    "output",
    "crosswalks",
    "school_years",
    "files",
    "read",
    "ingest",
];

/// The defaults: ICSE's 2004-05 to 2016-17 window.
pub const DEFAULT_YEARS: (i32, i32) = (2005, 2017);
pub const DEFAULT_MAX_REJECT_RATE: f64 = 0.02;
pub const DEFAULT_REJECT_RATE_MIN_ROWS: u64 = 100;
pub const DEFAULT_MERGE_PROBABILITY: f64 = 0.95;
pub const DEFAULT_REVIEW_PROBABILITY: f64 = 0.006;
pub const DEFAULT_MAX_BLOCK: usize = 500;
/// Exit code of the first part of a split enrollment: W99 (other).
pub const DEFAULT_SPLIT_EXIT_CODE: &str = "W99";
/// Entry code of the second part: E02 (continuing).
pub const DEFAULT_SPLIT_ENTRY_CODE: &str = "E02";

/// 30 June of a school year (the year it ends in).
pub fn june_30(year: i32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, 6, 30).expect("a valid date")
}

fn layouts_beside(crosswalks: &Path) -> PathBuf {
    crosswalks.parent().unwrap_or(Path::new("")).join("layouts")
}

pub fn default_date_formats() -> Vec<String> {
    vec!["%Y-%m-%d".to_string(), "%m/%d/%Y".to_string()]
}

impl Config {
    /// The configuration `cutover run BUNDLE` uses.
    pub fn defaults(bundle: &Path, output: &Path, crosswalks: &Path) -> Result<Config, Problems> {
        let mut config = Config {
            source: "<defaults>".to_string(),
            bundle: bundle.to_path_buf(),
            output: output.to_path_buf(),
            crosswalks: crosswalks.to_path_buf(),
            layouts: layouts_beside(crosswalks),
            first_year: DEFAULT_YEARS.0,
            last_year: DEFAULT_YEARS.1,
            files: default_files(),
            date_formats: default_date_formats(),
            encodings: BTreeMap::new(),
            columns: BTreeMap::new(),
            max_reject_rate: DEFAULT_MAX_REJECT_RATE,
            reject_rate_min_rows: DEFAULT_REJECT_RATE_MIN_ROWS,
            check_birth_dates: true,
            birth_date_earliest: default_earliest(DEFAULT_YEARS.0),
            birth_date_latest: default_latest(DEFAULT_YEARS.1),
            merge_probability: DEFAULT_MERGE_PROBABILITY,
            review_probability: DEFAULT_REVIEW_PROBABILITY,
            max_block: DEFAULT_MAX_BLOCK,
            same_name_birth_date_review: true,
            as_of: june_30(DEFAULT_YEARS.1),
            extract_date: june_30(DEFAULT_YEARS.1),
            split_exit_code: DEFAULT_SPLIT_EXIT_CODE.to_string(),
            split_entry_code: DEFAULT_SPLIT_ENTRY_CODE.to_string(),
            end_of_year_hold: false,
            checksum: String::new(),
        };
        // What the data means, not where it is: folders are left out (the
        // inputs and tables are checksummed by content), so runs from
        // different places share a run id and reruns skip what is unchanged.
        let mut meaning = config.clone();
        meaning.output = PathBuf::new();
        meaning.bundle = PathBuf::new();
        meaning.crosswalks = PathBuf::new();
        meaning.layouts = PathBuf::new();
        let json = serde_json::to_vec(&meaning).expect("config serializes");
        config.checksum = hex(&Sha256::digest(&json));
        let mut problems = Vec::new();
        check_paths(&config, "<defaults>", &mut problems);
        if problems.is_empty() {
            Ok(config)
        } else {
            Err(Problems(problems))
        }
    }

    /// Reads and validates a configuration file. Relative paths in it are
    /// relative to the file's directory.
    pub fn load(path: &Path) -> Result<Config, Problems> {
        let file = path.display().to_string();
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) => {
                return Err(Problems(vec![Problem {
                    file,
                    key: String::new(),
                    message: format!("cannot read the configuration: {e}"),
                }]))
            }
        };
        let base = path.parent().unwrap_or(Path::new("")).to_path_buf();
        parse(&text, &file, &base)
    }

    pub fn ingest(&self) -> IngestConfig {
        IngestConfig {
            date_formats: self.date_formats.clone(),
            check_birth_dates: self.check_birth_dates,
            birth_date_earliest: self.birth_date_earliest,
            birth_date_latest: self.birth_date_latest,
            extract_date: self.extract_date,
            school_years: (self.first_year, self.last_year),
        }
    }
}

/// The configuration keys each stage reads (its fingerprint covers only
/// these); the rest say where things are, and the files there are
/// checksummed by content.
pub const SECTIONS: [(StageId, &[&str]); 5] = [
    (
        StageId::Ingest,
        &[
            "files",
            "date_formats",
            "encodings",
            "columns",
            "first_year",
            "last_year",
            "check_birth_dates",
            "birth_date_earliest",
            "birth_date_latest",
            "extract_date",
        ],
    ),
    (StageId::Crosswalk, &["first_year", "last_year"]),
    (
        StageId::Identity,
        &[
            "merge_probability",
            "review_probability",
            "max_block",
            "same_name_birth_date_review",
        ],
    ),
    (
        StageId::Publish,
        &[
            "as_of",
            "split_exit_code",
            "split_entry_code",
            "last_year",
            "end_of_year_hold",
        ],
    ),
    (
        StageId::Report,
        &["max_reject_rate", "reject_rate_min_rows"],
    ),
];

impl Config {
    /// A checksum of the configuration keys `stage` reads.
    pub fn section_sum(&self, stage: StageId) -> String {
        let keys = SECTIONS
            .iter()
            .find(|(s, _)| *s == stage)
            .map(|(_, k)| *k)
            .unwrap_or_default();
        let all = serde_json::to_value(self).expect("config serializes");
        let picked: serde_json::Map<String, serde_json::Value> = keys
            .iter()
            .map(|k| (k.to_string(), all[*k].clone()))
            .collect();
        let json = serde_json::to_vec(&picked).expect("config serializes");
        hex(&Sha256::digest(&json))
    }
}

fn default_files() -> BTreeMap<String, String> {
    ENTITIES
        .iter()
        .map(|e| (e.name.to_string(), e.file.to_string()))
        .collect()
}

fn default_earliest(first_year: i32) -> NaiveDate {
    NaiveDate::from_ymd_opt(first_year - 25, 1, 1).expect("valid date")
}

fn default_latest(last_year: i32) -> NaiveDate {
    NaiveDate::from_ymd_opt(last_year - 3, 12, 31).expect("valid date")
}

fn section<T: DeserializeOwned + Default>(
    table: &toml::Table,
    key: &str,
    file: &str,
    problems: &mut Vec<Problem>,
) -> T {
    let Some(value) = table.get(key) else {
        return T::default();
    };
    let mut unknown = Vec::new();
    let result: Result<T, _> =
        serde_ignored::deserialize(value.clone(), |p| unknown.push(p.to_string()));
    for u in unknown {
        problems.push(Problem {
            file: file.to_string(),
            key: format!("{key}.{u}"),
            message: "unknown key".to_string(),
        });
    }
    match result {
        Ok(t) => t,
        Err(e) => {
            let (key, message) = type_problem(key, e.to_string().trim());
            problems.push(Problem {
                file: file.to_string(),
                key,
                message,
            });
            T::default()
        }
    }
}

/// A value of the wrong type in a table, in a person's words, naming the
/// key itself: serde's text (`ingest: invalid type: string "high",
/// expected f64` and the key on a second line, `` in `max_reject_rate` ``)
/// was shown as it was.
fn type_problem(table: &str, error: &str) -> (String, String) {
    let (text, key) = match error.split_once("\nin `") {
        Some((text, path)) => (text, format!("{table}.{}", path.trim_end_matches('`'))),
        None => (error, table.to_string()),
    };
    let Some((found, expected)) = text
        .strip_prefix("invalid type: ")
        .or_else(|| text.strip_prefix("invalid value: "))
        .and_then(|rest| rest.rsplit_once(", expected "))
    else {
        return (key, text.to_string());
    };
    let expected = match expected {
        "f64" | "f32" => "a number".to_string(),
        "u64" | "u32" | "usize" => "a whole number, 0 or more".to_string(),
        "i64" | "i32" => "a whole number".to_string(),
        "a boolean" => "true or false".to_string(),
        "a string" => "text in quotes".to_string(),
        "a sequence" => "a list in brackets, such as [\"...\", \"...\"]".to_string(),
        e if e.starts_with("struct ") || e == "a map" => format!("a table, [{key}]"),
        e => e.to_string(),
    };
    let found = ["string ", "integer ", "floating point ", "boolean "]
        .iter()
        .find_map(|p| found.strip_prefix(p))
        .unwrap_or(found)
        .replace('`', "");
    (key, format!("expected {expected}, found {found}"))
}

/// The name of a file of `bundle` that is `name` in another case, when
/// `bundle` has no file `name` itself.
fn named_in_another_case(bundle: &Path, name: &str) -> Option<String> {
    if bundle.join(name).exists() {
        return None;
    }
    std::fs::read_dir(bundle)
        .ok()?
        .flatten()
        .map(|e| e.file_name().to_string_lossy().to_string())
        // The name itself is there and cannot be followed (a link to
        // itself or to nothing): `not_a_file` says so.
        .filter(|f| f != name && f.eq_ignore_ascii_case(name))
        .min()
}

/// The mark `cutover generate` leaves in the bundle (and the ground truth)
/// until its last file is in place: a bundle holding it is refused.
pub const UNFINISHED_GENERATION: &str = ".cutover-generating";

/// What the mark says, to whoever opens it.
pub const UNFINISHED_GENERATION_TEXT: &str =
    "cutover generate is writing this folder, or was stopped before its last file: generate it again\n";

/// The `.csv` files and spreadsheets of `bundle` that are none of the
/// bundle's files under `files` (a second part of one, a file named
/// otherwise, a copy named in another case beside it, a file saved as a
/// workbook): not read, and said so, since their rows are in no ledger.
/// Names are matched exactly, as the files are (`Truancy.csv` beside
/// `truancy.csv` is another file, and was not said).
pub fn unread_files(bundle: &Path, files: &BTreeMap<String, String>) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(bundle) else {
        return Vec::new();
    };
    let mut out: Vec<String> = entries
        .flatten()
        .filter(|e| e.path().is_file())
        .map(|e| e.file_name().to_string_lossy().to_string())
        .filter(|f| f.to_ascii_lowercase().ends_with(".csv") || is_spreadsheet(f))
        .filter(|f| !files.values().any(|n| n == f))
        .collect();
    out.sort();
    out
}

/// A workbook's name (`.xlsx`, `.xls`, `.ods`): a file `cutover` cannot
/// read, saved so by a spreadsheet.
pub fn is_spreadsheet(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    [".xlsx", ".xls", ".ods"].iter().any(|e| lower.ends_with(e))
}

/// `identity.same_name_birth_date`: "review" (true) or "score" (false).
fn same_name_policy(value: Option<&str>, file: &str, problems: &mut Vec<Problem>) -> bool {
    match value {
        None | Some("review") => true,
        Some("score") => false,
        Some(other) => {
            problems.push(Problem {
                file: file.to_string(),
                key: "identity.same_name_birth_date".to_string(),
                message: format!("expected \"review\" or \"score\", found {other:?}"),
            });
            true
        }
    }
}

/// `[end_of_year] action`: true for "hold", false for "report" (the default).
fn end_of_year_action(table: &toml::Table, file: &str, problems: &mut Vec<Problem>) -> bool {
    let raw: RawEndOfYear = section(table, "end_of_year", file, problems);
    match raw.action.as_deref() {
        None | Some("report") => false,
        Some("hold") => true,
        Some(other) => {
            problems.push(Problem {
                file: file.to_string(),
                key: "end_of_year.action".to_string(),
                message: format!("expected \"report\" or \"hold\", found {other:?}"),
            });
            false
        }
    }
}

fn parse(text: &str, file: &str, base: &Path) -> Result<Config, Problems> {
    let mut problems = Vec::new();
    let problem = |problems: &mut Vec<Problem>, key: &str, message: String| {
        problems.push(Problem {
            file: file.to_string(),
            key: key.to_string(),
            message,
        })
    };
    let table: toml::Table = match text.parse() {
        Ok(t) => t,
        Err(e) => {
            let e: toml::de::Error = e;
            let line = e
                .span()
                .map(|s| text[..s.start].matches('\n').count() + 1)
                .unwrap_or(0);
            return Err(Problems(vec![Problem {
                file: file.to_string(),
                key: String::new(),
                message: format!("line {line}: not valid TOML: {}", e.message()),
            }]));
        }
    };
    for key in table.keys() {
        if !TOP_KEYS.contains(&key.as_str()) {
            problem(&mut problems, key, "unknown key".to_string());
        }
    }
    let path_value = |problems: &mut Vec<Problem>, key: &str, default: Option<&str>| -> PathBuf {
        match table.get(key) {
            Some(toml::Value::String(s)) if !s.is_empty() => base.join(s),
            Some(other) => {
                problem(
                    problems,
                    key,
                    format!("expected a path as a string, found {}", other.type_str()),
                );
                PathBuf::new()
            }
            None => match default {
                Some(d) => PathBuf::from(d),
                None => {
                    problem(
                        problems,
                        key,
                        "required: the folder of the ICSE export bundle".to_string(),
                    );
                    PathBuf::new()
                }
            },
        }
    };
    let bundle = path_value(&mut problems, "bundle", None);
    let output = path_value(&mut problems, "output", Some("snapshots"));
    let crosswalks = path_value(&mut problems, "crosswalks", Some("crosswalks"));
    let layouts = match table.get("layouts") {
        None => layouts_beside(&crosswalks),
        Some(_) => path_value(&mut problems, "layouts", Some("layouts")),
    };

    let (first_year, last_year, files) = years_and_files(&table, file, &mut problems);

    let (columns, date_formats, encodings) = read_keys(&table, file, &files, &mut problems);

    let (ingest, publish, max_reject_rate, dates) =
        ingest_and_publish_keys(&table, file, (first_year, last_year), &mut problems);
    let [birth_date_earliest, birth_date_latest, as_of, extract_date] = dates;

    let (merge_probability, review_probability, max_block, same_name_birth_date_review) =
        identity_keys(&table, file, &mut problems);

    let end_of_year_hold = end_of_year_action(&table, file, &mut problems);

    let split_exit_code = publish
        .split_exit_code
        .unwrap_or_else(|| DEFAULT_SPLIT_EXIT_CODE.to_string());
    let split_entry_code = publish
        .split_entry_code
        .unwrap_or_else(|| DEFAULT_SPLIT_ENTRY_CODE.to_string());

    let config = Config {
        source: file.to_string(),
        bundle,
        output,
        crosswalks,
        layouts,
        first_year,
        last_year,
        files,
        date_formats,
        encodings,
        columns,
        max_reject_rate,
        reject_rate_min_rows: ingest
            .reject_rate_min_rows
            .unwrap_or(DEFAULT_REJECT_RATE_MIN_ROWS),
        check_birth_dates: ingest.check_birth_dates.unwrap_or(true),
        birth_date_earliest,
        birth_date_latest,
        merge_probability,
        review_probability,
        max_block,
        same_name_birth_date_review,
        as_of,
        extract_date,
        split_exit_code,
        split_entry_code,
        end_of_year_hold,
        checksum: hex(&Sha256::digest(text.as_bytes())),
    };
    check_paths(&config, file, &mut problems);
    if problems.is_empty() {
        Ok(config)
    } else {
        Err(Problems(problems))
    }
}

/// `school_years` and `[files]`.
fn years_and_files(
    table: &toml::Table,
    file: &str,
    problems: &mut Vec<Problem>,
) -> (i32, i32, BTreeMap<String, String>) {
    let problem = |problems: &mut Vec<Problem>, key: &str, message: String| {
        problems.push(Problem {
            file: file.to_string(),
            key: key.to_string(),
            message,
        })
    };
    let (mut first_year, mut last_year) = DEFAULT_YEARS;
    match table.get("school_years") {
        None => {}
        Some(toml::Value::Array(a))
            if a.len() == 2
                && a.iter()
                    .all(|v| v.as_integer().is_some_and(|y| (1900..=2100).contains(&y))) =>
        {
            first_year = a[0].as_integer().expect("checked") as i32;
            last_year = a[1].as_integer().expect("checked") as i32;
            if first_year > last_year {
                problem(
                    problems,
                    "school_years",
                    format!("the first year {first_year} is after the last year {last_year}"),
                );
            }
        }
        Some(_) => problem(
            problems,
            "school_years",
            "expected [first, last], two four-digit years such as [2005, 2017]".to_string(),
        ),
    }

    let raw_files: BTreeMap<String, String> = section(table, "files", file, problems);
    let mut files = default_files();
    for (entity, name) in raw_files {
        if schema::entity(&entity).is_none() {
            problem(
                problems,
                &format!("files.{entity}"),
                format!("not an entity; expected one of {}", entity_names()),
            );
        } else if name.trim().is_empty() {
            problem(
                problems,
                &format!("files.{entity}"),
                "a file name is required".to_string(),
            );
        } else {
            files.insert(entity, name);
        }
    }
    (first_year, last_year, files)
}

/// Entity -> (extract column -> canonical column).
type ColumnMaps = BTreeMap<String, BTreeMap<String, String>>;

/// `[read]`: date formats, encodings by file, column maps by entity.
fn read_keys(
    table: &toml::Table,
    file: &str,
    files: &BTreeMap<String, String>,
    problems: &mut Vec<Problem>,
) -> (ColumnMaps, Vec<String>, BTreeMap<String, EncodingChoice>) {
    let problem = |problems: &mut Vec<Problem>, key: &str, message: String| {
        problems.push(Problem {
            file: file.to_string(),
            key: key.to_string(),
            message,
        })
    };
    let read: RawRead = section(table, "read", file, problems);
    let date_formats = read.date_formats.unwrap_or_else(default_date_formats);
    if date_formats.is_empty() {
        problem(
            problems,
            "read.date_formats",
            "at least one date format is required".to_string(),
        );
    }
    for (i, f) in date_formats.iter().enumerate() {
        if !date_format_ok(f) {
            problem(
                problems,
                &format!("read.date_formats[{i}]"),
                format!(
                    "{f:?} is not a date format with a year, month and day (such as \"%Y-%m-%d\")"
                ),
            );
        }
    }
    let mut encodings = BTreeMap::new();
    let known_files: Vec<&String> = files.values().collect();
    for (name, value) in &read.encoding {
        let key = format!("read.encoding.{name:?}");
        if !known_files.contains(&name) {
            problem(
                problems,
                &key,
                format!(
                    "not a file of the bundle; expected one of {}",
                    known_files
                        .iter()
                        .map(|f| f.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            );
        }
        match EncodingChoice::parse(value) {
            Some(e) => {
                encodings.insert(name.clone(), e);
            }
            None => problem(
                problems,
                &key,
                format!("expected auto, utf-8 or windows-1252, found {value:?}"),
            ),
        }
    }
    for (entity, map) in &read.columns {
        let Some(spec) = schema::entity(entity) else {
            problem(
                problems,
                &format!("read.columns.{entity}"),
                format!("not an entity; expected one of {}", entity_names()),
            );
            continue;
        };
        let mut targets: BTreeMap<&str, &str> = BTreeMap::new();
        for (extract, canonical) in map {
            let key = format!("read.columns.{entity}.{extract:?}");
            if spec.column(canonical).is_none() {
                problem(
                    problems,
                    &key,
                    format!("{canonical:?} is not a column of {entity}"),
                );
            } else if let Some(other) = targets.insert(canonical, extract) {
                problem(
                    problems,
                    &key,
                    format!("{canonical:?} is already mapped from {other:?}"),
                );
            }
        }
    }
    (read.columns, date_formats, encodings)
}

/// `[identity]`.
fn identity_keys(
    table: &toml::Table,
    file: &str,
    problems: &mut Vec<Problem>,
) -> (f64, f64, usize, bool) {
    let problem = |problems: &mut Vec<Problem>, key: &str, message: String| {
        problems.push(Problem {
            file: file.to_string(),
            key: key.to_string(),
            message,
        })
    };
    let identity: RawIdentity = section(table, "identity", file, problems);
    let merge_probability = identity
        .merge_probability
        .unwrap_or(DEFAULT_MERGE_PROBABILITY);
    let review_probability = identity
        .review_probability
        .unwrap_or(DEFAULT_REVIEW_PROBABILITY);
    for (key, v) in [
        ("identity.merge_probability", merge_probability),
        ("identity.review_probability", review_probability),
    ] {
        if !(0.0..=1.0).contains(&v) {
            problem(
                problems,
                key,
                format!("expected a probability from 0 to 1, found {v}"),
            );
        }
    }
    if review_probability > merge_probability {
        problem(
            problems,
            "identity.review_probability",
            format!("{review_probability} is above identity.merge_probability {merge_probability}"),
        );
    }
    let max_block = identity.max_block.unwrap_or(DEFAULT_MAX_BLOCK);
    if max_block < 2 {
        problem(
            problems,
            "identity.max_block",
            format!("expected at least 2, found {max_block}"),
        );
    }
    let same_name_birth_date_review =
        same_name_policy(identity.same_name_birth_date.as_deref(), file, problems);
    (
        merge_probability,
        review_probability,
        max_block,
        same_name_birth_date_review,
    )
}

/// `[ingest]` and `[publish]`: the reject rate and the four dates (birth
/// dates earliest and latest, as of, extract date).
fn ingest_and_publish_keys(
    table: &toml::Table,
    file: &str,
    (first_year, last_year): (i32, i32),
    problems: &mut Vec<Problem>,
) -> (RawIngest, RawPublish, f64, [NaiveDate; 4]) {
    let problem = |problems: &mut Vec<Problem>, key: &str, message: String| {
        problems.push(Problem {
            file: file.to_string(),
            key: key.to_string(),
            message,
        })
    };
    let ingest: RawIngest = section(table, "ingest", file, problems);
    let max_reject_rate = ingest.max_reject_rate.unwrap_or(DEFAULT_MAX_REJECT_RATE);
    if !(0.0..=1.0).contains(&max_reject_rate) {
        problem(
            problems,
            "ingest.max_reject_rate",
            format!("expected a number from 0 to 1, found {max_reject_rate}"),
        );
    }
    let publish: RawPublish = section(table, "publish", file, problems);
    let mut date_key = |key: &str, value: Option<toml::Value>, default: NaiveDate| -> NaiveDate {
        let text = match value {
            None => return default,
            Some(toml::Value::String(s)) => s,
            Some(toml::Value::Datetime(d)) => d.to_string(),
            Some(other) => other.to_string(),
        };
        match NaiveDate::parse_from_str(&text, "%Y-%m-%d") {
            Ok(d) => d,
            Err(_) => {
                problem(
                    problems,
                    key,
                    format!("expected a date as YYYY-MM-DD, found {text}"),
                );
                default
            }
        }
    };
    let birth_date_earliest = date_key(
        "ingest.birth_date_earliest",
        ingest.birth_date_earliest.clone(),
        default_earliest(first_year),
    );
    let birth_date_latest = date_key(
        "ingest.birth_date_latest",
        ingest.birth_date_latest.clone(),
        default_latest(last_year),
    );
    let as_of = date_key("publish.as_of", publish.as_of.clone(), june_30(last_year));
    let extract_date = date_key(
        "ingest.extract_date",
        ingest.extract_date.clone(),
        june_30(last_year),
    );
    if birth_date_earliest > birth_date_latest {
        problem(
            problems,
            "ingest.birth_date_earliest",
            format!("{birth_date_earliest} is after ingest.birth_date_latest {birth_date_latest}"),
        );
    }
    (
        ingest,
        publish,
        max_reject_rate,
        [birth_date_earliest, birth_date_latest, as_of, extract_date],
    )
}

fn check_paths(config: &Config, file: &str, problems: &mut Vec<Problem>) {
    let mut problem = |key: &str, message: String| {
        problems.push(Problem {
            file: file.to_string(),
            key: key.to_string(),
            message,
        })
    };
    if !config.bundle.as_os_str().is_empty() {
        if !config.bundle.is_dir() {
            problem(
                "bundle",
                format!("{} is not a folder", config.bundle.display()),
            );
        } else if config.bundle.join(UNFINISHED_GENERATION).exists() {
            problem(
                "bundle",
                format!(
                    "{} holds {UNFINISHED_GENERATION}: `cutover generate` was stopped before \
                     its last file, so some files are missing or an earlier generation's: \
                     generate it again",
                    config.bundle.display()
                ),
            );
        } else {
            // A file the configuration renames was meant to be there: absent,
            // it was listed absent like any optional file, silently.
            let defaults = default_files();
            // A file named in another case (CTE.csv, Student_Personal.CSV,
            // as Windows keeps them): a file of the bundle, listed absent
            // and its rows never read, without a word.
            for spec in ENTITIES {
                let name = &config.files[spec.name];
                if let Some(other) = named_in_another_case(&config.bundle, name) {
                    problem(
                        &format!("files.{}", spec.name),
                        format!(
                            "{} has {other}, not {name}: file names are matched exactly \
                             (rename the file, or name it in [files]: {} = \"{other}\")",
                            config.bundle.display(),
                            spec.name
                        ),
                    );
                }
            }
            for spec in ENTITIES.iter().filter(|e| !e.required_file) {
                let name = &config.files[spec.name];
                let path = config.bundle.join(name);
                if named_in_another_case(&config.bundle, name).is_some() {
                    continue;
                }
                if defaults.get(spec.name) != Some(name) && !path.exists() {
                    problem(
                        &format!("files.{}", spec.name),
                        format!("{} has no {name}", config.bundle.display()),
                    );
                }
            }
            for spec in ENTITIES.iter().filter(|e| e.required_file) {
                let name = &config.files[spec.name];
                let path = config.bundle.join(name);
                if named_in_another_case(&config.bundle, name).is_some() {
                    continue;
                }
                if let Some(what) = not_a_file(&path) {
                    problem("bundle", format!("{} {what}", path.display()));
                } else if !path.is_file() {
                    problem(
                        "bundle",
                        format!(
                            "{} has no {name}, which every bundle needs",
                            config.bundle.display()
                        ),
                    );
                }
            }
        }
    }
    if !config.crosswalks.is_dir() {
        // A mistyped or missing tables folder (crosswalks-v3) was reported
        // as lacking legacy_codes.csv, as if it were there.
        problem(
            "crosswalks",
            format!("{} is not a folder", config.crosswalks.display()),
        );
    } else if !config
        .crosswalks
        .join(crate::crosswalks::LEGACY_CODES)
        .is_file()
    {
        problem(
            "crosswalks",
            format!(
                "{} has no {}",
                config.crosswalks.display(),
                crate::crosswalks::LEGACY_CODES
            ),
        );
    }
}

/// What a bundle path is when it is there but is no file to read (a
/// folder named like the file, a link to nothing): `None` for a file or
/// nothing at all.
pub fn not_a_file(path: &std::path::Path) -> Option<&'static str> {
    let meta = std::fs::symlink_metadata(path).ok()?;
    if path.is_file() {
        return None;
    }
    if meta.is_dir() || path.is_dir() {
        return Some("is a folder, not a file");
    }
    #[cfg(unix)]
    if let Ok(target) = std::fs::metadata(path) {
        use std::os::unix::fs::FileTypeExt;
        let kind = target.file_type();
        if kind.is_fifo() {
            return Some(
                "is a named pipe (FIFO), not a file: it would be read only as another program \
                 writes into it, and never checked whole; copy the extract into the bundle as a file",
            );
        }
        if kind.is_char_device() || kind.is_block_device() || kind.is_socket() {
            return Some(
                "is a device or a socket, not a file; copy the extract into the bundle as a file",
            );
        }
    }
    Some("is not a file that can be read (a link to nothing?)")
}

fn entity_names() -> String {
    ENTITIES
        .iter()
        .map(|e| e.name)
        .collect::<Vec<_>>()
        .join(", ")
}

fn date_format_ok(format: &str) -> bool {
    if !(format.contains("%Y") || format.contains("%y"))
        || !format.contains("%m")
        || !format.contains("%d")
    {
        return false;
    }
    let probe = NaiveDate::from_ymd_opt(2016, 11, 27).expect("valid date");
    let mut text = String::new();
    if fmt::write(&mut text, format_args!("{}", probe.format(format))).is_err() {
        return false;
    }
    NaiveDate::parse_from_str(&text, format) == Ok(probe)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Keys that say where things are or identify the file, not what the data
    /// means.
    const PLACES: [&str; 6] = [
        "source",
        "bundle",
        "output",
        "crosswalks",
        "layouts",
        "checksum",
    ];

    fn setup() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("bundle")).unwrap();
        std::fs::write(dir.path().join("bundle/student_personal.csv"), "PersonID\n").unwrap();
        std::fs::create_dir_all(dir.path().join("crosswalks")).unwrap();
        std::fs::write(dir.path().join("crosswalks/legacy_codes.csv"), "").unwrap();
        dir
    }

    fn problems(dir: &Path, text: &str) -> Vec<String> {
        match parse(text, "run.toml", dir) {
            Ok(_) => vec![],
            Err(p) => p.0.iter().map(|p| p.to_string()).collect(),
        }
    }

    #[test]
    fn a_file_linked_to_itself_is_not_a_file_named_in_another_case() {
        // Said `bundle has truancy.csv, not truancy.csv: file names are
        // matched exactly` before.
        let dir = setup();
        let bundle = dir.path().join("bundle");
        std::os::unix::fs::symlink("truancy.csv", bundle.join("truancy.csv")).unwrap();
        let text = "bundle = \"bundle\"\ncrosswalks = \"crosswalks\"\n";
        assert_eq!(problems(dir.path(), text), Vec::<String>::new());
        assert_eq!(
            not_a_file(&bundle.join("truancy.csv")),
            Some("is not a file that can be read (a link to nothing?)")
        );
    }

    /// A named pipe or a link to a device (`/dev/zero` would never end) is
    /// refused as what it is: the starting binary called each "a link to
    /// nothing?".
    #[test]
    fn a_named_pipe_or_a_device_in_the_bundle_is_said_to_be_one() {
        let dir = setup();
        let bundle = dir.path().join("bundle");
        let fifo = bundle.join("truancy.csv");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        assert!(made.unwrap().success());
        assert_eq!(
            not_a_file(&fifo),
            Some(
                "is a named pipe (FIFO), not a file: it would be read only as another program \
                 writes into it, and never checked whole; copy the extract into the bundle as a \
                 file"
            )
        );
        let device = bundle.join("behavior.csv");
        std::os::unix::fs::symlink("/dev/null", &device).unwrap();
        assert_eq!(
            not_a_file(&device),
            Some("is a device or a socket, not a file; copy the extract into the bundle as a file")
        );
    }

    #[test]
    fn every_configuration_key_belongs_to_a_stage_or_names_a_place() {
        let dir = setup();
        let config = Config::defaults(
            &dir.path().join("bundle"),
            dir.path(),
            &dir.path().join("crosswalks"),
        )
        .unwrap();
        let value = serde_json::to_value(&config).unwrap();
        let mut unassigned: Vec<&String> = value
            .as_object()
            .unwrap()
            .keys()
            .filter(|k| {
                !PLACES.contains(&k.as_str())
                    && !SECTIONS.iter().any(|(_, keys)| keys.contains(&k.as_str()))
            })
            .collect();
        unassigned.sort();
        assert!(
            unassigned.is_empty(),
            "no stage's fingerprint covers {unassigned:?}"
        );
        let mut later = config.clone();
        later.as_of = june_30(2016);
        for stage in [StageId::Ingest, StageId::Crosswalk, StageId::Identity] {
            assert_eq!(config.section_sum(stage), later.section_sum(stage));
        }
        assert_ne!(
            config.section_sum(StageId::Publish),
            later.section_sum(StageId::Publish)
        );
    }

    #[test]
    fn a_good_config_resolves_paths_against_its_folder() {
        let dir = setup();
        let config = parse(
            "bundle = \"bundle\"\ncrosswalks = \"crosswalks\"\nschool_years = [2010, 2017]\n[read.columns.student_personal]\nLast_Name = \"LastName\"\n",
            "run.toml",
            dir.path(),
        )
        .unwrap();
        assert_eq!(config.bundle, dir.path().join("bundle"));
        assert_eq!((config.first_year, config.last_year), (2010, 2017));
        assert_eq!(
            config.birth_date_latest,
            NaiveDate::from_ymd_opt(2014, 12, 31).unwrap()
        );
        assert_eq!(config.columns["student_personal"]["Last_Name"], "LastName");
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let dir = setup();
        let text = r#"
bundle = "nowhere"
crosswalks = "crosswalks"
school_years = [2017, 2005]
colour = "blue"
[files]
behaviour = "b.csv"
[read]
date_formats = ["%Y-%m", "%m/%d/%Y"]
delimiter = ";"
[read.encoding]
"student_personal.csv" = "latin-9"
[read.columns.student_personal]
Surname = "Surname"
Last = "LastName"
Last_Name = "LastName"
[ingest]
max_reject_rate = 1.5
birth_date_earliest = "1990-13-01"
"#;
        assert_eq!(
            problems(dir.path(), text),
            vec![
                "run.toml: colour: unknown key",
                "run.toml: school_years: the first year 2017 is after the last year 2005",
                "run.toml: files.behaviour: not an entity; expected one of student_personal, student_enrollment, schools, mailing_address, behavior, truancy, graduation, cte",
                "run.toml: read.delimiter: unknown key",
                "run.toml: read.date_formats[0]: \"%Y-%m\" is not a date format with a year, month and day (such as \"%Y-%m-%d\")",
                "run.toml: read.encoding.\"student_personal.csv\": expected auto, utf-8 or windows-1252, found \"latin-9\"",
                "run.toml: read.columns.student_personal.\"Last_Name\": \"LastName\" is already mapped from \"Last\"",
                "run.toml: read.columns.student_personal.\"Surname\": \"Surname\" is not a column of student_personal",
                "run.toml: ingest.max_reject_rate: expected a number from 0 to 1, found 1.5",
                "run.toml: ingest.birth_date_earliest: expected a date as YYYY-MM-DD, found 1990-13-01",
                &format!("run.toml: bundle: {} is not a folder", dir.path().join("nowhere").display()),
            ]
        );
    }

    #[test]
    fn publish_settings_are_checked() {
        let dir = setup();
        assert_eq!(
            problems(
                dir.path(),
                "bundle = \"bundle\"\ncrosswalks = \"crosswalks\"\n[publish]\nas_of = \"2017-02-30\"\nsplit_code = \"W99\"\n"
            ),
            vec![
                "run.toml: publish.split_code: unknown key",
                "run.toml: publish.as_of: expected a date as YYYY-MM-DD, found 2017-02-30",
            ]
        );
        let config = parse(
            "bundle = \"bundle\"\ncrosswalks = \"crosswalks\"\nschool_years = [2010, 2016]\n",
            "run.toml",
            dir.path(),
        )
        .unwrap();
        assert_eq!(config.as_of, NaiveDate::from_ymd_opt(2016, 6, 30).unwrap());
        assert_eq!(config.layouts, dir.path().join("layouts"));
        assert_eq!(config.split_exit_code, "W99");
        assert_eq!(config.split_entry_code, "E02");
    }

    #[test]
    fn end_of_year_action_is_report_or_hold() {
        let dir = setup();
        assert_eq!(
            problems(
                dir.path(),
                "bundle = \"bundle\"\ncrosswalks = \"crosswalks\"\n[end_of_year]\naction = \"quarantine\"\nrules = 1\n"
            ),
            vec![
                "run.toml: end_of_year.rules: unknown key",
                "run.toml: end_of_year.action: expected \"report\" or \"hold\", found \"quarantine\"",
            ]
        );
        let parsed = |extra: &str| {
            parse(
                &format!("bundle = \"bundle\"\ncrosswalks = \"crosswalks\"\n{extra}"),
                "run.toml",
                dir.path(),
            )
            .unwrap()
        };
        assert!(!parsed("").end_of_year_hold);
        assert!(!parsed("[end_of_year]\naction = \"report\"\n").end_of_year_hold);
        let hold = parsed("[end_of_year]\naction = \"hold\"\n");
        assert!(hold.end_of_year_hold);
        // Publish holds the rows, so only its fingerprint changes.
        assert_ne!(
            hold.section_sum(StageId::Publish),
            parsed("").section_sum(StageId::Publish)
        );
        assert_eq!(
            hold.section_sum(StageId::Report),
            parsed("").section_sum(StageId::Report)
        );
    }

    #[test]
    fn identity_thresholds_are_checked() {
        let dir = setup();
        assert_eq!(
            problems(
                dir.path(),
                "bundle = \"bundle\"\ncrosswalks = \"crosswalks\"\n[identity]\nmerge_probability = 1.5\nreview_probability = 0.9\nmax_block = 1\nblocking = 3\n"
            ),
            vec![
                "run.toml: identity.blocking: unknown key",
                "run.toml: identity.merge_probability: expected a probability from 0 to 1, found 1.5",
                "run.toml: identity.max_block: expected at least 2, found 1",
            ]
        );
        assert_eq!(
            problems(dir.path(), "bundle = \"bundle\"\ncrosswalks = \"crosswalks\"\n[identity]\nmerge_probability = 0.9\nreview_probability = 0.95\n"),
            vec!["run.toml: identity.review_probability: 0.95 is above identity.merge_probability 0.9"]
        );
        assert_eq!(
            problems(dir.path(), "bundle = \"bundle\"\ncrosswalks = \"crosswalks\"\n[identity]\nsame_name_birth_date = \"merge\"\n"),
            vec!["run.toml: identity.same_name_birth_date: expected \"review\" or \"score\", found \"merge\""]
        );
    }

    #[test]
    fn a_value_of_the_wrong_type_names_its_key_in_plain_words() {
        // Each was serde's own text, its key on a second line:
        // `run.toml: ingest: invalid type: string "high", expected f64` and
        // `` in `max_reject_rate` ``.
        let dir = setup();
        let head = "bundle = \"bundle\"\ncrosswalks = \"crosswalks\"\n";
        for (toml, message) in [
            ("[ingest]\nmax_reject_rate = \"high\"\n", "run.toml: ingest.max_reject_rate: expected a number, found \"high\""),
            ("[ingest]\ncheck_birth_dates = \"yes\"\n", "run.toml: ingest.check_birth_dates: expected true or false, found \"yes\""),
            ("[ingest]\nreject_rate_min_rows = -1\n", "run.toml: ingest.reject_rate_min_rows: expected a whole number, 0 or more, found -1"),
            ("[identity]\nmax_block = 0.5\n", "run.toml: identity.max_block: expected a whole number, 0 or more, found 0.5"),
            ("[files]\ntruancy = 3\n", "run.toml: files.truancy: expected text in quotes, found 3"),
            ("[read]\ndate_formats = \"%m/%d/%Y\"\n", "run.toml: read.date_formats: expected a list in brackets, such as [\"...\", \"...\"], found \"%m/%d/%Y\""),
            ("[read.columns.student_personal]\n\"Last Name\" = 5\n", "run.toml: read.columns.student_personal.Last Name: expected text in quotes, found 5"),
            ("ingest = 5\n", "run.toml: ingest: expected a table, [ingest], found 5"),
        ] {
            assert_eq!(problems(dir.path(), &format!("{head}{toml}")), vec![message], "{toml}");
        }
    }

    #[test]
    fn a_missing_bundle_key_and_bad_toml_are_named() {
        let dir = setup();
        assert_eq!(
            problems(dir.path(), "crosswalks = \"crosswalks\"\n"),
            vec!["run.toml: bundle: required: the folder of the ICSE export bundle"]
        );
        assert_eq!(
            problems(dir.path(), "bundle = \"bundle\"\n[ingest\n"),
            vec!["run.toml: line 2: not valid TOML: invalid table header\nexpected `.`, `]`"]
        );
    }
}
