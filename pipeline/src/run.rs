//! `cutover run`: the stages in their fixed order, the snapshots, the
//! quarantine files, and the ledger that proves every row was accounted for.

use crate::config::{hex, Config};
use crate::crosswalks;
use crate::identity_stage;
use crate::output::{private_dir, write_bytes};
use crate::publish;
use crate::read::{self, EncodingChoice, FileInfo};
use crate::report;
use crate::snapshot::{self, Provenance};
use anyhow::{Context, Result};
use cutover_stages::columns::{QUARANTINE_COLUMNS, SOURCE_ROW};
use cutover_stages::crosswalk;
use cutover_stages::ingest;
use cutover_stages::report::StageReport;
use cutover_stages::schema::{
    BEHAVIOR, CTE, ENTITIES, GRADUATION, MAILING_ADDRESS, STUDENT_ENROLLMENT, STUDENT_PERSONAL,
    TRUANCY,
};
use indicatif::{ProgressBar, ProgressStyle};
use polars::prelude::*;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::PathBuf;
use tracing::{info, info_span};

pub const TOOL_VERSION: &str = env!("CARGO_PKG_VERSION");

/// How to run (not what the data means).
#[derive(Clone, Copy, Debug, Default)]
pub struct RunOptions {
    pub quiet: bool,
    /// Rerun every stage.
    pub force: bool,
    /// Rerun this stage and every one after it.
    pub from: Option<&'static str>,
    /// Stop after this stage.
    pub to: Option<&'static str>,
}

/// A ledger check that failed.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Failure {
    pub stage: String,
    pub entity: String,
    pub check: String,
    pub message: String,
}

/// What `run.json` records.
#[derive(Debug, Serialize)]
pub struct RunRecord {
    pub tool: &'static str,
    pub tool_version: &'static str,
    pub run_id: String,
    pub started_at: String,
    pub finished_at: String,
    pub status: String,
    pub config: ConfigRecord,
    pub inputs: Vec<FileInfo>,
    pub absent_files: Vec<String>,
    pub crosswalks: BTreeMap<String, String>,
    /// Which stages ran and why, which were skipped.
    pub decisions: Vec<Decision>,
    pub stages: Vec<StageReport>,
    pub failures: Vec<Failure>,
    pub outputs: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct ConfigRecord {
    pub source: String,
    pub sha256: String,
    pub max_reject_rate: f64,
    pub reject_rate_min_rows: u64,
}

/// `crosswalk/coverage.json`: every legacy value seen and what it became, and
/// the seven race categories before and after.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Coverage {
    pub columns: Vec<crosswalk::ColumnCoverage>,
    pub race: crosswalk::RaceCheck,
}

/// The outcome of a run that finished (data checks may still have failed).
pub struct Outcome {
    pub record: RunRecord,
    pub output: PathBuf,
}

impl Outcome {
    pub fn passed(&self) -> bool {
        self.record.failures.is_empty()
    }
}

