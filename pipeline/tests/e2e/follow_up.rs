//! The commands a user types after a run (`identity`, `ids`, `results`,
//! `trace`, `sif`, `diff`) find the run: on a folder no run wrote they say
//! what to run or which folder to name, and they read the folder a
//! configuration names as `run` does.

use crate::common::{assert_ok, copy_dir, cutover, repo};

use std::fs;
use std::path::Path;

/// The hand-written bundle with a row for every upload, its tables and a
/// configuration writing to `output`, in `w`.
fn scenario(w: &Path, output: &str) {
    let scenario = repo().join("tests/scenarios/uploads_every_kind");
    copy_dir(&scenario.join("input"), &w.join("input"));
    copy_dir(&repo().join("crosswalks"), &w.join("crosswalks"));
    copy_dir(&repo().join("layouts"), &w.join("layouts"));
    let config = fs::read_to_string(scenario.join("config.toml")).unwrap();
    let config = config.replace("output = \"out\"", &format!("output = \"{output}\""));
    fs::write(w.join("run.toml"), config).unwrap();
}

fn stderr(args: &[&str], w: &Path) -> String {
    let o = cutover(args, w);
    assert_eq!(o.status.code(), Some(2), "{args:?}");
    String::from_utf8_lossy(&o.stderr).to_string()
}

/// What `make -n` (the repository's Makefile, run in `w`) would run.
fn make_n(args: &[&str], w: &Path) -> String {
    let o = std::process::Command::new("make")
        .args(["-n", "--no-print-directory", "-f"])
        .arg(repo().join("Makefile"))
        .args(args)
        .env_remove("CARGO")
        .current_dir(w)
        .output()
        .unwrap();
    assert_ok(&o);
    String::from_utf8_lossy(&o.stdout).to_string()
}

/// What `make -n` (the repository's Makefile, run in `w`) says on stderr,
/// failing.
fn make_n_refused(args: &[&str], w: &Path) -> String {
    let o = std::process::Command::new("make")
        .args(["-n", "--no-print-directory", "-f", "Makefile"])
        .args(args)
        .env_remove("CARGO")
        .current_dir(w)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{args:?}");
    String::from_utf8_lossy(&o.stderr).to_string()
}

/// Every follow-up command with its `--out` left out, as README's first
/// user typed them after `make demo`.
const FOLLOW_UPS: [&[&str]; 6] = [
    &["identity", "score", "--truth", "truth.csv"],
    &["identity", "explain", "100000001", "100000002"],
    &["ids", "assign", "issued.csv"],
    &["results", "logs/student_enrollment.csv"],
    &["trace", "student_enrollment.csv:2"],
    &["sif"],
];

