//! Reading the identity stage's columns once, without a string per cell:
//! text columns as polars' own strings (borrowed), dates as days, folded
//! names computed once per distinct value.

use chrono::NaiveDate;
use polars::prelude::*;

/// A column as text (cast once; cells borrowed).
pub fn text(df: &DataFrame, c: &str) -> PolarsResult<StringChunked> {
    Ok(df
        .column(c)?
        .as_materialized_series()
        .cast(&DataType::String)?
        .str()?
        .clone())
}

/// A column as text, or all blank when the frame lacks it.
pub fn text_or_blank(df: &DataFrame, c: &str) -> PolarsResult<StringChunked> {
    if df.column(c).is_ok() {
        text(df, c)
    } else {
        Ok(StringChunked::full_null(c.into(), df.height()))
    }
}

/// A date column: a `Date` column read as its days, any other as text in
/// `YYYY-MM-DD` (an unreadable value is none). A `Date` outside the years
/// 0-9999 is read through its text, as before, so such a value reads the
/// same either way.
pub fn dates(df: &DataFrame, c: &str) -> PolarsResult<Vec<Option<NaiveDate>>> {
    let column = df.column(c)?.as_materialized_series();
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).expect("a date");
    if column.dtype() == &DataType::Date {
        let days = column.to_physical_repr();
        let days = days.i32()?;
        let out: Vec<Option<NaiveDate>> = days
            .iter()
            .map(|d| d.and_then(|d| epoch.checked_add_signed(chrono::Duration::days(d.into()))))
            .collect();
        let in_range = out
            .iter()
            .flatten()
            .all(|d| (0..=9999).contains(&chrono::Datelike::year(d)));
        if in_range && out.iter().filter(|d| d.is_some()).count() == days.len() - days.null_count()
        {
            return Ok(out);
        }
    }
    let s = column.cast(&DataType::String)?;
    Ok(s.str()?
        .iter()
        .map(|v| v.and_then(|v| NaiveDate::parse_from_str(v, "%Y-%m-%d").ok()))
        .collect())
}

/// Integers of a column (cast once).
pub fn ints(df: &DataFrame, c: &str) -> PolarsResult<Int64Chunked> {
    Ok(df
        .column(c)?
        .as_materialized_series()
        .cast(&DataType::Int64)?
        .i64()?
        .clone())
}

/// Folds each distinct value once.
#[derive(Default)]
pub struct Folder {
    seen: PlHashMap<String, String>,
}

impl Folder {
    /// The folded value ("" for none).
    pub fn fold(&mut self, v: Option<&str>) -> String {
        let v = v.unwrap_or("");
        if let Some(f) = self.seen.get(v) {
            return f.clone();
        }
        let f = super::fold(v);
        self.seen.insert(v.to_string(), f.clone());
        f
    }
}

/// Gives each distinct text a number, in order of first sight: two
/// values have the same number exactly when their text is the same.
#[derive(Default)]
pub struct Interner<'a> {
    codes: PlHashMap<&'a str, u32>,
    /// The texts by number.
    texts: Vec<&'a str>,
}

impl<'a> Interner<'a> {
    pub fn code(&mut self, v: &'a str) -> u32 {
        let next = self.codes.len() as u32;
        let code = *self.codes.entry(v).or_insert(next);
        if code == next {
            self.texts.push(v);
        }
        code
    }

    /// The texts in the order of their numbers.
    pub fn texts(self) -> Vec<&'a str> {
        self.texts
    }
}
