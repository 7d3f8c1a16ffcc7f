//! The runner: what every stage would otherwise repeat. It decides whether a
//! stage runs (and says why), times it, records its peak memory, checksums
//! its outputs, keeps `<output>/stages.json`, and honours `--from`/`--to`.
//!
//! A stage is skipped when everything it is made from is unchanged (its
//! fingerprint's named parts: its own configuration section, the tables it
//! reads, a hash of the upstream data it reads) and every output it recorded
//! last time is still there with the same checksum.

use super::{Ctx, Failure, Frames, RunOptions};
use crate::checksum::{file_sha256, hex};
use crate::output::write_bytes;
use crate::read::FileInfo;
pub use crate::stage::StageId;
use anyhow::Result;
use cutover_stages::report::StageReport;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

/// The named parts a stage's outputs are made from.
pub type Components = BTreeMap<String, String>;

/// One stage: a name, what it reads, how it runs. The runner does the rest.
pub trait Stage {
    fn id(&self) -> StageId;
    /// What the stage's outputs are made from, each part named so that a
    /// rerun can say what changed: its configuration section, its tables,
    /// the content of the upstream data it reads (from `state`).
    fn reads(&self, ctx: &Ctx, state: &State) -> Result<Components>;
    /// Runs on the frames (loading what a skipped upstream stage left),
    /// writes its outputs, and says what it made.
    fn run(&self, ctx: &Ctx, state: &State, frames: &mut Frames) -> Result<Produced>;
}

/// What a stage made.
#[derive(Default)]
pub struct Produced {
    pub reports: Vec<StageReport>,
    /// Files read (ingest only).
    pub inputs: Vec<FileInfo>,
    /// Output files, relative to the output root.
    pub outputs: Vec<String>,
    /// Content hashes of the data later stages read: `entity.column` -> hash.
    pub data: BTreeMap<String, String>,
    /// Data checks beyond the ledger that failed (race categories).
    pub failures: Vec<Failure>,
    /// What the stage did with each of its parts (crosswalk: each entity
    /// mapped or kept; rekey: rekeyed or kept; publish: each upload
    /// conformed or kept), for `run.json`.
    pub parts: Vec<Part>,
    /// Checksums of outputs the stage checked in this run and left as they
    /// were (files publish kept): the runner does not read them again.
    pub known_sums: BTreeMap<String, String>,
}

/// One part of a stage's work and what was done with it.
#[derive(Clone, Debug, Serialize)]
pub struct Part {
    pub name: String,
    pub action: String,
    pub seconds: f64,
    /// What was made again and kept, when the action says too little
    /// (publish: a patched upload).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// What a stage's last run was made from and made, kept in `stages.json`.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct StageState {
    pub fingerprint: String,
    /// Named parts of the fingerprint: what a rerun can name as changed.
    pub components: Components,
    pub run_id: String,
    pub reports: Vec<StageReport>,
    pub inputs: Vec<FileInfo>,
    /// Output file -> SHA-256.
    pub outputs: BTreeMap<String, String>,
    /// `entity.column` -> content hash, for the stages that read them.
    #[serde(default)]
    pub data: BTreeMap<String, String>,
    #[serde(default)]
    pub failures: Vec<Failure>,
}

/// A stage that ran: its wall time, rows and peak memory (`run.json` only:
/// every other output is the same bytes for the same inputs).
#[derive(Clone, Debug, Serialize)]
pub struct Timing {
    pub stage: String,
    pub seconds: f64,
    /// Rows the stage took in, over its entities.
    pub rows_in: u64,
    /// Peak resident memory while it ran (Linux; the process's peak so far
    /// where the peak cannot be reset).
    pub peak_rss_bytes: u64,
    /// CPU time (user + system, every thread) it took: on a loaded machine
    /// wall time says more about the other processes than about the stage
    /// (Linux; 0 elsewhere).
    pub cpu_seconds: f64,
    /// Crosswalk and rekey: each entity, `mapped`/`rekeyed` or `kept`;
    /// publish: each upload, `conformed` or `kept`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub parts: Vec<Part>,
}

/// `stages.json`.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct State {
    pub stages: BTreeMap<String, StageState>,
}

impl State {
    pub fn get(&self, id: StageId) -> Option<&StageState> {
        self.stages.get(id.name())
    }

