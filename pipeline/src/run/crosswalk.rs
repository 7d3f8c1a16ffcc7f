//! The crosswalk stage: organization IDs and every coded column through
//! their versioned tables, race bridged; `crosswalk/<entity>.parquet`, its
//! quarantine, and `crosswalk/coverage.json`.
//!
//! Reads: ingest's rows of student_personal, student_enrollment, behavior,
//! truancy and cte; the mapping tables; the configuration's `school_years`.

mod batched;
mod hashes;
mod patch;

pub(super) use batched::{overlapped, Handoff};

use super::entities;
use super::frames::{self, quarantine_name, Frames, CROSSWALK_ENTITIES};
use super::runner::{Components, Produced, Stage, StageId, StageState, State};
use super::{Coverage, Ctx, Failure, TOOL_VERSION};
use crate::checksum::{data_hashes, sum_of};
use crate::output::write_bytes;
use crate::snapshot;
use anyhow::Result;
use cutover_stages::columns::SCHOOL_YEAR;
use cutover_stages::crosswalk::{self, ColumnCoverage, RaceCheck};
use cutover_stages::ingest;
use cutover_stages::report::StageReport;
use cutover_stages::schema::{STUDENT_ENROLLMENT, STUDENT_PERSONAL};
use polars::prelude::*;
use std::collections::BTreeMap;
use std::time::Instant;
use tracing::{info, info_span};

pub struct Crosswalk;

pub const COVERAGE: &str = "crosswalk/coverage.json";

impl Stage for Crosswalk {
    fn id(&self) -> StageId {
        StageId::Crosswalk
    }

    fn reads(&self, ctx: &Ctx, state: &State) -> Result<Components> {
        Ok(BTreeMap::from([
            ("tool version".to_string(), TOOL_VERSION.to_string()),
            (
                "config".to_string(),
                ctx.config.section_sum(StageId::Crosswalk),
            ),
            (
                "crosswalk tables".to_string(),
                sum_of(&ctx.tables.mapping_sums()),
            ),
            (
                "ingested rows".to_string(),
                state.data_of(StageId::Ingest, &CROSSWALK_ENTITIES),
            ),
        ]))
    }

    fn run(&self, ctx: &Ctx, state: &State, _frames: &mut Frames) -> Result<Produced> {
        let _span = info_span!("crosswalk").entered();
        let present = frames::crosswalked(ctx);
        let prev = entities::previous(ctx, state, StageId::Crosswalk);
        let mut w = Work {
            ctx,
            state,
            prev,
            last: prev.and_then(|p| last_coverage(ctx, p)),
            config: widened(ctx, &present)?,
            coverage: Vec::new(),
            done: Vec::new(),
            produced: Produced::default(),
        };
        // One entity at a time, read from ingest's snapshot and dropped once
        // written; enrollments first, as the race check (with personal rows)
        // reads their SAUs.
        let mut race_evidence = None;
        for entity in present
            .iter()
            .copied()
            .filter(|e| *e != STUDENT_PERSONAL.name)
        {
            let evidence = w.coded(entity)?;
            if entity == STUDENT_ENROLLMENT.name {
                race_evidence = evidence;
            }
        }
        let race = if present.contains(&STUDENT_PERSONAL.name) {
            w.personal(race_evidence)?
        } else {
            RaceCheck {
                agree: true,
                ..Default::default()
            }
        };
        let Work {
            done,
            coverage,
            mut produced,
            ..
        } = w;
        // Reported and listed in the stage's order: personal, enrollment,
        // behavior, truancy, CTE.
        for (entity, report, outputs) in done {
            info!(
                entity,
                rows_in = report.rows_in,
                rows_out = report.rows_out,
                rejected = report.rejected_total(),
                "crosswalk"
            );
            produced.reports.push(report);
            produced.outputs.extend(outputs);
        }
        // No value a report may not show (`report_values`): a CIP code
        // column holds text, a surname passes ingest there.
        let shown = crate::report_values::Shown::new(&ctx.tables.codes, &ctx.tables.mapping);
        let mut coverage = coverage;
        for c in &mut coverage {
            shown.mask_coverage(c);
        }
        let coverage = Coverage {
            columns: coverage,
            race,
        };
        write_bytes(
            &ctx.root.join(COVERAGE),
            &serde_json::to_vec_pretty(&coverage)?,
        )?;
        produced.outputs.push(COVERAGE.to_string());
        if !coverage.race.agree {
            produced.failures.push(Failure {
                stage: crosswalk::STAGE.into(),
                entity: STUDENT_PERSONAL.name.into(),
                check: "race_categories".into(),
                message: "the seven federal race categories differ before and after bridging (see crosswalk/coverage.json)".into(),
            });
        }
        Ok(produced)
    }
}

