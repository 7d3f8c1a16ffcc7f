//! The read and ingest stage: every bundle file decoded, its columns mapped,
//! typed and checked; `read/<entity>.parquet`, `ingest/<entity>.parquet` and
//! `ingest/<entity>.quarantine.parquet`.
//!
//! Reads: the bundle files, `legacy_codes.csv`, the configuration's
//! `school_years`, `[files]`, `[read]` and `[ingest]` sections.

use super::frames::{quarantine_name, sorted_quarantine, Frames};
use super::runner::{Components, Produced, Stage, StageId, State};
use super::{progress_bar, Ctx, TOOL_VERSION};
use crate::checksum::{data_hashes, sum_of};
use crate::output::Staged;
use crate::read::{self, EncodingChoice, FileInfo};
use crate::snapshot;
use anyhow::Result;
use cutover_stages::columns::{BIRTH_DATE, ENGLISH_PROFICIENCY, STATE_STUDENT_ID};
use cutover_stages::ingest;
use cutover_stages::report::StageReport;
use cutover_stages::schema::{EntitySpec, ENTITIES, STUDENT_ENROLLMENT, STUDENT_PERSONAL};
use polars::prelude::*;
use std::collections::{BTreeMap, BTreeSet};
use tracing::{debug, info, info_span};

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

    fn run(&self, ctx: &Ctx, _state: &State, _frames: &mut Frames) -> Result<Produced> {
        // Every file is read first, one at a time, its read snapshot staged
        // beside its place (a file that cannot be read leaves the previous
        // outputs as they were); then each is ingested from its staged
        // snapshot, one at a time. The cross-file rules (no identity, LEP,
        // age) read two columns each of the identity and enrollment files.
        let mut reads = Vec::new();
        for spec in ENTITIES {
            let name = &ctx.config.files[spec.name];
            if ctx.inputs.contains_key(name) {
                reads.push(stage_read(ctx, spec, name)?);
            }
        }
        let ingest_config = ctx.config.ingest();
        let context = timed("context", "", || context(&reads, &ingest_config))?;
        let mut produced = Produced::default();
        for read in reads {
            ingest_one(ctx, read, &ingest_config, &context, &mut produced)?;
        }
        Ok(produced)
    }
}

/// One file read, its rows staged as its read snapshot (not yet in place).
struct StagedRead {
    spec: &'static EntitySpec,
    rows: Staged,
    present: BTreeSet<String>,
    quarantine: DataFrame,
    report: StageReport,
    info: FileInfo,
    rejected_state_ids: BTreeSet<String>,
}

/// Runs `f`, logging (at `-vv`) the wall and process CPU seconds it took.
fn timed<T>(phase: &str, entity: &str, f: impl FnOnce() -> T) -> T {
    let (wall, cpu) = (std::time::Instant::now(), crate::usage::cpu_time());
    let out = f();
    debug!(
        phase,
        entity,
        wall_s = format!("{:.2}", wall.elapsed().as_secs_f64()),
        cpu_s = format!("{:.2}", crate::usage::cpu_time() - cpu),
        "timing"
    );
    out
}

fn stage_read(ctx: &Ctx, spec: &'static EntitySpec, name: &str) -> Result<StagedRead> {
    let read = timed("read", spec.name, || read_one(ctx, spec, name))?;
    let mut frame = read.frame;
    let rows = timed("read snapshot", spec.name, || {
        snapshot::stage_parquet(
            ctx.root,
            read::STAGE,
            spec.name,
            &mut frame,
            &ctx.provenance,
        )
    })?;
    Ok(StagedRead {
        spec,
        rows,
        present: read.present,
        quarantine: read.quarantine,
        report: read.report,
        info: read.info,
        rejected_state_ids: read.rejected_state_ids,
    })
}

/// The facts the cross-file rules read: the identity file's StateStudentIDs
/// and birth dates, the enrollment file's English proficiency.
fn context(reads: &[StagedRead], config: &ingest::IngestConfig) -> Result<ingest::Context> {
    let of = |name: &str| reads.iter().find(|r| r.spec.name == name);
    let columns = |name: &str, wanted: &[&str]| {
        of(name)
            .map(|r| snapshot::read_columns(r.rows.temp_path(), wanted))
            .transpose()
    };
    let personal = columns(STUDENT_PERSONAL.name, &[STATE_STUDENT_ID, BIRTH_DATE])?;
    let enrollment = columns(
        STUDENT_ENROLLMENT.name,
        &[STATE_STUDENT_ID, ENGLISH_PROFICIENCY],
    )?;
    let unreadable = of(STUDENT_PERSONAL.name)
        .map(|r| r.rejected_state_ids.clone())
        .unwrap_or_default();
    Ok(ingest::Context::new(
        personal.as_ref(),
        &unreadable,
        enrollment.as_ref(),
        config,
    )?)
}

/// Ingests one file from its staged read snapshot, writes its ingest
/// snapshots and moves the read snapshot into place.
fn ingest_one(
    ctx: &Ctx,
    read: StagedRead,
    config: &ingest::IngestConfig,
    context: &ingest::Context,
    produced: &mut Produced,
) -> Result<()> {
    let spec = read.spec;
    let _span = info_span!("ingest", entity = spec.name).entered();
    let input = snapshot::scan_parquet(read.rows.temp_path())?;
    let out = timed("rules", spec.name, || {
        ingest::run(
            spec,
            input,
            &read.present,
            &ctx.tables.codes,
            config,
            context,
        )
    })?;
    info!(
        rows_in = out.report.rows_in,
        rows_out = out.report.rows_out,
        rejected = out.report.rejected_total(),
        "ingest"
    );
    produced.reports.push(read.report);
    produced.reports.push(out.report);
    produced.inputs.push(read.info);
    let quarantine = timed("sort quarantine", spec.name, || {
        sorted_quarantine(vec![read.quarantine, out.quarantine])
    })?;
    let mut ingested = Ingested {
        entity: spec.name,
        rows: out.rows,
        quarantine,
    };
    read.rows.persist()?;
    write(ctx, &mut ingested, produced)
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

/// One entity after ingest.
struct Ingested {
    entity: &'static str,
    rows: DataFrame,
    /// Read and ingest rejections.
    quarantine: DataFrame,
}

/// Writes one entity's ingest snapshots and records the hashes later
/// stages read.
fn write(ctx: &Ctx, i: &mut Ingested, produced: &mut Produced) -> Result<()> {
    let (root, prov) = (ctx.root, &ctx.provenance);
    timed("ingest snapshot", i.entity, || {
        snapshot::write_parquet(root, ingest::STAGE, i.entity, &mut i.rows, prov)
    })?;
    let q = quarantine_name(i.entity);
    timed("quarantine snapshot", i.entity, || {
        snapshot::write_parquet(root, ingest::STAGE, &q, &mut i.quarantine, prov)
    })?;
    produced.outputs.extend([
        format!("{}/{}.parquet", read::STAGE, i.entity),
        format!("{}/{}.parquet", ingest::STAGE, i.entity),
        format!("{}/{q}.parquet", ingest::STAGE),
    ]);
    let hashes = timed("data hashes", i.entity, || data_hashes(i.entity, &i.rows))?;
    produced.data.extend(hashes);
    Ok(())
}
