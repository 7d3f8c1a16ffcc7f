//! The crosswalk stage: organization IDs and every coded column through
//! their versioned tables, race bridged; `crosswalk/<entity>.parquet`, its
//! quarantine, and `crosswalk/coverage.json`.
//!
//! Reads: ingest's rows of student_personal, student_enrollment, behavior,
//! truancy and cte; the mapping tables; the configuration's `school_years`.

use super::frames::{quarantine_name, Crosswalked, Frames, CROSSWALK_ENTITIES};
use super::runner::{Components, Produced, Stage, StageId, State};
use super::{Coverage, Ctx, Failure, TOOL_VERSION};
use crate::checksum::{data_hashes, sum_of};
use crate::output::write_bytes;
use crate::snapshot;
use anyhow::Result;
use cutover_stages::crosswalk;
use cutover_stages::report::StageReport;
use cutover_stages::schema::{BEHAVIOR, CTE, STUDENT_ENROLLMENT, STUDENT_PERSONAL, TRUANCY};
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

    fn run(&self, ctx: &Ctx, _state: &State, frames: &mut Frames) -> Result<Produced> {
        let ingested = frames.ingested(ctx)?;
        let take = |name: &str| {
            ingested
                .iter()
                .find(|r| r.entity == name)
                .map(|r| r.rows.clone())
        };
        let out = {
            let _span = info_span!("crosswalk").entered();
            let others = [BEHAVIOR.name, TRUANCY.name, CTE.name]
                .into_iter()
                .filter_map(|e| take(e).map(|d| (e, d)))
                .collect();
            crosswalk::run(
                take(STUDENT_PERSONAL.name),
                take(STUDENT_ENROLLMENT.name),
                others,
                &ctx.tables.mapping,
                &crosswalk::CrosswalkConfig {
                    first_year: ctx.config.first_year,
                    last_year: ctx.config.last_year,
                },
            )?
        };
        let mut produced = Produced::default();
        type Part = Option<(DataFrame, DataFrame, StageReport)>;
        let mut parts: Vec<(&'static str, Part)> = vec![
            (STUDENT_PERSONAL.name, out.personal),
            (STUDENT_ENROLLMENT.name, out.enrollment),
        ];
        parts.extend(
            out.others
                .into_iter()
                .map(|(e, r, q, rep)| (e, Some((r, q, rep)))),
        );
        let mut crosswalked = Vec::new();
        for (entity, (rows, quarantine, report)) in
            parts.into_iter().filter_map(|(e, p)| p.map(|p| (e, p)))
        {
            info!(
                entity,
                rows_in = report.rows_in,
                rows_out = report.rows_out,
                rejected = report.rejected_total(),
                "crosswalk"
            );
            produced.reports.push(report);
            crosswalked.push(Crosswalked {
                entity,
                rows,
                quarantine,
            });
        }
        for c in crosswalked.iter_mut() {
            write(ctx, c, &mut produced)?;
        }
        let coverage = Coverage {
            columns: out.coverage,
            race: out.race,
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
        frames.crosswalked = Some(crosswalked);
        Ok(produced)
    }
}

fn write(ctx: &Ctx, c: &mut Crosswalked, produced: &mut Produced) -> Result<()> {
    let (root, prov) = (ctx.root, &ctx.provenance);
    snapshot::write_parquet(root, crosswalk::STAGE, c.entity, &mut c.rows, prov)?;
    let q = quarantine_name(c.entity);
    snapshot::write_parquet(root, crosswalk::STAGE, &q, &mut c.quarantine, prov)?;
    produced.outputs.extend([
        format!("{}/{}.parquet", crosswalk::STAGE, c.entity),
        format!("{}/{q}.parquet", crosswalk::STAGE),
    ]);
    produced.data.extend(data_hashes(c.entity, &c.rows)?);
    // What the report's quarantine files read (a name no later stage's
    // `data_of(entity)` matches).
    produced
        .data
        .extend(data_hashes(&quarantine_key(c.entity), &c.quarantine)?);
    Ok(())
}

/// The key under which the crosswalk stage records the content of an
/// entity's quarantine frame.
pub fn quarantine_key(entity: &str) -> String {
    format!("quarantine:{entity}")
}
