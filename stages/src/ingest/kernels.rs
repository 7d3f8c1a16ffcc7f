//! Ingest's per-value tests as one pass over a column's values, where the
//! general expression would be slow: a regular expression run on every
//! value, a chain of comparisons per code. Each gives exactly what the
//! expression it replaces gives (null where the value is null).

use crate::codes::CodeSet;
use polars::prelude::*;
use std::collections::BTreeMap;

/// `f` of each text value (null where null), as a boolean column. When
/// `f` gives every value the same answer (the usual case: no value bad),
/// the column is made whole rather than value by value; `maybe` false (see
/// [`maybe_any_byte`]) says that no value is true without `f` looking at
/// them one by one.
fn test_values(
    e: Expr,
    maybe: impl Fn(&StringChunked) -> bool + Send + Sync + 'static,
    f: impl Fn(&str) -> bool + Send + Sync + 'static,
) -> Expr {
    e.map(
        move |c: Column| {
            let ca = c.str()?;
            let out = match maybe(ca) {
                false => uniform(ca, false)?,
                true => match every_slot(ca, &f) {
                    Some(first) => uniform(ca, first)?,
                    None => answers(ca, &f),
                },
            };
            Ok(out.with_name(c.name().clone()).into_column())
        },
        |_, field| Ok(Field::new(field.name().clone(), DataType::Boolean)),
    )
}

/// `Some(answer)` when `f` gives one answer for the text of every slot of
/// `ca`, its nulls' too (whatever they hold): then every value has it.
/// `None` when the answers differ, or `ca` has no slot.
fn every_slot(ca: &StringChunked, f: &impl Fn(&str) -> bool) -> Option<bool> {
    let mut slots = ca.downcast_iter().flat_map(|arr| arr.values_iter());
    let first = f(slots.next()?);
    slots.all(|v| f(v) == first).then_some(first)
}

/// `f` of each text value, null where `ca` is null: `f` run over every
/// slot's text (a null's too, whatever it holds) into a bitmap, the nulls
/// then taken from `ca`'s validity, a chunk for each of `ca`'s (rather than
/// a value at a time through options, which cost more than `f`).
pub(super) fn answers(ca: &StringChunked, f: &impl Fn(&str) -> bool) -> BooleanChunked {
    type Answers = <BooleanType as PolarsDataType>::Array;
    let chunks = ca
        .chunks()
        .iter()
        .zip(ca.downcast_iter())
        .map(|(chunk, arr)| {
            let values: Answers = arr.values_iter().map(f).collect_arr();
            values.with_validity_typed(chunk.validity().cloned())
        });
    BooleanChunked::from_chunk_iter(ca.name().clone(), chunks)
}

/// A map keyed by StateStudentID text, the keys of nine ASCII digits
/// (nearly all) kept as the number they spell: a lookup hashes a number
/// rather than text behind a pointer. Exactly the map of the texts: nine
/// digits have one spelling of their number (leading zeros counted), and
/// any other key is kept and looked up as its text.
#[derive(Clone, Debug, Default)]
pub struct ById<V> {
    numbers: PlHashMap<u32, V>,
    texts: PlHashMap<String, V>,
}

/// The number nine ASCII digits spell; `None` for any other text.
fn nine_digits(id: &str) -> Option<u32> {
    let bytes: &[u8; 9] = id.as_bytes().try_into().ok()?;
    bytes.iter().try_fold(0u32, |n, &b| {
        b.is_ascii_digit().then(|| n * 10 + u32::from(b - b'0'))
    })
}

impl<V: Copy> ById<V> {
    pub fn insert(&mut self, id: &str, value: V) {
        match nine_digits(id) {
            Some(n) => self.numbers.insert(n, value),
            None => self.texts.insert(id.to_string(), value),
        };
    }

    pub fn get(&self, id: &str) -> Option<V> {
        match nine_digits(id) {
            Some(n) => self.numbers.get(&n).copied(),
            None => self.texts.get(id).copied(),
        }
    }
}

impl<'a, V: Copy> FromIterator<(&'a str, V)> for ById<V> {
    fn from_iter<I: IntoIterator<Item = (&'a str, V)>>(pairs: I) -> Self {
        let mut map = ById {
            numbers: PlHashMap::default(),
            texts: PlHashMap::default(),
        };
        for (id, value) in pairs {
            map.insert(id, value);
        }
        map
    }
}

/// False only when no value of `ca` holds a byte `hit` is true of: short
/// values are looked at in their views, long ones through their buffers,
/// each buffer whole (it may hold bytes no value of `ca` uses, so true says
/// only that some value may).
fn maybe_any_byte(ca: &StringChunked, hit: impl Fn(u8) -> bool) -> bool {
    ca.downcast_iter().any(|arr| {
        let short = arr.views().iter().any(|v| {
            v.get_inlined_slice()
                .is_some_and(|bytes| bytes.iter().any(|&b| hit(b)))
        });
        short
            || arr
                .data_buffers()
                .iter()
                .any(|buffer| buffer.iter().fold(false, |seen, &b| seen | hit(b)))
    })
}

