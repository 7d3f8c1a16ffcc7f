//! Checksums: of files, of named checksums, and of a frame's content column
//! by column (what a stage records of the data later stages read).

use anyhow::{Context, Result};
use polars::prelude::*;
use rayon::prelude::*;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::Path;

/// Lower-case hexadecimal.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A checksum over named checksums.
pub fn sum_of(map: &BTreeMap<String, String>) -> String {
    let mut h = Sha256::new();
    for (k, v) in map {
        h.update(k.as_bytes());
        h.update(v.as_bytes());
    }
    hex(&h.finalize())
}

/// SHA-256 of a file, streamed.
pub fn file_sha256(path: &Path) -> Result<String> {
    let mut file =
        std::fs::File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut h = Sha256::new();
    std::io::copy(&mut file, &mut h).with_context(|| format!("cannot read {}", path.display()))?;
    Ok(hex(&h.finalize()))
}

/// Content hashes of a frame's columns, `name.column` -> hash: every value
/// as text (null kept apart from empty), so equal data hashes equally
/// whatever its chunks or encoding.
pub fn data_hashes(name: &str, df: &DataFrame) -> Result<BTreeMap<String, String>> {
    // One column per task, on every core.
    let sums = df
        .columns()
        .par_iter()
        .map(|c| Ok((format!("{name}.{}", c.name()), column_hash(c)?)))
        .collect::<Result<Vec<_>>>()?;
    Ok(sums.into_iter().collect())
}

/// One column's content hash: its type, then each value as text (its length
/// first), a null as `u64::MAX`.
fn column_hash(column: &Column) -> Result<String> {
    let mut h = Sha256::new();
    h.update(format!("{:?}", column.dtype()).as_bytes());
    let mut value = |v: Option<&[u8]>| match v {
        Some(s) => {
            h.update((s.len() as u64).to_le_bytes());
            h.update(s);
        }
        None => h.update(u64::MAX.to_le_bytes()),
    };
    if column.dtype() == &DataType::Date {
        // The text polars' cast gives (`%Y-%m-%d`), without formatting
        // each date through chrono.
        let days = column.as_materialized_series().date()?.physical().clone();
        let mut buf = [0u8; 10];
        for d in days.iter() {
            match d {
                Some(d) => match date_text(d, &mut buf) {
                    Some(text) => value(Some(text)),
                    None => value(Some(date_text_slow(d).as_bytes())),
                },
                None => value(None),
            }
        }
    } else {
        let text = column.as_materialized_series().cast(&DataType::String)?;
        for v in text.str()?.iter() {
            value(v.map(str::as_bytes));
        }
    }
    Ok(hex(&h.finalize()))
}

/// Days since 1970-01-01 as `YYYY-MM-DD` in `buf`, for years 0 to 9999.
fn date_text(days: i32, buf: &mut [u8; 10]) -> Option<&[u8]> {
    use chrono::Datelike;
    let date = chrono::NaiveDate::from_num_days_from_ce_opt(days.checked_add(719_163)?)?;
    let year = u32::try_from(date.year()).ok().filter(|y| *y <= 9999)?;
    let digits = |buf: &mut [u8], mut n: u32| {
        for b in buf.iter_mut().rev() {
            *b = b'0' + (n % 10) as u8;
            n /= 10;
        }
    };
    digits(&mut buf[0..4], year);
    digits(&mut buf[5..7], date.month());
    digits(&mut buf[8..10], date.day());
    buf[4] = b'-';
    buf[7] = b'-';
    Some(&buf[..])
}

/// What polars' cast writes for a date outside years 0 to 9999.
fn date_text_slow(days: i32) -> String {
    let s = Series::new("d".into(), [days])
        .cast(&DataType::Date)
        .and_then(|s| s.cast(&DataType::String));
    s.ok()
        .and_then(|s| s.str().ok().and_then(|c| c.get(0).map(str::to_string)))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_data_hashes_equally_whatever_its_chunks_and_null_is_not_empty() {
        let a = df!("x" => [Some("a"), None, Some("")]).unwrap();
        let mut b = df!("x" => [Some("a")]).unwrap();
        b.vstack_mut(&df!("x" => [None::<&str>, Some("")]).unwrap())
            .unwrap();
        assert_eq!(data_hashes("e", &a).unwrap(), data_hashes("e", &b).unwrap());
        let c = df!("x" => [Some("a"), Some(""), Some("")]).unwrap();
        assert_ne!(data_hashes("e", &a).unwrap(), data_hashes("e", &c).unwrap());
    }

    #[test]
    fn dates_hash_as_their_text() {
        // Days from year -1 to 10000: the fast text and polars' cast agree.
        let days: Vec<Option<i32>> = [-719_529, -719_528, -1, 0, 17_347, 2_932_896, 2_932_897]
            .into_iter()
            .map(Some)
            .chain([None])
            .collect();
        let dates = Series::new("d".into(), days).cast(&DataType::Date).unwrap();
        let text = dates.cast(&DataType::String).unwrap();
        let mut buf = [0u8; 10];
        for (d, t) in dates
            .date()
            .unwrap()
            .physical()
            .iter()
            .zip(text.str().unwrap().iter())
        {
            let Some(d) = d else { continue };
            let fast = date_text(d, &mut buf).map(|b| String::from_utf8(b.to_vec()).unwrap());
            let want = t.unwrap().to_string();
            assert_eq!(fast.unwrap_or_else(|| date_text_slow(d)), want, "{d}");
        }
        assert_eq!(date_text_slow(17_347), "2017-06-30");
        // A hash over text as the old cast made it.
        let mut h = Sha256::new();
        h.update(format!("{:?}", DataType::Date).as_bytes());
        for v in text.str().unwrap().iter() {
            match v {
                Some(s) => {
                    h.update((s.len() as u64).to_le_bytes());
                    h.update(s.as_bytes());
                }
                None => h.update(u64::MAX.to_le_bytes()),
            }
        }
        let frame = DataFrame::new(8, vec![dates.into_column()]).unwrap();
        assert_eq!(data_hashes("e", &frame).unwrap()["e.d"], hex(&h.finalize()));
    }
}
