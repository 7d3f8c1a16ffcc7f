//! What a report, a fix list or a log may show of a value read from an
//! extract column. A code column may hold anything: a surname or a birth
//! date when a stray comma shifted the row, a note typed into it, 30 MB of
//! text. The rows are quarantined with their values (data outputs); a
//! report shows a value only when it is a code of the column's table or a
//! well-formed value of the column's type, and counts the rest together.
//!
//! Per column, by its kind in the schema:
//! - a code (`Kind::Code(domain)`): a code of the legacy code set's domain
//!   in any school year and in any case (a retired code, a code of another
//!   year stay visible: the data team fixes them), or upper-case letters
//!   and digits no longer than the domain's longest code and 4 (a code with
//!   its leading zero lost, `3` for `03`; a code no table has or a typo,
//!   `06`, `5X`): at most two characters for every code set the state
//!   has, which cannot name a student or give a date; a mixed-case `Li`
//!   is masked;
//! - `CIPCode` (text of seven characters): a code of `cip_codes.csv`, or of
//!   the CIP's form `NN.NNNN` (a real CIP code the table lacks);
//! - a year: four digits (a year outside the run stays visible);
//! - a MEDMS id: one to four digits (an id no organization has stays
//!   visible);
//! - a StateStudentID: one to nine digits (one with its leading zeros lost
//!   stays visible); a whole number (`Kind::Integer`): one to 18 digits;
//! - anything else (names, dates, free text): never.

use cutover_stages::codes::CodeSet;
use cutover_stages::columns::CIP_CODE;
use cutover_stages::crosswalk::{ColumnCoverage, Seen, Tables as MappingTables};
use cutover_stages::schema::{Kind, ENTITIES};
use std::collections::{BTreeMap, BTreeSet};

/// What is shown, as a version: a report part kept from a run whose
/// version showed values otherwise is made again.
pub const VERSION: &[u8] = b"report values shown: codes and well-formed values (1)";

/// The form a column's values must have to be shown.
#[derive(Clone, Debug, PartialEq)]
pub enum Shape {
    /// A code of the set (upper case), or upper-case letters and digits
    /// of at most `short` characters.
    Code {
        codes: BTreeSet<String>,
        short: usize,
    },
    /// A code of the CIP table, or of the form `NN.NNNN`.
    Cip { codes: BTreeSet<String> },
    /// Four digits.
    Year,
    /// One to four digits.
    MedmsId,
    /// One to nine digits.
    StateId,
    /// One to 18 digits.
    Integer,
    /// Never shown.
    FreeText,
}

fn digits(v: &str, min: usize, max: usize) -> bool {
    (min..=max).contains(&v.len()) && v.bytes().all(|b| b.is_ascii_digit())
}

/// `NN.NNNN`.
fn cip_form(v: &str) -> bool {
    let b = v.as_bytes();
    b.len() == 7
        && b[2] == b'.'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 2 || c.is_ascii_digit())
}

impl Shape {
    /// What a value of this shape is, as the masked group names it.
    pub fn noun(&self) -> &'static str {
        match self {
            Shape::Code { .. } => "code",
            Shape::Cip { .. } => "CIP code",
            Shape::Year => "year",
            Shape::MedmsId => "MEDMS id",
            Shape::StateId => "StateStudentID",
            Shape::Integer => "whole number",
            Shape::FreeText => "code or ID",
        }
    }

    /// Whether `v` may be shown.
    pub fn shows(&self, v: &str) -> bool {
        match self {
            Shape::Code { codes, short } => {
                let code_like = |b: u8| b.is_ascii_uppercase() || b.is_ascii_digit();
                codes.contains(&v.to_uppercase())
                    || ((1..=*short).contains(&v.len()) && v.bytes().all(code_like))
            }
            Shape::Cip { codes } => codes.contains(v) || cip_form(v),
            Shape::Year => digits(v, 4, 4),
            Shape::MedmsId => digits(v, 1, 4),
            Shape::StateId => digits(v, 1, 9),
            Shape::Integer => digits(v, 1, 18),
            Shape::FreeText => false,
        }
    }

    /// What stands for a value not shown: `(not a code)`.
    pub fn mask(&self) -> String {
        format!("(not a {})", self.noun())
    }

    /// The group counting the values not shown: `(not a code: 2 values)`.
    pub fn masked_group(&self, values: u64) -> String {
        let s = if values == 1 { "value" } else { "values" };
        format!("(not a {}: {values} {s})", self.noun())
    }

    /// Whether `group` is a group [`Shape::masked_group`] names.
    pub fn is_masked_group(&self, group: &str) -> bool {
        let Some(rest) = group.strip_prefix(&format!("(not a {}: ", self.noun())) else {
            return false;
        };
        let n = rest
            .strip_suffix(" values)")
            .or_else(|| rest.strip_suffix(" value)"));
        n.is_some_and(|n| digits(n, 1, 20))
    }
}

