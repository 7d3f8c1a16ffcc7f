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
    BEHAVIOR, CTE, ENTITIES, MAILING_ADDRESS, STUDENT_ENROLLMENT, STUDENT_PERSONAL, TRUANCY,
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

/// What the identity stage reads: the crosswalked student_personal rows,
/// the given columns of the crosswalked student_enrollment rows, ingest's
/// mailing addresses.
pub struct IdentityInputs {
    pub personal: Option<DataFrame>,
    pub enrollment: Option<DataFrame>,
    pub addresses: Option<DataFrame>,
}

impl Frames {
    /// The identity stage's inputs: from memory when ingest and the
    /// crosswalk stage ran (or were read back) in this run; otherwise only
    /// those three snapshots, and of the enrollments only `columns`, are
    /// read (not kept: a later stage reads what it needs).
    pub fn identity_inputs(&self, ctx: &Ctx, columns: &[&str]) -> Result<IdentityInputs> {
        let select = |df: &DataFrame| -> Result<DataFrame> {
            let present: Vec<&str> = columns
                .iter()
                .copied()
                .filter(|c| df.column(c).is_ok())
                .collect();
            Ok(df.select(present)?)
        };
        if let (Some(ingested), Some(crosswalked)) = (&self.ingested, &self.crosswalked) {
            let of = |entity: &str| crosswalked.iter().find(|c| c.entity == entity);
            return Ok(IdentityInputs {
                personal: of(STUDENT_PERSONAL.name).map(|c| c.rows.clone()),
                enrollment: of(STUDENT_ENROLLMENT.name)
                    .map(|c| select(&c.rows))
                    .transpose()?,
                addresses: ingested
                    .iter()
                    .find(|i| i.entity == MAILING_ADDRESS.name)
                    .map(|i| i.rows.clone()),
            });
        }
        let present = |name: &str| ctx.inputs.contains_key(&ctx.config.files[name]);
        let read =
            |stage: &str, name: &str, columns: Option<&[&str]>| -> Result<Option<DataFrame>> {
                if !present(name) {
                    return Ok(None);
                }
                let path = ctx.root.join(stage).join(format!("{name}.parquet"));
                Ok(Some(match columns {
                    None => snapshot::read_parquet(&path)?,
                    Some(wanted) => snapshot::read_parquet_columns(&path, wanted)?,
                }))
            };
        Ok(IdentityInputs {
            personal: read(crosswalk::STAGE, STUDENT_PERSONAL.name, None)?,
            enrollment: read(crosswalk::STAGE, STUDENT_ENROLLMENT.name, Some(columns))?,
            addresses: read(ingest::STAGE, MAILING_ADDRESS.name, None)?,
        })
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
