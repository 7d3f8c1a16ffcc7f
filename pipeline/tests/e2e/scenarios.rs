//! End-to-end scenarios: each folder of `tests/scenarios/` holds a
//! `config.toml`, an `input/` bundle and an `expected/` folder. The harness
//! copies the scenario into a fresh temporary folder (with the repository's
//! crosswalks beside it), runs the real binary, and compares:
//! - `expected/exit_code`, `expected/stdout`, `expected/stderr` (when present),
//!   with the temporary folder written as `<tmp>`;
//! - `expected/quarantine/*.csv` byte for byte, and no other quarantine file;
//! - when the scenario has `expected/uploads/` (or its name starts with
//!   `uploads`): every file under `out/uploads/` and `out/preflight/` byte for
//!   byte, and no other file;
//! - `expected/columns/<stage>.<entity>.<column>.txt`: one snapshot value a
//!   line (null written as `<null>`).
//!
//! `expected/args` replaces the default arguments `run --config config.toml
//! --quiet`. `UPDATE_GOLDEN=1 cargo test` rewrites the expected files from
//! what the binary did; review them in the diff.

use crate::common::{copy_dir, repo};

use polars::prelude::*;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

fn column_values(snapshot: &Path, column: &str) -> String {
    let df = ParquetReader::new(fs::File::open(snapshot).unwrap())
        .finish()
        .unwrap();
    let s = df
        .column(column)
        .unwrap_or_else(|_| panic!("{} has no column {column}", snapshot.display()))
        .as_materialized_series()
        .cast(&DataType::String)
        .unwrap();
    let mut out = String::new();
    let s = s.str().unwrap();
    for i in 0..s.len() {
        out.push_str(s.get(i).unwrap_or("<null>"));
        out.push('\n');
    }
    out
}

/// Every file under `root`, as paths relative to it, sorted.
fn files_under(root: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push(
                    path.strip_prefix(root)
                        .unwrap()
                        .to_string_lossy()
                        .to_string(),
                );
            }
        }
    }
    out.sort();
    out
}

fn check(name: &str, expected: &Path, actual: &[u8], update: bool, failures: &mut Vec<String>) {
    if update {
        fs::create_dir_all(expected.parent().unwrap()).unwrap();
        fs::write(expected, actual).unwrap();
        return;
    }
    match fs::read(expected) {
        Ok(want) if want == actual => {}
        Ok(want) => failures.push(format!(
            "{name}: {} differs\n--- expected\n{}\n--- actual\n{}",
            expected.display(),
            String::from_utf8_lossy(&want),
            String::from_utf8_lossy(actual)
        )),
        Err(_) => failures.push(format!("{name}: {} is missing", expected.display())),
    }
}

fn run_scenario(dir: &Path) -> Vec<String> {
    let name = dir.file_name().unwrap().to_string_lossy().to_string();
    let update = std::env::var("UPDATE_GOLDEN").is_ok_and(|v| v == "1");
    let tmp = tempfile::tempdir().unwrap();
    let work = tmp.path();
    for part in ["config.toml", "input"] {
        let from = dir.join(part);
        if from.is_dir() {
            copy_dir(&from, &work.join(part));
        } else if from.is_file() {
            fs::copy(&from, work.join(part)).unwrap();
        }
    }
    copy_dir(&repo().join("crosswalks"), &work.join("crosswalks"));
    copy_dir(&repo().join("layouts"), &work.join("layouts"));
    let expected = dir.join("expected");
    let args: Vec<String> = match fs::read_to_string(expected.join("args")) {
        Ok(a) => a.split_whitespace().map(str::to_string).collect(),
        Err(_) => vec![
            "run".into(),
            "--config".into(),
            "config.toml".into(),
            "--quiet".into(),
        ],
    };
    let out = Command::new(env!("CARGO_BIN_EXE_cutover"))
        .args(&args)
        .current_dir(work)
        .env_remove("CUTOVER_LOG")
        .output()
        .unwrap();
    let tmp_text = work.display().to_string();
    let clean = |b: &[u8]| {
        String::from_utf8_lossy(b)
            .replace(&tmp_text, "<tmp>")
            .into_bytes()
    };
    let mut failures = Vec::new();
    let code = format!("{}\n", out.status.code().unwrap_or(-1));
    check(
        &name,
        &expected.join("exit_code"),
        code.as_bytes(),
        update,
        &mut failures,
    );
    for (file, bytes) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
        let path = expected.join(file);
        if path.exists() || (update && !bytes.is_empty()) {
            check(&name, &path, &clean(bytes), update, &mut failures);
        }
    }
    let produced = work.join("out/quarantine");
    let mut seen = Vec::new();
    if produced.is_dir() {
        for entry in fs::read_dir(&produced).unwrap() {
            let entry = entry.unwrap();
            let file = entry.file_name().to_string_lossy().to_string();
            seen.push(file.clone());
            check(
                &name,
                &expected.join("quarantine").join(&file),
                &fs::read(entry.path()).unwrap(),
                update,
                &mut failures,
            );
        }
    }
    if let Ok(entries) = fs::read_dir(expected.join("quarantine")) {
        for entry in entries {
            let file = entry.unwrap().file_name().to_string_lossy().to_string();
            if !seen.contains(&file) {
                failures.push(format!(
                    "{name}: quarantine/{file} was expected but not written"
                ));
            }
        }
    }
    if expected.join("uploads").is_dir() || (update && name.starts_with("uploads")) {
        for tree in ["uploads", "preflight"] {
            let produced = files_under(&work.join("out").join(tree));
            for rel in &produced {
                check(
                    &name,
                    &expected.join(tree).join(rel),
                    &fs::read(work.join("out").join(tree).join(rel)).unwrap(),
                    update,
                    &mut failures,
                );
            }
            for rel in files_under(&expected.join(tree)) {
                if !produced.contains(&rel) {
                    failures.push(format!("{name}: {tree}/{rel} was expected but not written"));
                }
            }
        }
    }
    if let Ok(entries) = fs::read_dir(expected.join("columns")) {
        for entry in entries {
            let entry = entry.unwrap();
            let file = entry.file_name().to_string_lossy().to_string();
            let parts: Vec<&str> = file.trim_end_matches(".txt").splitn(3, '.').collect();
            let snapshot = work
                .join("out")
                .join(parts[0])
                .join(format!("{}.parquet", parts[1]));
            let actual = column_values(&snapshot, parts[2]);
            check(
                &name,
                &entry.path(),
                actual.as_bytes(),
                update,
                &mut failures,
            );
        }
    }
    failures
}

#[test]
fn every_scenario_matches_its_expected_outputs() {
    let root = repo().join("tests/scenarios");
    let mut dirs: Vec<PathBuf> = fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    assert!(dirs.len() >= 6, "scenarios found: {dirs:?}");
    let failures: Vec<String> = two_at_a_time(&dirs).concat();
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// Each scenario's failures, in the order of `dirs`, the scenarios run two
/// at a time: one at a time, this test ran alone on one core for the last
/// minute of the end-to-end binary.
fn two_at_a_time(dirs: &[PathBuf]) -> Vec<Vec<String>> {
    let next = std::sync::atomic::AtomicUsize::new(0);
    let mut done: Vec<(usize, Vec<String>)> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..2)
            .map(|_| {
                s.spawn(|| {
                    let mut mine = Vec::new();
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(dir) = dirs.get(i) else {
                            return mine;
                        };
                        mine.push((i, run_scenario(dir)));
                    }
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap())
            .collect()
    });
    done.sort_by_key(|(i, _)| *i);
    done.into_iter().map(|(_, failures)| failures).collect()
}
