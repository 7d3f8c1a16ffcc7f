//! Loading the crosswalk folder: the legacy code sets (`legacy_codes.csv`,
//! checked at ingest) and the mapping tables with their manifest (used by
//! the crosswalk stage), checked as they are read. Every problem names the
//! file, row and column.

use cutover_stages::codes::{CodeRow, CodeSet};
use cutover_stages::crosswalk::{CodeMap, MapRow, OrgMapRow, RaceRow, Tables};
use cutover_stages::schema::{Kind, ENTITIES};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The legacy code table's file name in the crosswalk folder.
pub const LEGACY_CODES: &str = "legacy_codes.csv";
const COLUMNS: [&str; 6] = ["domain", "code", "label", "first_year", "last_year", "note"];

/// The loaded code sets and the checksum of the table they came from.
pub struct Loaded {
    pub codes: CodeSet,
    pub sha256: String,
}

/// Loads and checks `legacy_codes.csv`, reporting every problem at once.
pub fn load_legacy_codes(dir: &Path) -> Result<Loaded, Vec<String>> {
    let path = dir.join(LEGACY_CODES);
    let bytes =
        std::fs::read(&path).map_err(|e| vec![format!("{}: cannot read: {e}", path.display())])?;
    let file = path.display().to_string();
    let sha256 = crate::checksum::hex(&Sha256::digest(&bytes));
    let (text, _, _) = crate::read::decode(&bytes, crate::read::EncodingChoice::Auto);
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut problems = Vec::new();
    let header: Vec<String> = match reader.headers() {
        Ok(h) => h.iter().map(|s| s.trim().to_string()).collect(),
        Err(e) => return Err(vec![format!("{file}: {e}")]),
    };
    if header != COLUMNS {
        return Err(vec![format!(
            "{file}: line 1: expected the columns {}, found {}",
            COLUMNS.join(","),
            header.join(",")
        )]);
    }
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                problems.push(format!("{file}: {e}"));
                continue;
            }
        };
        let line = crate::csvline::line_of(text.as_bytes(), &record);
        if record.len() != COLUMNS.len() {
            problems.push(format!(
                "{file}: line {line}: expected {} fields, found {}",
                COLUMNS.len(),
                record.len()
            ));
            continue;
        }
        let field = |i: usize| record[i].trim().to_string();
        let mut year = |i: usize, open: i32| -> i32 {
            let v = field(i);
            if v.is_empty() {
                return open;
            }
            match v.parse::<i32>() {
                Ok(y) if (1900..=2100).contains(&y) => y,
                _ => {
                    problems.push(format!("{file}: line {line}: column {}: expected a four-digit year or blank, found {v:?}", COLUMNS[i]));
                    open
                }
            }
        };
        let first_year = year(3, i32::MIN);
        let last_year = year(4, i32::MAX);
        for i in [0, 1] {
            if field(i).is_empty() {
                problems.push(format!(
                    "{file}: line {line}: column {}: a value is required",
                    COLUMNS[i]
                ));
            }
        }
        if first_year > last_year {
            problems.push(format!(
                "{file}: line {line}: first_year {first_year} is after last_year {last_year}"
            ));
        }
        rows.push((
            line,
            CodeRow {
                domain: field(0),
                code: field(1),
                label: field(2),
                first_year,
                last_year,
            },
        ));
    }
    // One code may have several rows only with years that do not overlap.
    for (i, (line_a, a)) in rows.iter().enumerate() {
        for (line_b, b) in &rows[i + 1..] {
            if a.domain == b.domain
                && a.code == b.code
                && a.first_year <= b.last_year
                && b.first_year <= a.last_year
            {
                problems.push(format!(
                    "{file}: line {line_b}: {} code {} overlaps the years of line {line_a}",
                    b.domain, b.code
                ));
            }
        }
    }
    let codes = CodeSet::new(rows.into_iter().map(|(_, r)| r).collect());
    let needed: BTreeSet<&str> = ENTITIES
        .iter()
        .flat_map(|e| e.columns.iter())
        .filter_map(|c| match c.kind {
            Kind::Code(d) => Some(d),
            _ => None,
        })
        .collect();
    for domain in needed {
        if !codes.has_domain(domain) {
            problems.push(format!("{file}: no rows for the code domain {domain}"));
        }
    }
    if problems.is_empty() {
        Ok(Loaded { codes, sha256 })
    } else {
        Err(problems)
    }
}

