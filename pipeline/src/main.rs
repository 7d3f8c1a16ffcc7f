//! `cutover`: migrates a state's student records from ICSE to Synergy, and
//! proves it lost nothing.
//!
//! Exit codes: 0 success; 1 the run finished but data checks failed; 2 usage,
//! configuration or I/O error.

mod config;
mod crosswalks;
mod diff;
mod fixlist;
mod generate;
mod identity_stage;
mod layouts;
mod output;
mod publish;
mod read;
mod report;
mod results;
mod run;
mod runfiles;
mod sif;
mod snapshot;
mod trace;

use clap::{Parser, Subcommand};
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
        /// Rerun every stage, even those whose inputs are unchanged.
        #[arg(long)]
        force: bool,
        /// Rerun this stage and every one after it.
        #[arg(long, value_parser = clap::builder::PossibleValuesParser::new(run::STAGES))]
        from: Option<String>,
        /// Stop after this stage.
        #[arg(long, value_parser = clap::builder::PossibleValuesParser::new(run::STAGES))]
        to: Option<String>,
    },
    /// Check a run configuration, reporting every problem at once.
    Validate {
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
        /// --upload says which.
        #[arg(required = true)]
        logs: Vec<PathBuf>,
        /// The upload the logs answer (new_state_id, student_enrollment ...).
        #[arg(long)]
        upload: Option<String>,
        /// The run's output folder.
        #[arg(long, default_value = "snapshots")]
        out: PathBuf,
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
        /// The run's output folder.
        #[arg(long, default_value = "snapshots")]
        out: PathBuf,
        /// The crosswalk tables, for the line of each mapping.
        #[arg(long, default_value = "crosswalks")]
        crosswalks: PathBuf,
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
        run_a: PathBuf,
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
        /// The run's output folder.
        #[arg(long, default_value = "snapshots")]
        out: PathBuf,
        /// The folder the XML files go to (default: `<out>/sif`).
        #[arg(long)]
        to: Option<PathBuf>,
        /// The school year (default: the latest with an enrollment).
        #[arg(long)]
        year: Option<i32>,
    },
}

#[derive(Subcommand)]
enum LayoutsAction {
    /// Check every layout and the manifest, reporting every problem at once.
    Check {
        #[arg(long, default_value = "layouts")]
        layouts: PathBuf,
    },
    /// Rewrite the manifest's checksums after editing a layout.
    Manifest {
        #[arg(long, default_value = "layouts")]
        layouts: PathBuf,
    },
}

#[derive(Subcommand)]
enum IdentityAction {
    /// Print each comparison's level and weight for a pair of student keys
    /// (names and birth dates masked unless --show-pii).
    Explain {
        id_a: String,
        id_b: String,
        /// The run's output folder.
        #[arg(long, default_value = "snapshots")]
        out: PathBuf,
        #[arg(long)]
        show_pii: bool,
    },
    /// Pairwise precision, recall and F1 of the identity map against a truth
    /// file (IdentityID, true_student[, kind]).
    Score {
        #[arg(long)]
        truth: PathBuf,
        /// The run's output folder.
        #[arg(long, default_value = "snapshots")]
        out: PathBuf,
    },
}

