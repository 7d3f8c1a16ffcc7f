//! The report stage: the quarantine files of every entity, and the
//! reconciliation report (`report.json`, `report.html`, see
//! `crate::report`).
//!
//! Reads: every earlier stage's reports and outputs (its fingerprint covers
//! their checksums), the read frames and the last stage's rows of each
//! entity for the control totals, the configuration's reject-rate settings.
//! The quarantine files, the control totals and the end-of-year findings
//! are each kept when what they are made from is as last time
//! ([`PartSources`]): after an edit to publish's inputs all three, after
//! an edit to one coded column's table the quarantine files and control
//! totals (unless rows moved to or from quarantine), and then ingest's
//! frames are not read back.

use super::frames::{self, quarantine_name, sorted_quarantine, Frames};
use super::runner::{Components, Produced, Stage, StageId, State};
use super::{crosswalk::COVERAGE, failures, publish::SUMMARY, Ctx, TOOL_VERSION};
use crate::checksum::hex;
use crate::crosswalks::LEGACY_CODES;
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
        let sources = PartSources::of(ctx, state)?;
        let part = frames_part(ctx, state, &sources)?;
        let mut clock = crate::publish::Clock::new("report");
        produced.outputs.extend(part.outputs);
        produced.data.extend(sources.data());
        // A fix list per district, from the quarantine and pre-flight files
        // (pre-flight's were written by publish; the quarantine files above).
        let names = ctx.tables.mapping.org_names();
        let fixlists = fix_lists(ctx, state, &sources, &names)?;
        clock.lap("fix lists");
        produced.outputs.extend(fixlists.1);
        let fixlists = fixlists.0;
        let mut full = build(ctx, state, part.control_totals)?;
        full.end_of_year = part.end_of_year;
        full.end_of_year_held = ctx.config.end_of_year_hold;
        full.sau_names = full
            .end_of_year
            .values()
            .flat_map(|by_sau| by_sau.keys())
            .chain(fixlists.keys())
            .filter_map(|sau| Some((sau.clone(), names.get(sau.as_str())?.to_string())))
            .collect();
        full.fix_lists = fixlists;
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
        clock.lap("report files");

        Ok(produced)
    }
}

/// What the report computes from the earlier stages' frames: the
/// quarantine files, the end-of-year findings, the control totals.
struct FramesPart {
    outputs: Vec<String>,
    end_of_year: crate::end_of_year::Summary,
    control_totals: Vec<report::ControlTotal>,
}

/// What each part is made from, recorded under `report.<part>`:
/// - the quarantine files: ingest's outputs and reports, and the content of
///   the crosswalk stage's quarantine frames;
/// - the control totals: ingest's outputs and reports (the rows as read),
///   which rows reached the crosswalk stage's output (`source_row`), the
///   exit code table;
/// - the end-of-year findings: the content of the columns the rules read
///   of the re-keyed enrollment and behavior rows, the students' birth
///   dates, the schools, the last school year;
/// - the fix lists: what the quarantine files are made from, the pre-flight
///   files, the columns of the crosswalk stage's snapshots that place a row
///   in its SAU (`fixlist::PLACE_COLUMNS`), the organization names.
///
/// A part made from what the last run's was is kept (its files are as the
/// last run wrote them, its numbers come from the last report.json), so
/// after an edit to one coded column the frames need not be read back.
struct PartSources {
    quarantine: String,
    totals: String,
    end_of_year: String,
    fix_lists: String,
}

const QUARANTINE: &str = "report.quarantine";
const TOTALS: &str = "report.control_totals";
const END_OF_YEAR: &str = "report.end_of_year";
const FIX_LISTS: &str = "report.fix_lists";

impl PartSources {
    fn of(ctx: &Ctx, state: &State) -> Result<PartSources> {
        let stage = |h: &mut Sha256, id: StageId| -> Result<()> {
            if let Some(s) = state.get(id) {
                h.update(serde_json::to_vec(&(&s.outputs, &s.reports))?);
            }
            Ok(())
        };
        let (mut q, mut t) = (Sha256::new(), Sha256::new());
        for h in [&mut q, &mut t] {
            stage(h, StageId::Ingest)?;
        }
        let mut places = Sha256::new();
        for entity in super::frames::CROSSWALK_ENTITIES {
            let key = super::crosswalk::quarantine_key(entity);
            q.update(state.data_of(StageId::Crosswalk, &[key.as_str()]));
            t.update(state.columns_of(StageId::Crosswalk, entity, &[SOURCE_ROW]));
            for name in [entity, key.as_str()] {
                let place = crate::fixlist::PLACE_COLUMNS;
                places.update(state.columns_of(StageId::Crosswalk, name, &place));
            }
        }
        // The exit code table (which codes count); the code sets a value
        // is shown by (`report_values`), and how: totals an earlier
        // version wrote with values it showed unmasked are made again.
        t.update(serde_json::to_vec(&ctx.tables.sums_where(|k| {
            k.starts_with("exit_codes") || k.starts_with("cip_codes") || k == LEGACY_CODES
        }))?);
        t.update(crate::report_values::VERSION);
        let quarantine = hex(&q.finalize());
        let mut f = Sha256::new();
        f.update(&quarantine);
        f.update(places.finalize());
        if let Some(p) = state.get(StageId::Publish) {
            let preflight: BTreeMap<_, _> = p
                .outputs
                .iter()
                .filter(|(o, _)| o.starts_with("preflight/"))
                .collect();
            f.update(serde_json::to_vec(&preflight)?);
        }
        f.update(serde_json::to_vec(&ctx.tables.mapping.org_names())?);
        // What a fix list shows of a value (`report_values`).
        f.update(serde_json::to_vec(&ctx.tables.sums_where(|k| {
            k.starts_with("cip_codes") || k == LEGACY_CODES
        }))?);
        f.update(crate::report_values::VERSION);
        Ok(PartSources {
            quarantine,
            totals: hex(&t.finalize()),
            end_of_year: end_of_year_sources(ctx, state),
            fix_lists: hex(&f.finalize()),
        })
    }

