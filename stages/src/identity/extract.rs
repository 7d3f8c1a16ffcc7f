//! Reading the identity stage's columns once, without a string per cell:
//! text columns as polars' own strings (borrowed), dates as days, folded
//! names computed once per distinct value.

use crate::text::short_key;
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

/// Folds each distinct value once, numbering the values: a row holds the
/// number of its value's folding, not a string.
#[derive(Default)]
pub struct Folder {
    seen: PlHashMap<String, u32>,
    /// The folded values by number.
    folded: Vec<String>,
}

impl Folder {
    /// The number of the folded value ("" for none).
    pub fn number(&mut self, v: Option<&str>) -> u32 {
        let v = v.unwrap_or("");
        if let Some(&n) = self.seen.get(v) {
            return n;
        }
        let n = self.folded.len() as u32;
        self.folded.push(super::fold(v));
        self.seen.insert(v.to_string(), n);
        n
    }

    /// The folded value ("" for none).
    pub fn fold(&mut self, v: Option<&str>) -> String {
        let n = self.number(v);
        self.folded[n as usize].clone()
    }
}

/// Texts to values, short texts held as numbers ([`short_key`]): a lookup
/// per enrollment row costs a number's hash, not a string's hash and
/// compare.
pub struct TextMap<'a, V> {
    short: PlHashMap<u128, V>,
    long: PlHashMap<&'a str, V>,
}

impl<V> Default for TextMap<'_, V> {
    fn default() -> Self {
        TextMap {
            short: PlHashMap::default(),
            long: PlHashMap::default(),
        }
    }
}

impl<'a, V: Copy> TextMap<'a, V> {
    pub fn get(&self, k: &str) -> Option<V> {
        match short_key(k) {
            Some(n) => self.short.get(&n).copied(),
            None => self.long.get(k).copied(),
        }
    }

    /// The value of `k`, `v` inserted first when it has none.
    pub fn get_or_insert(&mut self, k: &'a str, v: V) -> V {
        match short_key(k) {
            Some(n) => *self.short.entry(n).or_insert(v),
            None => *self.long.entry(k).or_insert(v),
        }
    }
}

impl<'a, V: Copy> FromIterator<(&'a str, V)> for TextMap<'a, V> {
    /// Keys are distinct (a repeated key keeps its first value).
    fn from_iter<I: IntoIterator<Item = (&'a str, V)>>(iter: I) -> Self {
        let mut m = TextMap::default();
        for (k, v) in iter {
            m.get_or_insert(k, v);
        }
        m
    }
}

/// Gives each distinct text a number, in order of first sight: two
/// values have the same number exactly when their text is the same.
#[derive(Default)]
pub struct Interner<'a> {
    codes: TextMap<'a, u32>,
    /// The texts by number.
    texts: Vec<&'a str>,
}

impl<'a> Interner<'a> {
    pub fn code(&mut self, v: &'a str) -> u32 {
        let next = self.texts.len() as u32;
        let code = self.codes.get_or_insert(v, next);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_interner_numbers_short_and_long_texts_in_order_of_first_sight() {
        let long = "a school student number of many characters";
        let mut i = Interner::default();
        let codes: Vec<u32> = ["b", long, "a", "b", long, "", "a"]
            .iter()
            .map(|t| i.code(t))
            .collect();
        assert_eq!(codes, [0, 1, 2, 0, 1, 3, 2]);
        assert_eq!(i.texts(), ["b", long, "a", ""]);
    }

    #[test]
    fn a_text_map_finds_short_and_long_keys() {
        let long = "SAU-0000000000000042";
        let m: TextMap<usize> = [("S1", 0), (long, 1)].into_iter().collect();
        assert_eq!(m.get("S1"), Some(0));
        assert_eq!(m.get(long), Some(1));
        assert_eq!(m.get("S2"), None);
        assert_eq!(m.get("SAU-0000000000000043"), None);
    }
}
