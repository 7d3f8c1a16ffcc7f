//! The codes and IDs a row's crosswalk mapped: legacy value, new value, and
//! the table line that mapped it.

use crate::runfiles;
use anyhow::Result;
use cutover_stages::columns::{RACE_ETHNICITY, RESIDENT_SAU_ID, SCHOOL_ID, SCHOOL_YEAR};
use cutover_stages::crosswalk::{
    bindings_of, FEDERAL_RACE_CATEGORY, ID_SCHEME, RESIDENT_SAU_ORG_ID, SAU_ORG_ID, SCHOOL_ORG_ID,
};
use polars::prelude::*;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// One code or ID mapped by the crosswalk stage.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Mapping {
    pub column: String,
    pub legacy: String,
    pub output: String,
    pub new: String,
    /// The crosswalk table (file stem).
    pub table: String,
    /// The table's line (header = 1) that mapped the value, when the tables
    /// folder holds it.
    pub line: Option<u64>,
}

impl Mapping {
    /// `School_ID 343 -> SchoolOrgID 2751 (organizations.csv line 345)`.
    pub fn text(&self) -> String {
        let place = match self.line {
            Some(l) => format!("{}.csv line {l}", self.table),
            None => format!("{}.csv", self.table),
        };
        format!(
            "{} {} -> {} {} ({place})",
            self.column, self.legacy, self.output, self.new
        )
    }
}

type Table = Option<runfiles::CsvTable>;

/// The crosswalk tables, read on first use.
pub struct TableLines {
    dir: PathBuf,
    tables: BTreeMap<String, Table>,
}

impl TableLines {
    pub fn new(dir: &Path) -> Self {
        TableLines {
            dir: dir.to_path_buf(),
            tables: BTreeMap::new(),
        }
    }

    /// The line of `table` whose key columns hold `keys` and whose
    /// school-year range (blank: open) holds `year`.
    fn line(&mut self, table: &str, keys: &[(&str, &str)], year: Option<i32>) -> Option<u64> {
        let path = self.dir.join(format!("{table}.csv"));
        let entry = self
            .tables
            .entry(table.to_string())
            .or_insert_with(|| runfiles::read_csv(&path).ok().flatten());
        let (header, rows) = entry.as_ref()?;
        let within = |r: &[String], column: &str, ok: fn(i32, i32) -> bool| {
            let v = runfiles::field(header, r, column);
            v.is_empty() || year.is_none_or(|y| v.parse::<i32>().is_ok_and(|b| ok(y, b)))
        };
        rows.iter()
            .position(|r| {
                keys.iter()
                    .all(|(c, v)| runfiles::field(header, r, c) == *v)
                    && within(r, "first_year", |y, b| y >= b)
                    && within(r, "last_year", |y, b| y <= b)
            })
            .map(|i| i as u64 + 2)
    }
}

fn value(row: &[(String, Option<String>)], column: &str) -> Option<String> {
    row.iter()
        .find(|(c, _)| c == column)
        .and_then(|(_, v)| v.clone())
        .filter(|v| !v.is_empty())
}

/// Every mapping of the crosswalked row in `df` (empty when the row did
/// not reach the crosswalk).
pub fn mappings(entity: &str, df: &DataFrame, tables: &mut TableLines) -> Result<Vec<Mapping>> {
    let Some(row) = runfiles::text_rows(df)?.into_iter().next() else {
        return Ok(Vec::new());
    };
    let year: Option<i32> = value(&row, SCHOOL_YEAR).and_then(|y| y.parse().ok());
    let mut out = Vec::new();
    let scheme = value(&row, ID_SCHEME).unwrap_or_else(|| "medms".to_string());
    let orgs = [
        (SCHOOL_ID, SCHOOL_ORG_ID, "school"),
        (SCHOOL_ID, SAU_ORG_ID, "school"),
        (RESIDENT_SAU_ID, RESIDENT_SAU_ORG_ID, "sau"),
    ];
    for (column, output, kind) in orgs {
        if let (Some(legacy), Some(new)) = (value(&row, column), value(&row, output)) {
            let keys = [
                ("scheme", scheme.as_str()),
                ("legacy_id", legacy.as_str()),
                ("kind", kind),
            ];
            out.push(Mapping {
                line: tables.line("organizations", &keys, year),
                column: column.to_string(),
                legacy,
                output: output.to_string(),
                new,
                table: "organizations".to_string(),
            });
        }
    }
    for b in bindings_of(entity).unwrap_or(&[]) {
        if let (Some(legacy), Some(new)) = (value(&row, b.column), value(&row, b.output)) {
            out.push(Mapping {
                line: tables.line(b.domain, &[("legacy_code", legacy.as_str())], year),
                column: b.column.to_string(),
                legacy,
                output: b.output.to_string(),
                new,
                table: b.domain.to_string(),
            });
        }
    }
    if let (Some(legacy), Some(new)) = (
        value(&row, RACE_ETHNICITY),
        value(&row, FEDERAL_RACE_CATEGORY),
    ) {
        out.push(Mapping {
            line: tables.line("race", &[("legacy_code", legacy.as_str())], year),
            column: RACE_ETHNICITY.to_string(),
            legacy,
            output: FEDERAL_RACE_CATEGORY.to_string(),
            new,
            table: "race".to_string(),
        });
    }
    Ok(out)
}
