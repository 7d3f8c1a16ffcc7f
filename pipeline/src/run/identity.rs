//! The identity stage (see `crate::identity_stage` for its files): one
//! student, one StateStudentID. Who is who is decided here from the columns
//! that are evidence of it; carrying the surviving IDs onto the downstream
//! rows is the rekey stage's (`rekey.rs`), so an edit to a coded column
//! (a grade level, an exit code) never resolves identities again.
//!
//! Reads: the crosswalk stage's student_personal rows, the evidence columns
//! of its student_enrollment rows ([`EVIDENCE`]), ingest's mailing
//! addresses, `nicknames.csv`, `review/decisions.csv`, the configuration's
//! `[identity]` section.

use super::frames::{self, Frames};
use super::runner::{Components, Produced, Stage, StageId, State};
use super::{Ctx, TOOL_VERSION};
use crate::checksum::hex;
use crate::identity_stage;
use crate::tables::NICKNAMES;
use anyhow::Result;
use cutover_stages::columns::{
    EXIT_DATE, GRADE_LEVEL_CODE, SCHOOL_ENTRY_DATE, SCHOOL_ID, SCHOOL_STUDENT_ID, SOURCE_ROW,
    START_STATUS, STATE_STUDENT_ID, YEAR_CODE,
};
use cutover_stages::crosswalk::{self, SAU_ORG_ID};
use cutover_stages::ingest;
use cutover_stages::schema::{MAILING_ADDRESS, STUDENT_ENROLLMENT, STUDENT_PERSONAL};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::PathBuf;
use tracing::info;

pub struct Identity;

/// The enrollment columns resolution reads: the IDs, the school and SAU,
/// the dates, each row's StartStatus and grade (evidence), the year (the review
/// queue) and the source row.
/// Only these are handed to `identity::run`, so a column it starts to read
/// must be added here (or it fails: column not found).
pub const EVIDENCE: [&str; 10] = [
    SOURCE_ROW,
    STATE_STUDENT_ID,
    SCHOOL_STUDENT_ID,
    SCHOOL_ID,
    SAU_ORG_ID,
    YEAR_CODE,
    SCHOOL_ENTRY_DATE,
    EXIT_DATE,
    START_STATUS,
    GRADE_LEVEL_CODE,
];

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
            ("issued state IDs".to_string(), issued_sum(ctx)),
            (
                "crosswalked identities".to_string(),
                state.data_of(StageId::Crosswalk, &[STUDENT_PERSONAL.name]),
            ),
            (
                "enrollment evidence".to_string(),
                state.columns_of(StageId::Crosswalk, STUDENT_ENROLLMENT.name, &EVIDENCE),
            ),
            (
                "mailing addresses".to_string(),
                state.data_of(StageId::Ingest, &[MAILING_ADDRESS.name]),
            ),
        ]))
    }

    fn run(&self, ctx: &Ctx, _state: &State, frames: &mut Frames) -> Result<Produced> {
        let path = decisions_path(ctx);
        let bytes = std::fs::read(&path).unwrap_or_default();
        let reviewer_decisions = identity_stage::read_decisions(&path, &bytes)?;
        let mut clock = cutover_stages::identity::profile::Clock::start();
        // Only what resolution reads: the crosswalked personal rows, the
        // evidence columns of the enrollment rows, the mailing addresses.
        let present = frames::present(ctx);
        if !present.contains(&STUDENT_PERSONAL.name) {
            anyhow::bail!("identity: no student_personal rows reached the identity stage");
        }
        // The three frames read at the same time.
        let (personal, (evidence, addresses)) = rayon::join(
            || frames::load(ctx, crosswalk::STAGE, STUDENT_PERSONAL.name),
            || {
                rayon::join(
                    || {
                        present
                            .contains(&STUDENT_ENROLLMENT.name)
                            .then(|| {
                                frames::load_columns(
                                    ctx,
                                    crosswalk::STAGE,
                                    STUDENT_ENROLLMENT.name,
                                    &EVIDENCE,
                                )
                            })
                            .transpose()
                    },
                    || {
                        present
                            .contains(&MAILING_ADDRESS.name)
                            .then(|| frames::load(ctx, ingest::STAGE, MAILING_ADDRESS.name))
                            .transpose()
                    },
                )
            },
        );
        let (personal, evidence, addresses) = (personal?, evidence?, addresses?);
        clock.lap("load_frames", evidence.as_ref().map_or(0, |e| e.height()));
        // New State IDs the helpdesk issued (`cutover ids assign`), given to
        // their rows before identities are resolved.
        let issued = crate::issued::read(ctx.root)?;
        let (personal, evidence, applied) =
            crate::issued::apply(&personal, evidence.as_ref(), &issued)?;
        clock.lap("issued_ids", applied.keys as usize);
        let inputs = identity_stage::Frames {
            personal: &personal,
            enrollment: evidence.as_ref(),
            addresses: addresses.as_ref(),
        };
        let mut out = identity_stage::run_stage(
            ctx.root,
            inputs,
            &reviewer_decisions,
            &|keys| identity_stage::check_decision_keys(&path, &bytes, keys),
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
        frames.key_map = Some(out.key_map);
        // The enrollment rows' count is reported by the rekey stage, which
        // writes them.
        let reports = out
            .reports
            .into_iter()
            .filter(|r| r.entity != STUDENT_ENROLLMENT.name)
            .collect();
        Ok(Produced {
            reports,
            outputs: out.outputs,
            data: out.data,
            ..Default::default()
        })
    }
}

/// The checksum of the issued New State IDs (`cutover ids assign`); the
/// identity and rekey stages apply them.
pub fn issued_sum(ctx: &Ctx) -> String {
    hex(&Sha256::digest(
        std::fs::read(ctx.root.join(crate::issued::FILE)).unwrap_or_default(),
    ))
}
