//! What a data team does to files between the tool's runs, by hand: opens
//! them in Excel, edits them, saves them. Each message is checked word for
//! word.

use crate::common::{assert_ok, copy_dir, cutover, repo};
use std::fs;
use std::path::Path;

/// The hand-written bundle of `tests/scenarios/uploads_every_kind` in `w`,
/// with student 100000002's ID made 012345678 in every file.
fn fixture_with_a_leading_zero(w: &Path) {
    let scenario = repo().join("tests/scenarios/uploads_every_kind");
    copy_dir(&scenario.join("input"), &w.join("input"));
    for entry in fs::read_dir(w.join("input")).unwrap() {
        let path = entry.unwrap().path();
        let bytes = fs::read(&path).unwrap();
        fs::write(&path, replace(&bytes, b"100000002", b"012345678")).unwrap();
    }
    fs::copy(scenario.join("config.toml"), w.join("config.toml")).unwrap();
    copy_dir(&repo().join("crosswalks"), &w.join("crosswalks"));
    copy_dir(&repo().join("layouts"), &w.join("layouts"));
}

/// `bytes` with every `from` replaced by `to` (the files may be
/// Windows-1252: not text to Rust).
fn replace(bytes: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i..].starts_with(from) {
            out.extend_from_slice(to);
            i += from.len();
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    out
}

#[test]
fn a_decision_on_an_id_whose_leading_zero_excel_dropped_says_so() {
    // The reviewer copied the IDs from the queue opened in Excel: the
    // decision named "no student" and blamed a typo.
    let tmp = tempfile::tempdir().unwrap();
    let w = tmp.path();
    fixture_with_a_leading_zero(w);
    let run = || cutover(&["run", "--config", "config.toml", "--quiet"], w);
    let o = run();
    assert_ok(&o);
    fs::write(
        w.join("out/review/decisions.csv"),
        "id_a,id_b,decision,reviewer,date,note\r\n100000004,12345678,merge,rk,07/02/2017,\r\n",
    )
    .unwrap();
    let o = run();
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&o.stderr),
        "error: out/review/decisions.csv: line 2: no student has the key 12345678 in this run, \
         but 012345678 is a student's: leading zeros lost, as when the file is opened and saved \
         in Excel? Write both IDs with their nine digits (an ID is never padded here: a digit \
         may be missing instead)\n"
    );
    // With its nine digits, taken.
    fs::write(
        w.join("out/review/decisions.csv"),
        "id_a,id_b,decision,reviewer,date,note\r\n100000004,012345678,merge,rk,07/02/2017,\r\n",
    )
    .unwrap();
    let o = run();
    assert_ok(&o);
}

#[test]
fn files_saved_with_crlf_line_ends_name_the_line_a_person_sees() {
    // The csv reader's own line numbers count a CRLF's LF late: every
    // record of a file saved by Excel or a Windows tool was named a line
    // early (a result log under its title line two early).
    let tmp = tempfile::tempdir().unwrap();
    let w = tmp.path();
    fixture_with_a_leading_zero(w);
    let o = cutover(&["run", "--config", "config.toml", "--quiet"], w);
    assert_ok(&o);
    fs::create_dir_all(w.join("logs")).unwrap();
    fs::write(
        w.join("logs/cte.csv"),
        "CTE Import Error Log\r\n\
         Row Number,SAU ID,School ID,State Student Number,Error\r\n\
         1,2544,2854,100000004,Unable to resolve CTE Code \"43\"\r\n\
         one,2544,2854,100000004,Unable to resolve CTE Code \"43\"\r\n",
    )
    .unwrap();
    let o = cutover(&["results", "logs/cte.csv", "--out", "out"], w);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&o.stderr),
        "error: logs/cte.csv: line 4: Row Number: expected a number, found \"one\"\n"
    );
    fs::write(
        w.join("issued.csv"),
        "StateStudentID,LastName,FirstName,BirthDate,Gender\r\n\r\n10000009,O'Brien,Ava,11/30/2010,F\r\n",
    )
    .unwrap();
    let o = cutover(&["ids", "assign", "issued.csv", "--out", "out"], w);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&o.stderr),
        "error: issued.csv: line 3: StateStudentID: expected 9 digits, found \"10000009\" (8 \
         digits: leading zeros lost, as when the file is opened and saved in Excel? Take the \
         helpdesk's file again)\n"
    );
}

#[test]
fn a_name_with_a_typographic_apostrophe_is_sent_as_is_and_compared_normalised() {
    // O’Brien (Windows-1252 0x92, as Word types it) in ICSE: the New State
    // ID upload sends the name as the identity has it, and the helpdesk's
    // O'BRIEN is tied to her (it tied to no one: names were compared
    // trimmed and upper case only).
    let tmp = tempfile::tempdir().unwrap();
    let w = tmp.path();
    fixture_with_a_leading_zero(w);
    let personal = w.join("input/student_personal.csv");
    let bytes = fs::read(&personal).unwrap();
    fs::write(&personal, replace(&bytes, b"O'Brien", b"O\x92Brien")).unwrap();
    let o = cutover(&["run", "--config", "config.toml", "--quiet"], w);
    assert_ok(&o);
    let upload = fs::read_to_string(w.join("out/uploads/2016-17/2544/new_state_id.csv")).unwrap();
    assert!(upload.contains(",O\u{2019}Brien,Ava,"), "{upload}");
    fs::write(
        w.join("issued.csv"),
        "StateStudentID,LastName,FirstName,BirthDate,Gender\r\n100000099,O'BRIEN,Ava ,11/30/2010,F\r\n",
    )
    .unwrap();
    let o = cutover(&["ids", "assign", "issued.csv", "--out", "out"], w);
    assert_ok(&o);
    assert!(fs::read_to_string(w.join("out/review/issued_ids.csv"))
        .unwrap()
        .contains("NEW-100003,100000099"));
}
