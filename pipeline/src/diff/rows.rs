//! Two runs' rows of one snapshot compared without holding either whole:
//! each side is read as its key columns and one 64-bit hash per row of the
//! other columns (read a few columns at a time); keys alone give the rows
//! added and removed, keys with unequal hashes the rows that may have
//! changed; only those rows' values are then read, a few columns at a time,
//! and compared column by column (a row is changed when a value differs, so
//! two rows whose hashes differ but whose values agree are not counted).

use super::{first_keys, join_args, key_exprs, key_text, missing, numbered, TableDiff};
use anyhow::{bail, Result};
use polars::prelude::*;

/// Each row's position in its snapshot, in file order.
const IDX: &str = "__idx";
/// Run B's row position in the joined keys.
const IDX_B: &str = "__idx_b";
/// The hash of a row's non-key columns.
const HASH: &str = "__hash";
const HASH_B: &str = "__hash_b";
/// Columns read per pass over a snapshot (memory: this many columns of
/// every row of one side at a time).
const CHUNK: usize = 6;
/// Seed of the row hash (any fixed value: both sides are hashed by one
/// process with the same state).
const SEED: u64 = 2017;

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
    let (ka, kb) = (hashed(&la, key, &values)?, hashed(&lb, key, &values)?);
    (d.added, d.examples.added) = missing(&kb.clone().lazy(), &ka.clone().lazy(), key)?;
    (d.removed, d.examples.removed) = missing(&ka.clone().lazy(), &kb.clone().lazy(), key)?;
    if common.is_empty() {
        return Ok(());
    }
    let side = |k: DataFrame, idx: &str, hash: &str| {
        let extra = [col(IDX).alias(idx), col(HASH).alias(hash)];
        k.lazy()
            .select(key_exprs(key).into_iter().chain(extra).collect::<Vec<_>>())
    };
    let candidates = side(ka, IDX, HASH)
        .join(
            side(kb, IDX_B, HASH_B),
            key_exprs(key),
            key_exprs(key),
            join_args(JoinType::Inner),
        )
        .filter(col(HASH).neq(col(HASH_B)))
        .collect()?;
    let rows_a = candidates.column(IDX)?.idx()?.clone();
    let rows_b = candidates.column(IDX_B)?.idx()?.clone();
    let mut differs = vec![false; candidates.height()];
    for (names, exprs) in common.chunks(CHUNK).zip(values.chunks(CHUNK)) {
        let xa = la.clone().select(exprs.to_vec()).collect()?.take(&rows_a)?;
        let xb = lb.clone().select(exprs.to_vec()).collect()?.take(&rows_b)?;
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
    let changed = candidates
        .filter(&mask)?
        .lazy()
        .select([key_text(key)])
        .collect()?;
    d.changed = changed.height() as u64;
    d.examples.changed = first_keys(&changed)?;
    Ok(())
}

/// The key columns, the key's occurrence, [`IDX`] and [`HASH`] of every row of `lf`, in
/// file order; the values are read [`CHUNK`] columns at a time.
fn hashed(lf: &LazyFrame, key: &[String], values: &[Expr]) -> Result<DataFrame> {
    let keys = key.iter().map(|k| col(k.as_str()));
    let mut df = numbered(
        lf.clone()
            .select(keys.collect::<Vec<_>>())
            .with_row_index(IDX, None),
        key,
    )?
    .collect()?;
    let mut hashes = vec![0u64; df.height()];
    let state = PlSeedableRandomStateQuality::seed_from_u64(SEED);
    for exprs in values.chunks(CHUNK) {
        let part = lf.clone().select(exprs.to_vec()).collect()?;
        if part.height() != hashes.len() {
            bail!("a snapshot changed while it was read");
        }
        for c in part.columns() {
            hash_into(c.as_materialized_series(), state.clone(), &mut hashes)?;
        }
    }
    df.with_column(Column::new(HASH.into(), hashes))?;
    Ok(df)
}

/// Combines each value of `s` into its row's hash (nulls hash alike).
fn hash_into(s: &Series, state: PlSeedableRandomStateQuality, hashes: &mut [u64]) -> Result<()> {
    let p = s.to_physical_repr();
    match p.dtype() {
        DataType::String => p.str()?.vec_hash_combine(state, hashes)?,
        DataType::Boolean => p.bool()?.vec_hash_combine(state, hashes)?,
        DataType::Int64 => p.i64()?.vec_hash_combine(state, hashes)?,
        DataType::Int32 => p.i32()?.vec_hash_combine(state, hashes)?,
        DataType::UInt64 => p.u64()?.vec_hash_combine(state, hashes)?,
        DataType::UInt32 => p.u32()?.vec_hash_combine(state, hashes)?,
        DataType::Float64 => p.f64()?.vec_hash_combine(state, hashes)?,
        DataType::Float32 => p.f32()?.vec_hash_combine(state, hashes)?,
        DataType::Int8 | DataType::Int16 | DataType::UInt8 | DataType::UInt16 => p
            .cast(&DataType::Int32)?
            .i32()?
            .vec_hash_combine(state, hashes)?,
        _ => p
            .cast(&DataType::String)?
            .str()?
            .vec_hash_combine(state, hashes)?,
    }
    Ok(())
}
