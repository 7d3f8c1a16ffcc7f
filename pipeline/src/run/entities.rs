//! Reuse below the stage level, one entity at a time (the crosswalk and
//! rekey stages): each entity's fingerprint covers only what its outputs
//! are made from, recorded in the stage's `data` under `entity:<name>`.
//! An entity whose fingerprint is the one the last run recorded, and whose
//! outputs are still there with the checksums the last run recorded, is
//! kept: its snapshots stay (their footers given this run's provenance, see
//! `snapshot::restamp`, so they are the bytes this run would write), and its
//! reports and data hashes are the last run's. `run.json` lists each entity
//! with what was done with it.

use super::runner::{Part, Produced, StageId, StageState, State};
use super::Ctx;
use crate::checksum::file_sha256;
use cutover_stages::report::StageReport;
use std::collections::BTreeMap;
use std::time::Instant;

/// The last run's state of a stage, when its entities may be kept from it
/// (never under `--force` or `--from`).
pub fn previous<'s>(ctx: &Ctx, state: &'s State, id: StageId) -> Option<&'s StageState> {
    let forced = ctx.opts.force || ctx.opts.from.is_some();
    state.get(id).filter(|_| !forced)
}

/// The key under which a stage records an entity's fingerprint (no `.`, so
/// no later stage's `data_of(entity)` reads it).
pub fn key(entity: &str) -> String {
    format!("entity:{entity}")
}

pub use crate::checksum::digest;

/// A hash of the named `columns` of `entity` among data hashes (`entity.column`
/// -> hash; a column not there counts as absent).
pub fn columns_sum(data: &BTreeMap<String, String>, entity: &str, columns: &[&str]) -> String {
    let parts: Vec<(&str, String)> = columns
        .iter()
        .map(|c| {
            let value = data.get(&format!("{entity}.{c}"));
            (*c, value.map_or("absent", |v| v).to_string())
        })
        .collect();
    digest(&parts)
}

/// What the last run made of one entity, when it may be kept: it recorded
/// `fingerprint` for it, and each of `outputs` is still there as it wrote
/// it; then its reports under `report_stage`.
pub fn kept_reports(
    ctx: &Ctx,
    prev: Option<&StageState>,
    (entity, fingerprint): (&str, &str),
    outputs: &[String],
    report_stage: &str,
) -> Option<Vec<StageReport>> {
    let prev = prev?;
    if prev.data.get(&key(entity)).map(String::as_str) != Some(fingerprint) {
        return None;
    }
    let unchanged = outputs.iter().all(|o| {
        prev.outputs
            .get(o)
            .is_some_and(|sum| file_sha256(&ctx.root.join(o)).ok().as_ref() == Some(sum))
    });
    let reports: Vec<StageReport> = prev
        .reports
        .iter()
        .filter(|r| r.stage == report_stage && r.entity == entity)
        .cloned()
        .collect();
    (unchanged && !reports.is_empty()).then_some(reports)
}

/// Carries the data hashes the last run recorded under `prefixes` (each
/// `<prefix>.`) into this run's.
pub fn carry_data(prev: &StageState, prefixes: &[String], produced: &mut Produced) {
    for (k, v) in &prev.data {
        let name = k.split_once('.').map_or("", |(e, _)| e);
        if prefixes.iter().any(|p| p == name) {
            produced.data.insert(k.clone(), v.clone());
        }
    }
}

/// Records what was done with an entity, for `run.json`.
pub fn part(produced: &mut Produced, entity: &str, action: &str, started: Instant) {
    produced.parts.push(Part {
        name: entity.to_string(),
        action: action.to_string(),
        seconds: started.elapsed().as_secs_f64(),
        note: None,
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_column_not_recorded_is_absent_and_each_column_counts() {
        let data = BTreeMap::from([
            ("e.a".to_string(), "1".to_string()),
            ("e.b".to_string(), "2".to_string()),
        ]);
        let both = columns_sum(&data, "e", &["a", "b"]);
        assert_eq!(both, columns_sum(&data.clone(), "e", &["a", "b"]));
        assert_ne!(both, columns_sum(&data, "e", &["a", "c"]));
        let mut edited = data.clone();
        edited.insert("e.b".into(), "3".into());
        assert_ne!(both, columns_sum(&edited, "e", &["a", "b"]));
        assert_eq!(
            columns_sum(&data, "e", &["a"]),
            columns_sum(&edited, "e", &["a"]),
            "a column not read does not count"
        );
    }
}
