//! Free text in a code column (a surname, a birth date, a long note typed
//! there, or a row whose fields shifted at a stray comma) reaches no report
//! or log: the control totals, the crosswalk coverage, the fix lists and
//! the logs show a value only when it is a code of the column's table or a
//! well-formed value of its type, and count the rest in one group.

use crate::common::{copy_dir, cutover, recorded_files, repo};
use std::fs;
use std::path::Path;

const SURNAME: &str = "Pelkey";
const BIRTH: &str = "2009-04-17";
/// A birth date short enough (7 characters) to pass ingest as a CIP code.
const SHORT_BIRTH: &str = "4/17/09";
const NOTE_START: &str = "Counselor note about the family";

/// A long free-text value (about 300 KB), no comma or quote.
fn long_note() -> String {
    format!("{NOTE_START} {}", "blah ".repeat(60_000))
}

/// Appends `lines` to a bundle file.
fn append(path: &Path, lines: &[String]) {
    let mut bytes = fs::read(path).unwrap();
    for l in lines {
        bytes.extend_from_slice(l.as_bytes());
        bytes.push(b'\n');
    }
    fs::write(path, bytes).unwrap();
}

/// An enrollment row of student 100000001 with `set` fields replaced
/// (by index).
fn enrollment(id: u32, set: &[(usize, &str)]) -> Vec<String> {
    let base = "0,343,100000001,A1,1244,001,P,2016,07,2015-08-31,02,2016-06-10,,F,R,01,,,,N,N,N,N,N,N,N,N,N,N,,N,,,,,,,";
    let mut fields: Vec<String> = base.split(',').map(str::to_string).collect();
    fields[0] = id.to_string();
    for (i, v) in set {
        fields[*i] = v.to_string();
    }
    fields
}

/// The hand-written bundle of `tests/scenarios/uploads_every_kind` with
/// rows planted: each grouped code column holding a surname, a birth date
/// and a long note; a row shifted by a stray comma; and real but invalid
/// values the data team must see (a grade whose leading zero was lost, an
/// English proficiency code no table has, a MEDMS id no table has, a year
/// outside the run's).
fn planted(w: &Path) {
    let scenario = repo().join("tests/scenarios/uploads_every_kind");
    copy_dir(&scenario.join("input"), &w.join("input"));
    fs::copy(scenario.join("config.toml"), w.join("config.toml")).unwrap();
    copy_dir(&repo().join("crosswalks"), &w.join("crosswalks"));
    copy_dir(&repo().join("layouts"), &w.join("layouts"));
    let note = long_note();
    let values = [SURNAME, BIRTH, note.as_str()];
    // YearCode, ResidentSAU_ID, GradeLevelCode, EnglishProficiency,
    // SchoolLunchElig, ExitTypeCode; Exceptionality with SpecialEdFlag Y.
    let mut rows = Vec::new();
    let mut id = 990000;
    for v in values {
        for column in [7, 4, 8, 15, 13, 12] {
            id += 1;
            rows.push(enrollment(id, &[(column, v)]).join(","));
        }
        id += 1;
        let sped = [(30, "Y"), (31, "2015-09-01"), (33, v)];
        rows.push(enrollment(id, &sped).join(","));
    }
    // A stray comma after SchoolStudentID ("A1, Pelkey"), the empty last
    // field lost: every later value one column to the right.
    let mut shifted = enrollment(990100, &[(3, "A1")]);
    shifted.insert(4, format!(" {SURNAME}"));
    shifted.pop();
    rows.push(shifted.join(","));
    for (i, (column, v)) in [(8, "3"), (15, "06"), (4, "9999"), (7, "1999")]
        .into_iter()
        .enumerate()
    {
        rows.push(enrollment(990200 + i as u32, &[(column, v)]).join(","));
    }
    append(&w.join("input/student_enrollment.csv"), &rows);
    let mut behavior = Vec::new();
    for (i, v) in values.iter().enumerate() {
        behavior.push(format!(
            "{},825,{v},100000004,72,2016-12-01,13:40,,N,O,02,2016-12-02,,3",
            7100000 + i
        ));
        behavior.push(format!(
            "{},825,2017,100000004,{v},2016-12-01,13:40,,N,O,02,2016-12-02,,3",
            7200000 + i
        ));
    }
    append(&w.join("input/behavior.csv"), &behavior);
    let truancy: Vec<String> = values
        .iter()
        .enumerate()
        .map(|(i, v)| format!("{},100000004,825,2017,{v},2016-10-12", 8100000 + i))
        .collect();
    append(&w.join("input/truancy.csv"), &truancy);
    // A surname and a short birth date pass ingest as CIP codes (text of
    // seven characters at most): quarantined by the crosswalk.
    let cte: Vec<String> = [SURNAME, SHORT_BIRTH, note.as_str()]
        .iter()
        .map(|v| format!("100000004,1389,2017,{v},2016-08-31,,,N"))
        .collect();
    append(&w.join("input/cte.csv"), &cte);
    let graduation: Vec<String> = values
        .iter()
        .map(|v| format!("100000004,2013-09-03,{v},2017"))
        .collect();
    append(&w.join("input/graduation.csv"), &graduation);
}

