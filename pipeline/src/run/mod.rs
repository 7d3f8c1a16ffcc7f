//! `cutover run`: the stages in their fixed order, each behind one contract
//! (`runner::Stage`), driven by one runner that decides, times and records
//! them; then the ledger that proves every row was accounted for.
//!
//! One stage, one file: `ingest.rs`, `crosswalk.rs`, `identity.rs`,
//! `rekey.rs`, `publish.rs`, `report.rs`. `frames.rs` holds what passes
//! between them.

mod crosswalk;
mod entities;
mod frames;
mod html;
mod identity;
mod ingest;
mod overlap;
mod publish;
mod rekey;
mod report;
mod runner;

pub use runner::{Decision, StageId};

use crate::checksum::hex;
use crate::config::Config;
pub use crate::ledger::{check_ledger, Coverage, Failure};
use crate::output::{private_dir, write_bytes};
use crate::read::FileInfo;
use crate::snapshot::Provenance;
use crate::tables::Tables;
use anyhow::{Context, Result};
use cutover_stages::report::StageReport;
use cutover_stages::schema::ENTITIES;
use frames::Frames;
use indicatif::{ProgressBar, ProgressStyle};
use runner::{Runner, Stage, State};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use tracing::info;

pub use crate::stage::TOOL_VERSION;

/// How to run (not what the data means).
#[derive(Clone, Copy, Debug, Default)]
pub struct RunOptions {
    pub quiet: bool,
    /// Rerun every stage.
    pub force: bool,
    /// Rerun this stage and every one after it.
    pub from: Option<StageId>,
    /// Stop after this stage.
    pub to: Option<StageId>,
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
    /// `.csv` files of the bundle folder that are none of its files: not read.
    pub unread_files: Vec<String>,
    pub crosswalks: BTreeMap<String, String>,
    /// Which stages ran and why, which were skipped.
    pub decisions: Vec<Decision>,
    /// Wall time and peak memory of each stage that ran.
    pub timings: Vec<runner::Timing>,
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

/// The stages, in their fixed order.
const STAGES: [&dyn Stage; 6] = [
    &ingest::Ingest,
    &crosswalk::Crosswalk,
    &identity::Identity,
    &rekey::Rekey,
    &publish::Publish,
    &report::Report,
];

/// What every stage of a run shares: the configuration, the tables, the
/// inputs' checksums and the provenance every snapshot carries.
pub struct Ctx<'a> {
    pub config: &'a Config,
    pub tables: &'a Tables,
    pub opts: RunOptions,
    pub root: &'a Path,
    pub run_id: String,
    /// Bundle file -> SHA-256, for the files the bundle has.
    pub inputs: BTreeMap<String, String>,
    /// Bundle file -> its stamp when hashed: the read checks the file
    /// still has it once every pass is over.
    pub stamps: BTreeMap<String, crate::checksum::Stamp>,
    pub absent_files: Vec<String>,
    pub provenance: Provenance,
}

impl<'a> Ctx<'a> {
    /// Checksums the inputs first, so the run id (and every snapshot's
    /// provenance) is known before anything is written.
    fn new(config: &'a Config, tables: &'a Tables, opts: RunOptions) -> Result<Ctx<'a>> {
        let (mut inputs, mut stamps) = (BTreeMap::new(), BTreeMap::new());
        let mut absent_files = Vec::new();
        for spec in ENTITIES {
            let name = &config.files[spec.name];
            let path = config.bundle.join(name);
            if let Some(what) = crate::config::not_a_file(&path) {
                anyhow::bail!("{} {what}", path.display());
            } else if path.is_file() {
                let (sum, stamp) = crate::checksum::file_sha256_stamped(&path)?;
                inputs.insert(name.clone(), sum);
                stamps.insert(name.clone(), stamp);
            } else {
                absent_files.push(name.clone());
            }
        }
        let mut hasher = Sha256::new();
        hasher.update(TOOL_VERSION.as_bytes());
        hasher.update(config.checksum.as_bytes());
        for (name, sum) in inputs.iter().chain(tables.table_sums.iter()) {
            hasher.update(name.as_bytes());
            hasher.update(sum.as_bytes());
        }
        let run_id = hex(&hasher.finalize())[..16].to_string();
        let provenance = Provenance {
            run_id: run_id.clone(),
            tool_version: TOOL_VERSION.to_string(),
            config_sha256: config.checksum.clone(),
            inputs: inputs.clone(),
            crosswalks: tables.table_sums.clone(),
        };
        Ok(Ctx {
            config,
            tables,
            opts,
            root: &config.output,
            run_id,
            inputs,
            stamps,
            absent_files,
            provenance,
        })
    }
}

