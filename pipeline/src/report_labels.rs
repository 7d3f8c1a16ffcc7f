//! The labels of the codes the report lists: a legacy code's label from
//! `legacy_codes.csv` (by the entity's column and its domain; a code whose
//! label changed over the years shows each label, oldest first) and a new
//! code's label from its mapping table.

use cutover_stages::codes::CodeSet;
use cutover_stages::crosswalk::Tables;
use cutover_stages::schema::{Kind, ENTITIES};
use std::collections::BTreeMap;

#[derive(Debug, Default)]
pub struct Labels {
    /// (entity, column, legacy code) -> label.
    legacy: BTreeMap<(String, String, String), String>,
    /// (mapping domain, new code) -> label.
    new: BTreeMap<(String, String), String>,
}

impl Labels {
    pub fn new(codes: &CodeSet, mapping: &Tables) -> Labels {
        let mut legacy: BTreeMap<(String, String, String), String> = BTreeMap::new();
        for entity in ENTITIES {
            for c in entity.columns {
                let Kind::Code(domain) = c.kind else { continue };
                for row in codes.domain(domain) {
                    let key = (entity.name.into(), c.name.into(), row.code.clone());
                    let label = legacy.entry(key).or_default();
                    if label.split(" / ").all(|l| l != row.label) {
                        if !label.is_empty() {
                            label.push_str(" / ");
                        }
                        label.push_str(&row.label);
                    }
                }
            }
        }
        let mut new = BTreeMap::new();
        for (domain, map) in &mapping.codes {
            for row in &map.rows {
                new.entry((domain.clone(), row.new_code.clone()))
                    .or_insert_with(|| row.new_label.clone());
            }
        }
        Labels { legacy, new }
    }

    /// The label of a legacy code of `entity`'s `column` ("" when none).
    pub fn legacy(&self, entity: &str, column: &str, code: &str) -> String {
        self.legacy
            .get(&(entity.into(), column.into(), code.into()))
            .cloned()
            .unwrap_or_default()
    }

    /// The label of a new code of a mapping table ("" when none).
    pub fn new_code(&self, domain: &str, code: &str) -> String {
        self.new
            .get(&(domain.into(), code.into()))
            .cloned()
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cutover_stages::codes::CodeRow;
    use cutover_stages::crosswalk::{CodeMap, MapRow};

    #[test]
    fn a_code_relabelled_over_the_years_shows_each_label() {
        let row = |code: &str, label: &str, first, last| CodeRow {
            domain: "exceptionality".into(),
            code: code.into(),
            label: label.into(),
            first_year: first,
            last_year: last,
        };
        let codes = CodeSet::new(vec![
            row("01", "Mental Retardation", i32::MIN, 2010),
            row("01", "Intellectual Disability", 2011, i32::MAX),
            row("02", "Hearing Impairment", i32::MIN, i32::MAX),
        ]);
        let mut mapping = Tables::default();
        mapping.codes.insert(
            "exceptionality".into(),
            CodeMap {
                domain: "exceptionality".into(),
                flag_columns: vec![],
                rows: vec![MapRow {
                    legacy_code: "01".into(),
                    new_code: "ID".into(),
                    new_label: "Intellectual Disability".into(),
                    first_year: i32::MIN,
                    last_year: i32::MAX,
                    loss_class: "lossless".into(),
                    flags: vec![],
                }],
            },
        );
        let l = Labels::new(&codes, &mapping);
        assert_eq!(
            l.legacy("student_enrollment", "Exceptionality", "01"),
            "Mental Retardation / Intellectual Disability"
        );
        assert_eq!(
            l.legacy("student_enrollment", "Exceptionality", "02"),
            "Hearing Impairment"
        );
        assert_eq!(l.legacy("student_enrollment", "Exceptionality", "99"), "");
        assert_eq!(
            l.new_code("exceptionality", "ID"),
            "Intellectual Disability"
        );
    }
}
