//! The rekey stage: every downstream row carried to its student's surviving
//! StateStudentID (the ID as read kept as `LegacyStateStudentID`):
//! `identity/student_enrollment.parquet`, `behavior`, `truancy`, `cte` and
//! `graduation`. A join per entity, cheap beside resolution, so an edit to
//! a coded column reruns this and not the identity stage.
//!
//! Reads: the identity stage's map of each identity row to its student; the
//! crosswalk stage's enrollment, behavior, truancy and CTE rows; ingest's
//! graduation rows.

mod patch;

use super::crosswalk::{overlapped, Handoff};
use super::entities;
use super::frames::{self, Frames, InOrder};
use super::runner::{Components, Produced, Stage, StageId, StageState, State};
use super::{Ctx, TOOL_VERSION};
use crate::checksum::DataHashes;
use crate::snapshot;
use anyhow::Result;
use cutover_stages::crosswalk;
use cutover_stages::identity;
use cutover_stages::ingest;
use cutover_stages::report::StageReport;
use cutover_stages::schema::{
    BEHAVIOR, CTE, GRADUATION, STUDENT_ENROLLMENT, STUDENT_PERSONAL, TRUANCY,
};
use polars::prelude::DataFrame;
use std::cell::OnceCell;
use std::collections::BTreeMap;
use std::time::Instant;
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
            (
                "issued state IDs".to_string(),
                super::identity::issued_sum(ctx),
            ),
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

    fn run(&self, ctx: &Ctx, state: &State, frames: &mut Frames) -> Result<Produced> {
        let present = frames::present(ctx);
        // Enrollment rows of a student awaiting an ID take the New State ID
        // the helpdesk issued (through their SAU and SchoolStudentID), as the
        // identity stage gave it to the student.
        let issued = crate::issued::read(ctx.root)?;
        let issuing = !issued.is_empty()
            && present.contains(&STUDENT_PERSONAL.name)
            && present.contains(&STUDENT_ENROLLMENT.name);
        let mut applied = crate::issued::Applied::default();
        let prev = entities::previous(ctx, state, StageId::Rekey);
        // The key map, read (or taken from the identity stage) when an
        // entity is to be re-keyed, and made once into a lookup.
        let key_map: OnceCell<DataFrame> = OnceCell::new();
        let lookup: OnceCell<identity::KeyLookup> = OnceCell::new();
        // Enrollment first, then behavior, truancy, CTE and graduation: the
        // ledger's order. One entity at a time, read from its snapshot.
        let entities = CROSSWALKED
            .into_iter()
            .map(|e| (e, crosswalk::STAGE))
            .chain([(GRADUATION.name, ingest::STAGE)])
            .filter(|(e, _)| present.contains(e));
        let mut produced = Produced::default();
        for (entity, stage) in entities {
            let started = Instant::now();
            let fingerprint = fingerprint(ctx, state, entity);
            produced
                .data
                .insert(entities::key(entity), fingerprint.clone());
            let base = base_print(ctx, state, entity);
            produced.data.insert(patch::base_key(entity), base.clone());
            if keep(ctx, prev, (entity, &fingerprint), &mut produced)? {
                entities::part(&mut produced, entity, "kept", started);
                continue;
            }
            let upstream = patch::Upstream {
                stage,
                data: &state.get(source_of(entity)).expect("ran before").data,
            };
            let issued_here = issuing && entity == STUDENT_ENROLLMENT.name;
            if !issued_here && patch::patched(ctx, prev, (entity, &base), &upstream, &mut produced)?
            {
                entities::part(&mut produced, entity, "patched", started);
                continue;
            }
            // Enrollment rows of a student awaiting an ID take it through
            // the personal rows.
            let places = if issued_here {
                let personal = frames::load(ctx, crosswalk::STAGE, STUDENT_PERSONAL.name)?;
                let (_, places, a) = crate::issued::to_personal(&personal, &issued)?;
                applied.keys = a.keys;
                Some(places)
            } else {
                None
            };
            if key_map.get().is_none() {
                let _ = key_map.set(frames.take_key_map(ctx)?);
            }
            if lookup.get().is_none() {
                let map = key_map.get().expect("read above");
                let _ = lookup.set(identity::KeyLookup::new(map)?);
            }
            let map = lookup.get().expect("made above");
            let one = (entity, stage);
            rekey_one(ctx, one, map, places.as_ref(), &mut applied, &mut produced)?;
            entities::part(&mut produced, entity, "rekeyed", started);
        }
        // The identity stage's key map is not needed past this stage.
        frames.key_map = None;
        crate::issued::note(&mut produced.reports, &applied);
        Ok(produced)
    }
}