fn now() -> String {
    chrono::Local::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn progress_bar(opts: RunOptions, len: u64, label: &str) -> ProgressBar {
    if opts.quiet || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(len);
    bar.set_style(
        ProgressStyle::with_template("{msg:>24} [{bar:30}] {bytes}/{total_bytes}")
            .expect("valid template")
            .progress_chars("=> "),
    );
    bar.set_message(label.to_string());
    bar
}

/// Checks every stage report: `in = out + rejected + merged`, and the
/// reject rate against the threshold.
pub fn check_ledger(reports: &[StageReport], max_reject_rate: f64, min_rows: u64) -> Vec<Failure> {
    let mut failures = Vec::new();
    for r in reports {
        if !r.balanced() {
            failures.push(Failure {
                stage: r.stage.clone(),
                entity: r.entity.clone(),
                check: "balance".into(),
                message: if r.added.is_empty() && r.excluded.is_empty() {
                    format!(
                        "rows in {} != out {} + rejected {} + merged {}",
                        r.rows_in,
                        r.rows_out,
                        r.rejected_total(),
                        r.merged
                    )
                } else {
                    format!(
                        "rows in {} + added {} != out {} + rejected {} + merged {} + excluded {}",
                        r.rows_in,
                        r.added.values().sum::<u64>(),
                        r.rows_out,
                        r.rejected_total(),
                        r.merged,
                        r.excluded.values().sum::<u64>()
                    )
                },
            });
        }
        // Pre-flight holds rows back for the Department to fix; the reject
        // rate threshold is about what the extract itself lost.
        // A file too small for a rate to mean anything (one bad row of 40
        // is 2.5%) is not failed on it: its rows are still quarantined.
        let counted =
            matches!(r.stage.as_str(), "read" | "ingest" | "crosswalk") && r.rows_in >= min_rows;
        if counted && r.reject_rate() > max_reject_rate {
            failures.push(Failure {
                stage: r.stage.clone(),
                entity: r.entity.clone(),
                check: "reject_rate".into(),
                message: format!(
                    "{} of {} rows rejected ({:.2}%), above ingest.max_reject_rate {:.2}%",
                    r.rejected_total(),
                    r.rows_in,
                    r.reject_rate() * 100.0,
                    max_reject_rate * 100.0
                ),
            });
        }
    }
    failures
}

/// The stages `cutover run` knows, in order (read runs inside ingest).
pub const STAGES: [&str; 5] = ["ingest", "crosswalk", "identity", "publish", "report"];

/// What a stage's last run was made from, kept in `<output>/stages.json`.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct StageState {
    pub fingerprint: String,
    /// Named parts of the fingerprint: what a rerun can name as changed.
    pub components: BTreeMap<String, String>,
    pub run_id: String,
    pub reports: Vec<StageReport>,
    pub inputs: Vec<FileInfo>,
    pub outputs: Vec<String>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
struct State {
    stages: BTreeMap<String, StageState>,
}

/// Whether a stage ran, and why.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Decision {
    pub stage: String,
    pub ran: bool,
    pub reason: String,
}

fn fingerprint(components: &BTreeMap<String, String>) -> String {
    let mut h = Sha256::new();
    for (k, v) in components {
        h.update(k.as_bytes());
        h.update([0]);
        h.update(v.as_bytes());
        h.update([0]);
    }
    hex(&h.finalize())
}

fn sum_of(map: &BTreeMap<String, String>) -> String {
    let mut h = Sha256::new();
    for (k, v) in map {
        h.update(k.as_bytes());
        h.update(v.as_bytes());
    }
    hex(&h.finalize())
}

fn decide(
    stage: &str,
    components: &BTreeMap<String, String>,
    previous: Option<&StageState>,
    root: &std::path::Path,
    opts: RunOptions,
    upstream_ran: Option<&str>,
) -> Decision {
    let index = STAGES
        .iter()
        .position(|s| *s == stage)
        .expect("known stage");
    let from = opts.from.and_then(|f| STAGES.iter().position(|s| *s == f));
    let reason = if opts.force {
        Some("--force".to_string())
    } else if from.is_some_and(|f| f <= index) {
        Some(format!("--from {}", opts.from.unwrap_or_default()))
    } else if let Some(up) = upstream_ran {
        Some(format!("{up} ran"))
    } else {
        match previous {
            None => Some("no previous run".to_string()),
            Some(prev) => {
                let changed: Vec<&str> = components
                    .iter()
                    .filter(|(k, v)| prev.components.get(*k) != Some(*v))
                    .map(|(k, _)| k.as_str())
                    .collect();
                if !changed.is_empty() {
                    Some(format!("changed: {}", changed.join(", ")))
                } else if prev.outputs.iter().any(|o| !root.join(o).is_file()) {
                    Some("outputs missing".to_string())
                } else {
                    None
                }
            }
        }
    };
    match reason {
        Some(reason) => Decision {
            stage: stage.to_string(),
            ran: true,
            reason,
        },
        None => Decision {
            stage: stage.to_string(),
            ran: false,
            reason: format!(
                "skipped: {} unchanged",
                components.keys().cloned().collect::<Vec<_>>().join(", ")
            ),
        },
    }
}

/// One entity after read and ingest.
struct Ingested {
    entity: &'static str,
    read: DataFrame,
    rows: DataFrame,
    /// Read and ingest rejections.
    quarantine: DataFrame,
}

fn quarantine_name(entity: &str) -> String {
    format!("{entity}.quarantine")
}

fn load(root: &std::path::Path, stage: &str, name: &str) -> Result<DataFrame> {
    snapshot::read_parquet(&root.join(stage).join(format!("{name}.parquet")))
}