    /// A hash over the data hashes `stage` recorded for `entities` (keys
    /// `entity.column`): what a later stage reads of it.
    pub fn data_of(&self, stage: StageId, entities: &[&str]) -> String {
        let mut h = Sha256::new();
        if let Some(s) = self.get(stage) {
            for (k, v) in &s.data {
                let entity = k.split_once('.').map_or("", |(e, _)| e);
                if entities.contains(&entity) {
                    h.update(k.as_bytes());
                    h.update([0]);
                    h.update(v.as_bytes());
                    h.update([0]);
                }
            }
        }
        hex(&h.finalize())
    }

    /// A hash over the data hashes `stage` recorded for the named `columns`
    /// of `entity` (a column it did not make counts as absent): what a later
    /// stage that reads only those columns reads of it.
    pub fn columns_of(&self, stage: StageId, entity: &str, columns: &[&str]) -> String {
        let mut h = Sha256::new();
        let data = self.get(stage).map(|s| &s.data);
        for c in columns {
            let key = format!("{entity}.{c}");
            let value = data.and_then(|d| d.get(&key)).map_or("absent", |v| v);
            h.update(key.as_bytes());
            h.update([0]);
            h.update(value.as_bytes());
            h.update([0]);
        }
        hex(&h.finalize())
    }
}

/// Whether a stage ran, and why.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Decision {
    pub stage: String,
    pub ran: bool,
    pub reason: String,
}

/// A stage's fingerprint: the digest of its named components, in order.
pub fn fingerprint(components: &Components) -> String {
    crate::checksum::digest_pairs(components.iter().map(|(k, v)| (k.as_str(), v.as_str())))
}

/// Drives the stages: decides, runs, records.
pub struct Runner {
    pub state: State,
    pub decisions: Vec<Decision>,
    pub timings: Vec<Timing>,
    state_path: std::path::PathBuf,
    opts: RunOptions,
    /// `stages.json` was there but could not be read (another version's).
    unreadable: bool,
}

impl Runner {
    /// Reads `stages.json` (a missing or unreadable one is no previous run).
    pub fn open(root: &Path, opts: RunOptions) -> Runner {
        let state_path = root.join("stages.json");
        let bytes = std::fs::read(&state_path).ok();
        let state = bytes.as_ref().and_then(|b| serde_json::from_slice(b).ok());
        Runner {
            unreadable: bytes.is_some() && state.is_none(),
            state: state.unwrap_or_default(),
            decisions: Vec::new(),
            timings: Vec::new(),
            state_path,
            opts,
        }
    }

    /// Decides, and runs the stage if it must; its state is written only
    /// after all its outputs, so a killed run is completed by the next.
    pub fn step(&mut self, ctx: &Ctx, stage: &dyn Stage, frames: &mut Frames) -> Result<()> {
        let id = stage.id();
        let components = stage.reads(ctx, &self.state)?;
        let mut decision = decide(id, &components, self.state.get(id), ctx.root, self.opts);
        if self.unreadable && decision.reason == "no previous run" {
            decision.reason = "stages.json unreadable: made by another version?".to_string();
        }
        tracing::debug!(stage = id.name(), ran = decision.ran, reason = %decision.reason, "decided");
        if decision.ran {
            let _span = tracing::info_span!("stage", stage = id.name()).entered();
            crate::usage::reset_peak_rss();
            let started = Instant::now();
            let cpu_before = crate::usage::cpu_time();
            let produced = stage.run(ctx, &self.state, frames)?;
            // Each output's checksum on any free core.
            let outputs = produced
                .outputs
                .par_iter()
                .map(|o| match produced.known_sums.get(o) {
                    Some(sum) => Ok((o.clone(), sum.clone())),
                    None => Ok((o.clone(), file_sha256(&ctx.root.join(o))?)),
                })
                .collect::<Result<BTreeMap<_, _>>>()?;
            self.timings.push(Timing {
                stage: id.name().to_string(),
                seconds: started.elapsed().as_secs_f64(),
                rows_in: produced.reports.iter().map(|r| r.rows_in).sum(),
                peak_rss_bytes: crate::usage::peak_rss(),
                cpu_seconds: crate::usage::cpu_time() - cpu_before,
                parts: produced.parts,
            });
            tracing::info!(outputs = outputs.len(), "stage finished");
            if let Some(prev) = self.state.get(id) {
                remove_outputs_no_longer_made(ctx.root, prev, &outputs)?;
            }
            self.state.stages.insert(
                id.name().to_string(),
                StageState {
                    fingerprint: fingerprint(&components),
                    components,
                    run_id: ctx.run_id.clone(),
                    reports: produced.reports,
                    inputs: produced.inputs,
                    outputs,
                    data: produced.data,
                    failures: produced.failures,
                },
            );
            write_bytes(&self.state_path, &serde_json::to_vec_pretty(&self.state)?)?;
        }
        self.decisions.push(decision);
        Ok(())
    }
}

