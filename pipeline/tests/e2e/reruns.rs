//! Reruns: a stage whose inputs are unchanged is skipped and says why;
//! editing one crosswalk row reruns the crosswalk and what follows, nothing
//! before; a run killed at any moment leaves whole files and the next run
//! completes.

use crate::common::{copy_dir, cutover, files, in_memory_tempdir, repo};

use std::fs;
use std::path::Path;
use std::process::{Command, Output, Stdio};

fn decisions(o: &std::process::Output) -> Vec<String> {
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .take(6)
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
            "crosswalk: ran (no previous run)",
            "identity: ran (no previous run)",
            "rekey: ran (no previous run)",
            "publish: ran (no previous run)",
            "report: ran (no previous run)",
        ]
    );
    let again = run("out");
    assert_eq!(
        decisions(&again),
        [
            "ingest: skipped: config, input files, legacy code table, tool version unchanged",
            "crosswalk: skipped: config, crosswalk tables, ingested rows, tool version unchanged",
            "identity: skipped: config, crosswalked identities, enrollment evidence, issued state IDs, mailing addresses, nickname table, review decisions, tool version unchanged",
            "rekey: skipped: crosswalked rows, identity map, ingested rows, issued state IDs, tool version unchanged",
            "publish: skipped: config, crosswalk tables, layouts, re-keyed rows, schools, students, tool version unchanged",
            "report: skipped: config, organization names, stage outputs, tool version unchanged",
        ]
    );
    let ingest_before = fs::read(w.join("out/ingest/student_enrollment.parquet")).unwrap();
    let uploads_before = inodes(&w.join("out/uploads"));
    let identity_before = fs::read(w.join("out/identity/students.parquet")).unwrap();

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
            "identity: skipped: config, crosswalked identities, enrollment evidence, issued state IDs, mailing addresses, nickname table, review decisions, tool version unchanged",
            "rekey: ran (changed: crosswalked rows)",
            "publish: ran (changed: crosswalk tables, re-keyed rows)",
            "report: ran (changed: stage outputs)",
        ]
    );
    assert_eq!(
        fs::read(w.join("out/ingest/student_enrollment.parquet")).unwrap(),
        ingest_before,
        "ingest was not rewritten"
    );
    assert_eq!(
        fs::read(w.join("out/identity/students.parquet")).unwrap(),
        identity_before,
        "identities were not resolved again"
    );
    // Only the uploads that read a grade level were made again (New State
    // ID carries the grade of the enrollment a student is tied to, and
    // writes files only when a student awaits an ID; Student Enrollment,
    // whose grade alone changed, was patched); the others kept their files
    // (the same file, linked into the new uploads folder).
    let out = w.join("out");
    assert_eq!(parts(&out, "publish", "conformed"), ["new_state_id"]);
    assert_eq!(parts(&out, "publish", "patched"), ["student_enrollment"]);
    // Of the crosswalk and rekey stages' entities only the enrollments (the
    // one entity with a grade column) were touched, and only their grade
    // columns (patched into the last run's snapshots); the others kept
    // their snapshots (equal to a fresh run's, below).
    assert_eq!(parts(&out, "crosswalk", "patched"), ["student_enrollment"]);
    assert!(parts(&out, "crosswalk", "mapped").is_empty());
    assert_eq!(
        parts(&out, "crosswalk", "kept"),
        ["behavior", "truancy", "cte", "student_personal"]
    );
    assert_eq!(parts(&out, "rekey", "patched"), ["student_enrollment"]);
    assert!(parts(&out, "rekey", "rekeyed").is_empty());
    assert_eq!(
        parts(&out, "rekey", "kept"),
        ["behavior", "truancy", "cte", "graduation"]
    );
    let rewritten = rewritten_uploads(&uploads_before, &inodes(&w.join("out/uploads")));
    // New State ID carries the grade: its files too, when a student awaits
    // an ID.
    let awaiting = uploads_before
        .keys()
        .any(|f| f.ends_with("new_state_id.csv"));
    let mut expected = vec!["student_enrollment.csv"];
    if awaiting {
        expected.insert(0, "new_state_id.csv");
    }
    assert_eq!(rewritten, expected);

    // The partial rerun's crosswalk, quarantine and report equal a fresh run's.
    assert_eq!(run("fresh").status.code(), Some(0));
    let partial = files(&w.join("out"));
    let fresh = files(&w.join("fresh"));
    // (The identity stage's own snapshots carry the run that made them.)
    let resolved = ["students", "identity_map", "id_crosswalk", "pairs"]
        .map(|n| format!("identity/{n}.parquet"));
    for (name, bytes) in &fresh {
        if resolved.contains(name) {
            continue;
        }
        if name.starts_with("crosswalk/")
            || name.starts_with("identity/")
            || name.starts_with("publish/")
            || name.starts_with("quarantine/")
            || name.starts_with("uploads/")
            || name.starts_with("preflight/")
            || name.starts_with("fixlists/")
            || name.starts_with("end_of_year/")
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
            "rekey: ran (--force)",
            "publish: ran (--force)",
            "report: ran (--force)",
        ]
    );
    // A stages.json this version cannot read (another version's) reruns
    // every stage and says why.
    fs::write(w.join("out/stages.json"), "{\"stages\": 3}").unwrap();
    let unreadable = run("out");
    assert_eq!(
        decisions(&unreadable)[0],
        "ingest: ran (stages.json unreadable: made by another version?)"
    );
    // With --from, --force reruns that stage and those after it, not the
    // stages before it whose inputs are unchanged.
    let from_forced = cutover(
        &[
            "run",
            "bundle",
            "--out",
            "out",
            "--crosswalks",
            "cw",
            "--quiet",
            "--force",
            "--from",
            "identity",
        ],
        w,
    );
    assert_eq!(
        decisions(&from_forced),
        [
            "ingest: skipped: config, input files, legacy code table, tool version unchanged",
            "crosswalk: skipped: config, crosswalk tables, ingested rows, tool version unchanged",
            "identity: ran (--force)",
            "rekey: ran (--force)",
            "publish: ran (--force)",
            "report: ran (--force)",
        ]
    );

    // A layout edit (a header renamed) reruns publish and the report only,
    // and of the uploads only truancy.
    let uploads_before = inodes(&w.join("out/uploads"));
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
            "crosswalk: skipped: config, crosswalk tables, ingested rows, tool version unchanged",
            "identity: skipped: config, crosswalked identities, enrollment evidence, issued state IDs, mailing addresses, nickname table, review decisions, tool version unchanged",
            "rekey: skipped: crosswalked rows, identity map, ingested rows, issued state IDs, tool version unchanged",
            "publish: ran (changed: layouts)",
            "report: ran (changed: stage outputs)",
        ]
    );
    let rewritten = rewritten_uploads(&uploads_before, &inodes(&w.join("out/uploads")));
    assert_eq!(rewritten, ["truancy.csv"]);
    let manifest = fs::read_to_string(w.join("out/publish/upload_manifest.csv")).unwrap();
    assert_eq!(
        manifest.lines().count() - 1,
        files(&w.join("out/uploads"))
            .values()
            .map(|b| String::from_utf8_lossy(b).lines().count() - 1)
            .sum::<usize>(),
        "the manifest has a row for every upload row, kept or written"
    );
}

