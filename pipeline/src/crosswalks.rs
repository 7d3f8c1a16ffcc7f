//! Loading the crosswalk folder: for now the legacy code sets
//! (`legacy_codes.csv`), checked as they are read. Every problem names the
//! file, row and column.

use cutover_stages::codes::{CodeRow, CodeSet};
use cutover_stages::schema::{Kind, ENTITIES};
use sha2::{Digest, Sha256};
use std::collections::BTreeSet;
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
    let sha256 = crate::config::hex(&Sha256::digest(&bytes));
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
        let line = record.position().map(|p| p.line()).unwrap_or(0);
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
