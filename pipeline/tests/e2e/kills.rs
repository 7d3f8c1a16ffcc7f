//! Commands other than `run` killed at each of their renames and removals
//! (`CUTOVER_FAULT_AT`): nothing half-written is taken for whole, and the
//! command run again leaves exactly what an uninterrupted one leaves.

use crate::common::{cutover, files, in_memory_tempdir, repo};

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output};

/// `cutover generate` of 40 students (seed `seed`) into `out`, killed at
/// its `fault_at`th rename or removal when given.
fn generate(w: &Path, seed: &str, out: &str, fault_at: Option<u64>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_cutover"));
    cmd.args([
        "generate",
        "--students",
        "40",
        "--first-year",
        "2016",
        "--last-year",
        "2017",
        "--seed",
        seed,
        "--out",
        out,
    ])
    .current_dir(w);
    if let Some(n) = fault_at {
        cmd.env("CUTOVER_FAULT_AT", n.to_string());
    }
    cmd.output().unwrap()
}

/// The bundle `out` and its ground truth `out-truth`, by path.
fn generated(w: &Path, out: &str) -> BTreeMap<String, Vec<u8>> {
    let mut all = BTreeMap::new();
    for dir in [out.to_string(), format!("{out}-truth")] {
        for (name, bytes) in files(&w.join(&dir)) {
            all.insert(format!("{dir}/{name}"), bytes);
        }
    }
    all
}

/// A generation killed over an earlier one (another seed) at each of its
/// renames and removals: killed before its first, the earlier bundle is
/// whole and runs; after, up to its bundle's mark removed, the bundle is marked and `run` refuses it word
/// for word (on the starting binary it ran a bundle of 2 of its 8 files,
/// exit 0, `every row accounted for`); generated again, the folders hold
/// exactly an uninterrupted generation's files (the starting binary left
/// the killed one's temporary file in the bundle).
#[test]
fn a_killed_generate_is_refused_by_run_and_generated_again_is_whole() {
    let dir = in_memory_tempdir();
    let w = dir.path();
    assert!(generate(w, "8", "earlier", None).status.success());
    assert!(generate(w, "7", "clean", None).status.success());
    let earlier = generated(w, "earlier");
    let clean = generated(w, "clean");
    let renamed = |all: &BTreeMap<String, Vec<u8>>, from: &str, to: &str| {
        all.iter()
            .map(|(k, v)| (k.replacen(from, to, 1), v.clone()))
            .collect::<BTreeMap<_, _>>()
    };
    let cw = repo().join("crosswalks").display().to_string();
    let mut killed = 0;
    for n in 1.. {
        let out = format!("k{n}");
        crate::common::copy_dir(&w.join("earlier"), &w.join(&out));
        crate::common::copy_dir(&w.join("earlier-truth"), &w.join(format!("{out}-truth")));
        let o = generate(w, "7", &out, Some(n));
        if o.status.success() {
            break;
        }
        assert_eq!(o.status.code(), None, "killed at {n}: ended by a signal");
        killed += 1;
        let run = cutover(
            &[
                "run",
                &out,
                "--out",
                &format!("{out}.o"),
                "--crosswalks",
                &cw,
                "--quiet",
            ],
            w,
        );
        if n == 1 {
            let left: BTreeMap<_, _> = generated(w, &out)
                .into_iter()
                .filter(|(k, _)| !k.contains("/.cutover-"))
                .collect();
            assert_eq!(left, renamed(&earlier, "earlier", &out), "killed at 1");
            assert_eq!(run.status.code(), Some(0), "killed at 1");
        } else if n == 18 {
            // Before the ground truth's mark is removed: the bundle is whole.
            assert_eq!(run.status.code(), Some(0), "killed at 18");
        } else {
            assert_eq!(run.status.code(), Some(2), "killed at {n}");
            assert_eq!(
                String::from_utf8_lossy(&run.stderr),
                format!(
                    "<defaults>: bundle: {out} holds .cutover-generating: `cutover generate` was \
                     stopped before its last file, so some files are missing or an earlier \
                     generation's: generate it again\n"
                ),
                "killed at {n}"
            );
        }
        assert!(generate(w, "7", &out, None).status.success());
        assert_eq!(
            generated(w, &out),
            renamed(&clean, "clean", &out),
            "killed at {n}, generated again"
        );
    }
    assert_eq!(killed, 18, "two marks, 8 + 6 files, the marks removed");
}

