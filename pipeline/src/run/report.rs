//! The report stage: the quarantine files of every entity, and the
//! reconciliation report (`report.json`, `report.html`, see
//! `crate::report`).
//!
//! Reads: every earlier stage's reports and outputs (its fingerprint covers
//! their checksums), the read frames and the last stage's rows of each
//! entity for the control totals, the configuration's reject-rate settings.

use super::frames::{sorted_quarantine, Frames};
use super::runner::{Components, Produced, Stage, StageId, State};
use super::{crosswalk::COVERAGE, failures, publish::SUMMARY, Ctx, TOOL_VERSION};
use crate::checksum::hex;
use crate::output::write_bytes;
use crate::report;
use crate::snapshot;
use anyhow::{Context, Result};
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
        ]))
    }

    fn run(&self, ctx: &Ctx, state: &State, frames: &mut Frames) -> Result<Produced> {
        let mut produced = Produced::default();
        let (ingested, crosswalked) = frames.both(ctx)?;
        for i in ingested {
            let mut parts = vec![i.quarantine.clone()];
            if let Some(c) = crosswalked.iter().find(|c| c.entity == i.entity) {
                parts.push(c.quarantine.clone());
            }
            snapshot::write_quarantine(ctx.root, i.entity, &sorted_quarantine(parts)?)?;
            produced
                .outputs
                .push(format!("quarantine/{}.csv", i.entity));
        }
        // The launch notices' end-of-year rules by SAU, on the identity
        // snapshots publish read (with `hold`, publish held their rows).
        let findings = crate::end_of_year::findings(ctx.root, ctx.config.last_year)?;
        let (files, end_of_year) = crate::end_of_year::write(ctx.root, &findings)?;
        produced.outputs.extend(files);
        // Control totals: legacy values as read, against the rows that
        // reached each entity's last stage.
        let totals: Vec<report::Frames> = ingested
            .iter()
            .map(|i| report::Frames {
                entity: i.entity,
                read: &i.read,
                last: crosswalked
                    .iter()
                    .find(|c| c.entity == i.entity)
                    .map(|c| &c.rows)
                    .unwrap_or(&i.rows),
            })
            .collect();
        // A fix list per district, from the quarantine and pre-flight files
        // (pre-flight's were written by publish; the quarantine files above).
        let fixlists = crate::fixlist::write(ctx.root)?;
        produced
            .outputs
            .extend(super::publish::files_under(ctx.root, crate::fixlist::DIR)?);
        let mut full = build(
            ctx,
            state,
            report::control_totals(&totals, &ctx.tables.mapping)?,
        )?;
        full.end_of_year = end_of_year;
        full.end_of_year_held = ctx.config.end_of_year_hold;
        full.fix_lists = fixlists.saus;
        full.review = crate::report_summary::review_state(ctx.root)?;
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
        review: Default::default(),
    })
}