/// Removes the files a stage made last time and no longer makes (a school
/// year or SAU gone from the uploads, an entity gone from the bundle).
fn remove_outputs_no_longer_made(
    root: &Path,
    prev: &StageState,
    now: &BTreeMap<String, String>,
) -> Result<()> {
    for old in prev.outputs.keys().filter(|o| !now.contains_key(*o)) {
        let path = root.join(old);
        if path.is_file() {
            crate::output::remove_file(&path)?;
        }
    }
    Ok(())
}

/// Why a stage must run, or `None` when it may be skipped.
fn reason_to_run(
    id: StageId,
    components: &Components,
    previous: Option<&StageState>,
    root: &Path,
    opts: RunOptions,
) -> Option<String> {
    // With --from, --force reaches only that stage and those after it.
    if opts.force && opts.from.is_none_or(|f| f <= id) {
        return Some("--force".to_string());
    }
    if let Some(from) = opts.from.filter(|f| *f <= id) {
        return Some(format!("--from {}", from.name()));
    }
    let Some(prev) = previous else {
        return Some("no previous run".to_string());
    };
    let changed: Vec<&str> = components
        .iter()
        .filter(|(k, v)| prev.components.get(*k) != Some(*v))
        .map(|(k, _)| k.as_str())
        .collect();
    if !changed.is_empty() {
        return Some(format!("changed: {}", changed.join(", ")));
    }
    let missing = prev.outputs.keys().find(|o| !root.join(o).is_file());
    if let Some(missing) = missing {
        return Some(format!("output missing: {missing}"));
    }
    let altered = prev
        .outputs
        .iter()
        .find(|(o, sum)| file_sha256(&root.join(o)).ok().as_ref() != Some(*sum));
    altered.map(|(o, _)| format!("output altered: {o}"))
}

fn decide(
    id: StageId,
    components: &Components,
    previous: Option<&StageState>,
    root: &Path,
    opts: RunOptions,
) -> Decision {
    match reason_to_run(id, components, previous, root, opts) {
        Some(reason) => Decision {
            stage: id.name().to_string(),
            ran: true,
            reason,
        },
        None => Decision {
            stage: id.name().to_string(),
            ran: false,
            reason: format!(
                "skipped: {} unchanged",
                components.keys().cloned().collect::<Vec<_>>().join(", ")
            ),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stage_reruns_and_says_why() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::write(root.join("a.csv"), "x").unwrap();
        let components = Components::from([("tables".into(), "1".into())]);
        let prev = StageState {
            components: components.clone(),
            outputs: BTreeMap::from([("a.csv".into(), file_sha256(&root.join("a.csv")).unwrap())]),
            ..Default::default()
        };
        let opts = RunOptions::default();
        let why = |c: &Components, p: Option<&StageState>, o: RunOptions| {
            reason_to_run(StageId::Identity, c, p, root, o)
        };
        assert_eq!(why(&components, Some(&prev), opts), None);
        assert_eq!(
            why(&components, None, opts).as_deref(),
            Some("no previous run")
        );
        let edited = Components::from([("tables".into(), "2".into())]);
        assert_eq!(
            why(&edited, Some(&prev), opts).as_deref(),
            Some("changed: tables")
        );
        let from = RunOptions {
            from: Some(StageId::Crosswalk),
            ..opts
        };
        assert_eq!(
            why(&components, Some(&prev), from).as_deref(),
            Some("--from crosswalk")
        );
        std::fs::write(root.join("a.csv"), "y").unwrap();
        assert_eq!(
            why(&components, Some(&prev), opts).as_deref(),
            Some("output altered: a.csv")
        );
        std::fs::remove_file(root.join("a.csv")).unwrap();
        assert_eq!(
            why(&components, Some(&prev), opts).as_deref(),
            Some("output missing: a.csv")
        );
    }
}