// ------------------------------------------------------------ the mapping tables

/// The manifest naming every table with its version and checksum.
pub const MANIFEST: &str = "manifest.csv";
pub(crate) const MANIFEST_COLUMNS: [&str; 5] = ["name", "file", "version", "sha256", "description"];
const CODE_COLUMNS: [&str; 8] = [
    "legacy_code",
    "legacy_label",
    "new_code",
    "new_label",
    "first_year",
    "last_year",
    "loss_class",
    "note",
];
/// The columns of `organizations.csv`.
pub const ORG_COLUMNS: [&str; 10] = [
    "scheme",
    "legacy_id",
    "kind",
    "first_year",
    "last_year",
    "neo_org_id",
    "neo_parent_org_id",
    "neo_name",
    "change",
    "note",
];
const RACE_COLUMNS: [&str; 14] = [
    "legacy_code",
    "legacy_label",
    "federal_category",
    "hispanic",
    "american_indian",
    "asian",
    "black",
    "pacific_islander",
    "white",
    "quality",
    "first_year",
    "last_year",
    "loss_class",
    "note",
];
/// Loss classes a table may declare.
pub const LOSS_CLASSES: [&str; 6] = [
    "lossless",
    "relabelled",
    "merged",
    "assumed",
    "declared_rule",
    "not_carried",
];
const QUALITIES: [&str; 4] = [
    "reported",
    "derived_lossless",
    "derived_assumed",
    "derived_unknown_race",
];

/// A code domain: its table and the Y/N columns after the common ones.
pub struct Domain {
    pub name: &'static str,
    pub flags: &'static [&'static str],
    pub description: &'static str,
}

/// Every code domain, in manifest order (plus `organizations` and `race`).
pub const DOMAINS: [Domain; 15] = [
    Domain {
        name: "grade_levels",
        flags: &[],
        description: "grade levels PK, EK, KG, 01-12",
    },
    Domain {
        name: "entry_codes",
        flags: &["transfer_in"],
        description: "start status (entry codes)",
    },
    Domain {
        name: "exit_codes",
        flags: &["transfer_out", "dropout", "graduate"],
        description: "exit types, with the flags graduation and dropout rates use",
    },
    Domain {
        name: "economic_status",
        flags: &[],
        description: "school lunch eligibility to economic status",
    },
    Domain {
        name: "fiscal_responsibility",
        flags: &[],
        description: "fiscal responsibility, with the declared rule for the retired A",
    },
    Domain {
        name: "english_proficiency",
        flags: &[],
        description: "English proficiency to EL status",
    },
    Domain {
        name: "sped_setting",
        flags: &[],
        description: "special-education setting",
    },
    Domain {
        name: "exceptionality",
        flags: &[],
        description: "exceptionality to primary disability, labels by year",
    },
    Domain {
        name: "sped_exit_reason",
        flags: &[],
        description: "special-education exit reason, with retirement years",
    },
    Domain {
        name: "behavior_events",
        flags: &["reportable"],
        description: "behavior event codes; reportable marks the bullying events",
    },
    Domain {
        name: "weapons",
        flags: &[],
        description: "weapon codes",
    },
    Domain {
        name: "resolutions",
        flags: &["removal"],
        description: "behavior resolutions; removal marks the reportable ones",
    },
    Domain {
        name: "truancy_steps",
        flags: &[],
        description: "truancy stages to steps",
    },
    Domain {
        name: "cte_exit_status",
        flags: &[],
        description: "CTE program exit status",
    },
    Domain {
        name: "cip_codes",
        flags: &[],
        description: "CTE programs: the CIP codes Synergy resolves",
    },
];
pub const ORGANIZATIONS: &str = "organizations";
pub const RACE: &str = "race";

