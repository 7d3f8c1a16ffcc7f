//! What passes between stages: each stage's parquet snapshots, read (only
//! the columns a stage needs) when a later stage needs them and dropped as
//! soon as it is done with them, so no stage's rows stay in memory for the
//! rest of the run; and the identity stage's key map, kept in memory until
//! the rekey stage has used it.

use super::Ctx;
use crate::snapshot;
use anyhow::Result;
use cutover_stages::columns::{QUARANTINE_COLUMNS, SOURCE_ROW};
use cutover_stages::identity;
use cutover_stages::schema::{
    BEHAVIOR, CTE, ENTITIES, STUDENT_ENROLLMENT, STUDENT_PERSONAL, TRUANCY,
};
use polars::prelude::*;

/// The entities the crosswalk stage maps.
pub const CROSSWALK_ENTITIES: [&str; 5] = [
    STUDENT_PERSONAL.name,
    STUDENT_ENROLLMENT.name,
    BEHAVIOR.name,
    TRUANCY.name,
    CTE.name,
];

#[derive(Default)]
pub struct Frames {
    /// Every identity's key (`__from`) to its student's surviving key
    /// (`__to`), from the identity stage, for the rekey stage.
    pub key_map: Option<DataFrame>,
}

impl Frames {
    /// The identity stage's key map, taken (the rekey stage is its only
    /// reader); read back from its identity map (each identity row's unit
    /// and student) if the identity stage was skipped.
    pub fn take_key_map(&mut self, ctx: &Ctx) -> Result<DataFrame> {
        if let Some(map) = self.key_map.take() {
            return Ok(map);
        }
        let path = snapshot::snapshot_path(ctx.root, identity::STAGE, "identity_map");
        Ok(snapshot::read_parquet(&path)?
            .lazy()
            .select([
                col("UnitKey").alias("__from"),
                col(identity::STUDENT_KEY).alias("__to"),
            ])
            .unique_stable(None, UniqueKeepStrategy::First)
            .collect()?)
    }
}

/// The entities the bundle has a file for, in the schema's order.
pub fn present(ctx: &Ctx) -> Vec<&'static str> {
    ENTITIES
        .iter()
        .filter(|spec| ctx.inputs.contains_key(&ctx.config.files[spec.name]))
        .map(|spec| spec.name)
        .collect()
}

/// The crosswalk stage's entities the bundle has, in their order.
pub fn crosswalked(ctx: &Ctx) -> Vec<&'static str> {
    let present = present(ctx);
    CROSSWALK_ENTITIES
        .into_iter()
        .filter(|e| present.contains(e))
        .collect()
}

/// The name of an entity's quarantine snapshot (`<entity>.quarantine`).
pub fn quarantine_name(entity: &str) -> String {
    format!("{entity}.quarantine")
}

/// A stage's snapshot, read whole.
pub fn load(ctx: &Ctx, stage: &str, name: &str) -> Result<DataFrame> {
    snapshot::read_parquet(&snapshot::snapshot_path(ctx.root, stage, name))
}

/// A stage's snapshot as a lazy scan.
pub fn scan(ctx: &Ctx, stage: &str, name: &str) -> Result<LazyFrame> {
    snapshot::scan_parquet(&snapshot::snapshot_path(ctx.root, stage, name))
}

/// The columns of a stage's snapshot among `wanted`, read.
pub fn load_columns(ctx: &Ctx, stage: &str, name: &str, wanted: &[&str]) -> Result<DataFrame> {
    snapshot::read_columns(&snapshot::snapshot_path(ctx.root, stage, name), wanted)
}

/// Checks that batches come in source row order (each after the last).
#[derive(Default)]
pub struct InOrder {
    last: Option<i64>,
}

impl InOrder {
    pub fn check(&mut self, batch: &DataFrame, what: &str) -> Result<()> {
        let rows = batch
            .column(SOURCE_ROW)?
            .as_materialized_series()
            .cast(&DataType::Int64)?;
        let rows = rows.i64()?;
        let (Some(min), Some(max)) = (rows.min(), rows.max()) else {
            return Ok(());
        };
        anyhow::ensure!(
            self.last.is_none_or(|l| l < min),
            "{what}: rows out of source row order"
        );
        self.last = Some(max);
        Ok(())
    }
}

/// Frames of the same columns one after another (at least one).
pub fn concat_frames(parts: Vec<DataFrame>) -> Result<DataFrame> {
    let lazies: Vec<LazyFrame> = parts.into_iter().map(|d| d.lazy()).collect();
    Ok(concat(lazies, UnionArgs::default())?.collect()?)
}

/// Rejections of several stages as one frame, in source row order.
pub fn sorted_quarantine(parts: Vec<DataFrame>) -> Result<DataFrame> {
    let lazies: Vec<LazyFrame> = parts.into_iter().map(|d| d.lazy()).collect();
    Ok(concat(lazies, UnionArgs::default())?
        .sort(
            [SOURCE_ROW],
            SortMultipleOptions::default().with_maintain_order(true),
        )
        .select(QUARANTINE_COLUMNS.map(col))
        .collect()?)
}