/// `value` where `ca` has a value, null where it is null.
fn uniform(ca: &StringChunked, value: bool) -> PolarsResult<BooleanChunked> {
    let name = ca.name().clone();
    let full = BooleanChunked::full(name.clone(), value, ca.len());
    if ca.null_count() == 0 {
        return Ok(full);
    }
    full.zip_with(
        &ca.is_not_null(),
        &BooleanChunked::full_null(name, ca.len()),
    )
}

/// A C0 control character but CR and LF, or DEL (`[\x00-\x09\x0B\x0C\x0E-\x1F\x7F]`).
pub(super) fn is_control(b: u8) -> bool {
    (b <= 0x1F && b != b'\n' && b != b'\r') || b == 0x7F
}

/// Whether a value holds a control character (see [`is_control`]).
pub(super) fn has_control(e: Expr) -> Expr {
    test_values(
        e,
        |ca| maybe_any_byte(ca, is_control),
        |v| v.bytes().any(is_control),
    )
}

/// Whether a value holds a line break (CR or LF: a quoted value over two
/// lines).
pub(super) fn has_line_break(e: Expr) -> Expr {
    let hit = |b: u8| b == b'\n' || b == b'\r';
    test_values(
        e,
        move |ca| maybe_any_byte(ca, hit),
        move |v| v.bytes().any(hit),
    )
}

/// Whether a value is `min` to `max` ASCII digits (`^[0-9]{min,max}$`).
pub(super) fn digits(e: Expr, min: usize, max: usize) -> Expr {
    test_values(
        e,
        |_| true,
        move |v| (min..=max).contains(&v.len()) && v.bytes().all(|b| b.is_ascii_digit()),
    )
}

/// Whether a value is fewer than `n` ASCII digits, the first not a 0: the
/// shape of a value of `n` digits whose leading zeros were dropped, as a
/// spreadsheet does when it reads a column as numbers (`^[1-9][0-9]{0,n-2}$`).
pub(super) fn zeros_dropped(e: Expr, n: usize) -> Expr {
    test_values(
        e,
        |_| true,
        move |v| {
            !v.is_empty()
                && v.len() < n
                && !v.starts_with('0')
                && v.bytes().all(|b| b.is_ascii_digit())
        },
    )
}

/// Whether a value is a 0 and one or more ASCII digits (`^0[0-9]+$`).
pub(super) fn leading_zero(e: Expr) -> Expr {
    test_values(
        e,
        |_| true,
        |v| v.len() > 1 && v.starts_with('0') && v.bytes().all(|b| b.is_ascii_digit()),
    )
}

/// A lower-case ASCII letter or a byte of a non-ASCII character.
fn maybe_lower(b: u8) -> bool {
    b.is_ascii_lowercase() || !b.is_ascii()
}

/// `str().to_uppercase()`, the column passed through as it is when no value
/// has a lower-case ASCII letter or a non-ASCII character.
pub(super) fn upper(e: Expr) -> Expr {
    e.map(
        |c: Column| {
            let ca = c.str()?;
            if maybe_any_byte(ca, maybe_lower) {
                Ok(ca.to_uppercase().into_column())
            } else {
                Ok(c)
            }
        },
        |_, field| Ok(field.clone()),
    )
}