fn table_names() -> Vec<&'static str> {
    let mut names = vec!["legacy_codes", "nicknames", ORGANIZATIONS, RACE];
    names.extend(DOMAINS.iter().map(|d| d.name));
    names
}

/// Rows of a CSV table with its line numbers, after checking its header.
pub(crate) fn rows_of(
    path: &Path,
    columns: &[&str],
    problems: &mut Vec<String>,
) -> Vec<(u64, Vec<String>)> {
    let file = path.display().to_string();
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) => {
            problems.push(format!("{file}: cannot read: {e}"));
            return Vec::new();
        }
    };
    let (text, _, _) = crate::read::decode(&bytes, crate::read::EncodingChoice::Auto);
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let header: Vec<String> = match reader.headers() {
        Ok(h) => h.iter().map(|s| s.trim().to_string()).collect(),
        Err(e) => {
            problems.push(format!("{file}: {e}"));
            return Vec::new();
        }
    };
    if header != columns {
        problems.push(format!(
            "{file}: line 1: expected the columns {}, found {}",
            columns.join(","),
            header.join(",")
        ));
        return Vec::new();
    }
    let mut rows = Vec::new();
    for record in reader.records() {
        match record {
            Ok(r) => {
                let line = crate::csvline::line_of(text.as_bytes(), &r);
                if r.len() != columns.len() {
                    problems.push(format!(
                        "{file}: line {line}: expected {} fields, found {}",
                        columns.len(),
                        r.len()
                    ));
                } else {
                    rows.push((line, r.iter().map(|f| f.trim().to_string()).collect()));
                }
            }
            Err(e) => problems.push(format!("{file}: {e}")),
        }
    }
    rows
}

struct RowCheck<'a> {
    file: String,
    line: u64,
    columns: &'a [&'a str],
    row: &'a [String],
    problems: &'a mut Vec<String>,
}

impl RowCheck<'_> {
    fn field(&self, name: &str) -> &str {
        let i = self
            .columns
            .iter()
            .position(|c| *c == name)
            .expect("declared column");
        &self.row[i]
    }
    fn problem(&mut self, column: &str, message: String) {
        self.problems.push(format!(
            "{}: line {}: column {column}: {message}",
            self.file, self.line
        ));
    }
    fn required(&mut self, column: &str) -> String {
        let v = self.field(column).to_string();
        if v.is_empty() {
            self.problem(column, "a value is required".into());
        }
        v
    }
    fn year(&mut self, column: &str, open: i32) -> i32 {
        let v = self.field(column).to_string();
        if v.is_empty() {
            return open;
        }
        match v.parse::<i32>() {
            Ok(y) if (1900..=2100).contains(&y) => y,
            _ => {
                self.problem(
                    column,
                    format!("expected a four-digit year or blank, found {v:?}"),
                );
                open
            }
        }
    }
    fn flag(&mut self, column: &str) -> bool {
        match self.field(column) {
            "Y" => true,
            "N" => false,
            other => {
                let other = other.to_string();
                self.problem(column, format!("expected Y or N, found {other:?}"));
                false
            }
        }
    }
    fn one_of(&mut self, column: &str, allowed: &[&str]) -> String {
        let v = self.field(column).to_string();
        if !allowed.contains(&v.as_str()) {
            self.problem(
                column,
                format!("expected one of {}, found {v:?}", allowed.join(", ")),
            );
        }
        v
    }
    fn range(&mut self) -> (i32, i32) {
        let first = self.year("first_year", i32::MIN);
        let last = self.year("last_year", i32::MAX);
        if first > last {
            self.problem("last_year", format!("{last} is before first_year {first}"));
        }
        (first, last)
    }
}