/// A parquet file's rows.
fn frame(bytes: &[u8]) -> polars::prelude::DataFrame {
    use polars::prelude::{ParquetReader, SerReader};
    ParquetReader::new(std::io::Cursor::new(bytes.to_vec()))
        .finish()
        .unwrap()
}

/// The row groups of a parquet file.
fn row_groups(path: &Path) -> usize {
    use polars::prelude::{ParquetReader, SerReader};
    let mut reader = ParquetReader::new(fs::File::open(path).unwrap());
    reader.get_metadata().unwrap().row_groups.len()
}

#[test]
fn a_rerun_after_a_grade_row_edit_writes_what_a_forced_run_writes() {
    let tmp = tempfile::tempdir().unwrap();
    let w = tmp.path();
    grade_row_bundle(w);
    // Rows mapped and re-keyed 2,000 at a time, so the snapshots patched
    // have several row groups.
    let run = |out: &str, extra: &[&str]| run_ok(w, out, extra, Some("2000"));
    run("out", &[]);
    for stage in ["crosswalk", "identity"] {
        let path = w.join(format!("out/{stage}/student_enrollment.parquet"));
        assert!(row_groups(&path) > 2, "{stage}: {}", row_groups(&path));
    }
    edit_grade_row(w, "KG,Kindergarten,K,", "KG,Kindergarten,KG,");
    run("out", &[]);
    let out = w.join("out");
    for stage in ["crosswalk", "rekey"] {
        assert_eq!(parts(&out, stage, "patched"), ["student_enrollment"]);
    }
    run("forced", &["--force"]);
    // A parquet file's footer names the inputs of the run that wrote it (a
    // snapshot of a stage that was skipped names the last one's), so
    // parquet files are compared by their rows, and the patched snapshots
    // by their bytes too.
    let patched = [
        "crosswalk/student_enrollment.parquet",
        "identity/student_enrollment.parquet",
    ];
    same_as_forced(&files(&out), &files(&w.join("forced")), &patched);
}

/// A 1,500-student generated bundle `b` in `w`, with the repository's code
/// tables in `cw` and layouts in `layouts`.
fn grade_row_bundle(w: &Path) {
    copy_dir(&repo().join("crosswalks"), &w.join("cw"));
    copy_dir(&repo().join("layouts"), &w.join("layouts"));
    let gen = [
        "generate",
        "--students",
        "1500",
        "--seed",
        "11",
        "--out",
        "b",
    ];
    assert!(cutover(&gen, w).status.success());
}

/// Runs bundle `b` into `out` with the code tables in `cw`, rows mapped
/// `batch_rows` at a time when given, and asserts it passed.
fn run_ok(w: &Path, out: &str, extra: &[&str], batch_rows: Option<&str>) -> Output {
    let mut args = vec!["run", "b", "--out", out, "--crosswalks", "cw", "--quiet"];
    args.extend_from_slice(extra);
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_cutover"));
    cmd.args(&args).current_dir(w);
    if let Some(rows) = batch_rows {
        cmd.env("CUTOVER_BATCH_ROWS", rows);
    }
    let o = cmd.output().unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    o
}

/// Edits one row of `cw/grade_levels.csv` and records the edit in the
/// code tables' manifest.
fn edit_grade_row(w: &Path, from: &str, to: &str) {
    let path = w.join("cw/grade_levels.csv");
    let text = fs::read_to_string(&path).unwrap();
    let edited = text.replace(from, to);
    assert_ne!(edited, text);
    fs::write(&path, edited).unwrap();
    let manifest = ["crosswalk", "manifest", "--crosswalks", "cw"];
    assert!(cutover(&manifest, w).status.success());
}

