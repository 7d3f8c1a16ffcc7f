//! The frames passed between stages in memory. A stage that was skipped
//! left its snapshots on disk; they are read back only when a later stage
//! that runs asks for them (an unchanged rerun reads none).

use super::Ctx;
use crate::read;
use crate::snapshot;
use anyhow::Result;
use cutover_stages::columns::{QUARANTINE_COLUMNS, SOURCE_ROW};
use cutover_stages::crosswalk;
use cutover_stages::identity;
use cutover_stages::ingest;
use cutover_stages::schema::{
    BEHAVIOR, CTE, ENTITIES, STUDENT_ENROLLMENT, STUDENT_PERSONAL, TRUANCY,
};
use polars::prelude::*;
use std::path::Path;

/// The entities the crosswalk stage maps.
pub const CROSSWALK_ENTITIES: [&str; 5] = [
    STUDENT_PERSONAL.name,
    STUDENT_ENROLLMENT.name,
    BEHAVIOR.name,
    TRUANCY.name,
    CTE.name,
];

/// One entity after read and ingest.
pub struct Ingested {
    pub entity: &'static str,
    pub read: DataFrame,
    pub rows: DataFrame,
    /// Read and ingest rejections.
    pub quarantine: DataFrame,
}

/// One entity after the crosswalk stage.
pub struct Crosswalked {
    pub entity: &'static str,
    pub rows: DataFrame,
    pub quarantine: DataFrame,
}

#[derive(Default)]
pub struct Frames {
    pub ingested: Option<Vec<Ingested>>,
    pub crosswalked: Option<Vec<Crosswalked>>,
    /// Every identity's key (`__from`) to its student's surviving key
    /// (`__to`), from the identity stage.
    pub key_map: Option<DataFrame>,
}

impl Frames {
    /// Ingest's frames, read back if ingest was skipped.
    pub fn ingested(&mut self, ctx: &Ctx) -> Result<&[Ingested]> {
        if self.ingested.is_none() {
            self.ingested = Some(load_ingested(ctx)?);
        }
        Ok(self.ingested.as_deref().unwrap_or_default())
    }

    /// The identity stage's key map, read back from its identity map (each
    /// identity row's unit and student) if it was skipped.
    pub fn key_map(&mut self, ctx: &Ctx) -> Result<&DataFrame> {
        if self.key_map.is_none() {
            let path = ctx.root.join(identity::STAGE).join("identity_map.parquet");
            let map = snapshot::read_parquet(&path)?
                .lazy()
                .select([
                    col("UnitKey").alias("__from"),
                    col(identity::STUDENT_KEY).alias("__to"),
                ])
                .unique_stable(None, UniqueKeepStrategy::First)
                .collect()?;
            self.key_map = Some(map);
        }
        Ok(self.key_map.as_ref().expect("just set"))
    }

    /// Ingest's and the crosswalk stage's frames, read back where skipped.
    pub fn both(&mut self, ctx: &Ctx) -> Result<(&[Ingested], &[Crosswalked])> {
        self.ingested(ctx)?;
        if self.crosswalked.is_none() {
            let present: Vec<&'static str> =
                self.ingested.iter().flatten().map(|i| i.entity).collect();
            self.crosswalked = Some(load_crosswalked(ctx.root, &present)?);
        }
        Ok((
            self.ingested.as_deref().unwrap_or_default(),
            self.crosswalked.as_deref().unwrap_or_default(),
        ))
    }
}

pub fn quarantine_name(entity: &str) -> String {
    format!("{entity}.quarantine")
}

fn load(root: &Path, stage: &str, name: &str) -> Result<DataFrame> {
    snapshot::read_parquet(&root.join(stage).join(format!("{name}.parquet")))
}

/// The read and ingest snapshots of every entity the bundle has.
fn load_ingested(ctx: &Ctx) -> Result<Vec<Ingested>> {
    let mut ingested = Vec::new();
    for spec in ENTITIES {
        if !ctx.inputs.contains_key(&ctx.config.files[spec.name]) {
            continue;
        }
        ingested.push(Ingested {
            entity: spec.name,
            read: load(ctx.root, read::STAGE, spec.name)?,
            rows: load(ctx.root, ingest::STAGE, spec.name)?,
            quarantine: load(ctx.root, ingest::STAGE, &quarantine_name(spec.name))?,
        });
    }
    Ok(ingested)
}

fn load_crosswalked(root: &Path, present: &[&'static str]) -> Result<Vec<Crosswalked>> {
    let mut out = Vec::new();
    for entity in CROSSWALK_ENTITIES {
        if present.contains(&entity) {
            out.push(Crosswalked {
                entity,
                rows: load(root, crosswalk::STAGE, entity)?,
                quarantine: load(root, crosswalk::STAGE, &quarantine_name(entity))?,
            });
        }
    }
    Ok(out)
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