#[test]
fn free_text_in_a_code_column_reaches_no_report_or_log() {
    let tmp = tempfile::tempdir().unwrap();
    let w = tmp.path();
    planted(w);
    let o = cutover(&["-vv", "run", "--config", "config.toml"], w);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let mut files = recorded_files(&w.join("out"));
    files.push(("stdout".into(), String::from_utf8_lossy(&o.stdout).into()));
    files.push(("stderr".into(), String::from_utf8_lossy(&o.stderr).into()));
    for want in [
        "report.json",
        "report.html",
        "run.json",
        "stages.json",
        "crosswalk/coverage.json",
        "fixlists/summary.json",
        "fixlists/index.html",
    ] {
        assert!(files.iter().any(|(f, _)| f == want), "{want} not written");
    }
    let mut leaks = Vec::new();
    for (file, text) in &files {
        for planted in [SURNAME, BIRTH, SHORT_BIRTH, NOTE_START, "blah blah"] {
            if text.contains(planted) {
                leaks.push(format!("{file} holds {planted:?}"));
            }
        }
    }
    assert!(leaks.is_empty(), "{}", leaks.join("\n"));
    let report: serde_json::Value =
        serde_json::from_slice(&fs::read(w.join("out/report.json")).unwrap()).unwrap();
    // The note (300 KB) is one group's count now.
    assert!(fs::metadata(w.join("out/report.json")).unwrap().len() < 100_000);
    let totals = report["control_totals"].as_array().unwrap();
    let groups = |name: &str| -> Vec<(String, u64, u64, u64)> {
        let t = totals.iter().find(|t| t["name"] == name).unwrap();
        t["groups"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| {
                let n = |k: &str| g[k].as_u64().unwrap();
                (
                    g["group"].as_str().unwrap().to_string(),
                    n("before"),
                    n("after"),
                    n("rejected"),
                )
            })
            .collect()
    };
    let g = |group: &str, before, after| (group.to_string(), before, after, before - after);
    // The surname, the birth date, the note and the shifted row's "P" are
    // four values no year; a year outside the run's stays visible.
    assert_eq!(
        groups("enrollments by school year"),
        vec![
            g("(not a year: 4 values)", 4, 0),
            g("1999", 1, 0),
            g("2016", 27, 5),
            g("2017", 7, 7)
        ]
    );
    // The shifted row's " Pelkey" is read as "Pelkey": three values.
    assert_eq!(
        groups("enrollments by resident SAU (MEDMS id)"),
        vec![
            g("(not a MEDMS id: 3 values)", 4, 0),
            g("1244", 34, 12),
            g("9999", 1, 0)
        ]
    );
    let grades = groups("enrollments by grade");
    assert!(
        grades.contains(&g("(not a code: 4 values)", 4, 0)),
        "{grades:?}"
    );
    assert!(
        grades.contains(&g("3", 1, 0)),
        "a leading zero lost: {grades:?}"
    );
    let english = groups("English proficiency");
    assert!(
        english.contains(&g("06", 1, 0)),
        "no table's code: {english:?}"
    );
    // The shifted row's "R" (its FiscalResponsibility) is code-like: shown.
    assert!(english.contains(&g("R", 1, 0)), "{english:?}");
    assert!(
        english.contains(&g("(not a code: 3 values)", 3, 0)),
        "{english:?}"
    );
    let cip = groups("CTE programs by CIP code");
    assert!(
        cip.contains(&g("99.9999", 1, 0)) && cip.contains(&g("(not a CIP code: 3 values)", 3, 0))
    );
    for (name, group) in [
        (
            "behavior incidents by school year (distinct IncidentID)",
            "(not a year: 3 values)",
        ),
        ("behavior rows by event code", "(not a code: 3 values)"),
        ("truancy steps by level", "(not a code: 3 values)"),
        (
            "graduation cohorts (NGA cohort end year)",
            "(not a year: 3 values)",
        ),
        ("special education by disability", "(not a code: 3 values)"),
        ("economic status (school lunch)", "(not a code: 3 values)"),
    ] {
        assert!(
            groups(name).contains(&g(group, 3, 0)),
            "{name}: {:?}",
            groups(name)
        );
    }
    // Every total still adds up to the rows read.
    let read = report["ledger"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["stage"] == "read" && l["entity"] == "student_enrollment")
        .unwrap()["rows_out"]
        .as_u64()
        .unwrap();
    for name in [
        "enrollments by school year",
        "enrollments by resident SAU (MEDMS id)",
        "enrollments by grade",
        "English proficiency",
        "economic status (school lunch)",
    ] {
        let sum: u64 = groups(name).iter().map(|g| g.1).sum();
        assert_eq!(sum, read, "{name}");
    }
    let html = fs::read_to_string(w.join("out/report.html")).unwrap();
    for shown in [
        "(not a year: 4 values)",
        "(not a CIP code: 3 values)",
        "<td class=\"n\">9999</td>",
        "<td>99.9999</td>",
    ] {
        assert!(html.contains(shown), "report.html lacks {shown}");
    }
    assert!(html.contains(
        "any other value (a name or a date in a shifted row, typed text) is counted in one group"
    ));
    // The crosswalk's coverage: the CIP codes that passed ingest as text.
    let coverage = fs::read_to_string(w.join("out/crosswalk/coverage.json")).unwrap();
    assert!(coverage.contains("\"value\": \"(not a CIP code: 2 values)\""));
    assert!(coverage.contains("\"value\": \"99.9999\""));
    // The fix list names the row and its rule, not the value.
    let fixlist = fs::read_to_string(w.join("out/fixlists/2544.csv")).unwrap();
    assert!(fixlist.contains("cte.csv,6,100000004,1389,2017,crosswalk,CIPCode,unmapped_code,CIPCode: no row of cip_codes.csv (domain cip_codes) maps code (not a CIP code) in school year 2017,"));
    assert!(fixlist.contains("cte.csv,4,100000004,1389,2017,crosswalk,CIPCode,unmapped_code,CIPCode: no row of cip_codes.csv (domain cip_codes) maps code 99.9999 in school year 2017,"));
    assert!(fixlist.contains("student_enrollment.csv,15,100000001,343,(not a year),ingest,YearCode,invalid_year,YearCode: expected a four-digit year,"));
    // The rows are quarantined with their values: the data team finds
    // them there.
    let quarantine = fs::read_to_string(w.join("out/quarantine/student_enrollment.csv")).unwrap();
    assert!(quarantine.contains(SURNAME) && quarantine.contains(BIRTH));
}