/// The read and ingest snapshots of every entity the bundle has, as a
/// skipped ingest stage left them.
fn load_ingested(
    root: &std::path::Path,
    config: &Config,
    inputs: &BTreeMap<String, String>,
) -> Result<Vec<Ingested>> {
    let mut ingested = Vec::new();
    for spec in ENTITIES {
        if !inputs.contains_key(&config.files[spec.name]) {
            continue;
        }
        ingested.push(Ingested {
            entity: spec.name,
            read: load(root, read::STAGE, spec.name)?,
            rows: load(root, ingest::STAGE, spec.name)?,
            quarantine: load(root, ingest::STAGE, &quarantine_name(spec.name))?,
        });
    }
    Ok(ingested)
}

fn sorted_quarantine(parts: Vec<DataFrame>) -> Result<DataFrame> {
    let lazies: Vec<LazyFrame> = parts.into_iter().map(|d| d.lazy()).collect();
    Ok(concat(lazies, UnionArgs::default())?
        .sort(
            [SOURCE_ROW],
            SortMultipleOptions::default().with_maintain_order(true),
        )
        .select(QUARANTINE_COLUMNS.map(col))
        .collect()?)
}

/// Runs the stages in order; a stage whose inputs are unchanged since its
/// last run is skipped and its snapshots are read back instead.
pub fn run(config: &Config, opts: RunOptions) -> Result<Outcome> {
    let started_at = now();
    let codes = crosswalks::load_legacy_codes(&config.crosswalks)
        .map_err(|p| anyhow::anyhow!(p.join("\n")))?;
    let (tables, table_sums) =
        crosswalks::load_tables(&config.crosswalks).map_err(|p| anyhow::anyhow!(p.join("\n")))?;
    let code_tables: std::collections::BTreeSet<String> = tables.codes.keys().cloned().collect();
    let (layouts, layout_sums) = crate::layouts::load(&config.layouts, &code_tables)
        .map_err(|p| anyhow::anyhow!(p.join("\n")))?;
    let mut crosswalk_sums = table_sums.clone();
    crosswalk_sums.insert(crosswalks::LEGACY_CODES.to_string(), codes.sha256.clone());
    let root = &config.output;
    let stale = crate::output::remove_stale_temporaries(root)?;
    if stale > 0 {
        info!(stale, "removed temporary files an interrupted run left");
    }
    let state_path = root.join("stages.json");
    let mut state: State = std::fs::read(&state_path)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default();

    // Inputs first, so the run id (and every snapshot's provenance) is known
    // before anything is written.
    let mut inputs = BTreeMap::new();
    let mut absent_files = Vec::new();
    for spec in ENTITIES {
        let name = &config.files[spec.name];
        let path = config.bundle.join(name);
        if path.is_file() {
            let bytes = std::fs::read(&path).with_context(|| format!("{name}: cannot read"))?;
            inputs.insert(name.clone(), hex(&Sha256::digest(&bytes)));
        } else {
            absent_files.push(name.clone());
        }
    }
    let mut hasher = Sha256::new();
    hasher.update(TOOL_VERSION.as_bytes());
    hasher.update(config.checksum.as_bytes());
    for (name, sum) in inputs.iter().chain(crosswalk_sums.iter()) {
        hasher.update(name.as_bytes());
        hasher.update(sum.as_bytes());
    }
    let run_id = hex(&hasher.finalize())[..16].to_string();
    let provenance = Provenance {
        run_id: run_id.clone(),
        tool_version: TOOL_VERSION.to_string(),
        config_sha256: config.checksum.clone(),
        inputs: inputs.clone(),
        crosswalks: crosswalk_sums.clone(),
    };
    info!(run_id = %run_id, files = inputs.len(), "run started");
    let mut decisions = Vec::new();

    // ---------------------------------------------------------------- ingest
    let ingest_components = BTreeMap::from([
        ("tool version".to_string(), TOOL_VERSION.to_string()),
        ("config".to_string(), config.checksum.clone()),
        ("input files".to_string(), sum_of(&inputs)),
        ("legacy code table".to_string(), codes.sha256.clone()),
    ]);
    let decision = decide(
        "ingest",
        &ingest_components,
        state.stages.get("ingest"),
        root,
        opts,
        None,
    );
    let ingest_ran = decision.ran;
    decisions.push(decision);
    let mut ingested: Vec<Ingested> = Vec::new();
    if ingest_ran {
        // Every entity is read and ingested in memory first: a file that
        // cannot be read leaves the previous outputs as they were.
        let ingest_config = config.ingest();
        let mut reports = Vec::new();
        let mut infos = Vec::new();
        for spec in ENTITIES {
            let name = &config.files[spec.name];
            if !inputs.contains_key(name) {
                continue;
            }
            let path = config.bundle.join(name);
            let choice = config
                .encodings
                .get(name)
                .copied()
                .unwrap_or(EncodingChoice::Auto);
            let empty = BTreeMap::new();
            let map = config.columns.get(spec.name).unwrap_or(&empty);
            let read = {
                let _span = info_span!("read", entity = spec.name).entered();
                let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
                let bar = progress_bar(opts, size, name);
                let read =
                    read::read_file(&path, name, spec, choice, map, |b| bar.set_position(b))?;
                bar.finish_and_clear();
                info!(rows_in = read.report.rows_in, rows_out = read.report.rows_out, encoding = %read.info.encoding, "read");
                read
            };
            let out = {
                let _span = info_span!("ingest", entity = spec.name).entered();
                let out = ingest::run(
                    spec,
                    read.frame.clone().lazy(),
                    &read.present,
                    &codes.codes,
                    &ingest_config,
                )?;
                info!(
                    rows_in = out.report.rows_in,
                    rows_out = out.report.rows_out,
                    rejected = out.report.rejected_total(),
                    "ingest"
                );
                out
            };
            reports.push(read.report);
            reports.push(out.report);
            infos.push(read.info);
            ingested.push(Ingested {
                entity: spec.name,
                read: read.frame,
                rows: out.rows,
                quarantine: sorted_quarantine(vec![read.quarantine, out.quarantine])?,
            });
        }
        let mut outputs = Vec::new();
        for i in ingested.iter_mut() {
            snapshot::write_parquet(root, read::STAGE, i.entity, &mut i.read, &provenance)?;
            snapshot::write_parquet(root, ingest::STAGE, i.entity, &mut i.rows, &provenance)?;
            snapshot::write_parquet(
                root,
                ingest::STAGE,
                &quarantine_name(i.entity),
                &mut i.quarantine,
                &provenance,
            )?;
            outputs.push(format!("{}/{}.parquet", read::STAGE, i.entity));
            outputs.push(format!("{}/{}.parquet", ingest::STAGE, i.entity));
            outputs.push(format!(
                "{}/{}.parquet",
                ingest::STAGE,
                quarantine_name(i.entity)
            ));
        }
        state.stages.insert(
            "ingest".into(),
            StageState {
                fingerprint: fingerprint(&ingest_components),
                components: ingest_components.clone(),
                run_id: run_id.clone(),
                reports,
                inputs: infos,
                outputs,
            },
        );
        write_bytes(&state_path, &serde_json::to_vec_pretty(&state)?)?;
    }
    // A skipped stage's snapshots are loaded only when a later stage runs.
    let mut ingest_loaded = ingest_ran;
    let ingest_state = state.stages["ingest"].clone();
    // Ends the run (after any stage): run.json and the outcome.
    let done = |state: &State,
                decisions: Vec<Decision>,
                reports: Vec<StageReport>,
                failures: Vec<Failure>| {
        finish(Finish {
            config,
            state,
            run_id: run_id.clone(),
            started_at: started_at.clone(),
            inputs: ingest_state.inputs.clone(),
            absent_files: absent_files.clone(),
            crosswalks: crosswalk_sums.clone(),
            decisions,
            reports,
            failures,
        })
    };
    if opts.to == Some("ingest") {
        let reports = ingest_state.reports.clone();
        let failures = check_ledger(
            &reports,
            config.max_reject_rate,
            config.reject_rate_min_rows,
        );
        return done(&state, decisions, reports, failures);
    }

    // ------------------------------------------------------------- crosswalk
    let crosswalk_components = BTreeMap::from([
        ("tool version".to_string(), TOOL_VERSION.to_string()),
        ("config".to_string(), config.checksum.clone()),
        ("crosswalk tables".to_string(), sum_of(&table_sums)),
        (
            "ingest snapshots".to_string(),
            ingest_state.fingerprint.clone(),
        ),
    ]);
    let decision = decide(
        "crosswalk",
        &crosswalk_components,
        state.stages.get("crosswalk"),
        root,
        opts,
        ingest_ran.then_some("ingest"),
    );
    let crosswalk_ran = decision.ran;
    decisions.push(decision);
    let crosswalk_entities = [
        STUDENT_PERSONAL.name,
        STUDENT_ENROLLMENT.name,
        BEHAVIOR.name,
        TRUANCY.name,
        CTE.name,
    ];
    let mut stage3: Vec<(&str, DataFrame, DataFrame)> = Vec::new();
    let coverage: Coverage;
    if crosswalk_ran {
        if !ingest_loaded {
            ingested = load_ingested(root, config, &inputs)?;
            ingest_loaded = true;
        }
        let take = |name: &str| {
            ingested
                .iter()
                .find(|r| r.entity == name)
                .map(|r| r.rows.clone())
        };
        let out = {
            let _span = info_span!("crosswalk").entered();
            let others = [BEHAVIOR.name, TRUANCY.name, CTE.name]
                .into_iter()
                .filter_map(|e| take(e).map(|d| (e, d)))
                .collect();
            crosswalk::run(
                take(STUDENT_PERSONAL.name),
                take(STUDENT_ENROLLMENT.name),
                others,
                &tables,
                &crosswalk::CrosswalkConfig {
                    first_year: config.first_year,
                    last_year: config.last_year,
                },
            )?
        };
        let mut reports = Vec::new();
        type Part = Option<(DataFrame, DataFrame, StageReport)>;
        let mut parts: Vec<(&str, Part)> = vec![
            (STUDENT_PERSONAL.name, out.personal),
            (STUDENT_ENROLLMENT.name, out.enrollment),
        ];
        parts.extend(
            out.others
                .into_iter()
                .map(|(e, r, q, rep)| (e, Some((r, q, rep)))),
        );
        for (entity, part) in parts {
            if let Some((rows, quarantine, report)) = part {
                info!(
                    entity,
                    rows_in = report.rows_in,
                    rows_out = report.rows_out,
                    rejected = report.rejected_total(),
                    "crosswalk"
                );
                reports.push(report);
                stage3.push((entity, rows, quarantine));
            }
        }
        coverage = Coverage {
            columns: out.coverage,
            race: out.race,
        };
        let mut outputs = Vec::new();
        for (entity, rows, quarantine) in stage3.iter_mut() {
            snapshot::write_parquet(root, crosswalk::STAGE, entity, rows, &provenance)?;
            snapshot::write_parquet(
                root,
                crosswalk::STAGE,
                &quarantine_name(entity),
                quarantine,
                &provenance,
            )?;
            outputs.push(format!("{}/{entity}.parquet", crosswalk::STAGE));
            outputs.push(format!(
                "{}/{}.parquet",
                crosswalk::STAGE,
                quarantine_name(entity)
            ));
        }
        write_bytes(
            &root.join("crosswalk/coverage.json"),
            &serde_json::to_vec_pretty(&coverage)?,
        )?;
        outputs.push("crosswalk/coverage.json".to_string());
        state.stages.insert(
            "crosswalk".into(),
            StageState {
                fingerprint: fingerprint(&crosswalk_components),
                components: crosswalk_components.clone(),
                run_id: run_id.clone(),
                reports,
                inputs: Vec::new(),
                outputs,
            },
        );
        write_bytes(&state_path, &serde_json::to_vec_pretty(&state)?)?;
    } else {
        let bytes = std::fs::read(root.join("crosswalk/coverage.json"))
            .context("cannot read crosswalk/coverage.json")?;
        coverage = serde_json::from_slice(&bytes)
            .context("crosswalk/coverage.json is not a coverage report")?;
    }
    let mut crosswalk_loaded = crosswalk_ran;
    // Loads what a skipped ingest or crosswalk stage left, for a later
    // stage that runs.
    let mut ensure_loaded = |ingested: &mut Vec<Ingested>,
                             stage3: &mut Vec<(&str, DataFrame, DataFrame)>|
     -> Result<()> {
        if !ingest_loaded {
            *ingested = load_ingested(root, config, &inputs)?;
            ingest_loaded = true;
        }
        if !crosswalk_loaded {
            for entity in crosswalk_entities {
                if ingested.iter().any(|i| i.entity == entity) {
                    stage3.push((
                        entity,
                        load(root, crosswalk::STAGE, entity)?,
                        load(root, crosswalk::STAGE, &quarantine_name(entity))?,
                    ));
                }
            }
            crosswalk_loaded = true;
        }
        Ok(())
    };
    let crosswalk_state = state.stages["crosswalk"].clone();
    if opts.to == Some("crosswalk") {
        let mut reports = ingest_state.reports.clone();
        reports.extend(crosswalk_state.reports.iter().cloned());
        let failures = check_ledger(
            &reports,
            config.max_reject_rate,
            config.reject_rate_min_rows,
        );
        return done(&state, decisions, reports, failures);
    }

    // -------------------------------------------------------------- identity
    let decisions_path = root.join("review").join("decisions.csv");
    let decisions_bytes = std::fs::read(&decisions_path).unwrap_or_default();
    let nicknames = crosswalks::load_nicknames(&config.crosswalks)
        .map_err(|p| anyhow::anyhow!(p.join("\n")))?;
    let identity_components = BTreeMap::from([
        ("tool version".to_string(), TOOL_VERSION.to_string()),
        ("config".to_string(), config.checksum.clone()),
        (
            "nickname table".to_string(),
            crosswalk_sums
                .get("nicknames.csv")
                .cloned()
                .unwrap_or_default(),
        ),
        (
            "review decisions".to_string(),
            hex(&Sha256::digest(&decisions_bytes)),
        ),
        (
            "crosswalk snapshots".to_string(),
            crosswalk_state.fingerprint.clone(),
        ),
    ]);
    let decision = decide(
        "identity",
        &identity_components,
        state.stages.get("identity"),
        root,
        opts,
        crosswalk_ran.then_some("crosswalk"),
    );
    let identity_ran = decision.ran;
    decisions.push(decision);
    let identity_summary: identity_stage::Summary;
    if identity_ran {
        ensure_loaded(&mut ingested, &mut stage3)?;
        let personal = stage3
            .iter()
            .find(|s| s.0 == STUDENT_PERSONAL.name)
            .map(|s| &s.1);
        let enrollment = stage3
            .iter()
            .find(|s| s.0 == STUDENT_ENROLLMENT.name)
            .map(|s| &s.1);
        let reviewer_decisions = identity_stage::read_decisions(&decisions_path, &decisions_bytes)?;
        let Some(personal) = personal else {
            anyhow::bail!("identity: no student_personal rows reached the identity stage");
        };
        let _span = info_span!("identity").entered();
        let addresses = ingested
            .iter()
            .find(|i| i.entity == MAILING_ADDRESS.name)
            .map(|i| &i.rows);
        let others: Vec<(&str, &DataFrame)> = [BEHAVIOR.name, TRUANCY.name, CTE.name]
            .into_iter()
            .filter_map(|e| stage3.iter().find(|s| s.0 == e).map(|s| (e, &s.1)))
            .chain(
                ingested
                    .iter()
                    .filter(|i| i.entity == GRADUATION.name)
                    .map(|i| (i.entity, &i.rows)),
            )
            .collect();
        let frames = identity_stage::Frames {
            personal,
            enrollment,
            addresses,
            others,
        };
        let out = identity_stage::run_stage(
            root,
            frames,
            &reviewer_decisions,
            &nicknames,
            config,
            &provenance,
        )?;
        info!(
            students = out.summary.students,
            review = out.summary.review_queue,
            "identity"
        );
        identity_summary = out.summary;
        state.stages.insert(
            "identity".into(),
            StageState {
                fingerprint: fingerprint(&identity_components),
                components: identity_components.clone(),
                run_id: run_id.clone(),
                reports: out.reports,
                inputs: Vec::new(),
                outputs: out.outputs,
            },
        );
        write_bytes(&state_path, &serde_json::to_vec_pretty(&state)?)?;
    } else {
        let bytes = std::fs::read(root.join("identity/summary.json"))
            .context("cannot read identity/summary.json")?;
        identity_summary = serde_json::from_slice(&bytes)
            .context("identity/summary.json is not an identity summary")?;
    }
    let identity_state = state.stages["identity"].clone();

    // ---------------------------------------------------------------- ledger
    let mut reports = ingest_state.reports.clone();
    reports.extend(crosswalk_state.reports.iter().cloned());
    reports.extend(identity_state.reports.iter().cloned());
    let mut failures = check_ledger(
        &reports,
        config.max_reject_rate,
        config.reject_rate_min_rows,
    );
    if !coverage.race.agree {
        failures.push(Failure {
            stage: crosswalk::STAGE.into(),
            entity: STUDENT_PERSONAL.name.into(),
            check: "race_categories".into(),
            message: "the seven federal race categories differ before and after bridging (see crosswalk/coverage.json)".into(),
        });
    }

    if opts.to == Some("identity") {
        return done(&state, decisions, reports, failures);
    }

    // --------------------------------------------------------------- publish
    let publish_components = BTreeMap::from([
        ("tool version".to_string(), TOOL_VERSION.to_string()),
        ("config".to_string(), config.checksum.clone()),
        ("crosswalk tables".to_string(), sum_of(&table_sums)),
        ("layouts".to_string(), sum_of(&layout_sums)),
        (
            "identity snapshots".to_string(),
            identity_state.fingerprint.clone(),
        ),
    ]);
    let decision = decide(
        "publish",
        &publish_components,
        state.stages.get("publish"),
        root,
        opts,
        identity_ran.then_some("identity"),
    );
    let publish_ran = decision.ran;
    decisions.push(decision);
    let publish_summary: publish::Summary;
    if publish_ran {
        let _span = info_span!("publish").entered();
        let out = publish::run_stage(root, config, &layouts, &tables, &provenance)?;
        info!(files = out.summary.files, "publish");
        let mut outputs = out.outputs;
        write_bytes(
            &root.join("publish/summary.json"),
            &serde_json::to_vec_pretty(&out.summary)?,
        )?;
        outputs.push("publish/summary.json".to_string());
        publish_summary = out.summary;
        state.stages.insert(
            "publish".into(),
            StageState {
                fingerprint: fingerprint(&publish_components),
                components: publish_components.clone(),
                run_id: run_id.clone(),
                reports: out.reports,
                inputs: Vec::new(),
                outputs,
            },
        );
        write_bytes(&state_path, &serde_json::to_vec_pretty(&state)?)?;
    } else {
        let bytes = std::fs::read(root.join("publish/summary.json"))
            .context("cannot read publish/summary.json")?;
        publish_summary = serde_json::from_slice(&bytes)
            .context("publish/summary.json is not a publish summary")?;
    }
    let publish_state = state.stages["publish"].clone();
    reports.extend(publish_state.reports.iter().cloned());
    failures.extend(check_ledger(
        &publish_state.reports,
        config.max_reject_rate,
        config.reject_rate_min_rows,
    ));

    // ---------------------------------------------------------------- report
    if opts.to == Some("publish") {
        return done(&state, decisions, reports, failures);
    }
    let report_components = BTreeMap::from([
        ("tool version".to_string(), TOOL_VERSION.to_string()),
        ("config".to_string(), config.checksum.clone()),
        (
            "publish outputs".to_string(),
            publish_state.fingerprint.clone(),
        ),
    ]);
    let decision = decide(
        "report",
        &report_components,
        state.stages.get("report"),
        root,
        opts,
        publish_ran.then_some("publish"),
    );
    if decision.ran {
        ensure_loaded(&mut ingested, &mut stage3)?;
        let mut outputs = Vec::new();
        for i in &ingested {
            let mut parts = vec![i.quarantine.clone()];
            if let Some((_, _, q)) = stage3.iter().find(|s| s.0 == i.entity) {
                parts.push(q.clone());
            }
            snapshot::write_quarantine(root, i.entity, &sorted_quarantine(parts)?)?;
            outputs.push(format!("quarantine/{}.csv", i.entity));
        }
        // Control totals: legacy values as read, against the rows that
        // reached each entity's last stage.
        let frames: Vec<report::Frames> = ingested
            .iter()
            .map(|i| report::Frames {
                entity: i.entity,
                read: &i.read,
                last: stage3
                    .iter()
                    .find(|s| s.0 == i.entity)
                    .map(|s| &s.1)
                    .unwrap_or(&i.rows),
            })
            .collect();
        let control_totals = report::control_totals(&frames, &tables)?;
        let mut quarantine_by_rule: BTreeMap<String, u64> = BTreeMap::new();
        for r in &reports {
            for (rule, n) in &r.rejected {
                *quarantine_by_rule.entry(rule.clone()).or_default() += n;
            }
        }
        let full = report::Report {
            run_id: run_id.clone(),
            tool_version: TOOL_VERSION.to_string(),
            status: if failures.is_empty() {
                "passed".into()
            } else {
                "failed".into()
            },
            inputs: ingest_state.inputs.clone(),
            ledger: reports
                .iter()
                .map(|r| report::LedgerRow {
                    report: r.clone(),
                    balanced: r.balanced(),
                })
                .collect(),
            quarantine_by_rule,
            control_totals,
            coverage,
            identity: identity_summary,
            uploads: publish_summary,
            failures: failures.clone(),
        };
        write_bytes(
            &root.join("report.json"),
            &serde_json::to_vec_pretty(&full)?,
        )?;
        write_bytes(&root.join("report.html"), report::html(&full).as_bytes())?;
        crate::fixlist::write(root)?;
        outputs.extend(["report.json".to_string(), "report.html".to_string()]);
        state.stages.insert(
            "report".into(),
            StageState {
                fingerprint: fingerprint(&report_components),
                components: report_components,
                run_id: run_id.clone(),
                reports: Vec::new(),
                inputs: Vec::new(),
                outputs,
            },
        );
        write_bytes(&state_path, &serde_json::to_vec_pretty(&state)?)?;
    }
    decisions.push(decision);
    done(&state, decisions, reports, failures)
}

