//! The read and ingest stage: every bundle file decoded, its columns mapped,
//! typed and checked; `read/<entity>.parquet`, `ingest/<entity>.parquet` and
//! `ingest/<entity>.quarantine.parquet`.
//!
//! Reads: the bundle files, `legacy_codes.csv`, the configuration's
//! `school_years`, `[files]`, `[read]` and `[ingest]` sections.

use super::frames::{quarantine_name, sorted_quarantine, Frames};
use super::overlap::{overlapped, overlapped_holding};
use super::runner::{Components, Produced, Stage, StageId, State};
use super::{progress_bar, Ctx, TOOL_VERSION};
use crate::checksum::{sum_of, DataHashes};
use crate::output::Staged;
use crate::read::{self, EncodingChoice};
use crate::snapshot;
use anyhow::Result;
use cutover_stages::columns::{BIRTH_DATE, SOURCE_ROW, STATE_STUDENT_ID};
use cutover_stages::ingest;
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
        // outputs as they were). The enrollments, read after the identity
        // file, are ingested as they are read (`stage_read_ingested`);
        // every other file from its staged read snapshot once all are read.
        // The cross-file rules (no identity, LEP, age) read the identity
        // file's IDs and birth dates and the enrollments' English proficiency.
        let ingest_config = ctx.config.ingest();
        let mut reads = Vec::new();
        let mut context = None;
        let mut lep = Vec::new();
        for spec in ENTITIES {
            let name = &ctx.config.files[spec.name];
            if !ctx.inputs.contains_key(name) {
                continue;
            }
            if spec.name == STUDENT_ENROLLMENT.name {
                let personal = timed("context", "", || context_of(&reads, &ingest_config))?;
                let read = stage_read_ingested(ctx, spec, name, &ingest_config, &personal)?;
                lep = read.1;
                reads.push(read.0);
                context = Some(personal);
            } else {
                reads.push((stage_read(ctx, spec, name)?, None));
            }
        }
        let mut context = match context {
            Some(context) => context,
            None => timed("context", "", || context_of(&reads, &ingest_config))?,
        };
        context.lep = lep;
        let mut produced = Produced::default();
        for (read, streamed) in reads {
            let ingested = match streamed {
                Some(ingested) => ingested,
                None => ingest_staged(ctx, &read, &ingest_config, &context)?,
            };
            settle(ctx, read, ingested, &mut produced)?;
        }
        Ok(produced)
    }
}

/// A file read, and its rows ingested when they were as they were read.
type FileRead = (StagedRead, Option<Ingested>);

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
                    read_one(ctx, spec, name, &mut |_| {}, &mut send)
                },
                |mut rows| sink.write(&mut rows),
            );
            settle_read(name, read, written, &mut failed, &mut done);
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

/// Reads the enrollments as [`stage_read`] does and ingests their rows as
/// they are read, before the rest of the file: while every row so far is
/// the first with its key ([`ingest::KeysSeen`]), no row repeats an
/// earlier one, so no batch needs the whole file's [`ingest::FirstRows`].
/// A key repeated or blank (or a batch that could not be ingested) stops
/// this; the file is then ingested from its staged read snapshot as every
/// other file is. Also returns the enrollments' LEP students.
fn stage_read_ingested(
    ctx: &Ctx,
    spec: &'static EntitySpec,
    name: &str,
    config: &ingest::IngestConfig,
    context: &ingest::Context,
) -> Result<(FileRead, Vec<String>)> {
    let present = std::sync::OnceLock::new();
    let mut stream = Stream::new(spec, &ctx.tables.codes, config, context);
    let mut failed = None;
    let mut done = None;
    let mut streamed = None;
    let (root, prov) = (ctx.root, &ctx.provenance);
    let staged = timed("read", spec.name, || {
        snapshot::stage_parquet_batches(root, read::STAGE, spec.name, prov, |read_sink| {
            let rows = snapshot::stage_parquet_batches(
                root,
                ingest::STAGE,
                spec.name,
                prov,
                |ingest_sink| {
                    // The next batch decoded and parsed on a thread of its
                    // own while this one ingests and writes the last: the
                    // parse does not wait for the writing, nor the writing
                    // for the parse. At most the batch taken and the next
                    // one parsed are held (none waits between them).
                    let present = &present;
                    let (read, written) = overlapped_holding(
                        0,
                        |send| {
                            let mut tell = |columns: &BTreeSet<String>| {
                                let _ = present.set(columns.clone());
                            };
                            let mut send = |rows| send(rows).map_err(|_| io_error(name, "stopped"));
                            read_one(ctx, spec, name, &mut tell, &mut send)
                        },
                        |mut rows: DataFrame| {
                            let columns = present.get().expect("the header is read before any row");
                            stream.take(&rows, columns, ingest_sink);
                            read_sink.write(&mut rows)
                        },
                    );
                    settle_read(name, read, written, &mut failed, &mut done);
                    match failed {
                        Some(_) => anyhow::bail!("{name}: not read"),
                        None => stream.finish(ingest_sink),
                    }
                },
            );
            match failed {
                Some(_) => anyhow::bail!("{name}: not read"),
                None => {
                    streamed = rows.ok();
                    Ok(())
                }
            }
        })
    });
    if let Some(e) = failed {
        return Err(e.into());
    }
    let rows = staged?;
    let read = done.expect("read when staged");
    let lep = stream.lep.iter().cloned().collect();
    let ingested = match (streamed, stream.ingestion) {
        (Some(rows), Some(ingestion)) if !stream.stopped => Some(Ingested {
            rows,
            quarantines: stream.quarantines,
            report: ingestion.finish(),
            hashes: stream.hashes,
        }),
        _ => None,
    };
    debug!(
        entity = spec.name,
        as_read = ingested.is_some(),
        "ingested as read (otherwise from the read snapshot)"
    );
    Ok(((StagedRead { spec, rows, read }, ingested), lep))
}

