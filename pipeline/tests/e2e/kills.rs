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