/// Runs the stages in order; a stage whose inputs are unchanged since its
/// last run is skipped (its snapshots are read back only if a later stage
/// that runs needs them).
pub fn run(config: &Config, opts: RunOptions) -> Result<Outcome> {
    let started_at = now();
    check_arguments(config, opts)?;
    let tables = Tables::load(&config.crosswalks, &config.layouts)
        .map_err(|p| anyhow::anyhow!(p.join("\n")))?;
    let _lock = lock_output(&config.output)?;
    recover(&config.output)?;
    crate::interrupt::watch(&config.output)?;
    let ctx = Ctx::new(config, &tables, opts)?;
    info!(run_id = %ctx.run_id, files = ctx.inputs.len(), "run started");
    let mut runner = Runner::open(ctx.root, opts);
    let mut frames = Frames::default();
    let last = opts.to.unwrap_or(StageId::Report);
    for stage in STAGES.iter().filter(|s| s.id() <= last) {
        runner.step(&ctx, *stage, &mut frames)?;
    }
    finish(&ctx, runner, started_at, last)
}

/// The output folder's lock for a command that writes into a finished
/// run's folder (`ids assign`, `results`), held until it ends: it read the
/// run's outputs and rewrote its record beside a run in progress, and two
/// at once each rewrote the record read before the other's (one's IDs
/// lost). No folder, no lock (the command says what is missing). The
/// temporary files a killed command or run left are removed, as a run
/// removes them at start-up (a command killed before moving its file into
/// place left its temporary file beside it, and the command run again
/// left it there).
pub fn hold_output(root: &Path) -> Result<Option<std::fs::File>> {
    if !root.is_dir() {
        return Ok(None);
    }
    let lock = lock_output(root)?;
    crate::output::remove_stale_temporaries(root)?;
    Ok(Some(lock))
}

/// One run at a time in an output folder, held until the run ends: a
/// second run started beside one removed its temporary files as a killed
/// run's and failed on them (`cannot read out/read/.cutover-ZH6HE0.tmp`),
/// or could swap uploads under it. `File::try_lock` is Rust 1.89's (the
/// workspace's `rust-version`).
fn lock_output(root: &Path) -> Result<std::fs::File> {
    if !root.exists() {
        crate::output::private_dir(root)?;
    }
    crate::output::refuse_read_only(root)?;
    refuse_foreign_outputs(root)?;
    let path = root.join(LOCK_FILE);
    let mut open = std::fs::OpenOptions::new();
    open.create(true).truncate(false).write(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut open, 0o600);
    let file = open
        .open(&path)
        .with_context(|| format!("cannot open {}", path.display()))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => anyhow::bail!(
            "the output folder {} is in use by another cutover run: wait for it to finish, or choose another output folder",
            root.display()
        ),
        Err(std::fs::TryLockError::Error(e)) => {
            Err(e).with_context(|| format!("cannot lock {}", path.display()))
        }
    }
}

/// The names a run writes at the top of its output folder (besides its
/// record: run.json, stages.json, the lock file; and `review/`, where a
/// reviewer's decisions may be put before a run).
const OUTPUT_NAMES: [&str; 14] = [
    "uploads",
    "read",
    "ingest",
    "crosswalk",
    "identity",
    "conform",
    "preflight",
    "publish",
    "quarantine",
    "fixlists",
    "end_of_year",
    "report.html",
    "report.json",
    "run.html",
];

/// Refuses an output folder no run wrote that holds one of the names a run
/// writes: the run swapped its uploads folder in whole, removing the one
/// there and every file in it, and wrote over files of its outputs' names.
/// Other files in it are never touched.
fn refuse_foreign_outputs(root: &Path) -> Result<()> {
    let ours = [LOCK_FILE, "run.json", "stages.json"]
        .iter()
        .any(|n| root.join(n).exists());
    if ours {
        return Ok(());
    }
    if let Some(name) = OUTPUT_NAMES.iter().find(|n| root.join(n).exists()) {
        anyhow::bail!(
            "the output folder {} holds {name}, but no cutover run's record (run.json, \
             stages.json): a run would replace or write over it: choose an empty or new \
             output folder, or move {name} away",
            root.display()
        );
    }
    Ok(())
}

/// The file a run holds locked in its output folder ([`lock_output`]).
pub const LOCK_FILE: &str = ".cutover.lock";

/// Start-up recovery, before any stage decides: an interrupted uploads,
/// fix lists' or end-of-year findings' swap put right, temporary files a
/// killed run left removed.
pub(crate) fn recover(root: &Path) -> Result<()> {
    if !root.exists() {
        return Ok(());
    }
    crate::output::refuse_read_only(root)?;
    crate::publish::recover(root)?;
    for built in [crate::fixlist::DIR, "end_of_year"] {
        crate::output::recover_dir(&root.join(built))?;
    }
    let stale = crate::output::remove_stale_temporaries(root)?;
    if stale > 0 {
        tracing::info!(stale, "removed temporary files an interrupted run left");
    }
    Ok(())
}

