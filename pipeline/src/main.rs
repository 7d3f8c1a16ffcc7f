//! `cutover`: migrates a state's student records from ICSE to Synergy, and
//! proves it lost nothing.
//!
//! Exit codes: 0 success; 1 the run finished but data checks failed; 2 usage,
//! configuration or I/O error.

// The unit tests break folders by hand; the program's renames and removals
// go through `output`, which syncs their folders (`clippy.toml`).
#![cfg_attr(test, allow(clippy::disallowed_methods))]

mod bench;
mod checksum;
mod config;
mod crosswalks;
mod csvline;
mod diff;
mod end_of_year;
mod fixlist;
mod generate;
mod identity_stage;
mod interrupt;
mod issued;
mod layouts;
mod ledger;
mod output;
mod publish;
mod queue_state;
mod read;
mod report;
mod report_html;
mod report_labels;
mod report_summary;
mod report_values;
mod results;
mod run;
mod runfiles;
mod sif;
mod snapshot;
mod stage;
mod tables;
mod trace;
mod usage;

use clap::{Parser, Subcommand};

/// mimalloc gives freed memory back to the system soon after it is freed
/// (the system allocator kept what polars' threads freed, so a stage's peak
/// included what earlier stages had dropped).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "cutover",
    version,
    about = "Migrates ICSE student records to Synergy and proves nothing was lost."
)]
struct Cli {
    /// No progress bars.
    #[arg(short, long, global = true)]
    quiet: bool,
    /// Log detail: -v for stage summaries, -vv for debug. Logs hold ids and
    /// counts only, never names or birth dates.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Write a deterministic synthetic ICSE export bundle, with its ground
    /// truth beside it (never inside it).
    Generate {
        /// True students to simulate.
        #[arg(long, default_value_t = 3000)]
        students: usize,
        /// First school year (the year it ends: 2005 is 2004-05).
        #[arg(long, default_value_t = 2005)]
        first_year: i32,
        /// Last school year.
        #[arg(long, default_value_t = 2017)]
        last_year: i32,
        /// The random seed: the same arguments make the same bytes.
        #[arg(long, default_value_t = 2017)]
        seed: u64,
        /// The bundle folder.
        #[arg(long)]
        out: PathBuf,
        /// The ground-truth folder (default: the bundle folder's name + `-truth`).
        #[arg(long)]
        truth: Option<PathBuf>,
        /// A TOML file of defect rates (see `DefectRates`); unset rates keep
        /// their defaults.
        #[arg(long)]
        defects: Option<PathBuf>,
    },
    /// Run the pipeline on a bundle.
    Run {
        /// The bundle folder, run with the default configuration.
        #[arg(conflicts_with = "config", required_unless_present = "config")]
        bundle: Option<PathBuf>,
        /// The run configuration.
        #[arg(long)]
        config: Option<PathBuf>,
        /// Output root, with a bundle given on the command line.
        #[arg(long, default_value = "snapshots", conflicts_with = "config")]
        out: PathBuf,
        /// Crosswalk folder, with a bundle given on the command line.
        #[arg(long, default_value = "crosswalks", conflicts_with = "config")]
        crosswalks: PathBuf,
        /// Rerun every stage, even those whose inputs are unchanged (with
        /// --from, that stage and every one after it).
        #[arg(long)]
        force: bool,
        /// Rerun this stage and every one after it.
        #[arg(long, value_parser = clap::builder::PossibleValuesParser::new(run::StageId::ALL.map(run::StageId::name)))]
        from: Option<String>,
        /// Stop after this stage.
        #[arg(long, value_parser = clap::builder::PossibleValuesParser::new(run::StageId::ALL.map(run::StageId::name)))]
        to: Option<String>,
    },
    /// Check a run configuration, reporting every problem at once.
    Validate {
        /// The run configuration (run.toml).
        #[arg(long)]
        config: PathBuf,
    },
    /// Identity resolution: explain a pair, score against ground truth.
    Identity {
        #[command(subcommand)]
        action: IdentityAction,
    },
    /// The crosswalk tables.
    Crosswalk {
        #[command(subcommand)]
        action: CrosswalkAction,
    },
    /// New State IDs: record the IDs the helpdesk returned.
    Ids {
        #[command(subcommand)]
        action: IdsAction,
    },
    /// The upload layouts.
    Layouts {
        #[command(subcommand)]
        action: LayoutsAction,
    },
    /// Read Synergy result logs back: tie each rejection to its upload row,
    /// source file and row, and the stage behind it.
    Results {
        /// Result logs, each named after the upload it answers
        /// (`student_enrollment.csv`, `student_enrollment.log` ...) unless
        /// --upload says which; the school year of the upload file it
        /// answers in a folder's name or after a dot
        /// (`logs/2016-17/student_enrollment.csv`,
        /// `student_enrollment.2016-17.csv`).
        #[arg(required = true)]
        logs: Vec<PathBuf>,
        /// The upload the logs answer (new_state_id, student_enrollment ...).
        #[arg(long)]
        upload: Option<String>,
        #[command(flatten)]
        run: RunFolder,
    },
    /// Follow one source row (FILE:ROW), or every row of one student
    /// (--student, any of their IDs), through every stage of a run.
    Trace {
        /// The bundle file and line, as `student_enrollment.csv:1234`.
        #[arg(required_unless_present = "student", conflicts_with = "student")]
        row: Option<String>,
        /// A StateStudentID, retired or surviving, or a `NEW-` key.
        #[arg(long)]
        student: Option<String>,
        #[command(flatten)]
        run: RunFolder,
        /// The crosswalk tables, for the line of each mapping (default: the
        /// configuration's with --config, else `crosswalks`).
        #[arg(long)]
        crosswalks: Option<PathBuf>,
        /// JSON instead of text.
        #[arg(long)]
        json: bool,
        /// Show names, birth dates and addresses.
        #[arg(long)]
        show_pii: bool,
    },
    /// Compare two runs' output folders by key: rows added, removed and
    /// changed per stage and upload, identity clusters split or joined, and
    /// why the runs differ.
    Diff {
        /// The first run's output folder.
        run_a: PathBuf,
        /// The second run's output folder.
        run_b: PathBuf,
        /// JSON instead of text.
        #[arg(long)]
        json: bool,
        /// Also write the comparison as an HTML page to this file.
        #[arg(long)]
        html: Option<PathBuf>,
    },
    /// Write a run's conformed data as SIF 2.x objects: StudentPersonal,
    /// StudentSchoolEnrollment, StudentSpecialEducationSummary and
    /// DisciplineIncident (names and birth dates included: 0600 files).
    Sif {
        #[command(flatten)]
        run: RunFolder,
        /// The folder the XML files go to (default: `<out>/sif`), replaced
        /// whole: a new folder or an earlier export's.
        #[arg(long)]
        to: Option<PathBuf>,
        /// The school year (default: the latest with an enrollment).
        #[arg(long)]
        year: Option<i32>,
    },
    /// The floor `make bench` compares a run with (prints JSON): a bundle
    /// read by polars as text and written as parquet (`parquet`), a run's
    /// upload rows written by polars as one CSV per upload (`upload-csv`),
    /// or every file of a run's output folder written again as the run
    /// must write it (`outputs`).
    #[command(hide = true)]
    BenchFloor {
        #[arg(value_parser = ["parquet", "upload-csv", "outputs"])]
        floor: String,
        /// The bundle (`parquet`), the uploads folder (`upload-csv`) or the
        /// run's output folder (`outputs`).
        input: PathBuf,
        /// Where the floor's files go.
        out: PathBuf,
    },
}