/// The enrollments' rows ingested as they are read ([`stage_read_ingested`]).
struct Stream<'a> {
    spec: &'static EntitySpec,
    codes: &'a cutover_stages::codes::CodeSet,
    config: &'a ingest::IngestConfig,
    context: &'a ingest::Context,
    ingestion: Option<ingest::Ingestion<'a>>,
    keys: Option<ingest::KeysSeen>,
    /// Rows ingested and not yet written, and the read rows they came
    /// from: written together as [`snapshot::read_batches`] groups the read
    /// snapshot's row groups (one per read batch), whole read batches of at
    /// most [`INGEST_BATCH`] rows unless one alone is more (each read batch
    /// is ingested as it comes: its rows are checked one by one).
    pending: Option<(DataFrame, usize)>,
    /// The batch of a file without rows (the only one it has).
    empty: Option<DataFrame>,
    ingested_any: bool,
    /// Not ingested as read: the file is ingested from its read snapshot.
    stopped: bool,
    quarantines: Vec<DataFrame>,
    hashes: DataHashes,
    /// The StateStudentIDs of the rows with EnglishProficiency 03 or 04.
    lep: BTreeSet<String>,
}

impl<'a> Stream<'a> {
    fn new(
        spec: &'static EntitySpec,
        codes: &'a cutover_stages::codes::CodeSet,
        config: &'a ingest::IngestConfig,
        context: &'a ingest::Context,
    ) -> Stream<'a> {
        Stream {
            spec,
            codes,
            config,
            context,
            ingestion: None,
            keys: None,
            pending: None,
            empty: None,
            ingested_any: false,
            stopped: false,
            quarantines: Vec::new(),
            hashes: DataHashes::new(spec.name),
            lep: BTreeSet::new(),
        }
    }

    /// Takes the next read batch (`present`: the file's columns); a batch
    /// that cannot be ingested as read stops the stream, never the read.
    fn take(
        &mut self,
        batch: &DataFrame,
        present: &'a BTreeSet<String>,
        sink: &mut snapshot::BatchSink<'_>,
    ) {
        if let Err(e) = self.try_take(batch, present, sink) {
            debug!(error = %format!("{e:#}"), "not ingested as read");
            self.stop();
        }
    }

    fn stop(&mut self) {
        self.stopped = true;
        self.pending = None;
        self.quarantines.clear();
    }

    fn try_take(
        &mut self,
        batch: &DataFrame,
        present: &'a BTreeSet<String>,
        sink: &mut snapshot::BatchSink<'_>,
    ) -> Result<()> {
        self.lep.extend(ingest::Context::lep_of(batch)?);
        if self.stopped {
            return Ok(());
        }
        if self.ingestion.is_none() {
            self.keys = ingest::KeysSeen::new(self.spec, present);
            if self.keys.is_none() {
                self.stop();
                return Ok(());
            }
            let (spec, codes, config, context) = (self.spec, self.codes, self.config, self.context);
            let first = ingest::FirstRows::default();
            let ingestion = ingest::Ingestion::new(spec, present, codes, config, context, first);
            self.ingestion = Some(ingestion);
        }
        if batch.height() == 0 {
            self.empty.get_or_insert_with(|| batch.clone());
            return Ok(());
        }
        let keys = self.keys.as_mut().expect("made with the ingestion");
        if !keys.all_first(batch)? {
            self.stop();
            return Ok(());
        }
        let read = batch.height();
        if let Some((rows, before)) = self.pending.take() {
            match before + read <= INGEST_BATCH {
                true => self.pending = Some((rows, before)),
                false => self.write(rows, sink)?,
            }
        }
        let rows = self.ingest(batch.clone())?;
        self.pending = Some(match self.pending.take() {
            Some((mut pending, before)) => {
                pending.vstack_mut(&rows)?;
                (pending, before + read)
            }
            None => (rows, read),
        });
        Ok(())
    }

    /// One read batch's rows typed and checked: the rows kept.
    fn ingest(&mut self, batch: DataFrame) -> Result<DataFrame> {
        let ingestion = self.ingestion.as_mut().expect("made at the first batch");
        let (rows, quarantine) = ingestion.batch(batch)?;
        self.quarantines.push(quarantine);
        Ok(rows)
    }

    fn write(&mut self, mut rows: DataFrame, sink: &mut snapshot::BatchSink<'_>) -> Result<()> {
        self.hashes.update(&rows)?;
        sink.write(&mut rows)?;
        self.ingested_any = true;
        Ok(())
    }

    /// Ingests what is left once the file is read: an error when the
    /// stream stopped (its staged ingest snapshot is then dropped).
    fn finish(&mut self, sink: &mut snapshot::BatchSink<'_>) -> Result<()> {
        if !self.stopped {
            let last = match (self.pending.take(), self.empty.take()) {
                (Some((rows, _)), _) => Some(Ok(rows)),
                (None, Some(empty)) if !self.ingested_any => Some(self.ingest(empty)),
                _ => None,
            };
            if let Some(last) = last {
                if let Err(e) = last.and_then(|rows| self.write(rows, sink)) {
                    debug!(error = %format!("{e:#}"), "not ingested as read");
                    self.stop();
                }
            }
        }
        match self.stopped {
            true => anyhow::bail!("not ingested as read"),
            false => Ok(()),
        }
    }
}