/// The stage's work in progress, one entity at a time.
struct Work<'a> {
    ctx: &'a Ctx<'a>,
    state: &'a State,
    /// The last run's state, when entities may be kept from it.
    prev: Option<&'a StageState>,
    /// The last run's coverage, when it is as that run wrote it.
    last: Option<Coverage>,
    config: crosswalk::CrosswalkConfig,
    coverage: Vec<ColumnCoverage>,
    done: Vec<(&'static str, StageReport, [String; 2])>,
    produced: Produced,
}

/// The mapping tables an entity's rows go through (organizations for its
/// school and SAU columns and each bound column's table; race for personal
/// rows).
fn tables_of(entity: &str) -> Vec<String> {
    if entity == STUDENT_PERSONAL.name {
        return vec!["race.csv".to_string()];
    }
    let bound = crosswalk::bindings_of(entity).unwrap_or_default();
    std::iter::once("organizations.csv".to_string())
        .chain(bound.iter().map(|b| format!("{}.csv", b.domain)))
        .collect()
}

/// The last run's coverage, if its file is as that run wrote it.
fn last_coverage(ctx: &Ctx, prev: &StageState) -> Option<Coverage> {
    let sum = crate::checksum::file_sha256(&ctx.root.join(COVERAGE)).ok()?;
    if prev.outputs.get(COVERAGE) != Some(&sum) {
        return None;
    }
    serde_json::from_slice(&std::fs::read(ctx.root.join(COVERAGE)).ok()?).ok()
}

impl Work<'_> {
    /// What one entity's crosswalk is made from: its ingested rows, the
    /// tables bound to its columns, the stage's configuration and the school
    /// years the tables are expanded over (and `extra`).
    fn fingerprint(&self, entity: &str, extra: Option<String>) -> String {
        self.print_of(entity, extra, tables_of(entity))
    }

    /// What one entity's crosswalk is made from besides the code tables of
    /// its bindings (see `patch`).
    fn base_print(&self, entity: &str) -> String {
        let bound: Vec<String> = crosswalk::bindings_of(entity)
            .unwrap_or_default()
            .iter()
            .map(|b| format!("{}.csv", b.domain))
            .collect();
        let tables = tables_of(entity)
            .into_iter()
            .filter(|t| !bound.contains(t))
            .collect();
        self.print_of(entity, None, tables)
    }

    fn print_of(&self, entity: &str, extra: Option<String>, tables: Vec<String>) -> String {
        let ctx = self.ctx;
        let tables: Vec<(&str, String)> = tables
            .into_iter()
            .map(|t| {
                let sum = ctx.tables.table_sums.get(&t).cloned().unwrap_or_default();
                ("table", format!("{t}:{sum}"))
            })
            .collect();
        let mut parts = vec![
            ("entity", entity.to_string()),
            ("tool version", TOOL_VERSION.to_string()),
            ("config", ctx.config.section_sum(StageId::Crosswalk)),
            (
                "school years",
                format!("{}-{}", self.config.first_year, self.config.last_year),
            ),
            (
                "ingested rows",
                self.state.data_of(StageId::Ingest, &[entity]),
            ),
        ];
        parts.extend(tables);
        parts.extend(extra.map(|e| ("enrollment evidence", e)));
        entities::digest(&parts)
    }

    /// The entity kept from the last run, if it may be: its snapshots given
    /// this run's provenance, its report, data hashes and coverage carried.
    fn keep(&mut self, entity: &'static str, fingerprint: &str) -> Result<Option<StageReport>> {
        let outputs = output_names(entity);
        let Some(last) = self.last.as_ref() else {
            return Ok(None);
        };
        let Some(mut reports) = entities::kept_reports(
            self.ctx,
            self.prev,
            (entity, fingerprint),
            &outputs,
            crosswalk::STAGE,
        ) else {
            return Ok(None);
        };
        let (root, prov) = (self.ctx.root, &self.ctx.provenance);
        snapshot::restamp(root, crosswalk::STAGE, entity, prov)?;
        snapshot::restamp(root, crosswalk::STAGE, &quarantine_name(entity), prov)?;
        let prev = self.prev.expect("kept from a previous run");
        let prefixes = [entity.to_string(), quarantine_key(entity)];
        entities::carry_data(prev, &prefixes, &mut self.produced);
        self.coverage
            .extend(last.columns.iter().filter(|c| c.entity == entity).cloned());
        Ok(Some(reports.remove(0)))
    }

    /// Maps (or keeps) one entity with bindings; for enrollments, the race
    /// check's evidence.
    fn coded(&mut self, entity: &'static str) -> Result<Option<DataFrame>> {
        let started = Instant::now();
        let fingerprint = self.fingerprint(entity, None);
        self.produced
            .data
            .insert(entities::key(entity), fingerprint.clone());
        if let Some(report) = self.keep(entity, &fingerprint)? {
            self.done.push((entity, report, output_names(entity)));
            entities::part(&mut self.produced, entity, "kept", started);
            self.record_parts(entity);
            return Ok(None);
        }
        if let Some(report) = self.patch(entity)? {
            self.done.push((entity, report, output_names(entity)));
            entities::part(&mut self.produced, entity, "patched", started);
            self.record_parts(entity);
            return Ok(None);
        }
        self.record_parts(entity);
        let (report, outputs, evidence) = self.mapped(entity)?;
        self.done.push((entity, report, outputs));
        entities::part(&mut self.produced, entity, "mapped", started);
        Ok(evidence)
    }

    /// Bridges (or keeps) the personal rows; the race check. Their
    /// fingerprint covers what the race check reads of the crosswalked
    /// enrollments (read back if those were kept).
    fn personal(&mut self, race_evidence: Option<DataFrame>) -> Result<RaceCheck> {
        let started = Instant::now();
        let entity = STUDENT_PERSONAL.name;
        let ctx = self.ctx;
        let evidence = entities::columns_sum(
            &self.produced.data,
            STUDENT_ENROLLMENT.name,
            &crosswalk::RACE_EVIDENCE,
        );
        let fingerprint = self.fingerprint(entity, Some(evidence));
        self.produced
            .data
            .insert(entities::key(entity), fingerprint.clone());
        if let Some(report) = self.keep(entity, &fingerprint)? {
            self.done.insert(0, (entity, report, output_names(entity)));
            entities::part(&mut self.produced, entity, "kept", started);
            let last = self.last.as_ref().expect("kept with its coverage");
            return Ok(last.race.clone());
        }
        let race_evidence = match race_evidence {
            Some(e) => Some(e),
            None if frames::crosswalked(ctx).contains(&STUDENT_ENROLLMENT.name) => {
                Some(frames::load_columns(
                    ctx,
                    crosswalk::STAGE,
                    STUDENT_ENROLLMENT.name,
                    &crosswalk::RACE_EVIDENCE,
                )?)
            }
            None => None,
        };
        let personal = frames::load(ctx, ingest::STAGE, entity)?;
        let (personal, race) = crosswalk::personal_or_none(
            Some(personal),
            race_evidence.as_ref(),
            &ctx.tables.mapping,
            &self.config,
            &mut self.coverage,
        )?;
        drop(race_evidence);
        if let Some((rows, quarantine, report)) = personal {
            let c = Crosswalked {
                entity,
                rows,
                quarantine,
            };
            let outputs = write(ctx, c, &mut self.produced)?;
            self.done.insert(0, (entity, report, outputs));
        }
        entities::part(&mut self.produced, entity, "mapped", started);
        Ok(race)
    }
}

