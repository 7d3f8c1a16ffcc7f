//! Two runs' rows of one snapshot compared without holding either whole:
//! each side's key columns are read first (with each row's position); keys
//! alone give the rows added and removed, and an inner join on the key
//! pairs every row of A with its row of B. The other columns are then read
//! a few at a time from both sides, aligned by those positions (no copy
//! when both runs hold the same keys in the same order) and compared column
//! by column, so memory holds the keys and a few columns, never a whole
//! snapshot, and each column is decoded once per run.

use super::{first_keys, join_args, key_exprs, key_text, missing, numbered, TableDiff};
use anyhow::Result;
use polars::prelude::*;

/// Each row's position in its snapshot, in file order.
const IDX: &str = "__idx";
/// Run B's row position in the joined keys.
const IDX_B: &str = "__idx_b";
/// Columns read per pass over a snapshot (memory: this many columns of
/// every row of both sides at a time).
const CHUNK: usize = 4;

/// Compares the rows of two scans by key into `d`: rows added, removed,
/// changed, changes per column and example keys.
pub(super) fn compare(
    mut la: LazyFrame,
    mut lb: LazyFrame,
    key: &[String],
    d: &mut TableDiff,
) -> Result<()> {
    let (sa, sb) = (la.collect_schema()?, lb.collect_schema()?);
    // Keys of another type in one run are compared as text.
    for k in key {
        if sa.get(k) != sb.get(k) {
            la = la.with_column(col(k.as_str()).cast(DataType::String));
            lb = lb.with_column(col(k.as_str()).cast(DataType::String));
        }
    }
    let common: Vec<String> = sa
        .iter_names()
        .map(|c| c.to_string())
        .filter(|c| !key.contains(c) && sb.contains(c))
        .collect();
    // A column of another type in one run is compared as text.
    let values: Vec<Expr> = common
        .iter()
        .map(|c| {
            if sa.get(c) == sb.get(c) {
                col(c.as_str())
            } else {
                col(c.as_str()).cast(DataType::String)
            }
        })
        .collect();
    let (ka, kb) = (indexed(&la, key)?, indexed(&lb, key)?);
    (d.added, d.examples.added) = missing(&kb.clone().lazy(), &ka.clone().lazy(), key)?;
    (d.removed, d.examples.removed) = missing(&ka.clone().lazy(), &kb.clone().lazy(), key)?;
    if common.is_empty() {
        return Ok(());
    }
    let side = |k: DataFrame, idx: &str| {
        k.lazy().select(
            key_exprs(key)
                .into_iter()
                .chain([col(IDX).alias(idx)])
                .collect::<Vec<_>>(),
        )
    };
    let matched = side(ka, IDX)
        .join(
            side(kb, IDX_B),
            key_exprs(key),
            key_exprs(key),
            join_args(JoinType::Inner),
        )
        .collect()?;
    let rows_a = matched.column(IDX)?.idx()?.clone();
    let rows_b = matched.column(IDX_B)?.idx()?.clone();
    let mut differs = vec![false; matched.height()];
    for (names, exprs) in common.chunks(CHUNK).zip(values.chunks(CHUNK)) {
        let xa = aligned(la.clone().select(exprs).collect()?, &rows_a)?;
        let xb = aligned(lb.clone().select(exprs).collect()?, &rows_b)?;
        for c in names {
            let ne = xa
                .column(c)?
                .as_materialized_series()
                .not_equal_missing(xb.column(c)?.as_materialized_series())?;
            let mut n = 0u64;
            for (i, v) in ne.iter().enumerate() {
                if v == Some(true) {
                    differs[i] = true;
                    n += 1;
                }
            }
            if n > 0 {
                d.columns.insert(c.clone(), n);
            }
        }
    }
    let mask = BooleanChunked::from_slice("differs".into(), &differs);
    let changed = matched
        .filter(&mask)?
        .lazy()
        .select([key_text(key)])
        .collect()?;
    d.changed = changed.height() as u64;
    d.examples.changed = first_keys(&changed)?;
    Ok(())
}

/// The key columns, the key's occurrence and [`IDX`] of every row of `lf`,
/// in file order.
fn indexed(lf: &LazyFrame, key: &[String]) -> Result<DataFrame> {
    let keys = key.iter().map(|k| col(k.as_str()));
    Ok(numbered(
        lf.clone()
            .select(keys.collect::<Vec<_>>())
            .with_row_index(IDX, None),
        key,
    )?
    .collect()?)
}

/// The rows of `df` at `rows`, in that order (`df` itself when `rows` is
/// every row in file order, as when both runs hold the same keys in the
/// same order).
fn aligned(df: DataFrame, rows: &IdxCa) -> Result<DataFrame> {
    let in_order = rows.len() == df.height()
        && rows
            .iter()
            .enumerate()
            .all(|(i, r)| r == Some(i as IdxSize));
    Ok(if in_order { df } else { df.take(rows)? })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn frame(keys: [i64; 3], x: [&str; 3], y: [Option<i64>; 3]) -> LazyFrame {
        let columns = vec![
            Column::new("k".into(), keys),
            Column::new("x".into(), x),
            Column::new("y".into(), y),
        ];
        DataFrame::new(3, columns).unwrap().lazy()
    }

    #[test]
    fn rows_in_another_order_are_paired_by_key_and_compared_per_column() {
        let a = frame([1, 2, 3], ["a", "b", "c"], [Some(1), None, Some(3)]);
        let b = frame([3, 1, 4], ["c", "z", "d"], [Some(3), None, None]);
        let mut d = TableDiff::default();
        compare(a, b, &["k".to_string()], &mut d).unwrap();
        assert_eq!((d.added, d.removed, d.changed), (1, 1, 1));
        let columns = BTreeMap::from([("x".to_string(), 1), ("y".to_string(), 1)]);
        assert_eq!(d.columns, columns);
        assert_eq!(d.examples.added, ["4"]);
        assert_eq!(d.examples.removed, ["2"]);
        assert_eq!(d.examples.changed, ["1"]);
    }
}