/// Reports every pair of rows with the same key whose years overlap.
fn overlaps(file: &str, keyed: &[(u64, String, i32, i32)], problems: &mut Vec<String>) {
    let mut by_key: BTreeMap<&str, Vec<(u64, i32, i32)>> = BTreeMap::new();
    for (line, key, first, last) in keyed {
        by_key
            .entry(key.as_str())
            .or_default()
            .push((*line, *first, *last));
    }
    for (key, rows) in by_key {
        for (i, a) in rows.iter().enumerate() {
            for b in &rows[i + 1..] {
                if a.1 <= b.2 && b.1 <= a.2 {
                    problems.push(format!(
                        "{file}: line {}: key {key} overlaps the school years of line {}",
                        b.0, a.0
                    ));
                }
            }
        }
    }
}

/// Loads every mapping table, checking the tables and the manifest;
/// returns every problem at once.
pub fn load_tables(dir: &Path) -> Result<(Tables, BTreeMap<String, String>), Vec<String>> {
    let mut problems = Vec::new();
    let sums = check_manifest(dir, &mut problems);
    let mut tables = Tables {
        orgs: load_orgs(dir, &mut problems),
        race: load_race(dir, &mut problems),
        ..Tables::default()
    };
    for domain in &DOMAINS {
        tables.codes.insert(
            domain.name.to_string(),
            load_domain(dir, domain, &mut problems),
        );
    }
    if problems.is_empty() {
        Ok((tables, sums))
    } else {
        Err(problems)
    }
}

/// Checks every table file against the manifest; returns each file's SHA-256.
fn check_manifest(dir: &Path, problems: &mut Vec<String>) -> BTreeMap<String, String> {
    let mut sums = BTreeMap::new();
    let manifest_path = dir.join(MANIFEST);
    let manifest = rows_of(&manifest_path, &MANIFEST_COLUMNS, problems);
    let manifest_file = manifest_path.display().to_string();
    let mut listed: BTreeMap<String, (u64, String, String)> = BTreeMap::new();
    for (line, row) in &manifest {
        listed.insert(row[0].clone(), (*line, row[1].clone(), row[3].clone()));
    }
    for name in table_names() {
        let file = format!("{name}.csv");
        let path = dir.join(&file);
        let Ok(bytes) = std::fs::read(&path) else {
            problems.push(format!(
                "{}: missing: every crosswalk needs the {name} table",
                path.display()
            ));
            continue;
        };
        let sum = crate::checksum::hex(&Sha256::digest(&bytes));
        match listed.get(name) {
            None => problems.push(format!("{manifest_file}: no row names the {name} table")),
            Some((line, listed_file, listed_sum)) => {
                if listed_file != &file {
                    problems.push(format!("{manifest_file}: line {line}: column file: expected {file}, found {listed_file}"));
                }
                if listed_sum != &sum {
                    problems.push(format!(
                        "{manifest_file}: line {line}: column sha256: {file} has checksum {sum}, the manifest says {listed_sum} (edited? record the new checksum: `make manifest`, or `cutover crosswalk manifest --crosswalks {}`)", dir.display()
                    ));
                }
            }
        }
        sums.insert(file, sum);
    }
    for name in listed.keys() {
        if !table_names().contains(&name.as_str()) {
            problems.push(format!(
                "{manifest_file}: line {}: {name} is not a crosswalk table",
                listed[name].0
            ));
        }
    }
    sums
}