/// An entity's snapshots: its rows and its quarantine.
fn output_names(entity: &str) -> [String; 2] {
    [
        format!("{}/{entity}.parquet", crosswalk::STAGE),
        format!("{}/{}.parquet", crosswalk::STAGE, quarantine_name(entity)),
    ]
}

/// The configured school years widened to those the ingested rows carry.
fn widened(ctx: &Ctx, present: &[&str]) -> Result<crosswalk::CrosswalkConfig> {
    let mut ranges = Vec::new();
    for entity in present {
        let mut rows = frames::scan(ctx, ingest::STAGE, entity)?;
        if !rows.collect_schema()?.contains(SCHOOL_YEAR) {
            continue;
        }
        let year = || col(SCHOOL_YEAR).cast(DataType::Int32);
        let df = rows
            .select([year().min().alias("min"), year().max().alias("max")])
            .collect()?;
        let get = |c: &str| -> Result<Option<i32>> { Ok(df.column(c)?.i32()?.get(0)) };
        ranges.push((get("min")?, get("max")?));
    }
    Ok(crosswalk::widened_by(
        &crosswalk::CrosswalkConfig {
            first_year: ctx.config.first_year,
            last_year: ctx.config.last_year,
        },
        ranges,
    ))
}

/// One entity after the crosswalk stage.
struct Crosswalked {
    entity: &'static str,
    rows: DataFrame,
    quarantine: DataFrame,
}

/// Writes one entity's snapshots (and records the hashes later stages
/// read); the names of the files written.
fn write(ctx: &Ctx, mut c: Crosswalked, produced: &mut Produced) -> Result<[String; 2]> {
    let (root, prov) = (ctx.root, &ctx.provenance);
    // One chunk, as a patched snapshot is written (the row groups, and so
    // the bytes, depend on the chunks).
    c.rows.rechunk_mut_par();
    snapshot::write_parquet(root, crosswalk::STAGE, c.entity, &mut c.rows, prov)?;
    let q = quarantine_name(c.entity);
    snapshot::write_parquet(root, crosswalk::STAGE, &q, &mut c.quarantine, prov)?;
    produced.data.extend(data_hashes(c.entity, &c.rows)?);
    // What the report's quarantine files read (a name no later stage's
    // `data_of(entity)` matches).
    produced
        .data
        .extend(data_hashes(&quarantine_key(c.entity), &c.quarantine)?);
    Ok(output_names(c.entity))
}

/// The key under which the crosswalk stage records the content of an
/// entity's quarantine frame.
pub fn quarantine_key(entity: &str) -> String {
    format!("quarantine:{entity}")
}