/// What a file's read and the writing of its rows came to: the read kept
/// in `done`, or the failure in `failed`; a file that cannot be read, or
/// written, says why in its own words.
fn settle_read<T>(
    name: &str,
    read: std::result::Result<T, read::ReadError>,
    written: Result<()>,
    failed: &mut Option<read::ReadError>,
    done: &mut Option<T>,
) {
    match (read, written) {
        (_, Err(e)) => *failed = Some(io_error(name, &format!("{e:#}"))),
        (Err(e), Ok(())) => *failed = Some(e),
        (Ok(read), Ok(())) => *done = Some(read),
    }
}

fn io_error(file: &str, message: &str) -> read::ReadError {
    read::ReadError::Io {
        file: file.to_string(),
        message: message.to_string(),
    }
}

/// The facts the cross-file rules read of the identity file (its
/// StateStudentIDs and birth dates, from its staged read snapshot); the
/// enrollments' English proficiency ([`ingest::Context::lep`]) is added
/// once they are read.
fn context_of(reads: &[FileRead], config: &ingest::IngestConfig) -> Result<ingest::Context> {
    let personal = reads
        .iter()
        .map(|(r, _)| r)
        .find(|r| r.spec.name == STUDENT_PERSONAL.name);
    let columns = personal
        .map(|r| snapshot::read_columns(r.rows.temp_path(), &[STATE_STUDENT_ID, BIRTH_DATE]))
        .transpose()?;
    let unreadable = personal
        .map(|r| r.read.rejected_state_ids.clone())
        .unwrap_or_default();
    Ok(ingest::Context::new(
        columns.as_ref(),
        &unreadable,
        None,
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

/// One file's rows ingested, staged as its ingest snapshot (not yet in
/// place), with their quarantine rows (a batch at a time), report and
/// content hashes.
struct Ingested {
    rows: Staged,
    quarantines: Vec<DataFrame>,
    report: cutover_stages::report::StageReport,
    hashes: DataHashes,
}

/// Ingests one file from its staged read snapshot a batch at a time.
fn ingest_staged(
    ctx: &Ctx,
    staged: &StagedRead,
    config: &ingest::IngestConfig,
    context: &ingest::Context,
) -> Result<Ingested> {
    let spec = staged.spec;
    let _span = info_span!("ingest", entity = spec.name).entered();
    let first = timed("first rows", spec.name, || first_rows(staged))?;
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
    Ok(Ingested {
        rows,
        quarantines,
        report: ingestion.finish(),
        hashes,
    })
}

/// Writes one file's quarantine snapshot and moves its read and ingest
/// snapshots into place.
fn settle(
    ctx: &Ctx,
    staged: StagedRead,
    ingested: Ingested,
    produced: &mut Produced,
) -> Result<()> {
    let spec = staged.spec;
    let _span = info_span!("ingest", entity = spec.name).entered();
    let Ingested {
        rows,
        mut quarantines,
        report,
        hashes,
    } = ingested;
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
    let (root, prov) = (ctx.root, &ctx.provenance);
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
    present: &mut dyn FnMut(&BTreeSet<String>),
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
        stamp: ctx.stamps.get(name).copied(),
    };
    let read = read::read_file(
        input,
        spec,
        choice,
        map,
        |b| bar.set_position(b),
        present,
        sink,
    )?;
    bar.finish_and_clear();
    info!(rows_in = read.report.rows_in, rows_out = read.report.rows_out, encoding = %read.info.encoding, "read");
    Ok(read)
}
