//! An entity with bindings mapped a batch of rows at a time: each batch of
//! ingest's rows (a row group or so) mapped, its rows written to the
//! crosswalk snapshot as one row group, before the next is read; never the
//! whole entity at once. Ingest's rows are in source row order, so the
//! batches' rows one after another are the rows mapping them all at once
//! gives.

use super::super::frames::{self, quarantine_name, sorted_quarantine, InOrder};
use super::super::runner::Produced;
use super::{output_names, quarantine_key, Work};
use crate::checksum::{data_hashes, DataHashes};
use crate::snapshot;
use anyhow::Result;
use cutover_stages::crosswalk::{self, Coder};
use cutover_stages::ingest;
use cutover_stages::report::StageReport;
use cutover_stages::schema::STUDENT_ENROLLMENT;
use polars::prelude::*;

impl Work<'_> {
    /// Maps one entity a batch at a time and writes its snapshots; its
    /// report, the names of its files and, for enrollments, the race
    /// check's evidence.
    pub(super) fn mapped(
        &mut self,
        entity: &'static str,
    ) -> Result<(StageReport, [String; 2], Option<DataFrame>)> {
        let ctx = self.ctx;
        let (root, prov) = (ctx.root, &ctx.provenance);
        let source = snapshot::snapshot_path(root, ingest::STAGE, entity);
        let mut coder = Coder::new(entity, &ctx.tables.mapping, &self.config)?;
        let mut hashes = DataHashes::new(entity);
        let mut quarantines = Vec::new();
        let enrollment = entity == STUDENT_ENROLLMENT.name;
        let mut evidence = Vec::new();
        let mut order = InOrder::default();
        let staged =
            snapshot::stage_parquet_batches(root, crosswalk::STAGE, entity, prov, |sink| {
                let make = |send: &mut Handoff<'_>| {
                    snapshot::read_slices(&source, snapshot::batch_rows(), |batch| {
                        order.check(&batch, entity)?;
                        let (rows, quarantine) = coder.batch(batch.lazy())?;
                        quarantines.push(quarantine);
                        if enrollment {
                            evidence.push(crosswalk::race_evidence(&rows)?);
                        }
                        send(rows)
                    })
                };
                overlapped(make, |mut rows| {
                    hashes.update(&rows)?;
                    sink.write(&mut rows)
                })
            })?;
        let (coverage, report) = coder.finish()?;
        self.coverage.extend(coverage);
        staged.persist()?;
        let mut quarantine = sorted_quarantine(quarantines)?;
        let q = quarantine_name(entity);
        snapshot::write_parquet(root, crosswalk::STAGE, &q, &mut quarantine, prov)?;
        let produced: &mut Produced = &mut self.produced;
        produced.data.extend(hashes.finish());
        produced
            .data
            .extend(data_hashes(&quarantine_key(entity), &quarantine)?);
        let evidence = if enrollment {
            Some(frames::concat_frames(evidence)?)
        } else {
            None
        };
        Ok((report, output_names(entity), evidence))
    }
}

/// What [`overlapped`]'s maker hands each frame to.
pub(in crate::run) type Handoff<'a> = dyn FnMut(DataFrame) -> Result<()> + 'a;

/// Runs `make` on a thread of its own, each frame it makes handed to
/// `take` on this one (one frame waiting at most): the next batch is
/// mapped while the last is hashed and written, on both cores, the frames
/// taken in the order made. The first error of `take`, else of `make`.
pub(in crate::run) fn overlapped(
    make: impl FnOnce(&mut Handoff<'_>) -> Result<()> + std::marker::Send,
    take: impl FnMut(DataFrame) -> Result<()>,
) -> Result<()> {
    let (made, taken) = crate::run::overlap::overlapped(
        |send| {
            make(&mut |frame| {
                send(frame).map_err(|_| anyhow::anyhow!("the batches' writer stopped"))
            })
        },
        take,
    );
    taken.and(made)
}