/// `make demo` writes its run to `snapshots/demo`; the follow-up commands'
/// default is `snapshots`, which a fresh clone holds with only its README.
/// `identity score` failed there on a raw file error, `ids` and `results`
/// left a lock file in it, and none said where the run was.
#[test]
fn a_follow_up_command_on_the_default_folder_names_the_run_in_it() {
    let tmp = tempfile::tempdir().unwrap();
    let w = tmp.path();
    scenario(w, "snapshots/demo");
    fs::create_dir_all(w.join("snapshots")).unwrap();
    fs::write(w.join("snapshots/README.md"), "Run outputs.\n").unwrap();
    assert_ok(&cutover(&["run", "--config", "run.toml", "--quiet"], w));
    for args in FOLLOW_UPS {
        assert_eq!(
            stderr(args, w),
            "error: snapshots: not a run's output folder (no run.json), but snapshots/demo holds a run: pass `--out snapshots/demo`\n",
            "{args:?}"
        );
    }
    let mut left: Vec<String> = fs::read_dir(w.join("snapshots"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    left.sort();
    assert_eq!(left, ["README.md", "demo"]);

    copy_dir(&w.join("snapshots/demo"), &w.join("snapshots/2017"));
    assert_eq!(
        stderr(&["sif"], w),
        "error: snapshots: not a run's output folder (no run.json), but these folders in it hold runs: snapshots/2017, snapshots/demo: pass one of them as `--out`\n"
    );
    assert_eq!(
        stderr(&["diff", "snapshots", "snapshots/demo"], w),
        "error: snapshots: not a run's output folder (no run.json), but these folders in it hold runs: snapshots/2017, snapshots/demo: name one of them instead\n"
    );
}

/// `identity score` said `cannot open out/identity/identity_map.parquet: No
/// such file or directory`; it now says what to run, as `explain` does.
#[test]
fn identity_score_without_a_run_says_what_to_run_first() {
    let tmp = tempfile::tempdir().unwrap();
    let w = tmp.path();
    scenario(w, "out");
    let score = ["identity", "score", "--truth", "truth.csv", "--out", "out"];
    assert_eq!(
        stderr(&score, w),
        "error: out: not a run's output folder (no run.json; run `cutover run` first)\n"
    );
    let o = cutover(
        &[
            "run",
            "--config",
            "run.toml",
            "--quiet",
            "--to",
            "crosswalk",
        ],
        w,
    );
    assert_ok(&o);
    assert_eq!(
        stderr(&score, w),
        "error: out/identity/identity_map.parquet: the run has no identity stage output (run `cutover run` through identity first)\n"
    );
    let explain = [
        "identity",
        "explain",
        "100000001",
        "100000002",
        "--out",
        "out",
    ];
    assert_eq!(
        stderr(&explain, w),
        "error: out/identity/pairs.parquet: the run has no identity stage output (run `cutover run` through identity first)\n"
    );
    // A result log read back before publish ran: the manifest is opened
    // before any log is read, so the log need not exist.
    let results = ["results", "logs/frm.csv", "--out", "out"];
    assert_eq!(
        stderr(&results, w),
        "error: out/publish/upload_manifest.csv: cannot read the upload manifest (run `cutover run` first): No such file or directory (os error 2)\n"
    );
}

/// `make results` and `make ids` with `CONFIG` read the configuration's
/// output folder (they read `OUT`, `snapshots/demo` unless given by hand).
#[test]
fn results_and_ids_read_the_run_a_configuration_names() {
    let tmp = tempfile::tempdir().unwrap();
    let w = tmp.path();
    scenario(w, "runs/2017");
    assert_ok(&cutover(&["run", "--config", "run.toml", "--quiet"], w));
    fs::create_dir_all(w.join("logs")).unwrap();
    fs::write(
        w.join("logs/frm.csv"),
        "All Records completed successfully\n",
    )
    .unwrap();
    let o = cutover(&["results", "logs/frm.csv", "--config", "run.toml"], w);
    assert_ok(&o);
    assert_eq!(
        String::from_utf8_lossy(&o.stdout),
        "1 log read: 1 all successful, 0 rejected rows (0 tied to their source row, 0 not found, 0 ambiguous)\n\
         written: runs/2017/results/results.csv\n"
    );
    fs::write(
        w.join("issued.csv"),
        "StateStudentID,LastName,FirstName,BirthDate,Gender\n",
    )
    .unwrap();
    let o = cutover(&["ids", "assign", "issued.csv", "--config", "run.toml"], w);
    assert_ok(&o);
    // A manifest that is not one (its lines of unequal length) is named.
    let manifest = w.join("runs/2017/publish/upload_manifest.csv");
    let kept = fs::read(&manifest).unwrap();
    fs::write(&manifest, "upload,file,row\nfrm.csv,2\n").unwrap();
    let bad = cutover(&["results", "logs/frm.csv", "--config", "run.toml"], w);
    assert_eq!(bad.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&bad.stderr),
        "error: runs/2017/publish/upload_manifest.csv: not an upload manifest: CSV error: record 1 (line: 2, byte: 16): found record with 2 fields, but the previous record has 3 fields\n"
    );
    fs::write(&manifest, kept).unwrap();
    assert_eq!(
        String::from_utf8_lossy(&o.stdout),
        "0 New State IDs recorded in runs/2017/review/issued_ids.csv (0 new, 0 replaced); the next `cutover run` applies them\n"
    );
    for (target, args, expected) in [
        (
            "results",
            "LOGS=logs/frm.csv",
            "cargo run -q --bin cutover -- results logs/frm.csv --config run.toml\n",
        ),
        (
            "ids",
            "ISSUED=issued.csv",
            "cargo run -q --bin cutover -- ids assign issued.csv --config run.toml\n",
        ),
    ] {
        let shown = make_n(&[target, args, "CONFIG=run.toml"], w);
        assert!(shown.ends_with(expected), "{shown}");
    }
    // Without the file (`make results`): clap's usage of `cutover results`
    // named neither LOGS nor the make target.
    fs::copy(repo().join("Makefile"), w.join("Makefile")).unwrap();
    let line = |of: &str| {
        fs::read_to_string(w.join("Makefile"))
            .unwrap()
            .lines()
            .position(|l| l.contains(of))
            .unwrap()
            + 1
    };
    assert_eq!(
        make_n_refused(&["results", "CONFIG=run.toml"], w),
        format!(
            "Makefile:{}: *** name the result logs Synergy returned: make results LOGS=\"logs/*/*.csv\".  Stop.\n",
            line("name the result logs")
        )
    );
    assert_eq!(
        make_n_refused(&["ids"], w),
        format!(
            "Makefile:{}: *** name the file the helpdesk returned: make ids ISSUED=issued.csv.  Stop.\n",
            line("name the file the helpdesk")
        )
    );
}

/// The data team's loop from `make` targets: a table edited in the
/// configuration's crosswalk folder is refused with the command that
/// records it for that folder, and `make manifest CONFIG=...` runs it.
#[test]
fn an_edited_table_names_the_manifest_command_for_its_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let w = tmp.path();
    scenario(w, "out");
    fs::rename(w.join("crosswalks"), w.join("tables")).unwrap();
    let config = fs::read_to_string(w.join("run.toml")).unwrap();
    let config = config.replace(
        "crosswalks = \"crosswalks\"",
        "crosswalks = \"tables\"\nlayouts = \"layouts\"",
    );
    fs::write(w.join("run.toml"), config).unwrap();
    let table = w.join("tables/cip_codes.csv");
    let mut text = fs::read_to_string(&table).unwrap();
    text.push_str("99.9999,Program not listed,99.9999,Program not listed,,,lossless,\n");
    fs::write(&table, &text).unwrap();
    let said = stderr(&["run", "--config", "run.toml", "--quiet"], w);
    let line = fs::read_to_string(w.join("tables/manifest.csv"))
        .unwrap()
        .lines()
        .position(|l| l.starts_with("cip_codes,"))
        .unwrap()
        + 1;
    let expected = format!(
        "error: tables/manifest.csv: line {line}: column sha256: cip_codes.csv has checksum "
    );
    assert!(said.starts_with(&expected), "{said}");
    assert!(
        said.ends_with(" (edited? record the new checksum: `make manifest`, or `cutover crosswalk manifest --crosswalks tables`)\n"),
        "{said}"
    );
    let o = cutover(&["crosswalk", "manifest", "--config", "run.toml"], w);
    assert_ok(&o);
    assert_eq!(
        String::from_utf8_lossy(&o.stdout),
        "tables/manifest.csv: manifest checksums rewritten\n"
    );
    let o = cutover(&["layouts", "manifest", "--config", "run.toml"], w);
    assert_ok(&o);
    assert_eq!(
        String::from_utf8_lossy(&o.stdout),
        "layouts/manifest.csv: manifest checksums rewritten\n"
    );
    assert_ok(&cutover(&["run", "--config", "run.toml", "--quiet"], w));
    let shown = make_n(&["manifest", "CONFIG=run.toml"], w);
    assert!(
        shown.ends_with(
            "cargo run -q --bin cutover -- crosswalk manifest --config run.toml\n\
             cargo run -q --bin cutover -- layouts manifest --config run.toml\n"
        ),
        "{shown}"
    );
}