struct Finish<'a> {
    config: &'a Config,
    state: &'a State,
    run_id: String,
    started_at: String,
    inputs: Vec<FileInfo>,
    absent_files: Vec<String>,
    crosswalks: BTreeMap<String, String>,
    decisions: Vec<Decision>,
    reports: Vec<StageReport>,
    failures: Vec<Failure>,
}

fn finish(f: Finish) -> Result<Outcome> {
    let root = &f.config.output;
    let mut outputs: Vec<String> = STAGES
        .iter()
        .filter_map(|s| f.state.stages.get(*s))
        .flat_map(|s| s.outputs.iter().cloned())
        .collect();
    outputs.sort();
    let record = RunRecord {
        tool: "cutover",
        tool_version: TOOL_VERSION,
        run_id: f.run_id,
        started_at: f.started_at,
        finished_at: now(),
        status: if f.failures.is_empty() {
            "passed".into()
        } else {
            "failed".into()
        },
        config: ConfigRecord {
            source: f.config.source.clone(),
            sha256: f.config.checksum.clone(),
            max_reject_rate: f.config.max_reject_rate,
            reject_rate_min_rows: f.config.reject_rate_min_rows,
        },
        inputs: f.inputs,
        absent_files: f.absent_files,
        crosswalks: f.crosswalks,
        decisions: f.decisions,
        stages: f.reports,
        failures: f.failures,
        outputs,
    };
    private_dir(root)?;
    write_bytes(&root.join("run.json"), &serde_json::to_vec_pretty(&record)?)?;
    Ok(Outcome {
        record,
        output: root.clone(),
    })
}

