//! The read and ingest stage: every bundle file decoded, its columns mapped,
//! typed and checked; `read/<entity>.parquet`, `ingest/<entity>.parquet` and
//! `ingest/<entity>.quarantine.parquet`.
//!
//! Reads: the bundle files, `legacy_codes.csv`, the configuration's
//! `school_years`, `[files]`, `[read]` and `[ingest]` sections.

use super::frames::{quarantine_name, sorted_quarantine, Frames, Ingested};
use super::runner::{Components, Produced, Stage, StageId, State};
use super::{progress_bar, Ctx, TOOL_VERSION};
use crate::checksum::{data_hashes, sum_of};
use crate::read::{self, EncodingChoice};
use crate::snapshot;
use anyhow::Result;
use cutover_stages::ingest;
use cutover_stages::schema::{EntitySpec, ENTITIES, STUDENT_ENROLLMENT, STUDENT_PERSONAL};
use polars::prelude::*;
use std::collections::BTreeMap;
use tracing::{info, info_span};

pub struct Ingest;

impl Stage for Ingest {
    fn id(&self) -> StageId {
        StageId::Ingest
    }

    fn reads(&self, ctx: &Ctx, _state: &State) -> Result<Components> {
        Ok(BTreeMap::from([
            ("tool version".to_string(), TOOL_VERSION.to_string()),
            (
                "config".to_string(),
                ctx.config.section_sum(StageId::Ingest),
            ),
            ("input files".to_string(), sum_of(&ctx.inputs)),
            (
                "legacy code table".to_string(),
                ctx.tables.table_sums[crate::crosswalks::LEGACY_CODES].clone(),
            ),
        ]))
    }

    fn run(&self, ctx: &Ctx, _state: &State, frames: &mut Frames) -> Result<Produced> {
        // Every file is read first (a file that cannot be read leaves the
        // previous outputs as they were), then ingested: the cross-file
        // rules (no identity, LEP, age) read the other files.
        let mut reads = Vec::new();
        for spec in ENTITIES {
            let name = &ctx.config.files[spec.name];
            if ctx.inputs.contains_key(name) {
                reads.push((spec, read_one(ctx, spec, name)?));
            }
        }
        let ingest_config = ctx.config.ingest();
        let read_of = |name: &str| reads.iter().find(|(s, _)| s.name == name).map(|(_, r)| r);
        let context = ingest::Context::new(
            read_of(STUDENT_PERSONAL.name).map(|r| &r.frame),
            &read_of(STUDENT_PERSONAL.name)
                .map(|r| r.rejected_state_ids.clone())
                .unwrap_or_default(),
            read_of(STUDENT_ENROLLMENT.name).map(|r| &r.frame),
            &ingest_config,
        )?;
        let mut produced = Produced::default();
        let mut ingested = Vec::new();
        for (spec, read) in reads {
            let _span = info_span!("ingest", entity = spec.name).entered();
            let out = ingest::run(
                spec,
                read.frame.clone().lazy(),
                &read.present,
                &ctx.tables.codes,
                &ingest_config,
                &context,
            )?;
            info!(
                rows_in = out.report.rows_in,
                rows_out = out.report.rows_out,
                rejected = out.report.rejected_total(),
                "ingest"
            );
            produced.reports.push(read.report);
            produced.reports.push(out.report);
            produced.inputs.push(read.info);
            ingested.push(Ingested {
                entity: spec.name,
                read: read.frame,
                rows: out.rows,
                quarantine: sorted_quarantine(vec![read.quarantine, out.quarantine])?,
            });
        }
        for i in ingested.iter_mut() {
            write(ctx, i, &mut produced)?;
        }
        frames.ingested = Some(ingested);
        Ok(produced)
    }
}

fn read_one(ctx: &Ctx, spec: &EntitySpec, name: &str) -> Result<read::Read> {
    let path = ctx.config.bundle.join(name);
    let choice = ctx
        .config
        .encodings
        .get(name)
        .copied()
        .unwrap_or(EncodingChoice::Auto);
    let empty = BTreeMap::new();
    let map = ctx.config.columns.get(spec.name).unwrap_or(&empty);
    let _span = info_span!("read", entity = spec.name).entered();
    let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    let bar = progress_bar(ctx.opts, size, name);
    let read = read::read_file(&path, name, spec, choice, map, |b| bar.set_position(b))?;
    bar.finish_and_clear();
    info!(rows_in = read.report.rows_in, rows_out = read.report.rows_out, encoding = %read.info.encoding, "read");
    Ok(read)
}

/// Writes one entity's snapshots and records the hashes later stages read.
fn write(ctx: &Ctx, i: &mut Ingested, produced: &mut Produced) -> Result<()> {
    let (root, prov) = (ctx.root, &ctx.provenance);
    snapshot::write_parquet(root, read::STAGE, i.entity, &mut i.read, prov)?;
    snapshot::write_parquet(root, ingest::STAGE, i.entity, &mut i.rows, prov)?;
    let q = quarantine_name(i.entity);
    snapshot::write_parquet(root, ingest::STAGE, &q, &mut i.quarantine, prov)?;
    produced.outputs.extend([
        format!("{}/{}.parquet", read::STAGE, i.entity),
        format!("{}/{}.parquet", ingest::STAGE, i.entity),
        format!("{}/{q}.parquet", ingest::STAGE),
    ]);
    produced.data.extend(data_hashes(i.entity, &i.rows)?);
    Ok(())
}
