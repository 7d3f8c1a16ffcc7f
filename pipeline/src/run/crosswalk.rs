//! The crosswalk stage: organization IDs and every coded column through
//! their versioned tables, race bridged; `crosswalk/<entity>.parquet`, its
//! quarantine, and `crosswalk/coverage.json`.
//!
//! Reads: ingest's rows of student_personal, student_enrollment, behavior,
//! truancy and cte; the mapping tables; the configuration's `school_years`.

use super::frames::{self, quarantine_name, Frames, CROSSWALK_ENTITIES};
use super::runner::{Components, Produced, Stage, StageId, State};
use super::{Coverage, Ctx, Failure, TOOL_VERSION};
use crate::checksum::{data_hashes, sum_of};
use crate::output::write_bytes;
use crate::snapshot;
use anyhow::Result;
use cutover_stages::columns::SCHOOL_YEAR;
use cutover_stages::crosswalk;
use cutover_stages::ingest;
use cutover_stages::report::StageReport;
use cutover_stages::schema::{STUDENT_ENROLLMENT, STUDENT_PERSONAL};
use polars::prelude::*;
use std::collections::BTreeMap;
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

    fn run(&self, ctx: &Ctx, _state: &State, _frames: &mut Frames) -> Result<Produced> {
        let _span = info_span!("crosswalk").entered();
        let present = frames::crosswalked(ctx);
        let config = widened(ctx, &present)?;
        let mut coverage = Vec::new();
        let mut done: Vec<(&'static str, StageReport, [String; 2])> = Vec::new();
        let mut produced = Produced::default();
        // One entity at a time, read from ingest's snapshot and dropped once
        // written; enrollments first, as the race check (with personal rows)
        // reads their SAUs.
        let mut race_evidence = None;
        for entity in present
            .iter()
            .copied()
            .filter(|e| *e != STUDENT_PERSONAL.name)
        {
            let rows = frames::scan(ctx, ingest::STAGE, entity)?;
            let (rows, quarantine, report) =
                crosswalk::coded(rows, entity, &ctx.tables.mapping, &config, &mut coverage)?;
            if entity == STUDENT_ENROLLMENT.name {
                race_evidence = Some(crosswalk::race_evidence(&rows)?);
            }
            let c = Crosswalked {
                entity,
                rows,
                quarantine,
            };
            done.push((entity, report, write(ctx, c, &mut produced)?));
        }
        let personal = present
            .contains(&STUDENT_PERSONAL.name)
            .then(|| frames::load(ctx, ingest::STAGE, STUDENT_PERSONAL.name))
            .transpose()?;
        let (personal, race) = crosswalk::personal_or_none(
            personal,
            race_evidence.as_ref(),
            &ctx.tables.mapping,
            &config,
            &mut coverage,
        )?;
        drop(race_evidence);
        if let Some((rows, quarantine, report)) = personal {
            let entity = STUDENT_PERSONAL.name;
            let c = Crosswalked {
                entity,
                rows,
                quarantine,
            };
            done.insert(0, (entity, report, write(ctx, c, &mut produced)?));
        }
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
    snapshot::write_parquet(root, crosswalk::STAGE, c.entity, &mut c.rows, prov)?;
    let q = quarantine_name(c.entity);
    snapshot::write_parquet(root, crosswalk::STAGE, &q, &mut c.quarantine, prov)?;
    produced.data.extend(data_hashes(c.entity, &c.rows)?);
    // What the report's quarantine files read (a name no later stage's
    // `data_of(entity)` matches).
    produced
        .data
        .extend(data_hashes(&quarantine_key(c.entity), &c.quarantine)?);
    Ok([
        format!("{}/{}.parquet", crosswalk::STAGE, c.entity),
        format!("{}/{q}.parquet", crosswalk::STAGE),
    ])
}

/// The key under which the crosswalk stage records the content of an
/// entity's quarantine frame.
pub fn quarantine_key(entity: &str) -> String {
    format!("quarantine:{entity}")
}
