//! The legacy code sets, year by year, as loaded from the crosswalk folder's
//! `legacy_codes.csv`. Ingest checks every coded column against them: a code
//! never in the domain is `unknown_code`, a code outside its valid school
//! years is `retired_code`.

use std::collections::BTreeMap;

/// One code of one domain, valid from `first_year` to `last_year`
/// (school years named by the year they end, inclusive; `i32::MIN` and
/// `i32::MAX` when the table leaves the bound blank). A code retired and
/// brought back has two rows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CodeRow {
    pub domain: String,
    pub code: String,
    pub label: String,
    pub first_year: i32,
    pub last_year: i32,
}

/// Every legacy code domain.
#[derive(Clone, Debug, Default)]
pub struct CodeSet {
    domains: BTreeMap<String, Vec<CodeRow>>,
}

impl CodeSet {
    pub fn new(rows: Vec<CodeRow>) -> Self {
        let mut domains: BTreeMap<String, Vec<CodeRow>> = BTreeMap::new();
        for row in rows {
            domains.entry(row.domain.clone()).or_default().push(row);
        }
        CodeSet { domains }
    }

    /// The rows of one domain, in file order (empty for an unknown domain).
    pub fn domain(&self, name: &str) -> &[CodeRow] {
        self.domains.get(name).map(Vec::as_slice).unwrap_or(&[])
    }

    pub fn has_domain(&self, name: &str) -> bool {
        self.domains.contains_key(name)
    }

    /// Distinct codes of a domain, sorted.
    pub fn codes(&self, name: &str) -> Vec<String> {
        let mut codes: Vec<String> = self.domain(name).iter().map(|r| r.code.clone()).collect();
        codes.sort();
        codes.dedup();
        codes
    }

    /// Whether `code` is valid in school year `year`.
    pub fn valid_in(&self, domain: &str, code: &str, year: i32) -> bool {
        self.domain(domain)
            .iter()
            .any(|r| r.code == code && r.first_year <= year && year <= r.last_year)
    }

    /// The school years a code is valid in, as text: `2005-2010, 2013-2017`.
    pub fn valid_years(&self, domain: &str, code: &str) -> String {
        let ranges: Vec<String> = self
            .domain(domain)
            .iter()
            .filter(|r| r.code == code)
            .map(|r| match (r.first_year, r.last_year) {
                (i32::MIN, i32::MAX) => "in every year".to_string(),
                (i32::MIN, last) => format!("through {last}"),
                (first, i32::MAX) => format!("from {first}"),
                (first, last) => format!("{first}-{last}"),
            })
            .collect();
        ranges.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(code: &str, first: i32, last: i32) -> CodeRow {
        CodeRow {
            domain: "sped_exit_reason".into(),
            code: code.into(),
            label: String::new(),
            first_year: first,
            last_year: last,
        }
    }

    #[test]
    fn a_code_brought_back_is_valid_in_both_ranges_only() {
        let set = CodeSet::new(vec![
            row("07", 2000, 2009),
            row("07", 2012, i32::MAX),
            row("01", i32::MIN, i32::MAX),
        ]);
        assert!(set.valid_in("sped_exit_reason", "07", 2009));
        assert!(!set.valid_in("sped_exit_reason", "07", 2010));
        assert!(set.valid_in("sped_exit_reason", "07", 2012));
        assert_eq!(
            set.valid_years("sped_exit_reason", "07"),
            "2000-2009, from 2012"
        );
        assert_eq!(set.valid_years("sped_exit_reason", "01"), "in every year");
        assert_eq!(set.codes("sped_exit_reason"), vec!["01", "07"]);
        assert!(!set.valid_in("grade_level", "07", 2012));
    }
}
