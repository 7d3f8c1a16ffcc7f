//! A hash of a frame's rows whatever their order ([`sorted_hash`]): the
//! content hashes of the frame sorted by every column, nulls last, found
//! without sorting the frame. Each column's values become their ranks (text
//! compared once per distinct value, not once per comparison), the rows'
//! order is sorted on the ranks, and each column is gathered in that order
//! and hashed in turn: no sorted copy of the whole frame is held (at
//! 2,000,000 students the passed enrollments are 13 million rows).

use crate::checksum::{data_hashes, sum_of};
use anyhow::Result;
use cutover_stages::preflight::text_ranks;
use polars::prelude::*;
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::hash::Hash;

/// The hash of `df`'s rows whatever their order: `sum_of` the
/// [`data_hashes`] of `df` sorted by all its columns (nulls last), the
/// same as of `df.sort(columns, nulls last)`. Rows the sort ties are equal
/// in every column, so no tie-break changes the hash.
pub fn sorted_hash(name: &str, df: &DataFrame) -> Result<String> {
    let Some(order) = row_order(df)? else {
        let columns: Vec<PlSmallStr> = df.get_column_names().into_iter().cloned().collect();
        let sorted = df.sort(
            columns,
            SortMultipleOptions::default().with_nulls_last(true),
        )?;
        return Ok(sum_of(&data_hashes(name, &sorted)?));
    };
    let order = IdxCa::from_vec("".into(), order);
    let sums = df
        .columns()
        .par_iter()
        .map(|c| {
            let one = DataFrame::new(df.height(), vec![c.take(&order)?])?;
            data_hashes(name, &one)
        })
        .collect::<Result<Vec<_>>>()?;
    let all: BTreeMap<String, String> = sums.into_iter().flatten().collect();
    Ok(sum_of(&all))
}

/// The rows of `df` in the order of a sort on all its columns, nulls last
/// (`None` when a column is neither text nor whole numbers, dates or
/// flags: then the frame is sorted). The leading columns' ranks that fit
/// in 128 bits are packed side by side in one number (null after every
/// rank), so most comparisons are one number's; the rest are compared on
/// ties. Rows tied on every column are equal, so the order of ties is
/// never seen.
fn row_order(df: &DataFrame) -> Result<Option<Vec<IdxSize>>> {
    // Each column's ranks on a core of its own.
    let keys: Option<Vec<Vec<u32>>> = df
        .columns()
        .par_iter()
        .map(ranks)
        .collect::<Result<Vec<_>>>()?
        .into_iter()
        .collect();
    let Some(keys) = keys else {
        return Ok(None);
    };
    let (packed, rest) = pack_leading(keys, df.height());
    let mut order: Vec<(u128, IdxSize)> = packed
        .into_iter()
        .enumerate()
        .map(|(i, p)| (p, i as IdxSize))
        .collect();
    order.par_sort_unstable_by(|a, b| {
        a.0.cmp(&b.0).then_with(|| {
            rest.iter()
                .map(|k| k[a.1 as usize].cmp(&k[b.1 as usize]))
                .find(|o| o.is_ne())
                .unwrap_or(std::cmp::Ordering::Equal)
        })
    });
    Ok(Some(order.into_iter().map(|(_, i)| i).collect()))
}

/// The leading columns' ranks (`u32::MAX` for null) that fit side by side
/// in 128 bits, packed into one number a row in the columns' order (each
/// column in as many bits as its largest rank and null, null the largest),
/// and the columns left.
fn pack_leading(keys: Vec<Vec<u32>>, height: usize) -> (Vec<u128>, Vec<Vec<u32>>) {
    let mut packed = vec![0u128; height];
    let mut used = 0u32;
    let mut keys = keys.into_iter();
    let mut rest = Vec::new();
    for k in keys.by_ref() {
        let top = k.iter().copied().filter(|&r| r != u32::MAX).max();
        let null = top.map_or(0, |t| t + 1);
        let bits = (u32::BITS - null.leading_zeros()).max(1);
        if used + bits > u128::BITS {
            rest.push(k);
            break;
        }
        used += bits;
        for (p, &r) in packed.iter_mut().zip(&k) {
            *p = (*p << bits) | u128::from(if r == u32::MAX { null } else { r });
        }
    }
    rest.extend(keys);
    (packed, rest)
}

/// Each value's place among the column's distinct values in sort order (0
/// the least; null `u32::MAX`, after every value): text by its bytes,
/// numbers, dates and flags by their physical value.
fn ranks(c: &Column) -> Result<Option<Vec<u32>>> {
    let s = c.as_materialized_series();
    if s.dtype() == &DataType::String {
        // Ranked as pre-flight ranks text (short text as one number, a
        // value repeated from the row before without a look-up): the same
        // order, from 1 with null 0.
        let ranks = text_ranks(&s.str()?.rechunk());
        return Ok(Some(
            ranks
                .into_iter()
                .map(|r| r.checked_sub(1).unwrap_or(u32::MAX))
                .collect(),
        ));
    }
    let dtype = s.dtype();
    let whole = (dtype.is_integer() && dtype != &DataType::UInt64)
        || matches!(dtype, DataType::Date | DataType::Boolean);
    if !whole {
        return Ok(None);
    }
    let values = s.to_physical_repr().cast(&DataType::Int64)?;
    let (seen, distinct) = first_seen(values.i64()?.iter());
    Ok(Some(to_ranks(seen, &distinct)))
}