/// Whether `code` is valid in school year `year` in `domain` (some row of
/// the domain with that code covers the year); null where either is null.
/// Each distinct (code, year) of a batch is looked up once, its answer
/// reused for every row that has it.
pub(super) fn valid_in_year(code: Expr, year: Expr, codes: &CodeSet, domain: &str) -> Expr {
    let mut ranges: BTreeMap<String, Vec<(i32, i32)>> = BTreeMap::new();
    for row in codes.domain(domain) {
        ranges
            .entry(row.code.clone())
            .or_default()
            .push((row.first_year, row.last_year));
    }
    let valid = move |code: &str, year: i32| {
        ranges
            .get(code)
            .is_some_and(|r| r.iter().any(|&(first, last)| first <= year && year <= last))
    };
    code.map_many(
        move |c: &mut [Column]| {
            let year = c[1].cast(&DataType::Int32)?;
            let (codes, years) = (c[0].str()?, year.i32()?);
            let mut seen: PlHashMap<(&str, i32), bool> = PlHashMap::default();
            let out: BooleanChunked = codes
                .iter()
                .zip(years.iter())
                .map(|(code, year)| {
                    let (code, year) = (code?, year?);
                    Some(
                        *seen
                            .entry((code, year))
                            .or_insert_with(|| valid(code, year)),
                    )
                })
                .collect();
            Ok(out.with_name(c[0].name().clone()).into_column())
        },
        &[year],
        |_, fields| Ok(Field::new(fields[0].name().clone(), DataType::Boolean)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eval(e: Expr, values: &[Option<&str>]) -> Vec<Option<bool>> {
        let df = df!("v" => values).unwrap();
        let out = df.lazy().select([e.alias("out")]).collect().unwrap();
        out.column("out").unwrap().bool().unwrap().iter().collect()
    }

    #[test]
    fn the_kernels_give_what_the_regular_expressions_give() {
        let mixed = vec![
            Some("123456789"),
            Some("12345678"),
            Some("0123"),
            Some("0"),
            Some("12a"),
            Some("１２"),
            Some("a\tb"),
            Some("a\r\nb"),
            Some("x\u{7f}"),
            Some(""),
            None,
        ];
        // Columns whose values all give the same answer (made whole).
        let uniform = [
            vec![Some("123456789"), None, Some("012345678")],
            vec![Some("0123"), Some("0456")],
            vec![Some("ab"), Some("c"), None],
            vec![None, None],
        ];
        for values in std::iter::once(mixed).chain(uniform) {
            let cases = [
                (digits(col("v"), 9, 9), "^[0-9]{9}$"),
                (digits(col("v"), 1, 4), "^[0-9]{1,4}$"),
                (leading_zero(col("v")), "^0[0-9]+$"),
                (has_control(col("v")), r"[\x00-\x09\x0B\x0C\x0E-\x1F\x7F]"),
                (has_line_break(col("v")), r"[\r\n]"),
            ];
            for (kernel, pattern) in cases {
                let regex = col("v").str().contains(lit(pattern), false);
                assert_eq!(eval(kernel, &values), eval(regex, &values), "{pattern}");
            }
        }
    }

    #[test]
    fn values_longer_than_a_view_are_looked_at_in_their_buffers() {
        // Values over 12 bytes live in the array's buffers, not its views.
        let long = [
            vec![Some("a value longer than twelve"), None],
            vec![Some("a value longer\tthan twelve"), Some("short")],
            vec![Some("short"), Some("another long value\u{7f}!")],
        ];
        for values in long {
            let regex = col("v")
                .str()
                .contains(lit(r"[\x00-\x09\x0B\x0C\x0E-\x1F\x7F]"), false);
            assert_eq!(eval(has_control(col("v")), &values), eval(regex, &values));
        }
        let df = df!("v" => [Some("ABCDEFGHIJKLMNOp"), Some("AB")]).unwrap();
        let out = df.lazy().select([upper(col("v"))]).collect().unwrap();
        let got: Vec<Option<&str>> = out.column("v").unwrap().str().unwrap().iter().collect();
        assert_eq!(got, vec![Some("ABCDEFGHIJKLMNOP"), Some("AB")]);
    }

    #[test]
    fn answers_are_f_of_each_value_chunk_by_chunk_null_where_null() {
        let mut ca = StringChunked::new("v".into(), [Some("12"), None, Some("a")]);
        ca.append(&StringChunked::new("v".into(), [None, Some("7"), Some("")]))
            .unwrap();
        assert_eq!(ca.chunks().len(), 2);
        let f = |v: &str| !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit());
        let got = answers(&ca, &f);
        let want: Vec<Option<bool>> = ca.iter().map(|v| v.map(f)).collect();
        assert_eq!(got.iter().collect::<Vec<_>>(), want);
        assert_eq!(
            want,
            [Some(true), None, Some(false), None, Some(true), Some(false)]
        );
        assert_eq!(got.name().as_str(), "v");
    }

    #[test]
    fn ids_are_found_by_their_text_whether_nine_digits_or_not() {
        let keys = [
            "012345678",
            "123456789",
            "12345678",
            "0012345678",
            "12345678a",
            " 12345678",
            "",
        ];
        let map: ById<usize> = keys.iter().enumerate().map(|(i, k)| (*k, i)).collect();
        for (i, k) in keys.iter().enumerate() {
            assert_eq!(map.get(k), Some(i), "{k:?}");
        }
        // Other spellings of the same numbers are other IDs.
        for other in [
            "12345678 ",
            "000000000",
            "12345678\u{0}",
            "１２３４５６７８９",
            "999999999",
        ] {
            assert_eq!(map.get(other), None, "{other:?}");
        }
        assert_eq!(nine_digits("000000001"), Some(1));
        assert_eq!(nine_digits("999999999"), Some(999_999_999));
        assert_eq!(nine_digits("99999999"), None);
    }

    #[test]
    fn upper_is_to_uppercase() {
        for values in [
            vec![Some("AB"), None, Some("12")],
            vec![Some("ab"), None, Some("é")],
        ] {
            let df = df!("v" => values).unwrap();
            let out = df
                .lazy()
                .select([
                    upper(col("v")).alias("a"),
                    col("v").str().to_uppercase().alias("b"),
                ])
                .collect()
                .unwrap();
            assert!(out
                .column("a")
                .unwrap()
                .equals_missing(out.column("b").unwrap()));
        }
    }
}
