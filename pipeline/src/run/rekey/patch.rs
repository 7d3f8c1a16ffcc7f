//! Reuse at column level: when an entity's re-keyed rows are made from the
//! same identity map, issued IDs and personal rows as last time
//! (`base:<entity>` in the stage's data) and of its upstream rows only
//! columns that are not keys changed (a code column the crosswalk mapped
//! again: not `StateStudentID`, not the source file or row, so the rows
//! line up and every row keeps its student), the re-keyed rows are the
//! upstream rows with the last run's re-keyed IDs put in (a column that is
//! not a key passes through re-keying unchanged), read a batch at a time
//! as a full re-keying reads them and written a row group a batch as it
//! writes them (so the bytes are the same). The changed columns' data
//! hashes are the upstream stage's. Not when IDs are being issued (they
//! rewrite the enrollment rows' IDs). `run.json` lists such an entity
//! `patched`.

use super::super::entities;
use super::super::runner::{Produced, StageState};
use super::super::Ctx;
use crate::checksum::file_sha256;
use crate::snapshot;
use anyhow::Result;
use cutover_stages::columns::{SOURCE_FILE, SOURCE_ROW, STATE_STUDENT_ID};
use cutover_stages::identity::{self, LEGACY_STATE_STUDENT_ID};
use std::collections::BTreeMap;
use std::path::Path;

/// The key of what an entity's re-keyed rows are made from besides its
/// upstream rows.
pub fn base_key(entity: &str) -> String {
    format!("base:{entity}")
}

/// Where an entity's upstream rows come from, for a patch.
pub struct Upstream<'a> {
    /// The stage whose snapshot holds them.
    pub stage: &'static str,
    /// The data hashes that stage recorded in this run.
    pub data: &'a BTreeMap<String, String>,
}

/// The upstream columns whose content is not the last run's (by their
/// data hashes), when only columns that are not keys changed and no column
/// came or went; `None` otherwise.
fn changed_columns(
    entity: &str,
    prev: &StageState,
    upstream: &BTreeMap<String, String>,
) -> Option<Vec<String>> {
    let prefix = format!("{entity}.");
    let columns = |data: &BTreeMap<String, String>| -> BTreeMap<String, String> {
        data.iter()
            .filter_map(|(k, v)| Some((k.strip_prefix(&prefix)?.to_string(), v.clone())))
            .collect()
    };
    let mut before = columns(&prev.data);
    let now = columns(upstream);
    // What re-keying made of the ID is compared with the ID as it was read.
    let legacy = before.remove(LEGACY_STATE_STUDENT_ID)?;
    before.insert(STATE_STUDENT_ID.to_string(), legacy);
    if before.keys().ne(now.keys()) {
        return None;
    }
    let changed: Vec<String> = now
        .iter()
        .filter(|(c, v)| before.get(*c) != Some(*v))
        .map(|(c, _)| c.clone())
        .collect();
    let keys = [STATE_STUDENT_ID, SOURCE_ROW, SOURCE_FILE];
    let keys_unchanged = !changed.iter().any(|c| keys.contains(&c.as_str()));
    (keys_unchanged && !changed.is_empty()).then_some(changed)
}

/// Whether the upstream rows line up with the last run's re-keyed rows:
/// their columns (and the ID as read, which ends the re-keyed ones) and
/// their source rows are the same.
fn lined_up(upstream: &Path, last: &Path) -> Result<bool> {
    let names = |path: &Path| -> Result<Vec<String>> {
        Ok(snapshot::scan_parquet(path)?
            .collect_schema()?
            .iter_names()
            .map(|c| c.to_string())
            .collect())
    };
    let mut now = names(upstream)?;
    now.push(LEGACY_STATE_STUDENT_ID.to_string());
    if now != names(last)? {
        return Ok(false);
    }
    let rows = |path: &Path| snapshot::read_columns(path, &[SOURCE_ROW]);
    Ok(rows(upstream)?
        .column(SOURCE_ROW)?
        .equals_missing(rows(last)?.column(SOURCE_ROW)?))
}

/// Writes the re-keyed rows made from the upstream rows and the last run's
/// re-keyed IDs (`StateStudentID`, and the ID as read, which ends the
/// columns), a batch at a time as [`super::rekey_one`] does.
fn write_patched(ctx: &Ctx, entity: &str, upstream: &Path, last: &Path) -> Result<()> {
    let (root, prov) = (ctx.root, &ctx.provenance);
    let keys = [STATE_STUDENT_ID, LEGACY_STATE_STUDENT_ID].map(String::from);
    let slices = snapshot::slices(upstream, snapshot::batch_rows())?;
    let staged = snapshot::stage_parquet_batches(root, identity::STAGE, entity, prov, |sink| {
        if slices.is_empty() {
            return sink.write(&mut snapshot::read_parquet(last)?);
        }
        for &slice in &slices {
            let mut rows = snapshot::read_slice(upstream, slice, None)?;
            let ids = snapshot::read_slice(last, slice, Some(&keys))?;
            rows.replace(STATE_STUDENT_ID, ids.column(STATE_STUDENT_ID)?.clone())?;
            rows.with_column(ids.column(LEGACY_STATE_STUDENT_ID)?.clone())?;
            sink.write(&mut rows)?;
        }
        Ok(())
    })?;
    staged.persist()
}

/// Patches the entity's re-keyed snapshot from the last run's if it may be
/// (see the module); whether it did.
pub fn patched(
    ctx: &Ctx,
    prev: Option<&StageState>,
    (entity, base): (&str, &str),
    upstream: &Upstream,
    produced: &mut Produced,
) -> Result<bool> {
    let Some(prev) =
        prev.filter(|p| p.data.get(&base_key(entity)).map(String::as_str) == Some(base))
    else {
        return Ok(false);
    };
    let Some(changed) = changed_columns(entity, prev, upstream.data) else {
        return Ok(false);
    };
    let output = format!("{}/{entity}.parquet", identity::STAGE);
    let intact = prev
        .outputs
        .get(&output)
        .is_some_and(|sum| file_sha256(&ctx.root.join(&output)).ok().as_ref() == Some(sum));
    let reports: Vec<_> = prev
        .reports
        .iter()
        .filter(|r| r.stage == identity::STAGE && r.entity == entity)
        .cloned()
        .collect();
    if !intact || reports.is_empty() {
        return Ok(false);
    }
    let from = snapshot::snapshot_path(ctx.root, upstream.stage, entity);
    let last = ctx.root.join(&output);
    if !lined_up(&from, &last)? {
        return Ok(false);
    }
    write_patched(ctx, entity, &from, &last)?;
    entities::carry_data(prev, &[entity.to_string()], produced);
    for c in &changed {
        let key = format!("{entity}.{c}");
        if let Some(v) = upstream.data.get(&key) {
            produced.data.insert(key, v.clone());
        }
    }
    produced.reports.extend(reports);
    produced.outputs.push(output);
    Ok(true)
}