/// The ledger as a person reads it.
pub fn ledger_table(record: &RunRecord) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "{:<9} {:<20} {:>10} {:>10} {:>9} {:>7}  {}\n",
        "stage", "entity", "in", "out", "rejected", "merged", "balanced"
    ));
    for r in &record.stages {
        out.push_str(&format!(
            "{:<9} {:<20} {:>10} {:>10} {:>9} {:>7}  {}\n",
            r.stage,
            r.entity,
            r.rows_in,
            r.rows_out,
            r.rejected_total(),
            r.merged,
            if r.balanced() { "yes" } else { "NO" }
        ));
        for (rule, n) in &r.rejected {
            out.push_str(&format!("{:<30} {:>31}  {rule}\n", "", n));
        }
        for (rule, n) in &r.added {
            out.push_str(&format!("{:<30} {:>31}  added: {rule}\n", "", n));
        }
        for (rule, n) in &r.excluded {
            out.push_str(&format!("{:<30} {:>31}  excluded: {rule}\n", "", n));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ledger_names_an_unbalanced_stage_and_a_high_reject_rate() {
        let mut ok = StageReport::new("read", "schools");
        ok.rows_in = 100;
        ok.rows_out = 99;
        ok.rejected.insert("column_count".into(), 1);
        let mut lost = StageReport::new("ingest", "schools");
        lost.rows_in = 99;
        lost.rows_out = 90;
        lost.rejected.insert("invalid_id".into(), 5);
        let small = {
            let mut r = StageReport::new("ingest", "cte");
            r.rows_in = 40;
            r.rows_out = 39;
            r.rejected.insert("end_before_start".into(), 1);
            r
        };
        let failures = check_ledger(&[ok, lost, small], 0.02, 50);
        let messages: Vec<&str> = failures.iter().map(|f| f.message.as_str()).collect();
        assert_eq!(
            messages,
            vec![
                "rows in 99 != out 90 + rejected 5 + merged 0",
                "5 of 99 rows rejected (5.05%), above ingest.max_reject_rate 2.00%",
            ]
        );
    }
}
