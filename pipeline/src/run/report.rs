//! The report stage: the quarantine files of every entity, and the
//! reconciliation report (`report.json`, `report.html`, see
//! `crate::report`).
//!
//! Reads: every earlier stage's reports and outputs (its fingerprint covers
//! their checksums), the read frames and the last stage's rows of each
//! entity for the control totals, the configuration's reject-rate settings.
//! The quarantine files and control totals depend only on ingest and the
//! crosswalk stage, the end-of-year findings on the identity and rekey
//! stages' snapshots: when those are as last time (after an edit to
//! publish's inputs), they are kept and no snapshot is read.

use super::frames::{self, quarantine_name, sorted_quarantine, Frames};
use super::runner::{Components, Produced, Stage, StageId, State};
use super::{crosswalk::COVERAGE, failures, publish::SUMMARY, Ctx, TOOL_VERSION};
use crate::checksum::hex;
use crate::output::write_bytes;
use crate::report;
use crate::snapshot;
use anyhow::{Context, Result};
use cutover_stages::columns::SOURCE_ROW;
use cutover_stages::{crosswalk, ingest};
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::Path;

pub struct Report;

impl Stage for Report {
    fn id(&self) -> StageId {
        StageId::Report
    }

    fn reads(&self, ctx: &Ctx, state: &State) -> Result<Components> {
        let mut h = Sha256::new();
        for id in StageId::ALL.into_iter().filter(|s| *s < StageId::Report) {
            if let Some(s) = state.get(id) {
                h.update(serde_json::to_vec(&(&s.outputs, &s.reports, &s.failures))?);
            }
        }
        Ok(BTreeMap::from([
            ("tool version".to_string(), TOOL_VERSION.to_string()),
            (
                "config".to_string(),
                ctx.config.section_sum(StageId::Report),
            ),
            ("stage outputs".to_string(), hex(&h.finalize())),
            (
                "organization names".to_string(),
                hex(&Sha256::digest(serde_json::to_vec(
                    &ctx.tables.mapping.org_names(),
                )?)),
            ),
        ]))
    }

    fn run(&self, ctx: &Ctx, state: &State, _frames: &mut Frames) -> Result<Produced> {
        let mut produced = Produced::default();
        let sources = sources_hash(ctx, state)?;
        let part = match kept(ctx, state, &sources) {
            Some(part) => part,
            None => from_frames(ctx)?,
        };
        produced.outputs.extend(part.outputs);
        produced.data.insert(SOURCES.to_string(), sources);
        // A fix list per district, from the quarantine and pre-flight files
        // (pre-flight's were written by publish; the quarantine files above).
        let names = ctx.tables.mapping.org_names();
        let fixlists = crate::fixlist::write(ctx.root, &names)?;
        produced
            .outputs
            .extend(super::publish::files_under(ctx.root, crate::fixlist::DIR)?);
        let mut full = build(ctx, state, part.control_totals)?;
        full.end_of_year = part.end_of_year;
        full.end_of_year_held = ctx.config.end_of_year_hold;
        full.sau_names = full
            .end_of_year
            .values()
            .flat_map(|by_sau| by_sau.keys())
            .chain(fixlists.saus.keys())
            .filter_map(|sau| Some((sau.clone(), names.get(sau.as_str())?.to_string())))
            .collect();
        full.fix_lists = fixlists.saus;
        full.review = crate::queue_state::review_state(ctx.root)?;
        let labels = crate::report_labels::Labels::new(&ctx.tables.codes, &ctx.tables.mapping);
        write_bytes(
            &ctx.root.join("report.json"),
            &serde_json::to_vec_pretty(&full)?,
        )?;
        write_bytes(
            &ctx.root.join("report.html"),
            crate::report_html::html(&full, &labels).as_bytes(),
        )?;
        produced
            .outputs
            .extend(["report.json".to_string(), "report.html".to_string()]);

        Ok(produced)
    }
}

/// What the report computes from ingest's and the crosswalk stage's frames:
/// the quarantine files, the end-of-year findings, the control totals.
struct FramesPart {
    outputs: Vec<String>,
    end_of_year: crate::end_of_year::Summary,
    control_totals: Vec<report::ControlTotal>,
}

/// The key under which the report records what its frames part was made
/// from.
const SOURCES: &str = "report.frames";

/// What the frames part is made from: ingest's, the crosswalk stage's, the
/// identity and rekey stages' outputs and reports (the end-of-year findings
/// read the re-keyed snapshots), the mapping tables, the last school year.
fn sources_hash(ctx: &Ctx, state: &State) -> Result<String> {
    let mut h = Sha256::new();
    for id in [
        StageId::Ingest,
        StageId::Crosswalk,
        StageId::Identity,
        StageId::Rekey,
    ] {
        if let Some(s) = state.get(id) {
            h.update(serde_json::to_vec(&(&s.outputs, &s.reports))?);
        }
    }
    h.update(serde_json::to_vec(&ctx.tables.mapping_sums())?);
    h.update(ctx.config.last_year.to_le_bytes());
    Ok(hex(&h.finalize()))
}

