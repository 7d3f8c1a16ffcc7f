//! The rekey stage: every downstream row carried to its student's surviving
//! StateStudentID (the ID as read kept as `LegacyStateStudentID`):
//! `identity/student_enrollment.parquet`, `behavior`, `truancy`, `cte` and
//! `graduation`. A join per entity, cheap beside resolution, so an edit to
//! a coded column reruns this and not the identity stage.
//!
//! Reads: the identity stage's map of each identity row to its student; the
//! crosswalk stage's enrollment, behavior, truancy and CTE rows; ingest's
//! graduation rows.

use super::frames::Frames;
use super::runner::{Components, Produced, Stage, StageId, State};
use super::{Ctx, TOOL_VERSION};
use crate::checksum::data_hashes;
use crate::snapshot;
use anyhow::Result;
use cutover_stages::identity;
use cutover_stages::report::StageReport;
use cutover_stages::schema::{
    BEHAVIOR, CTE, GRADUATION, STUDENT_ENROLLMENT, STUDENT_PERSONAL, TRUANCY,
};
use std::collections::BTreeMap;
use tracing::info;

pub struct Rekey;

/// The crosswalk stage's entities re-keyed (all but student_personal).
const CROSSWALKED: [&str; 4] = [
    STUDENT_ENROLLMENT.name,
    BEHAVIOR.name,
    TRUANCY.name,
    CTE.name,
];

impl Stage for Rekey {
    fn id(&self) -> StageId {
        StageId::Rekey
    }

    fn reads(&self, ctx: &Ctx, state: &State) -> Result<Components> {
        Ok(BTreeMap::from([
            ("tool version".to_string(), TOOL_VERSION.to_string()),
            ("issued state IDs".to_string(), super::identity::issued_sum(ctx)),
            (
                "identity map".to_string(),
                state.data_of(StageId::Identity, &["identity_map"]),
            ),
            (
                "crosswalked rows".to_string(),
                state.data_of(StageId::Crosswalk, &CROSSWALKED),
            ),
            (
                "ingested rows".to_string(),
                state.data_of(StageId::Ingest, &[GRADUATION.name]),
            ),
        ]))
    }

    fn run(&self, ctx: &Ctx, _state: &State, frames: &mut Frames) -> Result<Produced> {
        let key_map = frames.key_map(ctx)?.clone();
        let (ingested, crosswalked) = frames.both(ctx)?;
        // Enrollment rows of a student awaiting an ID take the New State ID
        // the helpdesk issued (through their SAU and SchoolStudentID), as the
        // identity stage gave it to the student.
        let issued = crate::issued::read(ctx.root)?;
        let personal = crosswalked
            .iter()
            .find(|c| c.entity == STUDENT_PERSONAL.name)
            .map(|c| &c.rows);
        let enrollment = crosswalked
            .iter()
            .find(|c| c.entity == STUDENT_ENROLLMENT.name)
            .map(|c| &c.rows);
        let (issued_enrollment, applied) = match (personal, enrollment, issued.is_empty()) {
            (Some(p), Some(e), false) => {
                let (_, e, applied) = crate::issued::apply(p, Some(e), &issued)?;
                (e, applied)
            }
            _ => (None, Default::default()),
        };
        // Enrollment first, then behavior, truancy, CTE and graduation: the
        // ledger's order.
        let rows = crosswalked
            .iter()
            .filter(|c| CROSSWALKED.contains(&c.entity))
            .map(|c| match (&issued_enrollment, c.entity == STUDENT_ENROLLMENT.name) {
                (Some(e), true) => (c.entity, e),
                _ => (c.entity, &c.rows),
            })
            .chain(
                ingested
                    .iter()
                    .filter(|i| i.entity == GRADUATION.name)
                    .map(|i| (i.entity, &i.rows)),
            );
        let mut produced = Produced::default();
        for (entity, df) in rows {
            let mut rekeyed = identity::rekey(df, &key_map)?;
            info!(entity, rows = rekeyed.height(), "rekey");
            // Reported under identity, as when one stage did both.
            let mut r = StageReport::new(identity::STAGE, entity);
            r.rows_in = df.height() as u64;
            r.rows_out = rekeyed.height() as u64;
            produced.reports.push(r);
            snapshot::write_parquet(
                ctx.root,
                identity::STAGE,
                entity,
                &mut rekeyed,
                &ctx.provenance,
            )?;
            produced
                .outputs
                .push(format!("{}/{entity}.parquet", identity::STAGE));
            produced.data.extend(data_hashes(entity, &rekeyed)?);
        }
        crate::issued::note(&mut produced.reports, &applied);
        Ok(produced)
    }
}