/// A rerun's files are a forced run's: the same names; parquet files the
/// same rows (and those in `by_bytes` the same bytes); every other file
/// the same bytes, but for run.json, run.html and stages.json, which
/// record times and what each run did.
fn same_as_forced(
    rerun: &std::collections::BTreeMap<String, Vec<u8>>,
    forced: &std::collections::BTreeMap<String, Vec<u8>>,
    by_bytes: &[&str],
) {
    assert_eq!(
        rerun.keys().collect::<Vec<_>>(),
        forced.keys().collect::<Vec<_>>(),
        "the same files"
    );
    let timed = ["run.json", "run.html", "stages.json"];
    for (name, bytes) in forced {
        if timed.contains(&name.as_str()) {
            continue;
        }
        let mine = &rerun[name];
        if name.ends_with(".parquet") && !by_bytes.contains(&name.as_str()) {
            assert!(frame(mine).equals_missing(&frame(bytes)), "{name} differs");
        } else {
            assert!(mine == bytes, "{name} differs from a forced run's");
        }
    }
}

#[test]
fn a_grade_row_of_some_schools_patches_student_enrollment_as_a_forced_run_writes_it() {
    use polars::prelude::*;
    let tmp = tempfile::tempdir().unwrap();
    let w = tmp.path();
    grade_row_bundle(w);
    let run = |out: &str, extra: &[&str]| run_ok(w, out, extra, None);
    run("out", &[]);
    let before = files(&w.join("out"));
    // Grade 9: only the high schools' rows, of some SAUs and years.
    edit_grade_row(w, "09,Grade 9,9,", "09,Grade 9,09,");
    let o = run("out", &["-v"]);
    let out = w.join("out");
    assert_eq!(parts(&out, "publish", "patched"), ["student_enrollment"]);
    assert_eq!(parts(&out, "publish", "conformed"), ["new_state_id"]);
    run("forced", &["--force"]);
    let forced = files(&w.join("forced"));
    same_as_forced(&files(&out), &forced, &[]);
    // Only some of the upload files changed: those of grade-9 rows.
    let enrollment: Vec<&String> = forced
        .keys()
        .filter(|n| n.starts_with("uploads/") && n.ends_with("/student_enrollment.csv"))
        .collect();
    let changed = enrollment
        .iter()
        .filter(|n| before[**n] != forced[**n])
        .count();
    assert!(
        changed > 0 && changed < enrollment.len(),
        "{changed} of {}",
        enrollment.len()
    );
    // What was made again and what kept, counted from the forced run: the
    // grade-9 rows changed; pre-flight checked them and their student's
    // other rows of the year.
    let df = frame(&forced["conform/student_enrollment.parquet"]);
    let nine = df.column("GradeLevel").unwrap().str().unwrap().equal("09");
    let ids = df.column("StateStudentID").unwrap().str().unwrap().clone();
    let years = df.column("SchoolYear").unwrap().str().unwrap().clone();
    let keys: std::collections::HashSet<(&str, Option<&str>)> = (0..df.height())
        .filter(|i| nine.get(*i) == Some(true))
        .filter_map(|i| Some((ids.get(i)?, years.get(i))))
        .collect();
    let checked = (0..df.height())
        .filter(|&i| {
            nine.get(i) == Some(true)
                || ids
                    .get(i)
                    .is_some_and(|id| keys.contains(&(id, years.get(i))))
        })
        .count();
    let n = nine.sum().unwrap() as usize;
    assert!(
        n > 0 && checked < df.height(),
        "{n} changed, {checked} checked"
    );
    let note = format!(
        "of its {} rows, changed: GradeLevel in {n}; pre-flight checked {checked} rows again (those changed, with their student's other rows of the year) and kept the findings of the other {}; its {} upload files written again",
        df.height(),
        df.height() - checked,
        enrollment.len()
    );
    let run_json: serde_json::Value =
        serde_json::from_slice(&fs::read(out.join("run.json")).unwrap()).unwrap();
    let publish = run_json["timings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["stage"] == "publish")
        .unwrap();
    let part = publish["parts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "student_enrollment")
        .unwrap();
    assert_eq!(part["note"], note.as_str());
    let log = String::from_utf8_lossy(&o.stderr);
    assert!(log.contains(&format!("patched: {note}")), "{log}");
}

/// The parts of a stage `run.json` lists with `action`, in its order.
fn parts(out: &Path, stage: &str, action: &str) -> Vec<String> {
    let run_json: serde_json::Value =
        serde_json::from_slice(&fs::read(out.join("run.json")).unwrap()).unwrap();
    run_json["timings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["stage"] == stage)
        .flat_map(|t| t["parts"].as_array().unwrap())
        .filter(|p| p["action"] == action)
        .map(|p| p["name"].as_str().unwrap().to_string())
        .collect()
}

/// Every file under `dir` -> its inode: a file kept is the same file.
fn inodes(dir: &Path) -> std::collections::BTreeMap<String, u64> {
    use std::os::unix::fs::MetadataExt;
    files(dir)
        .into_keys()
        .map(|name| {
            let inode = fs::metadata(dir.join(&name)).unwrap().ino();
            (name, inode)
        })
        .collect()
}

/// The upload file names (`truancy.csv`) of which a file was written again.
fn rewritten_uploads(
    before: &std::collections::BTreeMap<String, u64>,
    after: &std::collections::BTreeMap<String, u64>,
) -> Vec<String> {
    let mut names: Vec<String> = after
        .iter()
        .filter(|(name, inode)| before.get(*name) != Some(inode))
        .map(|(name, _)| name.rsplit('/').next().unwrap_or("").to_string())
        .collect();
    names.sort();
    names.dedup();
    names
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

fn generate(w: &Path, seed: &str, out: &str) {
    let o = cutover(
        &["generate", "--students", "40", "--seed", seed, "--out", out],
        w,
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

fn run_in(w: &Path, bundle: &str, out: &str, extra: &[&str], fault_at: Option<u64>) -> Output {
    let cw = repo().join("crosswalks").display().to_string();
    let mut args = vec!["run", bundle, "--out", out, "--crosswalks", &cw, "--quiet"];
    args.extend_from_slice(extra);
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_cutover"));
    cmd.args(&args).current_dir(w).stdin(Stdio::null());
    if let Some(n) = fault_at {
        cmd.env("CUTOVER_FAULT_AT", n.to_string());
    }
    cmd.output().unwrap()
}

/// Kills a run of bundle `b` (with `extra` arguments) over a copy of
/// `base` just before its `n`th rename or removal, then reruns it plainly
/// and compares the result with `clean`. Returns false when the run has
/// fewer than `n` of them.
fn kill_and_rerun(
    w: &Path,
    n: u64,
    extra: &[&str],
    clean: &std::collections::BTreeMap<String, Vec<u8>>,
) -> bool {
    let out = format!("k{n}");
    copy_dir(&w.join("base"), &w.join(&out));
    let o = run_in(w, "b", &out, extra, Some(n));
    if o.status.code() == Some(0) {
        fs::remove_dir_all(w.join(&out)).unwrap();
        return false;
    }
    assert_eq!(o.status.code(), None, "killed at {n}: ended by a signal");
    // The earlier run's uploads are swapped with the new ones in one
    // rename: a reader never finds the folder missing.
    assert!(
        w.join(&out).join("uploads").is_dir(),
        "killed at {n}: uploads/ is missing"
    );
    all_whole(&w.join(&out)).unwrap_or_else(|e| panic!("killed at {n}: {e}"));
    folders_whole(w, &out, n, clean);
    rerun_matches(w, &out, &format!("killed at {n}"), clean);
    true
}

/// The folders a reader takes as a set (the fix lists, the end-of-year
/// findings) hold, in the killed run `out`, the earlier run's files
/// (`base`) or the uninterrupted run's (`clean`), whole (a temporary file
/// beside them aside: never read, removed by the next run): never a few new
/// lists beside none, or this run's findings beside the earlier summary
/// (the twenty-third session's binary removed `fixlists/`, then wrote its
/// lists one by one into it).
fn folders_whole(w: &Path, out: &str, n: u64, clean: &std::collections::BTreeMap<String, Vec<u8>>) {
    let base = files(&w.join("base"));
    let now = files(&w.join(out));
    for folder in ["fixlists/", "end_of_year/"] {
        let under = |all: &std::collections::BTreeMap<String, Vec<u8>>| {
            all.iter()
                .filter(|(k, _)| k.starts_with(folder) && !k.contains("/.cutover-"))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect::<std::collections::BTreeMap<_, _>>()
        };
        let left = under(&now);
        assert!(
            left == under(&base) || left == under(clean),
            "killed at {n}: {folder} is neither the earlier run's nor the new one's: {:?}",
            left.keys().collect::<Vec<_>>()
        );
    }
}

/// Reruns bundle `b` plainly into `out` (a run stopped at `what`): it
/// leaves exactly what an uninterrupted run leaves (`clean`), byte for
/// byte, with nothing left behind; then `out` is removed.
fn rerun_matches(
    w: &Path,
    out: &str,
    what: &str,
    clean: &std::collections::BTreeMap<String, Vec<u8>>,
) {
    let again = run_in(w, "b", out, &[], None);
    assert_eq!(
        again.status.code(),
        Some(0),
        "rerun after {what}: {}",
        String::from_utf8_lossy(&again.stderr)
    );
    let after = files(&w.join(out));
    for (name, bytes) in clean {
        if name != "run.json" && name != "run.html" {
            assert!(
                after.get(name) == Some(bytes),
                "{what}: {name} differs from an uninterrupted run"
            );
        }
    }
    let extra: Vec<&String> = after.keys().filter(|k| !clean.contains_key(*k)).collect();
    assert!(extra.is_empty(), "{what}: left behind {extra:?}");
    fs::remove_dir_all(w.join(out)).unwrap();
}

/// A forced run of a new bundle over a finished run, sent a Ctrl-C's
/// SIGINT (`CUTOVER_INTERRUPT_AT`) at every twelfth of its renames and
/// removals in turn, from the first to past the last: it stops, says so
/// and exits 130, leaving no temporary file, no uploads folder being built
/// or set aside and every file whole; a plain rerun then leaves exactly
/// what an uninterrupted run leaves. (Before, the run died at once, exit
/// 130 from the shell and no word, its temporaries and `.uploads.partial`
/// left for the next run to remove.)
#[test]
fn a_run_interrupted_by_ctrl_c_removes_its_temporaries_says_so_and_exits_130() {
    let tmp = in_memory_tempdir();
    let w = tmp.path();
    generate(w, "1", "a");
    generate(w, "2", "b");
    assert_eq!(run_in(w, "a", "base", &[], None).status.code(), Some(0));
    assert_eq!(run_in(w, "b", "clean", &[], None).status.code(), Some(0));
    let clean = files(&w.join("clean"));
    // Three workers take the points 1, 13, 25, ... in turn, each stopping
    // at its first past the run's last.
    let stopped: usize = std::thread::scope(|s| {
        let workers: Vec<_> = (0..3u64)
            .map(|k| {
                let clean = &clean;
                s.spawn(move || {
                    (0..)
                        .map(|i| 1 + 12 * (k + 3 * i))
                        .take_while(|&n| interrupt_and_rerun(w, n, clean))
                        .count()
                })
            })
            .collect();
        workers.into_iter().map(|h| h.join().unwrap()).sum()
    });
    assert!(stopped > 5, "{stopped} interruptions");
}

/// Interrupts a forced run of bundle `b` over a copy of `base` at its
/// `n`th rename or removal and checks what it says and leaves, then that a
/// plain rerun completes it. Returns false when the run has fewer than `n`.
fn interrupt_and_rerun(
    w: &Path,
    n: u64,
    clean: &std::collections::BTreeMap<String, Vec<u8>>,
) -> bool {
    let out = format!("i{n}");
    copy_dir(&w.join("base"), &w.join(&out));
    let o = interrupted_at(w, &out, n);
    if o.status.code() == Some(0) {
        fs::remove_dir_all(w.join(&out)).unwrap();
        return false;
    }
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(130), "interrupted at {n}: {stderr}");
    assert_eq!(
        stderr,
        "error: interrupted (Ctrl-C): the run stopped; its temporary files are removed and no \
         file is left half-written (uploads/, if there, is a whole run's): run it again to \
         finish\n"
    );
    let hidden: Vec<String> = files(&w.join(&out))
        .into_keys()
        .filter(|k| k.split('/').any(|p| p.starts_with('.')) && k != ".cutover.lock")
        .collect();
    assert!(hidden.is_empty(), "interrupted at {n}: left {hidden:?}");
    for folder in [".uploads.partial", ".uploads.previous"] {
        assert!(!w.join(&out).join(folder).exists(), "interrupted at {n}");
    }
    all_whole(&w.join(&out)).unwrap_or_else(|e| panic!("interrupted at {n}: {e}"));
    rerun_matches(w, &out, &format!("interrupted at {n}"), clean);
    true
}

/// [`run_in`] of bundle `b` into `out` with `--force`, sent a SIGINT at
/// its `n`th rename or removal.
fn interrupted_at(w: &Path, out: &str, n: u64) -> Output {
    let cw = repo().join("crosswalks").display().to_string();
    let args = [
        "run",
        "b",
        "--out",
        out,
        "--crosswalks",
        &cw,
        "--quiet",
        "--force",
    ];
    Command::new(env!("CARGO_BIN_EXE_cutover"))
        .args(args)
        .current_dir(w)
        .stdin(Stdio::null())
        .env("CUTOVER_INTERRUPT_AT", n.to_string())
        .output()
        .unwrap()
}

/// A forced run of a new bundle over a finished run, killed just before
/// each of its renames and removals in turn (`CUTOVER_FAULT_AT`): every
/// file left is whole, and a plain rerun then leaves exactly what an
/// uninterrupted run leaves, byte for byte, with nothing left behind.
#[test]
fn a_run_killed_before_any_rename_or_removal_is_completed_by_the_next() {
    let tmp = in_memory_tempdir();
    let w = tmp.path();
    generate(w, "1", "a");
    generate(w, "2", "b");
    assert_eq!(run_in(w, "a", "base", &[], None).status.code(), Some(0));
    assert_eq!(run_in(w, "b", "clean", &[], None).status.code(), Some(0));
    let clean = files(&w.join("clean"));
    let killed = kill_at_every_point(w, &["--force"], &clean);
    assert!(
        killed > 50,
        "a run renames or removes more than 50 times: {killed}"
    );
}

/// [`kill_and_rerun`] at every rename and removal of the run; returns how
/// many there were.
fn kill_at_every_point(
    w: &Path,
    extra: &[&str],
    clean: &std::collections::BTreeMap<String, Vec<u8>>,
) -> u64 {
    // Workers take the points n = k, k + WORKERS, ... and each stops at its
    // first n past the run's last rename or removal, so none is missed.
    const WORKERS: u64 = 3;
    std::thread::scope(|s| {
        let handles: Vec<_> = (1..=WORKERS)
            .map(|k| {
                let clean = &clean;
                s.spawn(move || {
                    (0..)
                        .map(|i| k + i * WORKERS)
                        .take_while(|&n| kill_and_rerun(w, n, extra, clean))
                        .count() as u64
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).sum()
    })
}

/// A plain run after one enrollment's grade level changed in the extract,
/// over a finished run, killed before each of its renames and removals in
/// turn: a plain rerun leaves what an uninterrupted run leaves, byte for
/// byte. The uploads the change does not reach are kept by both, so their
/// conformed snapshots' footers name the run that made them. (A run killed
/// after it put its new upload manifest in place, and before it recorded
/// it in stages.json, left a manifest no record named: every upload was
/// conformed again, its footer naming the rerun.)
#[test]
fn a_plain_rerun_killed_anywhere_keeps_the_uploads_it_would_have_kept() {
    let tmp = in_memory_tempdir();
    let w = tmp.path();
    generate(w, "1", "a");
    assert_eq!(run_in(w, "a", "base", &[], None).status.code(), Some(0));
    copy_dir(&w.join("a"), &w.join("b"));
    let path = w.join("b/student_enrollment.csv");
    let text = fs::read_to_string(&path).unwrap();
    let mut lines: Vec<String> = text.split('\n').map(str::to_string).collect();
    let mut fields: Vec<&str> = lines[1].split(',').collect();
    // GradeLevelCode, the ninth column.
    fields[8] = if fields[8] == "06" { "07" } else { "06" };
    lines[1] = fields.join(",");
    fs::write(&path, lines.join("\n")).unwrap();
    copy_dir(&w.join("base"), &w.join("out"));
    assert_eq!(run_in(w, "b", "out", &[], None).status.code(), Some(0));
    let actions = upload_actions(w);
    for kept in ["behavior kept", "truancy kept", "frm kept"] {
        assert!(actions.contains(&kept.to_string()), "{actions:?}");
    }
    fs::rename(w.join("out"), w.join("clean")).unwrap();
    let clean = files(&w.join("clean"));
    let killed = kill_at_every_point(w, &[], &clean);
    assert!(killed > 20, "{killed} renames and removals");
}

/// A small tmpfs, unmounted when dropped.
struct SmallDisk(std::path::PathBuf);

impl SmallDisk {
    fn mount(at: &Path, bytes: u64) -> Option<SmallDisk> {
        fs::create_dir_all(at).unwrap();
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={bytes}"), "tmpfs"])
            .arg(at)
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        ok.then(|| SmallDisk(at.to_path_buf()))
    }

    fn grow(&self, bytes: u64) {
        let s = Command::new("mount")
            .args(["-o", &format!("remount,size={bytes}")])
            .arg(&self.0)
            .status()
            .unwrap();
        assert!(s.success());
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

/// The disk fills mid-run: the error names the file, nothing half-written is
/// left, visible or hidden, and a rerun on a bigger disk completes and
/// matches an uninterrupted run. Needs root to mount a tmpfs; elsewhere it
/// says so and checks nothing.
#[test]
fn a_full_disk_names_the_file_leaves_nothing_half_written_and_a_rerun_completes() {
    let tmp = tempfile::tempdir().unwrap();
    let w = tmp.path();
    generate(w, "3", "b");
    assert_eq!(run_in(w, "b", "clean", &[], None).status.code(), Some(0));
    let clean = files(&w.join("clean"));
    let size: u64 = clean.values().map(|b| b.len() as u64).sum();
    let Some(disk) = SmallDisk::mount(&w.join("disk"), size / 2) else {
        eprintln!("skipped: cannot mount a tmpfs here (not root?)");
        return;
    };
    let o = run_in(w, "b", "disk/out", &[], None);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("No space left on device") && stderr.contains("disk/out/"),
        "names the file: {stderr}"
    );
    let left = files(&w.join("disk/out"));
    let partial: Vec<&String> = left
        .keys()
        .filter(|k| k.contains(".cutover-") || k.starts_with(".uploads."))
        .collect();
    assert!(partial.is_empty(), "left half-written: {partial:?}");
    disk.grow(size * 4);
    let again = run_in(w, "b", "disk/out", &[], None);
    assert_eq!(
        again.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    let after = files(&w.join("disk/out"));
    for (name, bytes) in &clean {
        if name != "run.json" && name != "run.html" {
            assert!(after.get(name) == Some(bytes), "{name} differs");
        }
    }
}

/// Arguments that make no sense are refused before anything is read or
/// written, word for word; `-vv` logs at debug level.
#[test]
fn arguments_that_make_no_sense_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let w = tmp.path();
    generate(w, "4", "b");
    let stderr = |o: &Output| String::from_utf8_lossy(&o.stderr).to_string();
    let o = run_in(
        w,
        "b",
        "out",
        &["--from", "publish", "--to", "ingest"],
        None,
    );
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        stderr(&o),
        "error: --from publish comes after --to ingest: nothing would run\n"
    );
    let o = run_in(w, "b", "b/out", &[], None);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        stderr(&o),
        "error: the output folder b/out is inside the bundle b: choose a folder outside it\n"
    );
    assert!(!w.join("b/out").exists());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::create_dir(w.join("ro")).unwrap();
        fs::set_permissions(w.join("ro"), fs::Permissions::from_mode(0o500)).unwrap();
        let o = run_in(w, "b", "ro", &[], None);
        assert_eq!(o.status.code(), Some(2));
        assert_eq!(
            stderr(&o),
            "error: ro: the folder is read-only; make it writable or choose another output folder\n"
        );
        let mode = fs::metadata(w.join("ro")).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o500, "its permissions are left as they were");
        assert_eq!(fs::read_dir(w.join("ro")).unwrap().count(), 0);
    }
    let o = run_in(w, "b", "out", &["-vv", "--to", "ingest"], None);
    assert_eq!(o.status.code(), Some(0));
    assert!(stderr(&o).contains("DEBUG"), "-vv logs at debug level");
}

/// Only what a stage reads makes it rerun: `publish.as_of` reruns publish
/// and the report; a comment reruns nothing; an upload file removed by hand
/// reruns publish and puts it back.
#[test]
fn a_stage_reruns_only_for_what_it_reads_or_an_output_lost() {
    let tmp = tempfile::tempdir().unwrap();
    let w = tmp.path();
    generate(w, "5", "bundle");
    copy_dir(&repo().join("crosswalks"), &w.join("crosswalks"));
    copy_dir(&repo().join("layouts"), &w.join("layouts"));
    let config = |extra: &str| {
        fs::write(
            w.join("run.toml"),
            format!("bundle = \"bundle\"\noutput = \"out\"\n{extra}"),
        )
        .unwrap();
        cutover(&["run", "--config", "run.toml", "--quiet"], w)
    };
    assert_eq!(config("").status.code(), Some(0));
    let commented = config("# a comment\n");
    assert!(decisions(&commented).iter().all(|d| !d.contains(": ran")));
    let quarantine_before = inodes(&w.join("out/quarantine"));
    let later = config("[publish]\nas_of = \"2017-06-29\"\n");
    assert_eq!(
        decisions(&later)
            .iter()
            .map(|d| d.split(' ').take(2).collect::<Vec<_>>().join(" "))
            .collect::<Vec<_>>(),
        [
            "ingest: skipped:",
            "crosswalk: skipped:",
            "identity: skipped:",
            "rekey: skipped:",
            "publish: ran",
            "report: ran"
        ]
    );
    assert_eq!(decisions(&later)[4], "publish: ran (changed: config)");
    // The report kept its quarantine files (ingest and the crosswalk stage
    // are as they were) and its numbers equal a fresh run's.
    assert_eq!(inodes(&w.join("out/quarantine")), quarantine_before);
    // The same configuration file in another folder, run afresh.
    let f = w.join("fresh");
    fs::create_dir(&f).unwrap();
    for name in ["bundle", "crosswalks", "layouts"] {
        std::os::unix::fs::symlink(w.join(name), f.join(name)).unwrap();
    }
    fs::copy(w.join("run.toml"), f.join("run.toml")).unwrap();
    let fresh = cutover(&["run", "--config", "run.toml", "--quiet"], &f);
    assert_eq!(fresh.status.code(), Some(0));
    for name in ["report.json", "report.html", "publish/upload_manifest.csv"] {
        assert!(
            fs::read(w.join("out").join(name)).unwrap()
                == fs::read(f.join("out").join(name)).unwrap(),
            "{name} differs from a fresh run"
        );
    }
    let uploads = files(&w.join("out/uploads"));
    let (first, bytes) = uploads.iter().next().unwrap();
    fs::remove_file(w.join("out/uploads").join(first)).unwrap();
    let again = config("[publish]\nas_of = \"2017-06-29\"\n");
    assert_eq!(
        decisions(&again)[4],
        format!("publish: ran (output missing: uploads/{first})")
    );
    assert_eq!(&fs::read(w.join("out/uploads").join(first)).unwrap(), bytes);
}

/// What publish did with each upload, from `run.json`: `upload conformed`
/// or `upload kept`.
fn upload_actions(w: &Path) -> Vec<String> {
    let run: serde_json::Value =
        serde_json::from_slice(&fs::read(w.join("out/run.json")).unwrap()).unwrap();
    let publish = run["timings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["stage"] == "publish")
        .expect("publish ran");
    publish["parts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            format!(
                "{} {}",
                p["name"].as_str().unwrap(),
                p["action"].as_str().unwrap()
            )
        })
        .collect()
}

#[test]
fn publish_conforms_only_the_uploads_whose_declared_inputs_changed() {
    let tmp = tempfile::tempdir().unwrap();
    let w = tmp.path();
    generate(w, "8", "bundle");
    copy_dir(&repo().join("crosswalks"), &w.join("crosswalks"));
    copy_dir(&repo().join("layouts"), &w.join("layouts"));
    let config = |dir: &Path, extra: &str| {
        fs::write(
            dir.join("run.toml"),
            format!("bundle = \"bundle\"\noutput = \"out\"\n{extra}"),
        )
        .unwrap();
        let out = cutover(&["run", "--config", "run.toml", "--quiet"], dir);
        assert_eq!(out.status.code(), Some(0));
    };
    config(w, "");
    let all = [
        "new_state_id",
        "student_enrollment",
        "student_personal",
        "frm",
        "special_ed",
        "ell",
        "cte",
        "behavior",
        "truancy",
        "attendance",
    ];
    assert_eq!(upload_actions(w), all.map(|u| format!("{u} conformed")));

    // One grade-level row: Student Enrollment reads the grade (only it
    // changed: patched), and New State ID's layout checks its (empty)
    // grade against the grade codes.
    let path = w.join("crosswalks/grade_levels.csv");
    let text = fs::read_to_string(&path).unwrap().replace(
        "KG,Kindergarten,K,Kindergarten",
        "KG,Kindergarten,KG,Kindergarten",
    );
    fs::write(&path, text).unwrap();
    assert!(cutover(&["crosswalk", "manifest"], w).status.success());
    config(w, "");
    let expected = all.map(|u| {
        let action = match u {
            "new_state_id" => "conformed",
            "student_enrollment" => "patched",
            _ => "kept",
        };
        format!("{u} {action}")
    });
    assert_eq!(upload_actions(w), expected);

    // publish.as_of moved: only the uploads with a date after it (and
    // those that read which enrollments passed): no birth date is after
    // it, some entry dates are.
    config(w, "[publish]\nas_of = \"2016-06-29\"\n");
    let actions = upload_actions(w);
    assert!(
        actions.contains(&"new_state_id kept".to_string()),
        "{actions:?}"
    );
    assert!(
        actions.contains(&"student_enrollment conformed".to_string()),
        "{actions:?}"
    );

    // The same bytes as a fresh run of the same inputs.
    let f = w.join("fresh");
    fs::create_dir(&f).unwrap();
    for name in ["bundle", "crosswalks", "layouts"] {
        std::os::unix::fs::symlink(w.join(name), f.join(name)).unwrap();
    }
    config(&f, "[publish]\nas_of = \"2016-06-29\"\n");
    let (partial, fresh) = (files(&w.join("out")), files(&f.join("out")));
    for (name, bytes) in &fresh {
        let compared = ["uploads/", "preflight/", "publish/", "report."];
        if compared.iter().any(|p| name.starts_with(p)) {
            assert!(
                partial.get(name) == Some(bytes),
                "{name} differs from a fresh run"
            );
        }
    }
    assert_eq!(
        partial.keys().filter(|n| n.starts_with("uploads/")).count(),
        fresh.keys().filter(|n| n.starts_with("uploads/")).count()
    );
}

/// `cutover validate` refuses every problem `run` refuses at start-up, with
/// the same words: the configuration, a table edited without its manifest,
/// a nickname row, a layout.
#[test]
fn validate_refuses_what_run_refuses_at_start_up() {
    let tmp = tempfile::tempdir().unwrap();
    let w = tmp.path();
    generate(w, "6", "bundle");
    let breaks: [(&str, &str, &str, &str); 5] = [
        (
            "crosswalks/grade_levels.csv",
            "KG,Kindergarten,K,",
            "KG,Kindergarten,KG,",
            "crosswalks/manifest.csv: line 6: column sha256: grade_levels.csv has checksum {edited}, the manifest says {listed} (edited? record the new checksum: `make manifest`, or `cutover crosswalk manifest --crosswalks crosswalks`)",
        ),
        (
            "crosswalks/nicknames.csv",
            "Abigail,Abby",
            "Abigail,",
            "crosswalks/manifest.csv: line 3: column sha256: nicknames.csv has checksum {edited}, the manifest says {listed} (edited? record the new checksum: `make manifest`, or `cutover crosswalk manifest --crosswalks crosswalks`)\ncrosswalks/nicknames.csv: line {line}: column nickname: a value is required",
        ),
        (
            "layouts/frm.csv",
            "SchoolID,SchoolID,id,Y",
            "SchoolID,SchoolCode,id,Y",
            "layouts/manifest.csv: line 5: column sha256: frm.csv has checksum {edited}, the manifest says {listed} (edited? record the new checksum: `make manifest`, or `cutover layouts manifest --layouts layouts`)\nlayouts/frm.csv: line 3: column source: \"SchoolCode\" is not a field of the FRM (economic status) upload (SAUID, SchoolID, StateStudentID, SchoolYear, EconomicStatus, EligibilityStartDate)",
        ),
        (
            "layouts/frm.csv",
            "code:economic_status,",
            "code:economic_statuses,",
            "layouts/manifest.csv: line 5: column sha256: frm.csv has checksum {edited}, the manifest says {listed} (edited? record the new checksum: `make manifest`, or `cutover layouts manifest --layouts layouts`)\nlayouts/frm.csv: line 6: column format: economic_statuses is not a crosswalk code table",
        ),
        (
            "run.toml",
            "output = \"out\"\n",
            "output = \"out\"\n[publish]\nas_of = \"someday\"\n",
            "run.toml: publish.as_of: expected a date as YYYY-MM-DD, found someday",
        ),
    ];
    for (file, from, to, message) in breaks {
        fs::write(
            w.join("run.toml"),
            "bundle = \"bundle\"\noutput = \"out\"\n",
        )
        .unwrap();
        copy_dir(&repo().join("crosswalks"), &w.join("crosswalks"));
        copy_dir(&repo().join("layouts"), &w.join("layouts"));
        let text = fs::read_to_string(w.join(file)).unwrap();
        assert!(text.contains(from), "{file}");
        let listed = sha256_hex(text.as_bytes());
        let edited_text = text.replacen(from, to, 1);
        fs::write(w.join(file), &edited_text).unwrap();
        let line = text
            .lines()
            .position(|l| l.contains(from.trim_end()))
            .unwrap()
            + 1;
        let message = message
            .replace("{line}", &line.to_string())
            .replace("{edited}", &sha256_hex(edited_text.as_bytes()))
            .replace("{listed}", &listed);
        let validate = cutover(&["validate", "--config", "run.toml"], w);
        assert_eq!(validate.status.code(), Some(2), "{file}");
        let said = String::from_utf8_lossy(&validate.stderr).to_string();
        let run = cutover(&["run", "--config", "run.toml", "--quiet"], w);
        assert_eq!(run.status.code(), Some(2), "{file}");
        // (A configuration problem is said before anything is loaded.)
        let prefix = if file == "run.toml" { "" } else { "error: " };
        assert_eq!(
            String::from_utf8_lossy(&run.stderr),
            format!("{prefix}{said}"),
            "{file}"
        );
        assert_eq!(said.trim_end(), message, "{file}");
    }
}

#[test]
fn validate_and_run_refuse_a_missing_layout_word_for_word() {
    let tmp = tempfile::tempdir().unwrap();
    let w = tmp.path();
    generate(w, "6", "bundle");
    fs::write(
        w.join("run.toml"),
        "bundle = \"bundle\"\noutput = \"out\"\n",
    )
    .unwrap();
    copy_dir(&repo().join("crosswalks"), &w.join("crosswalks"));
    copy_dir(&repo().join("layouts"), &w.join("layouts"));
    fs::remove_file(w.join("layouts/frm.csv")).unwrap();
    let message =
        "layouts/frm.csv: missing: every upload needs its layout (FRM (economic status))\n";
    let validate = cutover(&["validate", "--config", "run.toml"], w);
    assert_eq!(validate.status.code(), Some(2));
    assert_eq!(String::from_utf8_lossy(&validate.stderr), message);
    let run = cutover(&["run", "--config", "run.toml", "--quiet"], w);
    assert_eq!(run.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&run.stderr),
        format!("error: {message}")
    );
    assert!(!w.join("out").exists(), "run wrote an output folder");
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
