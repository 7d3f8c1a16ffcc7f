//! Everything a run reads besides the bundle, loaded and checked once: the
//! legacy code sets, the crosswalk tables, the nickname table and the upload
//! layouts. `run`, `validate`, `crosswalk check` and `layouts check` share
//! it, so `validate` refuses what `run` would refuse, with every problem at
//! once.

use crate::crosswalks::{self, LEGACY_CODES};
use crate::layouts;
use cutover_stages::codes::CodeSet;
use cutover_stages::crosswalk::{bindings_of, Binding, Tables as MappingTables};
use cutover_stages::preflight::Layout;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The nickname table's file name in the crosswalk folder.
pub const NICKNAMES: &str = "nicknames.csv";

pub struct Tables {
    /// The year-aware legacy code sets ingest checks.
    pub codes: CodeSet,
    pub mapping: MappingTables,
    pub nicknames: Vec<(String, String)>,
    pub layouts: Vec<Layout>,
    /// Crosswalk file -> SHA-256 (the mapping tables, `legacy_codes.csv`
    /// and `nicknames.csv`).
    pub table_sums: BTreeMap<String, String>,
    /// Layout file -> SHA-256.
    pub layout_sums: BTreeMap<String, String>,
}

impl Tables {
    /// Loads and checks the crosswalk folder and the layouts; every problem
    /// at once, each naming its file, line and column.
    pub fn load(crosswalk_dir: &Path, layout_dir: &Path) -> Result<Tables, Vec<String>> {
        let mut problems = Vec::new();
        let codes = crosswalks::load_legacy_codes(crosswalk_dir)
            .map_err(|p| problems.extend(p))
            .ok();
        let mapping = crosswalks::load_tables(crosswalk_dir)
            .map_err(|p| problems.extend(p))
            .ok();
        let nicknames = crosswalks::load_nicknames(crosswalk_dir)
            .map_err(|p| problems.extend(p))
            .ok();
        let layouts = layouts::load(layout_dir, &domain_names())
            .map_err(|p| problems.extend(p))
            .ok();
        if let Some((m, _)) = &mapping {
            problems.extend(unbound_domains(all_bindings(), &m.codes));
        }
        match (codes, mapping, nicknames, layouts) {
            (Some(codes), Some((mapping, mut sums)), Some(nicknames), Some((layouts, lsums)))
                if problems.is_empty() =>
            {
                sums.insert(LEGACY_CODES.to_string(), codes.sha256);
                Ok(Tables {
                    codes: codes.codes,
                    mapping,
                    nicknames,
                    layouts,
                    table_sums: sums,
                    layout_sums: lsums,
                })
            }
            _ => Err(problems),
        }
    }

    /// The checksums of the tables whose file names pass `keep`.
    pub fn sums_where(&self, keep: impl Fn(&str) -> bool) -> BTreeMap<String, String> {
        self.table_sums
            .iter()
            .filter(|(k, _)| keep(k))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }

    /// The mapping tables' checksums (not the legacy code sets, not the
    /// nicknames).
    pub fn mapping_sums(&self) -> BTreeMap<String, String> {
        self.sums_where(|k| k != LEGACY_CODES && k != NICKNAMES)
    }
}

/// Every coded column the crosswalk stage maps: (entity, binding).
fn all_bindings() -> Vec<(&'static str, &'static Binding)> {
    ["student_enrollment", "behavior", "truancy", "cte"]
        .into_iter()
        .flat_map(|e| {
            bindings_of(e)
                .unwrap_or_default()
                .iter()
                .map(move |b| (e, b))
        })
        .collect()
}

/// A binding naming a code table the crosswalk folder lacks would quarantine
/// every value of its column as unmapped: refused at start-up instead.
fn unbound_domains<V>(
    bindings: Vec<(&str, &Binding)>,
    tables: &BTreeMap<String, V>,
) -> Vec<String> {
    bindings
        .into_iter()
        .filter(|(_, b)| !tables.contains_key(b.domain))
        .map(|(entity, b)| {
            format!(
                "the crosswalk stage maps {entity}.{} through the code table {}, which the crosswalk folder does not have",
                b.column, b.domain
            )
        })
        .collect()
}

/// Every code domain a layout may name.
pub fn domain_names() -> BTreeSet<String> {
    crosswalks::DOMAINS
        .iter()
        .map(|d| d.name.to_string())
        .collect()
}

/// `cutover crosswalk check`: the legacy code sets, the mapping tables and
/// the nicknames, every problem at once; the number of tables checked.
pub fn check_crosswalks(dir: &Path) -> Result<usize, Vec<String>> {
    let mut problems = Vec::new();
    if let Err(p) = crosswalks::load_legacy_codes(dir) {
        problems.extend(p);
    }
    let tables = crosswalks::load_tables(dir)
        .map_err(|p| problems.extend(p))
        .ok();
    if let Err(p) = crosswalks::load_nicknames(dir) {
        problems.extend(p);
    }
    match tables {
        Some((_, sums)) if problems.is_empty() => Ok(sums.len()),
        _ => Err(problems),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_binding_to_a_table_the_folder_lacks_is_refused() {
        let tables: BTreeMap<String, ()> = [("grade_levels".to_string(), ())].into();
        let typo = Binding {
            column: "GradeLevelCode",
            domain: "grade_level",
            output: "GradeLevel",
            label_output: None,
        };
        assert_eq!(
            unbound_domains(vec![("student_enrollment", &typo)], &tables),
            ["the crosswalk stage maps student_enrollment.GradeLevelCode through the code table grade_level, which the crosswalk folder does not have"]
        );
        let shipped: BTreeMap<String, ()> = domain_names().into_iter().map(|d| (d, ())).collect();
        assert!(unbound_domains(all_bindings(), &shipped).is_empty());
    }
}