/// Loads `organizations.csv`.
fn load_orgs(dir: &Path, problems: &mut Vec<String>) -> Vec<OrgMapRow> {
    let path = dir.join("organizations.csv");
    let file = path.display().to_string();
    let mut keyed = Vec::new();
    let mut rows = Vec::new();
    for (line, row) in rows_of(&path, &ORG_COLUMNS, problems) {
        let mut c = RowCheck {
            file: file.clone(),
            line,
            columns: &ORG_COLUMNS,
            row: &row,
            problems,
        };
        let scheme = c.one_of("scheme", &["medms", "neo"]);
        let legacy_id = c.required("legacy_id");
        let kind = c.one_of("kind", &["school", "sau"]);
        let (first_year, last_year) = c.range();
        let neo = c.required("neo_org_id");
        for (column, v) in [("legacy_id", &legacy_id), ("neo_org_id", &neo)] {
            let digits = v.len() <= 4 && v.bytes().all(|b| b.is_ascii_digit());
            if !v.is_empty() && !digits {
                c.problem(
                    column,
                    format!("expected an id of one to four digits, found {v:?}"),
                );
            }
        }
        let parent = c.field("neo_parent_org_id").to_string();
        let neo_name = c.field("neo_name").to_string();
        let change = c.one_of("change", &["", "merge", "split", "closure", "renumbered"]);
        keyed.push((
            line,
            format!("{scheme} {kind} {legacy_id}"),
            first_year,
            last_year,
        ));
        rows.push(OrgMapRow {
            scheme,
            legacy_id,
            kind,
            first_year,
            last_year,
            neo_org_id: neo,
            neo_parent_org_id: if parent.is_empty() {
                None
            } else {
                Some(parent)
            },
            neo_name,
            change,
        });
    }
    overlaps(&file, &keyed, problems);
    rows
}

/// Loads `race.csv`.
fn load_race(dir: &Path, problems: &mut Vec<String>) -> Vec<RaceRow> {
    let path = dir.join("race.csv");
    let file = path.display().to_string();
    let mut keyed = Vec::new();
    let mut rows = Vec::new();
    for (line, row) in rows_of(&path, &RACE_COLUMNS, problems) {
        let mut c = RowCheck {
            file: file.clone(),
            line,
            columns: &RACE_COLUMNS,
            row: &row,
            problems,
        };
        let legacy_code = c.required("legacy_code");
        let mut categories = vec!["Hispanic", "TwoOrMoreRaces"];
        categories.extend(cutover_stages::crosswalk::CATEGORIES);
        let federal_category = c.one_of("federal_category", &categories);
        let hispanic = c.flag("hispanic");
        let races = [
            "american_indian",
            "asian",
            "black",
            "pacific_islander",
            "white",
        ]
        .map(|r| c.flag(r));
        let quality = c.one_of("quality", &QUALITIES);
        let (first_year, last_year) = c.range();
        let loss_class = c.one_of("loss_class", &LOSS_CLASSES);
        keyed.push((line, legacy_code.clone(), first_year, last_year));
        rows.push(RaceRow {
            legacy_code,
            federal_category,
            hispanic,
            races,
            quality,
            first_year,
            last_year,
            loss_class,
        });
    }
    overlaps(&file, &keyed, problems);
    rows
}

/// Loads the code table of `domain`.
fn load_domain(dir: &Path, domain: &Domain, problems: &mut Vec<String>) -> CodeMap {
    let path = dir.join(format!("{}.csv", domain.name));
    let file = path.display().to_string();
    let mut columns: Vec<&str> = CODE_COLUMNS.to_vec();
    columns.extend(domain.flags);
    let mut keyed = Vec::new();
    let mut rows = Vec::new();
    for (line, row) in rows_of(&path, &columns, problems) {
        let mut c = RowCheck {
            file: file.clone(),
            line,
            columns: &columns,
            row: &row,
            problems,
        };
        let legacy_code = c.required("legacy_code");
        let new_code = c.required("new_code");
        let new_label = c.required("new_label");
        let (first_year, last_year) = c.range();
        let loss_class = c.one_of("loss_class", &LOSS_CLASSES);
        let flags = domain.flags.iter().map(|f| c.flag(f)).collect();
        keyed.push((line, legacy_code.clone(), first_year, last_year));
        rows.push(MapRow {
            legacy_code,
            new_code,
            new_label,
            first_year,
            last_year,
            loss_class,
            flags,
        });
    }
    overlaps(&file, &keyed, problems);
    CodeMap {
        domain: domain.name.to_string(),
        flag_columns: domain.flags.iter().map(|f| f.to_string()).collect(),
        rows,
    }
}