/// The last run's frames part, when it was made from the same sources and
/// its files are as it wrote them (never under `--force` or `--from`): the
/// snapshots are then not read at all.
fn kept(ctx: &Ctx, state: &State, sources: &str) -> Option<FramesPart> {
    let forced = ctx.opts.force || ctx.opts.from.is_some();
    let prev = state.get(StageId::Report).filter(|_| !forced)?;
    if prev.data.get(SOURCES).map(String::as_str) != Some(sources) {
        return None;
    }
    let outputs: Vec<String> = prev
        .outputs
        .keys()
        .filter(|o| o.starts_with("quarantine/") || o.starts_with("end_of_year/"))
        .cloned()
        .collect();
    for o in &outputs {
        if crate::checksum::file_sha256(&ctx.root.join(o))
            .ok()
            .as_ref()
            != prev.outputs.get(o)
        {
            return None;
        }
    }
    let last: serde_json::Value = read_json(ctx.root, "report.json").ok()?;
    let control_totals = serde_json::from_value(last["control_totals"].clone()).ok()?;
    let end_of_year = serde_json::from_value(last["end_of_year"].clone()).ok()?;
    tracing::info!("quarantine files, end-of-year findings and control totals kept");
    Some(FramesPart {
        outputs,
        end_of_year,
        control_totals,
    })
}

/// The frames part computed from ingest's and the crosswalk stage's
/// snapshots, one entity at a time.
fn from_frames(ctx: &Ctx) -> Result<FramesPart> {
    let mut outputs = Vec::new();
    let present = frames::present(ctx);
    let crosswalked = frames::crosswalked(ctx);
    for &entity in &present {
        let mut parts = vec![frames::load(ctx, ingest::STAGE, &quarantine_name(entity))?];
        if crosswalked.contains(&entity) {
            parts.push(frames::load(
                ctx,
                crosswalk::STAGE,
                &quarantine_name(entity),
            )?);
        }
        snapshot::write_quarantine(ctx.root, entity, &sorted_quarantine(parts)?)?;
        outputs.push(format!("quarantine/{entity}.csv"));
    }
    // The launch notices' end-of-year rules by SAU, on the identity
    // snapshots publish read (with `hold`, publish held their rows).
    let findings = crate::end_of_year::findings(ctx.root, ctx.config.last_year)?;
    let (files, end_of_year) = crate::end_of_year::write(ctx.root, &findings)?;
    outputs.extend(files);
    // Control totals: legacy values as read, against the rows that
    // reached each entity's last stage (only the columns counted).
    let mut control_totals = Vec::new();
    for &entity in &present {
        let columns = report::read_columns(entity);
        if columns.is_empty() {
            continue;
        }
        let read = frames::load_columns(ctx, crate::read::STAGE, entity, &columns)?;
        let last_stage = if crosswalked.contains(&entity) {
            crosswalk::STAGE
        } else {
            ingest::STAGE
        };
        let last = frames::load_columns(ctx, last_stage, entity, &[SOURCE_ROW])?;
        let totals = [report::Frames {
            entity,
            read: &read,
            last: &last,
        }];
        control_totals.extend(report::control_totals(&totals, &ctx.tables.mapping)?);
    }
    Ok(FramesPart {
        outputs,
        end_of_year,
        control_totals,
    })
}

fn read_json<T: DeserializeOwned>(root: &Path, rel: &str) -> Result<T> {
    let bytes = std::fs::read(root.join(rel)).with_context(|| format!("cannot read {rel}"))?;
    serde_json::from_slice(&bytes).with_context(|| format!("{rel} is not what this version wrote"))
}

fn build(
    ctx: &Ctx,
    state: &State,
    control_totals: Vec<report::ControlTotal>,
) -> Result<report::Report> {
    let reports = super::reports_until(state, StageId::Publish);
    let failures = failures(ctx.config, state, StageId::Publish);
    let mut quarantine_by_rule: BTreeMap<String, u64> = BTreeMap::new();
    for r in &reports {
        for (rule, n) in &r.rejected {
            *quarantine_by_rule.entry(rule.clone()).or_default() += n;
        }
    }
    Ok(report::Report {
        run_id: ctx.run_id.clone(),
        tool_version: TOOL_VERSION.to_string(),
        status: if failures.is_empty() {
            "passed"
        } else {
            "failed"
        }
        .into(),
        inputs: state
            .get(StageId::Ingest)
            .map(|s| s.inputs.clone())
            .unwrap_or_default(),
        ledger: reports
            .iter()
            .map(|r| report::LedgerRow {
                report: r.clone(),
                balanced: r.balanced(),
            })
            .collect(),
        quarantine_by_rule,
        control_totals,
        coverage: read_json(ctx.root, COVERAGE)?,
        identity: read_json(ctx.root, "identity/summary.json")?,
        uploads: read_json(ctx.root, SUMMARY)?,
        failures,
        end_of_year: Default::default(),
        end_of_year_held: false,
        fix_lists: Default::default(),
        sau_names: Default::default(),
        review: Default::default(),
    })
}
