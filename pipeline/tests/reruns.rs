//! Reruns: a stage whose inputs are unchanged is skipped and says why;
//! editing one crosswalk row reruns the crosswalk and what follows, nothing
//! before; a run killed at any moment leaves whole files and the next run
//! completes.

mod common;
use common::{copy_dir, cutover, files, repo};

use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

fn decisions(o: &std::process::Output) -> Vec<String> {
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .take(5)
        .map(str::to_string)
        .collect()
}

#[test]
fn unchanged_stages_are_skipped_and_a_crosswalk_edit_reruns_only_what_follows() {
    let tmp = tempfile::tempdir().unwrap();
    let w = tmp.path();
    copy_dir(&repo().join("crosswalks"), &w.join("cw"));
    copy_dir(&repo().join("layouts"), &w.join("layouts"));
    assert!(cutover(
        &[
            "generate",
            "--students",
            "400",
            "--seed",
            "8",
            "--out",
            "bundle"
        ],
        w
    )
    .status
    .success());
    let run = |out: &str| {
        cutover(
            &[
                "run",
                "bundle",
                "--out",
                out,
                "--crosswalks",
                "cw",
                "--quiet",
            ],
            w,
        )
    };
    let first = run("out");
    assert_eq!(first.status.code(), Some(0));
    assert_eq!(
        decisions(&first),
        [
            "ingest: ran (no previous run)",
            "crosswalk: ran (ingest ran)",
            "identity: ran (crosswalk ran)",
            "publish: ran (identity ran)",
            "report: ran (publish ran)",
        ]
    );
    let again = run("out");
    assert_eq!(
        decisions(&again),
        [
            "ingest: skipped: config, input files, legacy code table, tool version unchanged",
            "crosswalk: skipped: config, crosswalk tables, ingest snapshots, tool version unchanged",
            "identity: skipped: config, crosswalk snapshots, nickname table, review decisions, tool version unchanged",
            "publish: skipped: config, crosswalk tables, identity snapshots, layouts, tool version unchanged",
            "report: skipped: config, publish outputs, tool version unchanged",
        ]
    );
    let ingest_before = fs::read(w.join("out/ingest/student_enrollment.parquet")).unwrap();

    // One row of one table: the grade code KG becomes KG in Synergy too.
    let path = w.join("cw/grade_levels.csv");
    let text = fs::read_to_string(&path).unwrap().replace(
        "KG,Kindergarten,K,Kindergarten",
        "KG,Kindergarten,KG,Kindergarten",
    );
    fs::write(&path, text).unwrap();
    let stale = run("out");
    assert_eq!(
        stale.status.code(),
        Some(2),
        "an edited table with a stale manifest is refused"
    );
    assert!(cutover(&["crosswalk", "manifest", "--crosswalks", "cw"], w)
        .status
        .success());
    let edited = run("out");
    assert_eq!(edited.status.code(), Some(0));
    assert_eq!(
        decisions(&edited),
        [
            "ingest: skipped: config, input files, legacy code table, tool version unchanged",
            "crosswalk: ran (changed: crosswalk tables)",
            "identity: ran (crosswalk ran)",
            "publish: ran (identity ran)",
            "report: ran (publish ran)",
        ]
    );
    assert_eq!(
        fs::read(w.join("out/ingest/student_enrollment.parquet")).unwrap(),
        ingest_before,
        "ingest was not rewritten"
    );

    // The partial rerun's crosswalk, quarantine and report equal a fresh run's.
    assert_eq!(run("fresh").status.code(), Some(0));
    let partial = files(&w.join("out"));
    let fresh = files(&w.join("fresh"));
    for (name, bytes) in &fresh {
        if name.starts_with("crosswalk/")
            || name.starts_with("identity/")
            || name.starts_with("quarantine/")
            || name.starts_with("uploads/")
            || name.starts_with("preflight/")
            || name.starts_with("report.")
        {
            assert!(
                partial.get(name) == Some(bytes),
                "{name} differs from a fresh run"
            );
        }
    }
    let forced = cutover(
        &[
            "run",
            "bundle",
            "--out",
            "out",
            "--crosswalks",
            "cw",
            "--quiet",
            "--force",
        ],
        w,
    );
    assert_eq!(
        decisions(&forced),
        [
            "ingest: ran (--force)",
            "crosswalk: ran (--force)",
            "identity: ran (--force)",
            "publish: ran (--force)",
            "report: ran (--force)",
        ]
    );

    // A layout edit (a header renamed) reruns publish and the report only.
    let path = w.join("layouts/truancy.csv");
    let text = fs::read_to_string(&path)
        .unwrap()
        .replace("StepDate,StepDate,date,Y", "Step Date,StepDate,date,Y");
    fs::write(&path, text).unwrap();
    assert!(cutover(&["layouts", "manifest", "--layouts", "layouts"], w)
        .status
        .success());
    let relaid = run("out");
    assert_eq!(relaid.status.code(), Some(0));
    assert_eq!(
        decisions(&relaid),
        [
            "ingest: skipped: config, input files, legacy code table, tool version unchanged",
            "crosswalk: skipped: config, crosswalk tables, ingest snapshots, tool version unchanged",
            "identity: skipped: config, crosswalk snapshots, nickname table, review decisions, tool version unchanged",
            "publish: ran (changed: layouts)",
            "report: ran (publish ran)",
        ]
    );
}