/// A finished run of the scenario `uploads_every_kind` in `w/out` (school
/// years 2016 and 2017, every file of both SIF exports different).
fn finished_run(w: &Path) {
    let scenario = repo().join("tests/scenarios/uploads_every_kind");
    crate::common::copy_dir(&scenario.join("input"), &w.join("input"));
    std::fs::copy(scenario.join("config.toml"), w.join("config.toml")).unwrap();
    crate::common::copy_dir(&repo().join("crosswalks"), &w.join("crosswalks"));
    crate::common::copy_dir(&repo().join("layouts"), &w.join("layouts"));
    crate::common::assert_ok(&cutover(&["run", "--config", "config.toml", "--quiet"], w));
}

/// `cutover sif` of the run `out`, school year `year`, into `to`, killed at
/// its `fault_at`th rename or removal when given.
fn sif(w: &Path, year: &str, to: &str, fault_at: Option<u64>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_cutover"));
    cmd.args(["sif", "--out", "out", "--year", year, "--to", to])
        .current_dir(w);
    if let Some(n) = fault_at {
        cmd.env("CUTOVER_FAULT_AT", n.to_string());
    }
    cmd.output().unwrap()
}

/// Every name in `w` (not below it): what a killed export leaves beside
/// its folder.
fn names_in(w: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(w)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// A 2016 export over a 2017 one killed at each of its renames and
/// removals: the folder holds the 2017 export whole or the 2016 export
/// whole: never the two years' files mixed (the twenty-second session's
/// binary, killed between its four renames, left 1 to 3 of the 2016 files
/// among the 2017 ones), nor no folder (the twenty-third's, killed between
/// its two moves, left none: the two are now swapped in one rename);
/// exported again, the folder holds exactly an uninterrupted export and
/// nothing is left beside it.
#[test]
fn a_killed_sif_export_never_leaves_two_years_mixed() {
    let dir = in_memory_tempdir();
    let w = dir.path();
    finished_run(w);
    crate::common::assert_ok(&sif(w, "2017", "y2017", None));
    crate::common::assert_ok(&sif(w, "2016", "y2016", None));
    let (y2017, y2016) = (files(&w.join("y2017")), files(&w.join("y2016")));
    let names = names_in(w);
    let mut seen = Vec::new();
    for n in 1.. {
        let to = format!("k{n}");
        crate::common::copy_dir(&w.join("y2017"), &w.join(&to));
        let o = sif(w, "2016", &to, Some(n));
        if o.status.success() {
            break;
        }
        assert_eq!(o.status.code(), None, "killed at {n}: ended by a signal");
        assert!(w.join(&to).is_dir(), "killed at {n}: the folder is missing");
        let left = if files(&w.join(&to)) == y2017 {
            "2017"
        } else {
            let mix = files(&w.join(&to))
                .into_iter()
                .map(|(name, bytes)| {
                    let year = if y2016.get(&name) == Some(&bytes) {
                        "2016"
                    } else {
                        "other"
                    };
                    (name, year)
                })
                .collect::<BTreeMap<_, _>>();
            assert!(mix.values().all(|y| *y == "2016"), "killed at {n}: {mix:?}");
            assert_eq!(mix.len(), 4, "killed at {n}: {mix:?}");
            "2016"
        };
        seen.push(left);
        crate::common::assert_ok(&sif(w, "2016", &to, None));
        assert_eq!(files(&w.join(&to)), y2016, "killed at {n}, exported again");
        let mut expected = names.clone();
        expected.extend((1..=n).map(|k| format!("k{k}")));
        expected.sort();
        assert_eq!(names_in(w), expected, "killed at {n}: nothing beside");
    }
    // Four files into the new folder, the two folders swapped, the
    // earlier removed.
    assert_eq!(seen, ["2017", "2017", "2017", "2017", "2017", "2016"]);
}

/// `--to` holding a file no export writes is refused, word for word, and
/// left as it was (the export replaces its folder whole).
#[test]
fn sif_refuses_a_folder_holding_other_files() {
    let dir = in_memory_tempdir();
    let w = dir.path();
    finished_run(w);
    std::fs::create_dir(w.join("mine")).unwrap();
    std::fs::write(w.join("mine/notes.txt"), "mine").unwrap();
    let o = sif(w, "2017", "mine", None);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&o.stderr),
        format!(
            "error: {}: holds a file that no export writes (notes.txt): the export replaces its \
             folder whole, so it is written only to a new folder or an earlier export's; give \
             --to a folder of its own\n",
            w.join("mine").canonicalize().unwrap().display()
        )
    );
    assert_eq!(files(&w.join("mine")).len(), 1);
    assert_eq!(names_in(&w.join("mine")), ["notes.txt"]);
}