    fn data(&self) -> [(String, String); 4] {
        [
            (QUARANTINE.to_string(), self.quarantine.clone()),
            (TOTALS.to_string(), self.totals.clone()),
            (END_OF_YEAR.to_string(), self.end_of_year.clone()),
            (FIX_LISTS.to_string(), self.fix_lists.clone()),
        ]
    }
}

/// What the end-of-year findings read: the columns of the re-keyed
/// enrollments and behavior rows, the students and the schools the rules
/// read (`end_of_year::*_COLUMNS`), and the last school year.
fn end_of_year_sources(ctx: &Ctx, state: &State) -> String {
    use cutover_stages::end_of_year::{BEHAVIOR_COLUMNS, ENROLLMENT_COLUMNS, SCHOOL_COLUMNS};
    use cutover_stages::schema::{BEHAVIOR, SCHOOLS, STUDENT_ENROLLMENT};
    let mut e = Sha256::new();
    e.update(state.columns_of(StageId::Rekey, STUDENT_ENROLLMENT.name, &ENROLLMENT_COLUMNS));
    e.update(state.columns_of(StageId::Rekey, BEHAVIOR.name, &BEHAVIOR_COLUMNS));
    e.update(state.columns_of(
        StageId::Identity,
        "students",
        &crate::end_of_year::STUDENT_COLUMNS,
    ));
    e.update(state.columns_of(StageId::Ingest, SCHOOLS.name, &SCHOOL_COLUMNS));
    e.update(ctx.config.last_year.to_le_bytes());
    hex(&e.finalize())
}

/// The last run's report state, when a part may be kept from it (never
/// under `--force` or `--from`).
fn previous<'s>(ctx: &Ctx, state: &'s State) -> Option<&'s super::runner::StageState> {
    let forced = ctx.opts.force || ctx.opts.from.is_some();
    state.get(StageId::Report).filter(|_| !forced)
}

/// The last run's files under `prefixes` when `key` records `sources` and
/// they are as it wrote them.
fn kept_files(
    ctx: &Ctx,
    state: &State,
    (key, sources): (&str, &str),
    prefixes: &[&str],
) -> Option<Vec<String>> {
    let prev = previous(ctx, state)?;
    if prev.data.get(key).map(String::as_str) != Some(sources) {
        return None;
    }
    let outputs: Vec<String> = prev
        .outputs
        .keys()
        .filter(|o| prefixes.iter().any(|p| o.starts_with(p)))
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
    Some(outputs)
}

/// A part of the last report.json, when it was made from `sources`.
fn kept_value<T: DeserializeOwned>(
    ctx: &Ctx,
    state: &State,
    (key, sources): (&str, &str),
    field: &str,
) -> Option<T> {
    let prev = previous(ctx, state)?;
    if prev.data.get(key).map(String::as_str) != Some(sources) {
        return None;
    }
    let last: serde_json::Value = read_json(ctx.root, "report.json").ok()?;
    serde_json::from_value(last[field].clone()).ok()
}