/// Refuses what makes no sense before anything is read or written.
fn check_arguments(config: &Config, opts: RunOptions) -> Result<()> {
    if let (Some(from), Some(to)) = (opts.from, opts.to) {
        if from > to {
            anyhow::bail!(
                "--from {} comes after --to {}: nothing would run",
                from.name(),
                to.name()
            );
        }
    }
    let bundle = config
        .bundle
        .canonicalize()
        .with_context(|| format!("cannot open the bundle folder {}", config.bundle.display()))?;
    if crate::output::nearest_existing(&config.output).starts_with(&bundle) {
        anyhow::bail!(
            "the output folder {} is inside the bundle {}: choose a folder outside it",
            config.output.display(),
            config.bundle.display()
        );
    }
    Ok(())
}

/// Every stage report up to `last`, in stage order.
pub(crate) fn reports_until(state: &State, last: StageId) -> Vec<StageReport> {
    StageId::ALL
        .into_iter()
        .filter(|s| *s <= last)
        .filter_map(|s| state.get(s))
        .flat_map(|s| s.reports.iter().cloned())
        .collect()
}

/// The ledger checked, and the stages' own data checks, up to `last`.
pub(crate) fn failures(config: &Config, state: &State, last: StageId) -> Vec<Failure> {
    let mut failures = Vec::new();
    for id in StageId::ALL.into_iter().filter(|s| *s <= last) {
        if let Some(s) = state.get(id) {
            failures.extend(check_ledger(
                &s.reports,
                config.max_reject_rate,
                config.reject_rate_min_rows,
            ));
            failures.extend(s.failures.iter().cloned());
        }
    }
    failures
}

/// Ends the run: `run.json` and the outcome.
fn finish(ctx: &Ctx, runner: Runner, started_at: String, last: StageId) -> Result<Outcome> {
    let state = &runner.state;
    let failures = failures(ctx.config, state, last);
    let mut outputs: Vec<String> = StageId::ALL
        .into_iter()
        .filter_map(|s| state.get(s))
        .flat_map(|s| s.outputs.keys().cloned())
        .collect();
    outputs.sort();
    let record = RunRecord {
        tool: "cutover",
        tool_version: TOOL_VERSION,
        run_id: ctx.run_id.clone(),
        started_at,
        finished_at: now(),
        status: if failures.is_empty() {
            "passed"
        } else {
            "failed"
        }
        .into(),
        config: ConfigRecord {
            source: ctx.config.source.clone(),
            sha256: ctx.config.checksum.clone(),
            max_reject_rate: ctx.config.max_reject_rate,
            reject_rate_min_rows: ctx.config.reject_rate_min_rows,
        },
        inputs: state
            .get(StageId::Ingest)
            .map(|s| s.inputs.clone())
            .unwrap_or_default(),
        absent_files: ctx.absent_files.clone(),
        unread_files: crate::config::unread_files(&ctx.config.bundle, &ctx.config.files),
        crosswalks: ctx.tables.table_sums.clone(),
        decisions: runner.decisions,
        timings: runner.timings,
        stages: reports_until(state, last),
        failures,
        outputs,
    };
    private_dir(ctx.root)?;
    write_bytes(
        &ctx.root.join("run.json"),
        &serde_json::to_vec_pretty(&record)?,
    )?;
    write_bytes(&ctx.root.join("run.html"), html::html(&record).as_bytes())?;
    Ok(Outcome {
        record,
        output: ctx.root.to_path_buf(),
    })
}

/// What the run says of a file the bundle lacks, or holds with its header
/// and no row, whose absence changes every student's uploads (the
/// terminal's first lines, `report.json`'s `notes`, the top of
/// `report.html`): only `student_enrollment.csv`. A bundle without
/// schools, addresses, behavior, truancy, CTE or graduation rows loses
/// those rows' uploads or evidence alone; `run.json` lists every absent
/// file, the ledger every file's rows (`reports`).
pub fn absent_notes(
    config: &Config,
    absent_files: &[String],
    reports: &[StageReport],
) -> Vec<String> {
    let name = &config.files["student_enrollment"];
    let what = if absent_files.contains(name) {
        format!("the bundle has no {name}")
    } else if reports
        .iter()
        .any(|r| r.stage == "read" && r.entity == "student_enrollment" && r.rows_in == 0)
    {
        format!("{name} holds its header and no row")
    } else {
        return Vec::new();
    };
    let fix = match absent_files.contains(name) {
        true => "add the file",
        false => "take the file from the extract again",
    };
    vec![format!(
        "{what}: no enrollment was read, so no Student Enrollment, Student Personal, FRM, ELL \
         or Special Education upload is written for any student and every CTE row is \
         quarantined (no_primary_enrollment); {fix} unless the bundle holds identities alone"
    )]
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
        for (rule, n) in &r.kept {
            out.push_str(&format!(
                "{:<30} {:>31}  kept, a value wrong: {rule}\n",
                "", n
            ));
        }
    }
    out
}
