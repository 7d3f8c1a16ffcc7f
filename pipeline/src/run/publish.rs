//! The publish stage (see `crate::publish`): conform, pre-flight, the upload
//! files, the upload manifest and `publish/summary.json`. Each upload keeps
//! its files when its own inputs are unchanged (`crate::publish::reuse`).
//!
//! Reads: the identity stage's students, the rekey stage's enrollment,
//! behavior, truancy and CTE rows; the mapping tables (NEO Org
//! IDs and code sets for pre-flight); the layouts; the configuration's
//! `[publish]` section.

use super::frames::Frames;
use super::runner::{Components, Part, Produced, Stage, StageId, State};
use super::{Ctx, TOOL_VERSION};
use crate::checksum::{hex, sum_of};
use crate::output::write_bytes;
use crate::publish;
use crate::publish::reuse::Previous;
use anyhow::{Context, Result};
use cutover_stages::conform::{
    declared, patchable, sources_of, split_input, Source, Upload, UPLOADS,
};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::Path;

pub struct Publish;

pub const SUMMARY: &str = "publish/summary.json";

/// The re-keyed snapshots publish reads (and the identity stage's students).
const READS: [&str; 4] = ["student_enrollment", "behavior", "truancy", "cte"];

impl Stage for Publish {
    fn id(&self) -> StageId {
        StageId::Publish
    }

    fn reads(&self, ctx: &Ctx, state: &State) -> Result<Components> {
        Ok(BTreeMap::from([
            ("tool version".to_string(), TOOL_VERSION.to_string()),
            (
                "config".to_string(),
                ctx.config.section_sum(StageId::Publish),
            ),
            (
                "crosswalk tables".to_string(),
                sum_of(&ctx.tables.mapping_sums()),
            ),
            ("layouts".to_string(), sum_of(&ctx.tables.layout_sums)),
            (
                "students".to_string(),
                state.data_of(StageId::Identity, &["students"]),
            ),
            (
                "re-keyed rows".to_string(),
                state.data_of(StageId::Rekey, &READS),
            ),
            // The end-of-year rules (with `hold`) read the two virtual
            // charter schools' IDs from schools.csv.
            (
                "schools".to_string(),
                state.data_of(StageId::Ingest, &["schools"]),
            ),
        ]))
    }

    fn run(&self, ctx: &Ctx, state: &State, _frames: &mut Frames) -> Result<Produced> {
        let mut clock = publish::Clock::new("publish");
        let out = publish::run_stage(
            ctx.root,
            ctx.config,
            (&ctx.tables.layouts, &ctx.tables.mapping),
            &ctx.provenance,
            &previous(ctx, state),
            &source_columns(ctx, state),
        )
        // A failed publish leaves no half-built uploads folder behind.
        .inspect_err(|_| {
            let _ = publish::recover(ctx.root);
        })?;
        clock.lap("run_stage");
        tracing::info!(files = out.summary.files, "publish");
        let mut outputs = out.outputs;
        write_bytes(
            &ctx.root.join(SUMMARY),
            &serde_json::to_vec_pretty(&out.summary)?,
        )?;
        outputs.push(SUMMARY.to_string());
        outputs.extend(files_under(ctx.root, "uploads")?);
        clock.lap("summary+files_under");
        Ok(Produced {
            reports: out.reports,
            outputs,
            data: out.data,
            known_sums: out.known_sums,
            parts: out
                .uploads
                .into_iter()
                .map(|u| Part {
                    name: u.upload,
                    action: u.action.to_string(),
                    seconds: u.seconds,
                    note: u.note,
                })
                .collect(),
            ..Default::default()
        })
    }
}

/// Each upload's hash of the source columns it declares, from the data
/// hashes the identity stage (students) and the rekey stage (the rest)
/// recorded: what its rows are made from, known before any is read. Split
/// enrollment rows add what the split reads and its two codes. An upload
/// with fields that may be patched (`conform::patchable`) also has, under
/// `rest:<upload>` ([`publish::reuse::rest_key`]), the hash of the columns
/// but the patchable fields' sources.
fn source_columns(ctx: &Ctx, state: &State) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for upload in UPLOADS {
        out.insert(
            upload.name.to_string(),
            columns_hash(ctx, state, upload, &[]),
        );
        let patchable: Vec<&str> = patchable(upload).iter().map(|(s, _)| *s).collect();
        if !patchable.is_empty() {
            out.insert(
                publish::reuse::rest_key(upload.name),
                columns_hash(ctx, state, upload, &patchable),
            );
        }
    }
    out
}

/// The hash of the source columns `upload` reads, but `except`.
fn columns_hash(ctx: &Ctx, state: &State, upload: &Upload, except: &[&str]) -> String {
    let mut h = Sha256::new();
    for source in sources_of(upload) {
        let (stage, mut columns) = match source {
            Source::Students => (StageId::Identity, declared(upload, source)),
            Source::Segments => {
                h.update(ctx.config.split_exit_code.as_bytes());
                h.update([0]);
                h.update(ctx.config.split_entry_code.as_bytes());
                h.update([0]);
                (StageId::Rekey, split_input([upload]))
            }
            _ => (StageId::Rekey, declared(upload, source)),
        };
        columns.retain(|c| !except.contains(c));
        h.update(format!("{source:?}").as_bytes());
        h.update([0]);
        h.update(
            state
                .columns_of(stage, source.entity(), &columns)
                .as_bytes(),
        );
        h.update([0]);
    }
    hex(&h.finalize())
}

/// What the last publish made, for the uploads it may keep: nothing when
/// every stage or publish is forced to run.
fn previous(ctx: &Ctx, state: &State) -> Previous {
    let forced = ctx.opts.force || ctx.opts.from.is_some_and(|f| f <= StageId::Publish);
    let Some(prev) = state.get(StageId::Publish).filter(|_| !forced) else {
        return Previous::default();
    };
    let summary = std::fs::read(ctx.root.join(SUMMARY))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok());
    Previous {
        data: prev.data.clone(),
        outputs: prev.outputs.clone(),
        reports: prev.reports.clone(),
        summary,
    }
}

/// Every file under `root/dir`, relative to `root`, sorted.
pub(super) fn files_under(root: &Path, dir: &str) -> Result<Vec<String>> {
    let mut out = Vec::new();
    let mut stack = vec![root.join(dir)];
    while let Some(d) = stack.pop() {
        let entries =
            std::fs::read_dir(&d).with_context(|| format!("cannot list {}", d.display()))?;
        for entry in entries {
            let path = entry
                .with_context(|| format!("cannot list {}", d.display()))?
                .path();
            if path.is_dir() {
                stack.push(path);
            } else if let Ok(rel) = path.strip_prefix(root) {
                out.push(rel.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    out.sort();
    Ok(out)
}