/// Each part kept from the last run or made afresh (ingest's and the
/// crosswalk stage's frames read back only if the quarantine files or the
/// control totals must be made).
fn frames_part(ctx: &Ctx, state: &State, sources: &PartSources) -> Result<FramesPart> {
    let quarantine = kept_files(
        ctx,
        state,
        (QUARANTINE, &sources.quarantine),
        &["quarantine/"],
    );
    let totals = kept_value(ctx, state, (TOTALS, &sources.totals), "control_totals");
    let kept_eoy = kept_files(
        ctx,
        state,
        (END_OF_YEAR, &sources.end_of_year),
        &["end_of_year/"],
    )
    .zip(kept_value(
        ctx,
        state,
        (END_OF_YEAR, &sources.end_of_year),
        "end_of_year",
    ));
    tracing::info!(
        quarantine = quarantine.is_some(),
        control_totals = totals.is_some(),
        end_of_year = kept_eoy.is_some(),
        "report parts kept"
    );
    let mut outputs = Vec::new();
    let control_totals = match (quarantine, totals) {
        (Some(q), Some(t)) => {
            outputs.extend(q);
            t
        }
        (q, t) => from_frames(ctx, &mut outputs, q, t)?,
    };
    let end_of_year = match kept_eoy {
        Some((files, summary)) => {
            outputs.extend(files);
            summary
        }
        None => {
            // The launch notices' end-of-year rules by SAU, on the identity
            // snapshots publish read (with `hold`, publish held their rows).
            let mut clock = crate::publish::Clock::new("report");
            let findings = crate::end_of_year::findings(ctx.root, ctx.config.last_year)?;
            clock.lap("end of year findings");
            let (files, summary) = crate::end_of_year::write(ctx.root, &findings)?;
            outputs.extend(files);
            summary
        }
    };
    Ok(FramesPart {
        outputs,
        end_of_year,
        control_totals,
    })
}

/// The fix lists (one per district), kept when what they are made from is
/// as last time, else written afresh; their files.
fn fix_lists(
    ctx: &Ctx,
    state: &State,
    sources: &PartSources,
    names: &BTreeMap<&str, &str>,
) -> Result<(BTreeMap<String, u64>, Vec<String>)> {
    let part = (FIX_LISTS, sources.fix_lists.as_str());
    let prefix = format!("{}/", crate::fixlist::DIR);
    let kept = kept_files(ctx, state, part, &[prefix.as_str()]).zip(kept_value(
        ctx,
        state,
        part,
        "fix_lists",
    ));
    tracing::info!(fix_lists = kept.is_some(), "report part kept");
    if let Some((files, saus)) = kept {
        return Ok((saus, files));
    }
    let shown = crate::report_values::Shown::new(&ctx.tables.codes, &ctx.tables.mapping);
    let written = crate::fixlist::write(ctx.root, names, &shown)?;
    let files = super::publish::files_under(ctx.root, crate::fixlist::DIR)?;
    Ok((written.saus, files))
}

/// The quarantine files and the control totals not kept, from ingest's and
/// the crosswalk stage's snapshots, one entity at a time (only the columns
/// counted).
fn from_frames(
    ctx: &Ctx,
    outputs: &mut Vec<String>,
    quarantine: Option<Vec<String>>,
    totals: Option<Vec<report::ControlTotal>>,
) -> Result<Vec<report::ControlTotal>> {
    let present = frames::present(ctx);
    let crosswalked = frames::crosswalked(ctx);
    let mut clock = crate::publish::Clock::new("report");
    match quarantine {
        Some(kept) => outputs.extend(kept),
        None => {
            for &entity in &present {
                let name = quarantine_name(entity);
                let mut parts = vec![frames::load(ctx, ingest::STAGE, &name)?];
                if crosswalked.contains(&entity) {
                    parts.push(frames::load(ctx, crosswalk::STAGE, &name)?);
                }
                snapshot::write_quarantine(ctx.root, entity, &sorted_quarantine(parts)?)?;
                outputs.push(format!("quarantine/{entity}.csv"));
            }
            clock.lap("quarantine files");
        }
    }
    if let Some(t) = totals {
        return Ok(t);
    }
    // Control totals: legacy values as read, against the rows that
    // reached each entity's last stage.
    let mut control_totals = Vec::new();
    let shown = crate::report_values::Shown::new(&ctx.tables.codes, &ctx.tables.mapping);
    for &entity in &present {
        let columns = report::read_columns(entity);
        if columns.is_empty() {
            continue;
        }
        let last_stage = if crosswalked.contains(&entity) {
            crosswalk::STAGE
        } else {
            ingest::STAGE
        };
        let last = frames::load_columns(ctx, last_stage, entity, &[SOURCE_ROW])?;
        let mut tally = report::Tally::new(entity, &last, &ctx.tables.mapping, &shown)?;
        drop(last);
        // The rows as read, a batch at a time.
        let read = snapshot::snapshot_path(ctx.root, crate::read::STAGE, entity);
        snapshot::read_column_slices(&read, snapshot::batch_rows(), &columns, |batch| {
            Ok(tally.add(&batch)?)
        })?;
        control_totals.extend(tally.finish()?);
        clock.lap(entity);
    }
    Ok(control_totals)
}

/// The crosswalk coverage, masked again (`report_values`): a crosswalk
/// stage kept from a run of an earlier version wrote what it saw.
fn masked_coverage(ctx: &Ctx) -> Result<crate::ledger::Coverage> {
    let mut coverage: crate::ledger::Coverage = read_json(ctx.root, COVERAGE)?;
    let shown = crate::report_values::Shown::new(&ctx.tables.codes, &ctx.tables.mapping);
    for c in &mut coverage.columns {
        shown.mask_coverage(c);
    }
    Ok(coverage)
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
        notes: super::absent_notes(ctx.config, &ctx.absent_files, &reports),
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
        coverage: masked_coverage(ctx)?,
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