/// The shapes of every extract column, from the code sets.
pub struct Shown {
    codes: CodeSet,
    cip: BTreeSet<String>,
}

impl Shown {
    pub fn new(codes: &CodeSet, mapping: &MappingTables) -> Shown {
        let cip = mapping
            .codes
            .get("cip_codes")
            .map(|m| m.rows.iter().map(|r| r.legacy_code.clone()).collect())
            .unwrap_or_default();
        Shown {
            codes: codes.clone(),
            cip,
        }
    }

    /// The shape of `entity`'s `column` (free text when the schema has
    /// no such column).
    pub fn shape(&self, entity: &str, column: &str) -> Shape {
        if column == CIP_CODE {
            return Shape::Cip {
                codes: self.cip.clone(),
            };
        }
        let kind = ENTITIES
            .iter()
            .filter(|e| e.name == entity)
            .flat_map(|e| e.columns.iter())
            .find(|c| c.name == column && !c.pii)
            .map(|c| c.kind);
        match kind {
            Some(Kind::Code(domain)) => {
                let codes: BTreeSet<String> = self
                    .codes
                    .codes(domain)
                    .into_iter()
                    .map(|c| c.to_uppercase())
                    .collect();
                let longest = codes.iter().map(String::len).max().unwrap_or(0);
                Shape::Code {
                    codes,
                    short: longest.min(4),
                }
            }
            Some(Kind::Year) => Shape::Year,
            Some(Kind::OrgId) => Shape::MedmsId,
            Some(Kind::StateId) => Shape::StateId,
            Some(Kind::Integer) => Shape::Integer,
            _ => Shape::FreeText,
        }
    }

    /// `value` of `entity`'s `column` as a report may show it: itself, or
    /// what stands for it ([`Shape::mask`]).
    pub fn show(&self, entity: &str, column: &str, value: &str) -> String {
        let shape = self.shape(entity, column);
        if value.is_empty() || shape.shows(value) {
            value.to_string()
        } else {
            shape.mask()
        }
    }

    /// `message` with every whole occurrence of `value` (between the
    /// message's ends, spaces or punctuation) replaced by what stands for
    /// it, when `entity`'s `column` may not show it.
    pub fn mask_in(&self, entity: &str, column: &str, value: &str, message: &str) -> String {
        let shape = self.shape(entity, column);
        if value.is_empty() || shape.shows(value) {
            return message.to_string();
        }
        let bound = |c: Option<char>| c.is_none_or(|c| !c.is_alphanumeric());
        let mask = shape.mask();
        let (mut out, mut copied, mut from) = (String::with_capacity(message.len()), 0, 0);
        while let Some(i) = message[from..].find(value) {
            let (at, end) = (from + i, from + i + value.len());
            if bound(message[..at].chars().next_back()) && bound(message[end..].chars().next()) {
                out.push_str(&message[copied..at]);
                out.push_str(&mask);
                (copied, from) = (end, end);
            } else {
                from = at + value.chars().next().map_or(1, char::len_utf8);
            }
        }
        out.push_str(&message[copied..]);
        out
    }
}

/// A coverage line's new code and loss class (none when unmapped).
type Target = (Option<String>, Option<String>);

