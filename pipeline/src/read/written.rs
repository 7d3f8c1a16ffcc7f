//! How a file's free-text columns were written, told from the whole file
//! (counted as the parse pass keeps each value: no pass of its own). Two
//! exports write a column so that every value passes a free-text column's
//! rules and reaches the uploads wrong:
//! - its nulls as the text `NULL` (SQL Server Management Studio's "Save
//!   Results As"): a suffix `NULL`. A person may be named Null, so a value
//!   alone proves nothing: the file is refused when the text stands where
//!   the column's blanks would be (a column neither required nor a first
//!   or last name, `NULL` in it and not one value blank), when a first or
//!   last name is `NULL` in capitals in a column whose names are written in
//!   capitals and small letters (a person named Null is written `Null`
//!   there: only a file of names in capitals reads `NULL` as a name), or
//!   when the file's coded, date or number columns hold it too (no code is
//!   `NULL`).
//! - its IDs as decimal numbers (pandas reads a column of digits with
//!   blanks as floats and writes `10001.0`): every value of the column
//!   digits then `.0`.

use super::ReadError;
use cutover_stages::schema::{EntitySpec, Kind};

/// Counts of one column's values.
#[derive(Clone, Copy, Default)]
pub(super) struct Written {
    /// Blank values.
    blanks: u64,
    /// Values holding anything.
    filled: u64,
    /// Values `NULL` in any case.
    nulls: u64,
    /// Values `NULL` in capitals, as an export writes its nulls.
    capital_nulls: u64,
    /// Values whose second letter is a small one, as names written in
    /// capitals and small letters are (`Smith`, `Null`).
    cased: u64,
    /// Values of digits then `.0`.
    floats: u64,
}

impl Written {
    /// Counts a blank value.
    pub(super) fn blank(&mut self) {
        self.blanks += 1;
    }

    /// Counts a value holding anything (trimmed): its length and last
    /// bytes looked at first.
    pub(super) fn value(&mut self, v: &str) {
        self.filled += 1;
        let b = v.as_bytes();
        if b.len() > 1 && b[1].is_ascii_lowercase() {
            self.cased += 1;
        }
        if b.len() == 4 && b.eq_ignore_ascii_case(b"null") {
            self.nulls += 1;
            self.capital_nulls += u64::from(b == b"NULL");
        } else if b.len() > 2
            && b.ends_with(b".0")
            && b[..b.len() - 2].iter().all(u8::is_ascii_digit)
        {
            self.floats += 1;
        }
    }

    /// Adds another piece's counts of the same column.
    pub(super) fn add(&mut self, other: &Written) {
        self.blanks += other.blanks;
        self.filled += other.filled;
        self.nulls += other.nulls;
        self.capital_nulls += other.capital_nulls;
        self.cased += other.cased;
        self.floats += other.floats;
    }
}