/// Loads `nicknames.csv` (name, nickname), reporting every problem at once.
pub fn load_nicknames(dir: &Path) -> Result<Vec<(String, String)>, Vec<String>> {
    let mut problems = Vec::new();
    let path = dir.join("nicknames.csv");
    let file = path.display().to_string();
    let columns = ["name", "nickname"];
    let mut out = Vec::new();
    for (line, row) in rows_of(&path, &columns, &mut problems) {
        let mut c = RowCheck {
            file: file.clone(),
            line,
            columns: &columns,
            row: &row,
            problems: &mut problems,
        };
        let name = c.required("name");
        let nickname = c.required("nickname");
        out.push((name, nickname));
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(problems)
    }
}

/// Rewrites the manifest's checksums (and adds missing tables, version 1),
/// keeping versions and descriptions.
pub fn write_manifest(dir: &Path) -> anyhow::Result<()> {
    // A killed rewrite's temporary file, else left in the folder for good.
    crate::output::remove_stale_temporaries(dir)?;
    let mut problems = Vec::new();
    let existing = rows_of(&dir.join(MANIFEST), &MANIFEST_COLUMNS, &mut problems);
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(MANIFEST_COLUMNS)?;
    for name in table_names() {
        let file = format!("{name}.csv");
        let bytes = std::fs::read(dir.join(&file))
            .map_err(|e| anyhow::anyhow!("{file}: cannot read: {e}"))?;
        let sum = crate::checksum::hex(&Sha256::digest(&bytes));
        let old = existing.iter().find(|(_, r)| r[0] == name);
        let description = match name {
            ORGANIZATIONS => "MEDMS school and SAU ids by scheme and school year to NEO Org IDs",
            "legacy_codes" => "the legacy code sets by school year, checked at ingest",
            "nicknames" => "given names and the nicknames entered for them, for identity matching",
            RACE => "the legacy single race field to the two-question format, with a quality code",
            _ => DOMAINS
                .iter()
                .find(|d| d.name == name)
                .map(|d| d.description)
                .unwrap_or(""),
        };
        let version = old
            .map(|(_, r)| r[2].clone())
            .unwrap_or_else(|| "1".to_string());
        let description = old
            .map(|(_, r)| r[4].clone())
            .unwrap_or_else(|| description.to_string());
        w.write_record([name, &file, &version, &sum, &description])?;
    }
    crate::output::write_bytes(&dir.join(MANIFEST), &w.into_inner()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_table_loads() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../crosswalks");
        let loaded = load_legacy_codes(&dir).unwrap();
        assert!(loaded.codes.valid_in("fiscal_responsibility", "A", 2010));
        assert!(!loaded.codes.valid_in("fiscal_responsibility", "A", 2011));
        assert!(loaded.codes.valid_in("sped_exit_reason", "07", 2013));
        assert!(!loaded.codes.valid_in("sped_exit_reason", "07", 2010));
    }

    #[test]
    fn every_problem_in_a_table_names_its_line() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join(LEGACY_CODES),
            "domain,code,label,first_year,last_year,note\ngender,M,Male,,,\ngender,,Female,20x,,\ngender,M,Male again,2010,,\ngender,F,Female,2012,2011,\n",
        )
        .unwrap();
        let problems = load_legacy_codes(dir.path()).err().unwrap();
        let file = dir.path().join(LEGACY_CODES).display().to_string();
        let expected: Vec<String> = [
            "line 3: column first_year: expected a four-digit year or blank, found \"20x\"",
            "line 3: column code: a value is required",
            "line 5: first_year 2012 is after last_year 2011",
            "line 4: gender code M overlaps the years of line 2",
        ]
        .iter()
        .map(|p| format!("{file}: {p}"))
        .collect();
        assert_eq!(&problems[..4], &expected[..]);
        assert!(problems[4..]
            .iter()
            .all(|p| p.contains("no rows for the code domain")));
    }
}
