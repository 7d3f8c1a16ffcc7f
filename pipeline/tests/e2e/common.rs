//! Helpers the end-to-end tests share.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A temporary folder in memory (`/dev/shm`) where the machine has one,
/// else in the usual temporary folder: for the tests that run the pipeline
/// hundreds of times (killed at every rename and removal), where each run's
/// ~300 files synced to disk cost more than the run. Renames, removals and
/// hard links behave on tmpfs as on disk; only the syncs are free.
pub fn in_memory_tempdir() -> tempfile::TempDir {
    let shm = Path::new("/dev/shm");
    if shm.is_dir() {
        if let Ok(dir) = tempfile::Builder::new()
            .prefix("cutover-e2e")
            .tempdir_in(shm)
        {
            return dir;
        }
    }
    tempfile::tempdir().unwrap()
}

/// Runs the real binary in `cwd`.
pub fn cutover(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cutover"))
        .args(args)
        .current_dir(cwd)
        .output()
        .unwrap()
}

/// The repository's crosswalk folder.
pub fn crosswalks() -> String {
    repo().join("crosswalks").display().to_string()
}

pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Copies a folder tree.
pub fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// Every file under `dir`, by relative path.
pub fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.insert(
                    p.strip_prefix(dir).unwrap().display().to_string(),
                    fs::read(&p).unwrap(),
                );
            }
        }
    }
    out
}

/// A CSV file's rows as column -> value maps.
pub fn csv_rows(path: &Path) -> Vec<BTreeMap<String, String>> {
    let mut r = csv::Reader::from_path(path).unwrap();
    let header: Vec<String> = r.headers().unwrap().iter().map(str::to_string).collect();
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            header
                .iter()
                .cloned()
                .zip(rec.iter().map(str::to_string))
                .collect()
        })
        .collect()
}

/// Asserts a command exited 0, showing its stderr when not.
pub fn assert_ok(o: &Output) {
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// Every file of the output root that is no snapshot, upload, review file,
/// quarantine, conformed table or pre-flight file (data outputs, which may
/// hold the row's personal values), as (relative path, text): the files that
/// must hold no name or birth date.
pub fn recorded_files(root: &Path) -> Vec<(String, String)> {
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