#[derive(Subcommand)]
enum CrosswalkAction {
    /// Check every table and the manifest, reporting every problem at once.
    Check {
        #[arg(long, default_value = "crosswalks")]
        crosswalks: PathBuf,
    },
    /// Rewrite the manifest's checksums after editing a table.
    Manifest {
        #[arg(long, default_value = "crosswalks")]
        crosswalks: PathBuf,
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
            let defects = match defects {
                Some(path) => {
                    let text = std::fs::read_to_string(&path)
                        .map_err(|e| anyhow::anyhow!("{}: cannot read: {e}", path.display()))?;
                    toml::from_str(&text)
                        .map_err(|e| anyhow::anyhow!("{}: {}", path.display(), e.message()))?
                }
                None => generate::DefectRates::default(),
            };
            let truth = truth.unwrap_or_else(|| {
                let mut name = out
                    .file_name()
                    .map(|n| n.to_os_string())
                    .unwrap_or_default();
                name.push("-truth");
                out.with_file_name(name)
            });
            let opts = generate::Options {
                students,
                first_year,
                last_year,
                seed,
                defects,
            };
            let summary = generate::generate(opts, &out, &truth)?;
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
            let stage =
                |s: Option<String>| s.and_then(|s| run::STAGES.iter().copied().find(|x| *x == s));
            let options = run::RunOptions {
                quiet: cli.quiet,
                force,
                from: stage(from),
                to: stage(to),
            };
            let outcome = run::run(&config, options)?;
            for d in &outcome.record.decisions {
                say!(
                    "{}: {}",
                    d.stage,
                    if d.ran {
                        format!("ran ({})", d.reason)
                    } else {
                        d.reason.clone()
                    }
                );
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
        Command::Identity { action } => {
            match action {
                IdentityAction::Explain {
                    id_a,
                    id_b,
                    out,
                    show_pii,
                } => {
                    say!(
                        "{}",
                        identity_stage::explain(&out, &id_a, &id_b, show_pii)?.trim_end()
                    );
                    Ok(ExitCode::SUCCESS)
                }
                IdentityAction::Score { truth, out } => {
                    let s = identity_stage::score(&out, &truth)?;
                    say!(
                    "pairs: true {}, predicted {}, both {}\nprecision {:.4}  recall {:.4}  F1 {:.4}",
                    s.true_pairs,
                    s.predicted_pairs,
                    s.true_positive_pairs,
                    s.precision,
                    s.recall,
                    s.f1
                );
                    for (kind, (n, found)) in &s.by_kind {
                        say!("{kind}: {found} of {n} identity rows placed with their student ({:.1}%)", 100.0 * *found as f64 / (*n).max(1) as f64);
                    }
                    Ok(ExitCode::SUCCESS)
                }
            }
        }
        Command::Crosswalk { action } => match action {
            CrosswalkAction::Check { crosswalks: dir } => {
                let mut problems = Vec::new();
                if let Err(p) = crosswalks::load_legacy_codes(&dir) {
                    problems.extend(p);
                }
                match crosswalks::load_tables(&dir) {
                    Ok((_, sums)) if problems.is_empty() => {
                        say!(
                            "{}: {} tables valid, manifest checksums match",
                            dir.display(),
                            sums.len()
                        );
                        return Ok(ExitCode::SUCCESS);
                    }
                    Ok(_) => {}
                    Err(p) => problems.extend(p),
                }
                for p in problems {
                    eprintln!("{p}");
                }
                Ok(ExitCode::from(2))
            }
            CrosswalkAction::Manifest { crosswalks: dir } => {
                crosswalks::write_manifest(&dir)?;
                say!(
                    "{}: manifest checksums rewritten",
                    dir.join(crosswalks::MANIFEST).display()
                );
                Ok(ExitCode::SUCCESS)
            }
        },
        Command::Layouts { action } => match action {
            LayoutsAction::Check { layouts: dir } => {
                let code_tables = crosswalks::DOMAINS
                    .iter()
                    .map(|d| d.name.to_string())
                    .collect();
                match layouts::load(&dir, &code_tables) {
                    Ok((_, sums)) => {
                        say!(
                            "{}: {} layouts valid, manifest checksums match",
                            dir.display(),
                            sums.len()
                        );
                        Ok(ExitCode::SUCCESS)
                    }
                    Err(problems) => {
                        for p in problems {
                            eprintln!("{p}");
                        }
                        Ok(ExitCode::from(2))
                    }
                }
            }
            LayoutsAction::Manifest { layouts: dir } => {
                layouts::write_manifest(&dir)?;
                say!(
                    "{}: manifest checksums rewritten",
                    dir.join(crosswalks::MANIFEST).display()
                );
                Ok(ExitCode::SUCCESS)
            }
        },
        Command::Results { logs, upload, out } => {
            let summary = results::run(&out, &logs, upload.as_deref())?;
            let _ = write!(std::io::stdout(), "{summary}");
            Ok(ExitCode::SUCCESS)
        }
        Command::Trace {
            row,
            student,
            out,
            crosswalks,
            json,
            show_pii,
        } => {
            let opts = trace::Options {
                root: &out,
                crosswalks,
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
        Command::Sif { out, to, year } => {
            let text = sif::command(&out, to, year)?;
            let _ = write!(std::io::stdout(), "{text}");
            Ok(ExitCode::SUCCESS)
        }
        Command::Validate { config } => match config::Config::load(&config) {
            Ok(c) => {
                let mut problems = crosswalks::load_legacy_codes(&c.crosswalks)
                    .err()
                    .unwrap_or_default();
                let code_tables = crosswalks::DOMAINS
                    .iter()
                    .map(|d| d.name.to_string())
                    .collect();
                if let Err(p) = layouts::load(&c.layouts, &code_tables) {
                    problems.extend(p);
                }
                if !problems.is_empty() {
                    for p in problems {
                        eprintln!("{p}");
                    }
                    return Ok(ExitCode::from(2));
                }
                say!("{}: valid", config.display());
                Ok(ExitCode::SUCCESS)
            }
            Err(problems) => {
                eprintln!("{problems}");
                Ok(ExitCode::from(2))
            }
        },
    }
}
