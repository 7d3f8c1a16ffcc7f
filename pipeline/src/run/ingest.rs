//! The read and ingest stage: every bundle file decoded, its columns mapped,
//! typed and checked; `read/<entity>.parquet`, `ingest/<entity>.parquet` and
//! `ingest/<entity>.quarantine.parquet`.
//!
//! Reads: the bundle files, `legacy_codes.csv`, the configuration's
//! `school_years`, `[files]`, `[read]` and `[ingest]` sections.

use super::frames::{quarantine_name, sorted_quarantine, Frames};
use super::overlap::overlapped;
use super::runner::{Components, Produced, Stage, StageId, State};
use super::{progress_bar, Ctx, TOOL_VERSION};
use crate::checksum::{sum_of, DataHashes};
use crate::output::Staged;
use crate::read::{self, EncodingChoice};
use crate::snapshot;
use anyhow::Result;
use cutover_stages::columns::{BIRTH_DATE, ENGLISH_PROFICIENCY, SOURCE_ROW, STATE_STUDENT_ID};
use cutover_stages::ingest;
use cutover_stages::schema::{EntitySpec, ENTITIES, STUDENT_ENROLLMENT, STUDENT_PERSONAL};
use polars::prelude::*;
use std::collections::BTreeMap;
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
    read: read::Read,
}

/// Rows ingested a batch at a time: each batch of the read snapshot's rows
/// is typed, checked and written before the next is read.
const INGEST_BATCH: usize = 1 << 17;

/// Runs `f`, logging (at `-vv`) the wall and process CPU seconds it took.
fn timed<T>(phase: &str, entity: &str, f: impl FnOnce() -> T) -> T {
    let (wall, cpu) = (std::time::Instant::now(), crate::usage::cpu_time());
    let out = f();
    debug!(
        phase,
        entity,
        wall_s = format!("{:.2}", wall.elapsed().as_secs_f64()),
        cpu_s = format!("{:.2}", crate::usage::cpu_time() - cpu),
        peak_mib = crate::usage::peak_rss() >> 20,
        "timing"
    );
    out
}

/// Reads one file, its rows written to its staged read snapshot a batch at
/// a time as they are read: the file is decoded and parsed on one thread
/// while this one writes the rows it has (a batch at most waits between
/// them), so both cores work.
fn stage_read(ctx: &Ctx, spec: &'static EntitySpec, name: &str) -> Result<StagedRead> {
    let mut failed = None;
    let mut done = None;
    let staged = timed("read", spec.name, || {
        snapshot::stage_parquet_batches(ctx.root, read::STAGE, spec.name, &ctx.provenance, |sink| {
            let (read, written) = overlapped(
                |send| {
                    let mut send = |rows| send(rows).map_err(|_| io_error(name, "stopped"));
                    read_one(ctx, spec, name, &mut send)
                },
                |mut rows| sink.write(&mut rows),
            );
            // A file that cannot be read, or written, says why in its own words.
            match (read, written) {
                (_, Err(e)) => failed = Some(io_error(name, &format!("{e:#}"))),
                (Err(e), Ok(())) => failed = Some(e),
                (Ok(read), Ok(())) => done = Some(read),
            }
            match failed {
                Some(_) => anyhow::bail!("{name}: not read"),
                None => Ok(()),
            }
        })
    });
    if let Some(e) = failed {
        return Err(e.into());
    }
    let rows = staged?;
    let read = done.expect("read when staged");
    Ok(StagedRead { spec, rows, read })
}

fn io_error(file: &str, message: &str) -> read::ReadError {
    read::ReadError::Io {
        file: file.to_string(),
        message: message.to_string(),
    }
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
        .map(|r| r.read.rejected_state_ids.clone())
        .unwrap_or_default();
    Ok(ingest::Context::new(
        personal.as_ref(),
        &unreadable,
        enrollment.as_ref(),
        config,
    )?)
}

