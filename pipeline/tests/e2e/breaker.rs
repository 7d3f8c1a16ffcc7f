//! Hand-made inputs a data team might hand the tool, beyond the scenario
//! folders: what the run records about them must hold no student's name or
//! birth date.

use crate::common::{copy_dir, cutover, repo};
use std::fs;
use std::path::Path;

/// Every file of the output root that is no snapshot, upload, review file
/// or quarantine (those may hold personal values, redacted or for
/// reviewers), as (relative path, text).
fn recorded_files(root: &Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let rel = path.strip_prefix(root).unwrap().display().to_string();
            let private = ["uploads", "review", "quarantine", "conform", "preflight"]
                .iter()
                .any(|p| rel.starts_with(p));
            if path.is_dir() {
                if !private {
                    stack.push(path);
                }
            } else if !private && !rel.ends_with(".parquet") {
                let text = String::from_utf8_lossy(&fs::read(&path).unwrap()).to_string();
                out.push((rel, text));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn no_birth_date_is_recorded_in_stages_json_or_any_report() {
    // stages.json recorded each upload's latest date, for New State ID a
    // birth date (the youngest student's awaiting an ID: 2010-11-30).
    let tmp = tempfile::tempdir().unwrap();
    let w = tmp.path();
    let scenario = repo().join("tests/scenarios/uploads_every_kind");
    copy_dir(&scenario.join("input"), &w.join("input"));
    fs::copy(scenario.join("config.toml"), w.join("config.toml")).unwrap();
    copy_dir(&repo().join("crosswalks"), &w.join("crosswalks"));
    copy_dir(&repo().join("layouts"), &w.join("layouts"));
    let o = cutover(&["-vv", "run", "--config", "config.toml"], w);
    assert_eq!(o.status.code(), Some(0));
    let personal = fs::read(w.join("input/student_personal.csv")).unwrap();
    let personal = String::from_utf8_lossy(&personal);
    let mut lines = personal.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let at = header.iter().position(|h| *h == "BirthDate").unwrap();
    let births: Vec<String> = lines
        .filter_map(|l| l.split(',').nth(at).map(str::to_string))
        .filter(|b| !b.is_empty())
        .collect();
    assert!(births.contains(&"2010-11-30".to_string()));
    let mut files = recorded_files(&w.join("out"));
    files.push(("stdout".into(), String::from_utf8_lossy(&o.stdout).into()));
    files.push(("stderr".into(), String::from_utf8_lossy(&o.stderr).into()));
    assert!(files.iter().any(|(f, _)| f == "stages.json"));
    for (file, text) in &files {
        for birth in &births {
            assert!(
                !text.contains(birth.as_str()),
                "{file} holds birth date {birth}"
            );
        }
    }
}
