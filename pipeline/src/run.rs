//! `cutover run`: the stages in their fixed order, the snapshots, the
//! quarantine files, and the ledger that proves every row was accounted for.

use crate::config::{hex, Config};
use crate::crosswalks;
use crate::output::{private_dir, write_bytes};
use crate::read::{self, EncodingChoice, FileInfo};
use crate::report;
use crate::snapshot::{self, Provenance};
use anyhow::{Context, Result};
use cutover_stages::columns::{QUARANTINE_COLUMNS, SOURCE_ROW};
use cutover_stages::crosswalk;
use cutover_stages::ingest;
use cutover_stages::report::StageReport;
use cutover_stages::schema::{ENTITIES, NOT_YET_PROCESSED, STUDENT_ENROLLMENT, STUDENT_PERSONAL};
use indicatif::{ProgressBar, ProgressStyle};
use polars::prelude::*;
use serde::Serialize;
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
}

/// A ledger check that failed.
#[derive(Clone, Debug, Serialize, PartialEq)]
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
    pub not_processed: Vec<String>,
    pub crosswalks: BTreeMap<String, String>,
    pub stages: Vec<StageReport>,
    pub failures: Vec<Failure>,
    pub outputs: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct ConfigRecord {
    pub source: String,
    pub sha256: String,
    pub max_reject_rate: f64,
}