/// Each value numbered in the order it is first seen (`u32::MAX` for
/// null), and the distinct values in that order.
fn first_seen<T: Hash + Eq + Copy>(values: impl Iterator<Item = Option<T>>) -> (Vec<u32>, Vec<T>) {
    let mut at: PlHashMap<T, u32> = PlHashMap::default();
    let mut distinct: Vec<T> = Vec::new();
    let seen = values
        .map(|v| match v {
            Some(v) => *at.entry(v).or_insert_with(|| {
                distinct.push(v);
                (distinct.len() - 1) as u32
            }),
            None => u32::MAX,
        })
        .collect();
    (seen, distinct)
}

/// `seen` (each row's index into `distinct`, `u32::MAX` for null) as
/// ranks of the distinct values in their order.
fn to_ranks<T: Ord>(seen: Vec<u32>, distinct: &[T]) -> Vec<u32> {
    let mut order: Vec<u32> = (0..distinct.len() as u32).collect();
    order.sort_unstable_by(|&a, &b| distinct[a as usize].cmp(&distinct[b as usize]));
    let mut rank = vec![0u32; distinct.len()];
    for (r, &d) in order.iter().enumerate() {
        rank[d as usize] = r as u32;
    }
    seen.into_iter()
        .map(|d| {
            if d == u32::MAX {
                u32::MAX
            } else {
                rank[d as usize]
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The hash as it was made before: the frame sorted whole.
    fn sorted_whole(name: &str, df: &DataFrame) -> String {
        let columns: Vec<PlSmallStr> = df.get_column_names().into_iter().cloned().collect();
        let sorted = df
            .sort(
                columns,
                SortMultipleOptions::default().with_nulls_last(true),
            )
            .unwrap();
        sum_of(&data_hashes(name, &sorted).unwrap())
    }

    /// Rows with many ties, nulls and empty text, in a scrambled order,
    /// in the columns of the passed enrollments (text, school year,
    /// dates).
    fn awkward(n: usize, seed: u64) -> DataFrame {
        let mut x = seed;
        let mut next = |m: u64| {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (x >> 33) % m
        };
        let mut ids = Vec::new();
        let mut years = Vec::new();
        let mut codes = Vec::new();
        let mut days = Vec::new();
        let mut flags = Vec::new();
        for _ in 0..n {
            ids.push(match next(12) {
                0 => None,
                1 => Some(String::new()),
                k => Some(format!("{}{}", "1000".repeat(k as usize % 6), next(40))),
            });
            years.push((next(7) > 0).then(|| 2000 + next(5) as i32));
            codes.push((next(5) > 0).then(|| ["P", "S", "", "Z", "PP"][next(5) as usize]));
            days.push((next(6) > 0).then(|| 13000 + next(30) as i32 - 15));
            flags.push((next(4) > 0).then(|| next(2) == 1));
        }
        let days = Column::new("EntryDate".into(), days)
            .cast(&DataType::Date)
            .unwrap();
        DataFrame::new(
            n,
            vec![
                Column::new("StateStudentID".into(), ids),
                Column::new("SchoolYear".into(), years),
                Column::new("EnrollmentType".into(), codes),
                days,
                Column::new("Flag".into(), flags),
            ],
        )
        .unwrap()
    }

    #[test]
    fn the_hash_is_that_of_the_frame_sorted_whole_whatever_the_row_order() {
        for (n, seed) in [(0, 1), (1, 2), (7, 3), (500, 4), (5000, 5)] {
            let df = awkward(n, seed);
            let h = sorted_hash("passed", &df).unwrap();
            assert_eq!(h, sorted_whole("passed", &df), "{n} rows");
            let reversed = df.reverse();
            assert_eq!(sorted_hash("passed", &reversed).unwrap(), h);
        }
        // A different row changes it.
        let df = awkward(500, 4);
        let other = awkward(500, 6);
        assert_ne!(
            sorted_hash("passed", &df).unwrap(),
            sorted_hash("passed", &other).unwrap()
        );
    }

    #[test]
    fn columns_past_128_bits_of_ranks_are_compared_on_ties() {
        // Five columns of ties and nulls, then twelve of 1,500 values (11
        // bits of ranks each), rows in pairs tied on those: the first ones
        // packed, the rest compared on ties.
        let mut wide = awkward(3000, 7);
        for k in 0..12i64 {
            let values: Vec<i64> = (0..3000i64).map(|i| (i / 2 * (7 + 2 * k)) % 1499).collect();
            wide.with_column(Column::new(format!("k{k}").into(), values))
                .unwrap();
        }
        let keys: Vec<Vec<u32>> = wide
            .columns()
            .iter()
            .map(|c| ranks(c).unwrap().unwrap())
            .collect();
        let (_, rest) = pack_leading(keys, wide.height());
        assert!(!rest.is_empty() && rest.len() < wide.width());
        let h = sorted_hash("wide", &wide).unwrap();
        assert_eq!(h, sorted_whole("wide", &wide));
        assert_eq!(sorted_hash("wide", &wide.reverse()).unwrap(), h);
    }

    #[test]
    fn a_column_of_other_values_is_sorted_whole() {
        let df = DataFrame::new(
            3,
            vec![Column::new("x".into(), [Some(2.5f64), None, Some(-1.0)])],
        )
        .unwrap();
        assert!(row_order(&df).unwrap().is_none());
        assert_eq!(
            sorted_hash("f", &df).unwrap(),
            sorted_whole("f", &df.reverse())
        );
    }
}