/// Every output file is whole: parquet files read back, JSON parses, CSV
/// files end with a newline.
fn all_whole(dir: &Path) -> Result<usize, String> {
    use polars::prelude::{ParquetReader, SerReader};
    let mut n = 0;
    for (name, bytes) in files(dir) {
        if name.contains(".cutover-") || name.starts_with(".uploads.") {
            // A temporary file, or the uploads folder being built or set
            // aside by a killed run: never read, put right by the next run.
            continue;
        }
        n += 1;
        if name.ends_with(".parquet") {
            ParquetReader::new(std::io::Cursor::new(bytes))
                .finish()
                .map_err(|e| format!("{name}: {e}"))?;
        } else if name.ends_with(".json") {
            serde_json::from_slice::<serde_json::Value>(&bytes)
                .map_err(|e| format!("{name}: {e}"))?;
        } else if name.ends_with(".csv") && !bytes.ends_with(b"\n") {
            return Err(format!("{name}: cut short"));
        }
    }
    Ok(n)
}

#[test]
fn a_run_killed_at_any_moment_leaves_whole_files_and_the_next_run_completes() {
    let tmp = tempfile::tempdir().unwrap();
    let w = tmp.path();
    let cw = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../crosswalks")
        .display()
        .to_string();
    assert!(cutover(
        &[
            "generate",
            "--students",
            "1500",
            "--seed",
            "1",
            "--out",
            "a"
        ],
        w
    )
    .status
    .success());
    assert!(cutover(
        &[
            "generate",
            "--students",
            "1500",
            "--seed",
            "2",
            "--out",
            "b"
        ],
        w
    )
    .status
    .success());
    assert_eq!(
        cutover(
            &["run", "a", "--out", "out", "--crosswalks", &cw, "--quiet"],
            w
        )
        .status
        .code(),
        Some(0)
    );
    assert_eq!(
        cutover(
            &["run", "b", "--out", "clean", "--crosswalks", &cw, "--quiet"],
            w
        )
        .status
        .code(),
        Some(0)
    );
    for delay_ms in [5u64, 30, 80, 150, 250, 400, 600, 750, 900, 1050] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_cutover"))
            .args([
                "run",
                "b",
                "--out",
                "out",
                "--crosswalks",
                &cw,
                "--quiet",
                "--force",
            ])
            .current_dir(w)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms));
        let _ = child.kill();
        let _ = child.wait();
        let n =
            all_whole(&w.join("out")).unwrap_or_else(|e| panic!("killed after {delay_ms} ms: {e}"));
        assert!(n > 0);
    }
    let o = cutover(
        &["run", "b", "--out", "out", "--crosswalks", &cw, "--quiet"],
        w,
    );
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let after = files(&w.join("out"));
    let clean = files(&w.join("clean"));
    for (name, bytes) in &clean {
        if name == "run.json" {
            continue;
        }
        assert!(
            after.get(name) == Some(bytes),
            "{name} differs from an uninterrupted run"
        );
    }
    assert!(
        after
            .keys()
            .all(|k| !k.contains(".cutover-") && !k.starts_with(".uploads.")),
        "temporary files and folders are cleaned up"
    );
}