impl Shown {
    /// A column's coverage (`crosswalk/coverage.json`) with the values
    /// it may not show counted together: one line per new code (most often
    /// none: unmapped) holding their rows, named by their number
    /// ([`Shape::masked_group`]), after the values shown. A line already so
    /// named (a coverage kept from the last run) is left as it is.
    pub fn mask_coverage(&self, c: &mut ColumnCoverage) {
        let shape = self.shape(&c.entity, &c.column);
        let mut kept = Vec::new();
        let mut masked: BTreeMap<Target, (u64, BTreeSet<String>)> = BTreeMap::new();
        for seen in std::mem::take(&mut c.values) {
            if shape.shows(&seen.value) || shape.is_masked_group(&seen.value) {
                kept.push(seen);
                continue;
            }
            let line = masked.entry((seen.target, seen.loss_class)).or_default();
            line.0 += seen.count;
            line.1.insert(seen.value);
        }
        for ((target, loss_class), (count, values)) in masked {
            kept.push(Seen {
                value: shape.masked_group(values.len() as u64),
                count,
                target,
                loss_class,
            });
        }
        c.values = kept;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cutover_stages::codes::CodeRow;
    use cutover_stages::crosswalk::{CodeMap, MapRow};

    fn shown() -> Shown {
        let row = |domain: &str, code: &str, first, last| CodeRow {
            domain: domain.into(),
            code: code.into(),
            label: String::new(),
            first_year: first,
            last_year: last,
        };
        let codes = CodeSet::new(vec![
            row("grade_level", "KG", i32::MIN, i32::MAX),
            row("grade_level", "03", i32::MIN, i32::MAX),
            row("exceptionality", "01", i32::MIN, 2010),
            row("truancy_level", "1A", i32::MIN, i32::MAX),
        ]);
        let mut mapping = MappingTables::default();
        mapping.codes.insert(
            "cip_codes".into(),
            CodeMap {
                domain: "cip_codes".into(),
                flag_columns: vec![],
                rows: vec![MapRow {
                    legacy_code: "48.0508".into(),
                    new_code: "48.0508".into(),
                    new_label: String::new(),
                    first_year: i32::MIN,
                    last_year: i32::MAX,
                    loss_class: "lossless".into(),
                    flags: vec![],
                }],
            },
        );
        Shown::new(&codes, &mapping)
    }

    #[test]
    fn a_value_is_shown_when_it_is_a_code_or_a_well_formed_value_of_its_column() {
        let s = shown();
        let e = "student_enrollment";
        let shows = |column: &str, v: &str| s.shape(e, column).shows(v);
        // Codes in any year and case; upper-case letters and digits as
        // short as a code.
        for v in ["KG", "kg", "03", "3", "99", "X", "LI"] {
            assert!(shows("GradeLevelCode", v), "{v}");
        }
        assert!(
            shows("Exceptionality", "01"),
            "retired in 2010, still shown"
        );
        for v in [
            "Pelkey",
            "Li",
            "2009-04-17",
            "123",
            "K G",
            "",
            "(blank)",
            "1é",
        ] {
            assert!(!shows("GradeLevelCode", v), "{v}");
        }
        assert!(s.shape("truancy", "TruancyLevel").shows("1a"));
        assert!(s.shape("truancy", "TruancyLevel").shows("5X"));
        assert!(!s.shape("truancy", "TruancyLevel").shows("5XY"));
        for (column, yes, no) in [
            (
                "YearCode",
                &["2016", "1999"][..],
                &["16", "2016-17", "4/17/09"][..],
            ),
            (
                "ResidentSAU_ID",
                &["9999", "12", "0012"],
                &["12345", "Brooks"],
            ),
            (
                "StateStudentID",
                &["100000001", "12345678"],
                &["1000000011", "Pelkey"],
            ),
            ("EnrollmentID", &["900001"], &["A1"]),
            ("SchoolStudentID", &[], &["A1"]),
        ] {
            for v in yes {
                assert!(shows(column, v), "{column} {v}");
            }
            for v in no {
                assert!(!shows(column, v), "{column} {v}");
            }
        }
        let cip = s.shape("cte", "CIPCode");
        assert!(cip.shows("48.0508") && cip.shows("99.9999"));
        assert!(!cip.shows("Pelkey") && !cip.shows("4/17/09") && !cip.shows("48.05"));
        assert!(!s.shape("student_personal", "LastName").shows("Smith"));
        assert!(!s.shape("student_personal", "BirthDate").shows("2009-04-17"));
    }

    #[test]
    fn what_stands_for_a_value_not_shown() {
        let s = shown();
        let grade = s.shape("student_enrollment", "GradeLevelCode");
        assert_eq!(grade.mask(), "(not a code)");
        assert_eq!(grade.masked_group(1), "(not a code: 1 value)");
        assert_eq!(grade.masked_group(3), "(not a code: 3 values)");
        assert!(grade.is_masked_group("(not a code: 3 values)"));
        assert!(grade.is_masked_group("(not a code: 1 value)"));
        assert!(!grade.is_masked_group("(not a code: Pelkey)"));
        assert!(!grade.is_masked_group("(not a year: 3 values)"));
        for (column, group) in [
            ("YearCode", "(not a year: 2 values)"),
            ("ResidentSAU_ID", "(not a MEDMS id: 2 values)"),
            ("StateStudentID", "(not a StateStudentID: 2 values)"),
            ("EnrollmentID", "(not a whole number: 2 values)"),
            ("SchoolStudentID", "(not a code or ID: 2 values)"),
        ] {
            let shape = s.shape("student_enrollment", column);
            assert_eq!(shape.masked_group(2), group);
        }
        assert_eq!(s.shape("cte", "CIPCode").mask(), "(not a CIP code)");
        assert_eq!(
            s.show("student_enrollment", "YearCode", "2009-04-17"),
            "(not a year)"
        );
        assert_eq!(s.show("student_enrollment", "YearCode", "2016"), "2016");
        assert_eq!(s.show("student_enrollment", "YearCode", ""), "");
        assert_eq!(
            s.mask_in(
                "cte",
                "CIPCode",
                "Pelkey",
                "CIPCode: no row of cip_codes.csv (domain cip_codes) maps code Pelkey in school year 2017"
            ),
            "CIPCode: no row of cip_codes.csv (domain cip_codes) maps code (not a CIP code) in school year 2017"
        );
        // Inside a word the value stays (it is not the value there); a
        // code is never masked.
        assert_eq!(
            s.mask_in("cte", "CIPCode", "Li", "Li: Lima, Li."),
            "(not a CIP code): Lima, (not a CIP code)."
        );
        assert_eq!(
            s.mask_in("cte", "CIPCode", "99.9999", "maps code 99.9999 in"),
            "maps code 99.9999 in"
        );
    }

    #[test]
    fn coverage_counts_the_values_it_may_not_show_in_one_line() {
        let seen = |value: &str, count, target: Option<&str>| Seen {
            value: value.into(),
            count,
            target: target.map(str::to_string),
            loss_class: target.map(|_| "lossless".to_string()),
        };
        let mut c = ColumnCoverage {
            entity: "cte".into(),
            column: "CIPCode".into(),
            domain: "cip_codes".into(),
            values: vec![
                seen("4/17/09", 1, None),
                seen("48.0508", 3, Some("48.0508")),
                seen("Pelkey", 2, None),
                seen("99.9999", 1, None),
            ],
            unmapped_rows: 4,
        };
        let s = shown();
        s.mask_coverage(&mut c);
        let want = vec![
            seen("48.0508", 3, Some("48.0508")),
            seen("99.9999", 1, None),
            seen("(not a CIP code: 2 values)", 3, None),
        ];
        assert_eq!(c.values, want);
        // Masking again changes nothing (a coverage kept from the last run).
        s.mask_coverage(&mut c);
        assert_eq!(c.values, want);
        assert_eq!(c.unmapped_rows, 4);
    }
}
