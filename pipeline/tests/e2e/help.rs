//! What a user reads first: `--help` of every command says what each of
//! its arguments and options is.

use crate::common::cutover;

/// Every command a user types (the hidden `bench-floor` is `make bench`'s).
const COMMANDS: [&[&str]; 18] = [
    &[],
    &["generate"],
    &["run"],
    &["validate"],
    &["identity"],
    &["identity", "explain"],
    &["identity", "score"],
    &["crosswalk"],
    &["crosswalk", "check"],
    &["crosswalk", "manifest"],
    &["ids", "assign"],
    &["layouts"],
    &["layouts", "check"],
    &["layouts", "manifest"],
    &["results"],
    &["trace"],
    &["diff"],
    &["sif"],
];

/// The argument or option an entry of a help's `Arguments:` or `Options:`
/// list names when nothing but its default follows it.
fn undescribed(help: &str) -> Vec<String> {
    let mut listed = false;
    let mut bare = Vec::new();
    for line in help.lines() {
        if line == "Arguments:" || line == "Options:" || line == "Commands:" {
            listed = true;
            continue;
        }
        if !line.starts_with("  ") {
            listed = false;
            continue;
        }
        if !listed {
            continue;
        }
        let entry = line.trim_start();
        let what = entry
            .split("  ")
            .skip(1)
            .map(str::trim)
            .find(|s| !s.is_empty());
        if what.is_none_or(|w| w.starts_with("[default")) {
            bare.push(entry.split("  ").next().unwrap_or("").to_string());
        }
    }
    bare
}

#[test]
fn every_argument_of_every_command_is_described_in_its_help() {
    let tmp = tempfile::tempdir().unwrap();
    let mut bare = Vec::new();
    for command in COMMANDS {
        let mut args = command.to_vec();
        args.push("--help");
        let o = cutover(&args, tmp.path());
        assert_eq!(o.status.code(), Some(0), "{command:?}");
        let help = String::from_utf8_lossy(&o.stdout);
        for entry in undescribed(&help) {
            bare.push(format!("cutover {}: {entry}", command.join(" ")));
        }
    }
    assert!(
        bare.is_empty(),
        "undescribed in --help:\n{}",
        bare.join("\n")
    );
}

#[test]
fn results_help_says_how_a_log_names_its_upload_and_school_year() {
    let tmp = tempfile::tempdir().unwrap();
    let o = cutover(&["results", "--help"], tmp.path());
    let help = String::from_utf8_lossy(&o.stdout);
    assert!(
        help.contains(
            "  <LOGS>...  Result logs, each named after the upload it answers \
             (`student_enrollment.csv`, `student_enrollment.log` ...) unless --upload says which; \
             the school year of the upload file it answers in a folder's name or after a dot \
             (`logs/2016-17/student_enrollment.csv`, `student_enrollment.2016-17.csv`)\n"
        ),
        "{help}"
    );
}

#[test]
fn identity_explain_on_a_folder_no_run_wrote_says_what_to_do() {
    let tmp = tempfile::tempdir().unwrap();
    let o = cutover(
        &[
            "identity",
            "explain",
            "100000001",
            "100000002",
            "--out",
            "out",
        ],
        tmp.path(),
    );
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&o.stderr),
        "error: out: not a run's output folder (no run.json; run `cutover run` first)\n"
    );
}
