//! `cutover crosswalk check` on a copy of the shipped tables with planted
//! errors: every problem reported at once, word for word.

use crate::common::{copy_dir, repo};

use std::fs;
use std::path::Path;
use std::process::Command;

fn check(dir: &Path) -> (i32, String, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_cutover"))
        .args(["crosswalk", "check", "--crosswalks"])
        .arg(dir)
        .output()
        .unwrap();
    (
        o.status.code().unwrap(),
        String::from_utf8_lossy(&o.stdout).to_string(),
        String::from_utf8_lossy(&o.stderr).to_string(),
    )
}

fn edit(path: &Path, from: &str, to: &str) {
    let text = fs::read_to_string(path).unwrap();
    assert!(text.contains(from), "{from} not in {}", path.display());
    fs::write(path, text.replacen(from, to, 1)).unwrap();
}

#[test]
fn the_shipped_tables_pass() {
    let tmp = tempfile::tempdir().unwrap();
    copy_dir(&repo().join("crosswalks"), tmp.path());
    let (code, out, err) = check(tmp.path());
    assert_eq!((code, err.as_str()), (0, ""));
    assert_eq!(
        out,
        format!(
            "{}: 19 tables valid, manifest checksums match\n",
            tmp.path().display()
        )
    );
}

#[test]
fn planted_errors_are_each_reported_with_file_row_and_column() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    copy_dir(&repo().join("crosswalks"), d);
    // A duplicate key: grade 03 twice, for every year.
    edit(
        &d.join("grade_levels.csv"),
        "04,Grade 4,4,Grade 4,,,lossless,",
        "03,Grade 3,3,Grade 3,,,lossless,duplicate\n04,Grade 4,4,Grade 4,,,lossless,",
    );
    // Overlapping years: exceptionality 01 relabelled from 2010, not 2011.
    edit(
        &d.join("exceptionality.csv"),
        "01,Intellectual Disability,01,Intellectual Disability,2011,",
        "01,Intellectual Disability,01,Intellectual Disability,2010,",
    );
    // A blank target.
    edit(
        &d.join("economic_status.csv"),
        "R,Reduced,Reduced,",
        "R,Reduced,,",
    );
    // A flag that is not Y or N.
    edit(&d.join("exit_codes.csv"), "\",N,N,Y", "\",N,N,yes");
    // Edited without updating the manifest: weapons.csv changes checksum.
    edit(&d.join("weapons.csv"), "Knife,Knife", "Knife,Blade");
    let (code, out, err) = check(d);
    let f = |name: &str| d.join(name).display().to_string();
    let sum = |name: &str| {
        use sha2::Digest;
        let bytes = fs::read(d.join(name)).unwrap();
        sha2::Sha256::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    };
    let manifest = fs::read_to_string(d.join("manifest.csv")).unwrap();
    let listed = |name: &str| {
        manifest
            .lines()
            .find(|l| l.starts_with(&format!("{name},")))
            .unwrap()
            .split(',')
            .nth(3)
            .unwrap()
            .to_string()
    };
    let line_of = |name: &str| {
        manifest
            .lines()
            .position(|l| l.starts_with(&format!("{name},")))
            .unwrap()
            + 1
    };
    let mut expected = Vec::new();
    for table in [
        "grade_levels",
        "exit_codes",
        "economic_status",
        "exceptionality",
        "weapons",
    ] {
        let file = format!("{table}.csv");
        expected.push((
            line_of(table),
            format!(
                "{}: line {}: column sha256: {file} has checksum {}, the manifest says {} (edited? record the new checksum: `make manifest`, or `cutover crosswalk manifest --crosswalks {}`)",
                f("manifest.csv"),
                line_of(table),
                sum(&file),
                listed(table),
                d.display()
            ),
        ));
    }
    expected.sort();
    let mut want: Vec<String> = expected.into_iter().map(|(_, m)| m).collect();
    want.extend([
        format!(
            "{}: line 3: column new_code: a value is required",
            f("economic_status.csv")
        ),
        format!(
            "{}: line 3: key 01 overlaps the school years of line 2",
            f("exceptionality.csv")
        ),
        format!(
            "{}: line 14: column graduate: expected Y or N, found \"yes\"",
            f("exit_codes.csv")
        ),
        format!(
            "{}: line 8: key 03 overlaps the school years of line 7",
            f("grade_levels.csv")
        ),
    ]);
    let mut got: Vec<&str> = err.lines().collect();
    // Table problems come in table order; compare as sets of lines, and the
    // count, so the order of tables in the code may change freely.
    got.sort();
    want.sort();
    assert_eq!(got, want.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!((code, out.as_str()), (2, ""));
}
