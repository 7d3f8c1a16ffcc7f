//! The identity stage (see `crate::identity_stage` for its files): one
//! student, one StateStudentID, every downstream row re-keyed.
//!
//! Reads: the crosswalk stage's rows of every entity it maps, ingest's
//! mailing addresses and graduation rows, `nicknames.csv`,
//! `review/decisions.csv`, the configuration's `[identity]` section.

use super::frames::{Frames, CROSSWALK_ENTITIES};
use super::runner::{Components, Produced, Stage, StageId, State};
use super::{Ctx, TOOL_VERSION};
use crate::checksum::hex;
use crate::identity_stage;
use crate::tables::NICKNAMES;
use anyhow::Result;
use cutover_stages::schema::{
    BEHAVIOR, CTE, GRADUATION, MAILING_ADDRESS, STUDENT_ENROLLMENT, STUDENT_PERSONAL, TRUANCY,
};
use polars::prelude::*;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::PathBuf;
use tracing::info;

pub struct Identity;

/// Ingest's entities the stage reads as they are.
const INGESTED: [&str; 2] = [MAILING_ADDRESS.name, GRADUATION.name];

fn decisions_path(ctx: &Ctx) -> PathBuf {
    ctx.root.join("review").join("decisions.csv")
}

impl Stage for Identity {
    fn id(&self) -> StageId {
        StageId::Identity
    }

    fn reads(&self, ctx: &Ctx, state: &State) -> Result<Components> {
        let decisions = std::fs::read(decisions_path(ctx)).unwrap_or_default();
        let nicknames = ctx.tables.table_sums.get(NICKNAMES).cloned();
        Ok(BTreeMap::from([
            ("tool version".to_string(), TOOL_VERSION.to_string()),
            (
                "config".to_string(),
                ctx.config.section_sum(StageId::Identity),
            ),
            ("nickname table".to_string(), nicknames.unwrap_or_default()),
            (
                "review decisions".to_string(),
                hex(&Sha256::digest(&decisions)),
            ),
            (
                "issued state IDs".to_string(),
                hex(&Sha256::digest(
                    std::fs::read(ctx.root.join(crate::issued::FILE)).unwrap_or_default(),
                )),
            ),
            (
                "crosswalked rows".to_string(),
                state.data_of(StageId::Crosswalk, &CROSSWALK_ENTITIES),
            ),
            (
                "ingested rows".to_string(),
                state.data_of(StageId::Ingest, &INGESTED),
            ),
        ]))
    }

    fn run(&self, ctx: &Ctx, _state: &State, frames: &mut Frames) -> Result<Produced> {
        let path = decisions_path(ctx);
        let bytes = std::fs::read(&path).unwrap_or_default();
        let reviewer_decisions = identity_stage::read_decisions(&path, &bytes)?;
        let (ingested, crosswalked) = frames.both(ctx)?;
        let of = |entity: &str| {
            crosswalked
                .iter()
                .find(|c| c.entity == entity)
                .map(|c| &c.rows)
        };
        let Some(personal) = of(STUDENT_PERSONAL.name) else {
            anyhow::bail!("identity: no student_personal rows reached the identity stage");
        };
        // New State IDs the helpdesk issued (`cutover ids assign`), given to
        // their rows before identities are resolved.
        let issued = crate::issued::read(ctx.root)?;
        let (personal, enrollment, applied) =
            crate::issued::apply(personal, of(STUDENT_ENROLLMENT.name), &issued)?;
        let personal = &personal;
        let others: Vec<(&str, &DataFrame)> = [BEHAVIOR.name, TRUANCY.name, CTE.name]
            .into_iter()
            .filter_map(|e| of(e).map(|d| (e, d)))
            .chain(
                ingested
                    .iter()
                    .filter(|i| i.entity == GRADUATION.name)
                    .map(|i| (i.entity, &i.rows)),
            )
            .collect();
        let inputs = identity_stage::Frames {
            personal,
            enrollment: enrollment.as_ref(),
            addresses: ingested
                .iter()
                .find(|i| i.entity == MAILING_ADDRESS.name)
                .map(|i| &i.rows),
            others,
        };
        let mut out = identity_stage::run_stage(
            ctx.root,
            inputs,
            &reviewer_decisions,
            &ctx.tables.nicknames,
            ctx.config,
            &ctx.provenance,
        )?;
        crate::issued::note(&mut out.reports, &applied);
        info!(
            students = out.summary.students,
            issued_keys = applied.keys,
            review = out.summary.review_queue,
            "identity"
        );
        Ok(Produced {
            reports: out.reports,
            outputs: out.outputs,
            data: out.data,
            ..Default::default()
        })
    }
}