/// `args` run in `w`, killed at its `fault_at`th rename or removal when
/// given.
fn killed_at(w: &Path, args: &[&str], fault_at: Option<u64>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_cutover"));
    cmd.args(args).current_dir(w);
    if let Some(n) = fault_at {
        cmd.env("CUTOVER_FAULT_AT", n.to_string());
    }
    cmd.output().unwrap()
}

/// `diff --html` killed over an earlier page: the page is the earlier one
/// whole, and run again the folder holds the page alone (the starting
/// binary left the killed one's temporary file beside it).
#[test]
fn a_killed_diff_html_leaves_no_temporary_beside_the_page() {
    let dir = in_memory_tempdir();
    let w = dir.path();
    finished_run(w);
    std::fs::create_dir(w.join("r")).unwrap();
    std::fs::write(w.join("r/d.html"), "earlier").unwrap();
    let args = ["diff", "out", "out", "--html", "r/d.html"];
    let o = killed_at(w, &args, Some(1));
    assert_eq!(o.status.code(), None, "ended by a signal");
    assert_eq!(std::fs::read(w.join("r/d.html")).unwrap(), b"earlier");
    crate::common::assert_ok(&killed_at(w, &args, None));
    assert_eq!(names_in(&w.join("r")), ["d.html"]);
    assert!(std::fs::read_to_string(w.join("r/d.html"))
        .unwrap()
        .starts_with("<!DOCTYPE html>"));
}

/// `bench-floor parquet` and `upload-csv` killed at each of their renames:
/// the folder holds whole files only (each an uninterrupted floor's) and
/// the killed one's temporary; run again, exactly an uninterrupted floor's
/// files (the starting binary wrote each file in place: no rename to kill
/// it at, a half-written file on a kill).
#[test]
fn a_killed_bench_floor_leaves_whole_files_only() {
    let dir = in_memory_tempdir();
    let w = dir.path();
    finished_run(w);
    for (floor, input, points) in [("parquet", "input", 7), ("upload-csv", "out/uploads", 10)] {
        let clean = format!("{floor}-clean");
        crate::common::assert_ok(&killed_at(w, &["bench-floor", floor, input, &clean], None));
        let clean = files(&w.join(clean));
        let mut killed = 0;
        for n in 1.. {
            let to = format!("{floor}-k{n}");
            let args = ["bench-floor", floor, input, &to];
            let o = killed_at(w, &args, Some(n));
            if o.status.success() {
                break;
            }
            assert_eq!(o.status.code(), None, "{floor} killed at {n}: by a signal");
            killed += 1;
            for (name, bytes) in files(&w.join(&to)) {
                if !name.starts_with(".cutover-") {
                    assert_eq!(Some(&bytes), clean.get(&name), "{floor} killed at {n}");
                }
            }
            crate::common::assert_ok(&killed_at(w, &args, None));
            assert_eq!(files(&w.join(&to)), clean, "{floor} killed at {n}, again");
        }
        assert_eq!(killed, points, "{floor}: one rename a file");
    }
}