/// The rules over the whole file, settled from its staged read snapshot:
/// the rows that may equal another (few) read whole, the keys of every row.
fn first_rows(staged: &StagedRead) -> Result<ingest::FirstRows> {
    let path = staged.rows.temp_path();
    let maybe = &staged.read.maybe_same;
    let candidates = if maybe.is_empty() {
        None
    } else {
        let lines = Series::new("lines".into(), maybe.clone());
        Some(
            snapshot::scan_parquet(path)?
                .filter(col(SOURCE_ROW).is_in(lit(lines).implode(false), false)),
        )
    };
    let keys = snapshot::scan_parquet(path)?;
    let present = &staged.read.present;
    Ok(ingest::FirstRows::of(
        staged.spec,
        present,
        candidates,
        keys,
    )?)
}

/// Ingests one file from its staged read snapshot a batch at a time,
/// writes its ingest snapshots and moves the read snapshot into place.
fn ingest_one(
    ctx: &Ctx,
    staged: StagedRead,
    config: &ingest::IngestConfig,
    context: &ingest::Context,
    produced: &mut Produced,
) -> Result<()> {
    let spec = staged.spec;
    let _span = info_span!("ingest", entity = spec.name).entered();
    let first = timed("first rows", spec.name, || first_rows(&staged))?;
    let present = &staged.read.present;
    let codes = &ctx.tables.codes;
    let mut ingestion = ingest::Ingestion::new(spec, present, codes, config, context, first);
    let mut hashes = DataHashes::new(spec.name);
    let mut quarantines = Vec::new();
    let (root, prov) = (ctx.root, &ctx.provenance);
    let path = staged.rows.temp_path();
    let rows = timed("rules", spec.name, || {
        snapshot::stage_parquet_batches(root, ingest::STAGE, spec.name, prov, |sink| {
            // Each batch typed and checked on one thread while the last is
            // hashed and written on this one.
            let (ingestion, quarantines) = (&mut ingestion, &mut quarantines);
            let (checked, written) = overlapped(
                |send| {
                    snapshot::read_batches(path, INGEST_BATCH, |batch| {
                        let (rows, quarantine) = ingestion.batch(batch)?;
                        quarantines.push(quarantine);
                        send(rows).map_err(|()| anyhow::anyhow!("the rows were not written"))
                    })
                },
                |mut rows| {
                    hashes.update(&rows)?;
                    sink.write(&mut rows)
                },
            );
            written.and(checked)
        })
    })?;
    let report = ingestion.finish();
    info!(
        rows_in = report.rows_in,
        rows_out = report.rows_out,
        rejected = report.rejected_total(),
        "ingest"
    );
    let read = staged.read;
    produced.reports.push(read.report);
    produced.reports.push(report);
    produced.inputs.push(read.info);
    quarantines.insert(0, read.quarantine);
    let mut quarantine = timed("sort quarantine", spec.name, || {
        sorted_quarantine(quarantines)
    })?;
    staged.rows.persist()?;
    rows.persist()?;
    let q = quarantine_name(spec.name);
    timed("quarantine snapshot", spec.name, || {
        snapshot::write_parquet(root, ingest::STAGE, &q, &mut quarantine, prov)
    })?;
    produced.outputs.extend([
        format!("{}/{}.parquet", read::STAGE, spec.name),
        format!("{}/{}.parquet", ingest::STAGE, spec.name),
        format!("{}/{q}.parquet", ingest::STAGE),
    ]);
    produced.data.extend(hashes.finish());
    Ok(())
}

fn read_one(
    ctx: &Ctx,
    spec: &EntitySpec,
    name: &str,
    sink: read::Sink,
) -> Result<read::Read, read::ReadError> {
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
    let input = read::Input {
        path: &path,
        file: name,
        sha256: ctx.inputs.get(name).map(String::as_str),
    };
    let read = read::read_file(input, spec, choice, map, |b| bar.set_position(b), sink)?;
    bar.finish_and_clear();
    info!(rows_in = read.report.rows_in, rows_out = read.report.rows_out, encoding = %read.info.encoding, "read");
    Ok(read)
}