/// `crosswalk/coverage.json`: every legacy value seen and what it became, and
/// the seven race categories before and after.
#[derive(Clone, Debug, Serialize)]
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
pub fn check_ledger(reports: &[StageReport], max_reject_rate: f64) -> Vec<Failure> {
    let mut failures = Vec::new();
    for r in reports {
        if !r.balanced() {
            failures.push(Failure {
                stage: r.stage.clone(),
                entity: r.entity.clone(),
                check: "balance".into(),
                message: format!(
                    "rows in {} != out {} + rejected {} + merged {}",
                    r.rows_in,
                    r.rows_out,
                    r.rejected_total(),
                    r.merged
                ),
            });
        }
        if r.reject_rate() > max_reject_rate {
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

/// Runs read and ingest for every entity of the bundle.
pub fn run(config: &Config, opts: RunOptions) -> Result<Outcome> {
    let started_at = now();
    let codes = crosswalks::load_legacy_codes(&config.crosswalks)
        .map_err(|p| anyhow::anyhow!(p.join("\n")))?;
    let (tables, mut crosswalk_sums) =
        crosswalks::load_tables(&config.crosswalks).map_err(|p| anyhow::anyhow!(p.join("\n")))?;
    crosswalk_sums.insert(crosswalks::LEGACY_CODES.to_string(), codes.sha256.clone());
    let root = &config.output;

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
    let not_processed: Vec<String> = NOT_YET_PROCESSED
        .iter()
        .filter(|f| config.bundle.join(f).is_file())
        .map(|f| f.to_string())
        .collect();
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

    // Every stage runs in memory first; only when all of them have, is
    // anything written. A file that cannot be read leaves the previous
    // outputs as they were.
    let ingest_config = config.ingest();
    let mut reports = Vec::new();
    let mut infos = Vec::new();
    let mut results = Vec::new();
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
            let read = read::read_file(&path, name, spec, choice, map, |b| bar.set_position(b))?;
            bar.finish_and_clear();
            info!(rows_in = read.report.rows_in, rows_out = read.report.rows_out, encoding = %read.info.encoding, "read");
            read
        };
        let ingested = {
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
        let quarantine = concat(
            [read.quarantine.lazy(), ingested.quarantine.lazy()],
            UnionArgs::default(),
        )?
        .sort(
            [SOURCE_ROW],
            SortMultipleOptions::default().with_maintain_order(true),
        )
        .select(QUARANTINE_COLUMNS.map(col))
        .collect()?;
        reports.push(read.report);
        reports.push(ingested.report);
        infos.push(read.info);
        results.push((spec.name, read.frame, ingested.rows, quarantine));
    }

    // Crosswalk: personal and enrollment rows, mapped for their school year.
    let take = |name: &str| results.iter().find(|r| r.0 == name).map(|r| r.2.clone());
    let crosswalked = {
        let _span = info_span!("crosswalk").entered();
        crosswalk::run(
            take(STUDENT_PERSONAL.name),
            take(STUDENT_ENROLLMENT.name),
            &tables,
            &crosswalk::CrosswalkConfig {
                first_year: config.first_year,
                last_year: config.last_year,
            },
        )?
    };
    let mut stage3: Vec<(&str, DataFrame)> = Vec::new();
    for (entity, part) in [
        (STUDENT_PERSONAL.name, crosswalked.personal),
        (STUDENT_ENROLLMENT.name, crosswalked.enrollment),
    ] {
        if let Some((rows, quarantine, report)) = part {
            info!(
                entity,
                rows_in = report.rows_in,
                rows_out = report.rows_out,
                rejected = report.rejected_total(),
                "crosswalk"
            );
            reports.push(report);
            if let Some(r) = results.iter_mut().find(|r| r.0 == entity) {
                r.3 = concat(
                    [r.3.clone().lazy(), quarantine.lazy()],
                    UnionArgs::default(),
                )?
                .sort(
                    [SOURCE_ROW],
                    SortMultipleOptions::default().with_maintain_order(true),
                )
                .collect()?;
            }
            stage3.push((entity, rows));
        }
    }
    let coverage = Coverage {
        columns: crosswalked.coverage,
        race: crosswalked.race,
    };

    // The reconciliation report's control totals: legacy values as read,
    // against the rows that reached each entity's last stage.
    let frames: Vec<report::Frames> = results
        .iter()
        .map(|(entity, read_frame, ingested, _)| report::Frames {
            entity,
            read: read_frame,
            last: stage3
                .iter()
                .find(|s| s.0 == *entity)
                .map(|s| &s.1)
                .unwrap_or(ingested),
        })
        .collect();
    let control_totals = report::control_totals(&frames, &tables)?;
    drop(frames);

    let mut outputs = Vec::new();
    for (entity, mut rows) in stage3 {
        snapshot::write_parquet(root, crosswalk::STAGE, entity, &mut rows, &provenance)?;
        outputs.push(format!("{}/{entity}.parquet", crosswalk::STAGE));
    }
    write_bytes(
        &root.join("crosswalk/coverage.json"),
        &serde_json::to_vec_pretty(&coverage)?,
    )?;
    outputs.push("crosswalk/coverage.json".to_string());
    for (entity, mut read_frame, mut rows, quarantine) in results {
        snapshot::write_parquet(root, read::STAGE, entity, &mut read_frame, &provenance)?;
        outputs.push(format!("{}/{entity}.parquet", read::STAGE));
        snapshot::write_parquet(root, ingest::STAGE, entity, &mut rows, &provenance)?;
        outputs.push(format!("{}/{entity}.parquet", ingest::STAGE));
        snapshot::write_quarantine(root, entity, &quarantine)?;
        outputs.push(format!("quarantine/{entity}.csv"));
    }

    let mut failures = check_ledger(&reports, config.max_reject_rate);
    if !coverage.race.agree {
        failures.push(Failure {
            stage: crosswalk::STAGE.into(),
            entity: STUDENT_PERSONAL.name.into(),
            check: "race_categories".into(),
            message: "the seven federal race categories differ before and after bridging (see crosswalk/coverage.json)".into(),
        });
    }
    private_dir(root)?;
    let record = RunRecord {
        tool: "cutover",
        tool_version: TOOL_VERSION,
        run_id,
        started_at,
        finished_at: now(),
        status: if failures.is_empty() {
            "passed".into()
        } else {
            "failed".into()
        },
        config: ConfigRecord {
            source: config.source.clone(),
            sha256: config.checksum.clone(),
            max_reject_rate: config.max_reject_rate,
        },
        inputs: infos,
        absent_files,
        not_processed,
        crosswalks: crosswalk_sums,
        stages: reports,
        failures,
        outputs: {
            outputs.push("report.json".to_string());
            outputs.push("report.html".to_string());
            outputs
        },
    };
    let mut quarantine_by_rule: BTreeMap<String, u64> = BTreeMap::new();
    for r in &record.stages {
        for (rule, n) in &r.rejected {
            *quarantine_by_rule.entry(rule.clone()).or_default() += n;
        }
    }
    let full = report::Report {
        run_id: record.run_id.clone(),
        tool_version: TOOL_VERSION.to_string(),
        status: record.status.clone(),
        inputs: record.inputs.clone(),
        ledger: record
            .stages
            .iter()
            .map(|r| report::LedgerRow {
                report: r.clone(),
                balanced: r.balanced(),
            })
            .collect(),
        quarantine_by_rule,
        control_totals,
        coverage,
        failures: record.failures.clone(),
        not_processed: record.not_processed.clone(),
    };
    write_bytes(
        &root.join("report.json"),
        &serde_json::to_vec_pretty(&full)?,
    )?;
    write_bytes(&root.join("report.html"), report::html(&full).as_bytes())?;
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
        let failures = check_ledger(&[ok, lost], 0.02);
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