/// The run a follow-up command reads: its output folder, or the
/// configuration whose `output` it is.
#[derive(clap::Args)]
struct RunFolder {
    /// The run's output folder (`make demo`'s is snapshots/demo).
    #[arg(long, default_value = "snapshots")]
    out: PathBuf,
    /// The run's configuration (run.toml): its `output` is the folder.
    #[arg(long, conflicts_with = "out")]
    config: Option<PathBuf>,
}

impl RunFolder {
    /// The run's folder, refused when no run wrote it, and the
    /// configuration when one was given.
    fn open(self) -> anyhow::Result<(PathBuf, Option<config::Config>)> {
        let config = match &self.config {
            Some(path) => Some(config::Config::load(path).map_err(|p| anyhow::anyhow!("{p}"))?),
            None => None,
        };
        let root = config.as_ref().map_or(self.out, |c| c.output.clone());
        runfiles::require_run(&root, Some("--out"))?;
        Ok((root, config))
    }
}

#[derive(Subcommand)]
enum IdsAction {
    /// Tie each row of the returned file (StateStudentID, LastName,
    /// FirstName, BirthDate, Gender[, SAUID, SchoolStudentID]) to the student
    /// awaiting an ID and record it in review/issued_ids.csv; the next run
    /// re-keys the student and releases the rows held for want of an ID.
    Assign {
        /// The file the helpdesk returned (CSV).
        issued: PathBuf,
        #[command(flatten)]
        run: RunFolder,
    },
}