/// What one entity's re-keyed rows are made from: its rows (the crosswalk
/// stage's, graduation's from ingest), the identity map, and for
/// enrollments the issued IDs and the personal rows they are tied through.
fn fingerprint(ctx: &Ctx, state: &State, entity: &str) -> String {
    let mut parts = vec![
        ("entity", entity.to_string()),
        ("tool version", TOOL_VERSION.to_string()),
        ("rows", state.data_of(source_of(entity), &[entity])),
    ];
    parts.extend(base_parts(ctx, state, entity));
    entities::digest(&parts)
}

/// The stage an entity's rows come from (the crosswalk stage's, graduation's
/// from ingest).
fn source_of(entity: &str) -> StageId {
    if entity == GRADUATION.name {
        StageId::Ingest
    } else {
        StageId::Crosswalk
    }
}

/// What one entity's re-keyed rows are made from besides its rows.
fn base_print(ctx: &Ctx, state: &State, entity: &str) -> String {
    let mut parts = vec![
        ("entity", entity.to_string()),
        ("tool version", TOOL_VERSION.to_string()),
    ];
    parts.extend(base_parts(ctx, state, entity));
    entities::digest(&parts)
}

fn base_parts(ctx: &Ctx, state: &State, entity: &str) -> Vec<(&'static str, String)> {
    let mut parts = vec![(
        "identity map",
        state.data_of(StageId::Identity, &["identity_map"]),
    )];
    if entity == STUDENT_ENROLLMENT.name {
        parts.push(("issued state IDs", super::identity::issued_sum(ctx)));
        parts.push((
            "personal rows",
            state.data_of(StageId::Crosswalk, &[STUDENT_PERSONAL.name]),
        ));
    }
    parts
}

/// Keeps an entity's re-keyed snapshot from the last run if it may be (its
/// footer given this run's provenance, its report and data hashes carried).
fn keep(
    ctx: &Ctx,
    prev: Option<&StageState>,
    (entity, fingerprint): (&str, &str),
    produced: &mut Produced,
) -> Result<bool> {
    let output = format!("{}/{entity}.parquet", identity::STAGE);
    let Some(reports) = entities::kept_reports(
        ctx,
        prev,
        (entity, fingerprint),
        std::slice::from_ref(&output),
        identity::STAGE,
    ) else {
        return Ok(false);
    };
    snapshot::restamp(ctx.root, identity::STAGE, entity, &ctx.provenance)?;
    let prev = prev.expect("kept from a previous run");
    entities::carry_data(prev, &[entity.to_string()], produced);
    produced.reports.extend(reports);
    produced.outputs.push(output);
    Ok(true)
}

/// Re-keys one entity's rows (and, with `issue`, gives enrollment rows the
/// IDs issued) and writes them, a batch at a time: each batch of the
/// upstream snapshot's rows re-keyed and written as one row group before
/// the next is read.
fn rekey_one(
    ctx: &Ctx,
    (entity, stage): (&str, &str),
    key_map: &identity::KeyLookup,
    places: Option<&crate::issued::Places>,
    applied: &mut crate::issued::Applied,
    produced: &mut Produced,
) -> Result<()> {
    let (root, prov) = (ctx.root, &ctx.provenance);
    let source = snapshot::snapshot_path(root, stage, entity);
    // Reported under identity, as when one stage did both.
    let mut r = StageReport::new(identity::STAGE, entity);
    let mut hashes = DataHashes::new(entity);
    let mut order = InOrder::default();
    let staged = snapshot::stage_parquet_batches(root, identity::STAGE, entity, prov, |sink| {
        // Each batch re-keyed on a thread of its own while the last is
        // hashed and written.
        let make = |send: &mut Handoff<'_>| {
            snapshot::read_slices(&source, snapshot::batch_rows(), |mut df| {
                order.check(&df, entity)?;
                if let Some(places) = places {
                    df = places.give(&df, applied)?;
                }
                let rekeyed = key_map.rekey(&df)?;
                r.rows_in += df.height() as u64;
                r.rows_out += rekeyed.height() as u64;
                send(rekeyed)
            })
        };
        overlapped(make, |mut rekeyed| {
            hashes.update(&rekeyed)?;
            sink.write(&mut rekeyed)
        })
    })?;
    staged.persist()?;
    info!(entity, rows = r.rows_out, "rekey");
    produced.reports.push(r);
    produced
        .outputs
        .push(format!("{}/{entity}.parquet", identity::STAGE));
    produced.data.extend(hashes.finish());
    Ok(())
}