/// Refuses the file whose columns (`written`, one a column of `spec` in
/// order; `names`, the header's name of each, `None` when absent) were
/// written with nulls as text or IDs as decimal numbers.
pub(super) fn check(
    file: &str,
    spec: &EntitySpec,
    names: &[Option<&str>],
    written: &[Written],
) -> Result<(), ReadError> {
    let columns = || {
        spec.columns
            .iter()
            .zip(names)
            .zip(written)
            .filter_map(|((c, n), w)| n.map(|n| (c, n, w)))
    };
    let coded = columns()
        .filter(|(c, _, w)| c.kind != Kind::Text && w.nulls > 0)
        .map(|(_, n, _)| n)
        .collect::<Vec<_>>();
    for (c, name, w) in columns().filter(|(c, _, _)| c.kind == Kind::Text) {
        // A column a value is expected in holds a Null as a name, unless
        // its names are written in capitals and small letters and this one
        // is `NULL`, as an export writes its nulls.
        let a_name = c.required || c.flag_blank;
        let in_place_of_blanks = !a_name && w.blanks == 0;
        let not_as_names_are = a_name && w.capital_nulls > 0 && w.cased > 0;
        if w.nulls > 0 && (in_place_of_blanks || not_as_names_are || !coded.is_empty()) {
            // Only the capitals are an export's nulls when names are cased.
            let rows = match coded.is_empty() && not_as_names_are {
                true => w.capital_nulls,
                false => w.nulls,
            };
            let why = match (coded.is_empty(), not_as_names_are) {
                (false, _) => format!(", as do {}, which no code or date is", coded.join(", ")),
                (true, true) => format!(
                    " while its other values are written in capitals and small letters \
                     (as {} rows are: a person named Null is written Null there)",
                    w.cased
                ),
                (true, false) => " and is blank in none".to_string(),
            };
            return Err(ReadError::NullsAsText {
                file: file.to_string(),
                column: name.to_string(),
                rows,
                why,
            });
        }
        if w.filled > 0 && w.floats == w.filled {
            return Err(ReadError::DecimalIds {
                file: file.to_string(),
                column: name.to_string(),
                rows: w.filled,
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use cutover_stages::schema::STUDENT_ENROLLMENT;

    fn counted(values: &[&str]) -> Written {
        let mut w = Written::default();
        for v in values {
            match v.is_empty() {
                true => w.blank(),
                false => w.value(v),
            }
        }
        w
    }

    #[test]
    fn values_are_told_apart_by_their_shape() {
        let w = counted(&[
            "NULL", "null", "Nully", "10001.0", "1.0", ".0", "1.00", "A1.0", "",
        ]);
        assert_eq!((w.blanks, w.filled, w.nulls, w.floats), (1, 8, 2, 2));
        assert_eq!((w.capital_nulls, w.cased), (1, 2));
    }

    fn personal(column: &str, values: &[&str], coded: &[&str]) -> Result<(), ReadError> {
        let spec = &cutover_stages::schema::STUDENT_PERSONAL;
        let names: Vec<Option<&str>> = spec.columns.iter().map(|c| Some(c.name)).collect();
        let written: Vec<Written> = spec
            .columns
            .iter()
            .map(|c| match c.name {
                n if n == column => counted(values),
                "Gender" => counted(coded),
                _ => counted(&["x", ""]),
            })
            .collect();
        check("p.csv", spec, &names, &written)
    }

    #[test]
    fn a_person_named_null_is_read_and_nulls_written_as_text_are_refused() {
        assert!(personal("LastName", &["Null", "Smith"], &["F"]).is_ok());
        assert!(personal("MiddleName", &["Null", "", "Lee"], &["F"]).is_ok());
        let e = personal("MiddleName", &["NULL", "Lee"], &["F"]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "p.csv: column MiddleName holds the text NULL in 1 row(s) and is blank in none: the \
             export writes its blanks as the text NULL (SQL Server Management Studio's Save \
             Results As does), which would reach the uploads as a value: export blanks as \
             empty fields"
        );
        let e = personal("LastName", &["Null", "Smith"], &["NULL", "F"]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "p.csv: column LastName holds the text NULL in 1 row(s), as do Gender, which no \
             code or date is: the export writes its blanks as the text NULL (SQL Server \
             Management Studio's Save Results As does), which would reach the uploads as a \
             value: export blanks as empty fields"
        );
    }

    #[test]
    fn a_name_null_in_capitals_among_names_in_small_letters_is_an_export_null() {
        // Read as the name Null before: a blank there is a `required`
        // reject, the text went to the uploads.
        let e = personal("LastName", &["NULL", "Smith", "Null"], &["F"]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "p.csv: column LastName holds the text NULL in 1 row(s) while its other values are \
             written in capitals and small letters (as 2 rows are: a person named Null is \
             written Null there): the export writes its blanks as the text NULL (SQL Server \
             Management Studio's Save Results As does), which would reach the uploads as a \
             value: export blanks as empty fields"
        );
        assert!(personal("FirstName", &["NULL", "Ann"], &["F"]).is_err());
        // A file of names in capitals, or a Null written as names are.
        assert!(personal("LastName", &["NULL", "SMITH"], &["F"]).is_ok());
        assert!(personal("LastName", &["Null", "Smith"], &["F"]).is_ok());
    }

    #[test]
    fn a_local_id_column_of_decimal_numbers_is_refused_and_one_mixed_is_not() {
        let spec = &STUDENT_ENROLLMENT;
        let at = spec
            .columns
            .iter()
            .position(|c| c.name == "SchoolStudentID")
            .unwrap();
        let mut names = vec![None; spec.columns.len()];
        names[at] = Some("LocalID");
        let mut written = vec![Written::default(); spec.columns.len()];
        written[at] = counted(&["10001.0", "", "10002.0"]);
        let e = check("e.csv", spec, &names, &written).unwrap_err();
        assert_eq!(
            e.to_string(),
            "e.csv: column LocalID: every value (2 rows) is digits then .0, as 10001.0: the \
             IDs were written as decimal numbers (pandas reads a column of digits with blanks \
             as floats): export them as text, as the source holds them"
        );
        written[at] = counted(&["10001.0", "A1"]);
        assert!(check("e.csv", spec, &names, &written).is_ok());
    }
}