#[derive(Subcommand)]
enum LayoutsAction {
    /// Check every layout and the manifest, reporting every problem at once.
    Check {
        /// The layouts folder.
        #[arg(long, default_value = "layouts")]
        layouts: PathBuf,
    },
    /// Rewrite the manifest's checksums after editing a layout.
    Manifest {
        /// The layouts folder.
        #[arg(long, default_value = "layouts")]
        layouts: PathBuf,
        /// A run configuration: its `layouts` is the folder.
        #[arg(long, conflicts_with = "layouts")]
        config: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum IdentityAction {
    /// Print each comparison's level and weight for a pair of student keys
    /// (names and birth dates masked unless --show-pii).
    Explain {
        /// A student key: a StateStudentID, or a `NEW-`/`CONFLICT-` key.
        id_a: String,
        /// The other student key.
        id_b: String,
        #[command(flatten)]
        run: RunFolder,
        /// Show names and birth dates.
        #[arg(long)]
        show_pii: bool,
    },
    /// Pairwise precision, recall and F1 of the identity map against a truth
    /// file (IdentityID, true_student[, kind]).
    Score {
        /// The generator's `identities.csv` (beside it, `hard_negatives.csv`
        /// is read too when present).
        #[arg(long)]
        truth: PathBuf,
        #[command(flatten)]
        run: RunFolder,
    },
}

#[derive(Subcommand)]
enum CrosswalkAction {
    /// Check every table and the manifest, reporting every problem at once.
    Check {
        /// The crosswalk tables' folder.
        #[arg(long, default_value = "crosswalks")]
        crosswalks: PathBuf,
    },
    /// Rewrite the manifest's checksums after editing a table.
    Manifest {
        /// The crosswalk tables' folder.
        #[arg(long, default_value = "crosswalks")]
        crosswalks: PathBuf,
        /// A run configuration: its `crosswalks` is the folder.
        #[arg(long, conflicts_with = "crosswalks")]
        config: Option<PathBuf>,
    },
}

/// Prints a line to stdout; a closed pipe (`cutover run ... | head`) is not
/// an error worth a panic.
macro_rules! say {
    ($($arg:tt)*) => {{
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

fn init_logs(verbose: u8) {
    let level = match verbose {
        0 => "warn",
        1 => "info",
        _ => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("CUTOVER_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logs(cli.verbose);
    match dispatch(cli) {
        Ok(code) => code,
        Err(_) if interrupt::stopping() => interrupt::wait_for_the_exit(),
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn dispatch(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Generate {
            students,
            first_year,
            last_year,
            seed,
            out,
            truth,
            defects,
        } => {
            let opts = generate::Options {
                students,
                first_year,
                last_year,
                seed,
                defects: read_defects(defects)?,
            };
            cmd_generate(opts, &out, truth)
        }
        Command::Run {
            bundle,
            config,
            out,
            crosswalks,
            force,
            from,
            to,
        } => {
            let config = match (config, bundle) {
                (Some(path), _) => config::Config::load(&path),
                (None, Some(bundle)) => config::Config::defaults(&bundle, &out, &crosswalks),
                (None, None) => unreachable!("clap requires a bundle or --config"),
            };
            let config = match config {
                Ok(c) => c,
                Err(problems) => {
                    eprintln!("{problems}");
                    return Ok(ExitCode::from(2));
                }
            };
            let options = run::RunOptions {
                quiet: cli.quiet,
                force,
                from: from.as_deref().and_then(run::StageId::parse),
                to: to.as_deref().and_then(run::StageId::parse),
            };
            cmd_run(&config, options)
        }
        Command::Identity { action } => cmd_identity(action),
        Command::Crosswalk { action } => cmd_crosswalk(action),
        Command::Layouts { action } => cmd_layouts(action),
        Command::Ids {
            action: IdsAction::Assign { issued, run },
        } => {
            let (out, _) = run.open()?;
            let _lock = run::hold_output(&out)?;
            let summary = issued::assign(&out, &issued)?;
            let _ = write!(std::io::stdout(), "{summary}");
            Ok(ExitCode::SUCCESS)
        }
        Command::Results { logs, upload, run } => {
            let (out, _) = run.open()?;
            let _lock = run::hold_output(&out)?;
            let summary = results::run(&out, &logs, upload.as_deref())?;
            let _ = write!(std::io::stdout(), "{summary}");
            Ok(ExitCode::SUCCESS)
        }
        Command::Trace {
            row,
            student,
            run,
            crosswalks,
            json,
            show_pii,
        } => {
            let (out, config) = run.open()?;
            let opts = trace::Options {
                root: &out,
                crosswalks: crosswalks
                    .or(config.map(|c| c.crosswalks))
                    .unwrap_or_else(|| PathBuf::from("crosswalks")),
                show_pii,
            };
            let text = trace::command(row, student, &opts, json)?;
            let _ = write!(std::io::stdout(), "{text}");
            Ok(ExitCode::SUCCESS)
        }
        Command::Diff {
            run_a,
            run_b,
            json,
            html,
        } => {
            let text = diff::command(&run_a, &run_b, json, html.as_deref())?;
            let _ = write!(std::io::stdout(), "{text}");
            Ok(ExitCode::SUCCESS)
        }
        Command::Sif { run, to, year } => {
            let (out, _) = run.open()?;
            let text = sif::command(&out, to, year)?;
            let _ = write!(std::io::stdout(), "{text}");
            Ok(ExitCode::SUCCESS)
        }
        Command::Validate { config } => cmd_validate(&config),
        Command::BenchFloor { floor, input, out } => {
            let measured = match floor.as_str() {
                "parquet" => serde_json::to_string(&bench::parquet_floor(&input, &out)?),
                "upload-csv" => serde_json::to_string(&bench::upload_csv_floor(&input, &out)?),
                _ => serde_json::to_string(&bench::outputs_floor(&input, &out)?),
            };
            say!("{}", measured?);
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Prints problems, one per line, and the exit code for them.
fn refused(problems: impl IntoIterator<Item = impl std::fmt::Display>) -> ExitCode {
    for p in problems {
        eprintln!("{p}");
    }
    ExitCode::from(2)
}

fn read_defects(path: Option<PathBuf>) -> anyhow::Result<generate::DefectRates> {
    let Some(path) = path else {
        return Ok(generate::DefectRates::default());
    };
    let text = std::fs::read_to_string(&path)
        .map_err(|e| anyhow::anyhow!("{}: cannot read: {e}", path.display()))?;
    toml::from_str(&text).map_err(|e| anyhow::anyhow!("{}: {}", path.display(), e.message()))
}

fn cmd_generate(
    opts: generate::Options,
    out: &std::path::Path,
    truth: Option<PathBuf>,
) -> anyhow::Result<ExitCode> {
    let truth = truth.unwrap_or_else(|| {
        let mut name = out
            .file_name()
            .map(|n| n.to_os_string())
            .unwrap_or_default();
        name.push("-truth");
        out.with_file_name(name)
    });
    let summary = generate::generate(opts, out, &truth)?;
    say!("bundle: {}", out.display());
    say!("ground truth: {}", truth.display());
    say!("SAUs: {}, schools: {}", summary.saus, summary.schools);
    for (file, rows) in &summary.rows {
        say!("{file}: {rows} rows");
    }
    for (kind, n) in &summary.defects {
        say!("planted {kind}: {n}");
    }
    Ok(ExitCode::SUCCESS)
}

fn cmd_run(config: &config::Config, options: run::RunOptions) -> anyhow::Result<ExitCode> {
    let outcome = run::run(config, options)?;
    let record = &outcome.record;
    for note in run::absent_notes(config, &record.absent_files, &record.stages) {
        say!("note: {note}");
    }
    note_unread(config, &outcome.record.unread_files);
    for d in &outcome.record.decisions {
        let what = if d.ran {
            format!("ran ({})", d.reason)
        } else {
            d.reason.clone()
        };
        say!("{}: {what}", d.stage);
    }
    let _ = write!(std::io::stdout(), "{}", run::ledger_table(&outcome.record));
    say!("outputs: {}", outcome.output.display());
    if outcome.passed() {
        say!("ledger: every row accounted for");
        Ok(ExitCode::SUCCESS)
    } else {
        for f in &outcome.record.failures {
            eprintln!("check failed: {} {}: {}", f.stage, f.entity, f.message);
        }
        Ok(ExitCode::from(1))
    }
}

fn cmd_identity(action: IdentityAction) -> anyhow::Result<ExitCode> {
    match action {
        IdentityAction::Explain {
            id_a,
            id_b,
            run,
            show_pii,
        } => {
            let (out, _) = run.open()?;
            let text = identity_stage::explain(&out, &id_a, &id_b, show_pii)?;
            say!("{}", text.trim_end());
        }
        IdentityAction::Score { truth, run } => {
            let (out, _) = run.open()?;
            let s = identity_stage::score(&out, &truth)?;
            say!("{}", s.render().trim_end());
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn cmd_crosswalk(action: CrosswalkAction) -> anyhow::Result<ExitCode> {
    match action {
        CrosswalkAction::Check { crosswalks: dir } => match tables::check_crosswalks(&dir) {
            Ok(n) => {
                say!(
                    "{}: {n} tables valid, manifest checksums match",
                    dir.display()
                );
                Ok(ExitCode::SUCCESS)
            }
            Err(problems) => Ok(refused(problems)),
        },
        CrosswalkAction::Manifest { crosswalks, config } => {
            let dir = configured(config, crosswalks, |c| c.crosswalks)?;
            crosswalks::write_manifest(&dir)?;
            say!(
                "{}: manifest checksums rewritten",
                dir.join(crosswalks::MANIFEST).display()
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn cmd_layouts(action: LayoutsAction) -> anyhow::Result<ExitCode> {
    match action {
        LayoutsAction::Check { layouts: dir } => {
            match layouts::load(&dir, &tables::domain_names()) {
                Ok((_, sums)) => {
                    say!(
                        "{}: {} layouts valid, manifest checksums match",
                        dir.display(),
                        sums.len()
                    );
                    Ok(ExitCode::SUCCESS)
                }
                Err(problems) => Ok(refused(problems)),
            }
        }
        LayoutsAction::Manifest { layouts, config } => {
            let dir = configured(config, layouts, |c| c.layouts)?;
            layouts::write_manifest(&dir)?;
            say!(
                "{}: manifest checksums rewritten",
                dir.join(crosswalks::MANIFEST).display()
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// The folder a configuration names (`pick`), or `dir` without one.
fn configured(
    config: Option<PathBuf>,
    dir: PathBuf,
    pick: fn(config::Config) -> PathBuf,
) -> anyhow::Result<PathBuf> {
    match config {
        Some(path) => config::Config::load(&path)
            .map(pick)
            .map_err(|p| anyhow::anyhow!("{p}")),
        None => Ok(dir),
    }
}

/// Notes each `.csv` file or spreadsheet in the bundle folder that no
/// entity reads.
fn note_unread(config: &config::Config, unread: &[String]) {
    for file in unread {
        let path = config.bundle.join(file);
        if config::is_spreadsheet(file) {
            say!(
                "note: {} is a spreadsheet, not read: save it as a comma-separated (.csv) file named as [files] names it to read it",
                path.display()
            );
        } else {
            say!(
                "note: {} is not a file of the bundle (a second part of one, or named otherwise?): not read; name it in [files] to read it instead",
                path.display()
            );
        }
    }
}

/// Every problem `run` would refuse at start-up: the configuration, the
/// crosswalk tables, the nicknames and the layouts.
fn cmd_validate(path: &std::path::Path) -> anyhow::Result<ExitCode> {
    let config = match config::Config::load(path) {
        Ok(c) => c,
        Err(problems) => return Ok(refused(problems.0)),
    };
    if let Err(problems) = tables::Tables::load(&config.crosswalks, &config.layouts) {
        return Ok(refused(problems));
    }
    // The reviewers' decisions, as the identity stage reads them (their
    // keys are checked against the students only when it runs).
    let decisions = config.output.join("review").join("decisions.csv");
    let bytes = std::fs::read(&decisions).unwrap_or_default();
    if let Err(problems) = identity_stage::read_decisions(&decisions, &bytes) {
        return Ok(refused(problems.to_string().lines()));
    }
    note_unread(
        &config,
        &config::unread_files(&config.bundle, &config.files),
    );
    say!("{}: valid", path.display());
    Ok(ExitCode::SUCCESS)
}
