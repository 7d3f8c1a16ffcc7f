//! Hand-made inputs a data team might hand the tool, beyond the scenario
//! folders: what the run records about them must hold no student's name or
//! birth date.

use crate::common::{assert_ok, copy_dir, cutover, recorded_files, repo};
use std::fs;
use std::path::Path;

/// The hand-written bundle of `tests/scenarios/uploads_every_kind` in `w`.
fn fixture(w: &Path) {
    let scenario = repo().join("tests/scenarios/uploads_every_kind");
    copy_dir(&scenario.join("input"), &w.join("input"));
    fs::copy(scenario.join("config.toml"), w.join("config.toml")).unwrap();
    copy_dir(&repo().join("crosswalks"), &w.join("crosswalks"));
    copy_dir(&repo().join("layouts"), &w.join("layouts"));
}

#[test]
fn no_birth_date_is_recorded_in_stages_json_or_any_report() {
    // stages.json recorded each upload's latest date, for New State ID a
    // birth date (the youngest student's awaiting an ID: 2010-11-30).
    let tmp = tempfile::tempdir().unwrap();
    let w = tmp.path();
    fixture(w);
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

#[test]
fn a_decision_naming_no_student_or_contradicting_another_is_refused() {
    // Both were silently dropped: a decision on a mistyped ID, and the
    // first of two decisions on one pair (the later won).
    let tmp = tempfile::tempdir().unwrap();
    let w = tmp.path();
    fixture(w);
    let run = || cutover(&["run", "--config", "config.toml", "--quiet"], w);
    assert_eq!(run().status.code(), Some(0));
    let head = "id_a,id_b,decision,reviewer,date,note\n";
    let cases = [
        (
            "100000002,100000004,merge,rk,2017-07-02,\n100000005,100000099,separate,rk,2017-07-02,typo\n",
            "error: out/review/decisions.csv: line 3: no student has the key 100000099 in this run: the decision on 100000005 and 100000099 cannot be applied (a mistyped ID, or one no longer in the extract?)\n",
        ),
        (
            "100000002,100000004,merge,rk,2017-07-02,\n100000004,100000002,separate,jd,2017-07-03,\n",
            "error: out/review/decisions.csv: line 3: 100000004 and 100000002 are decided separate here and merge on line 2: keep one\n",
        ),
        // Accepted silently before: a decision on one key twice (a
        // copy-paste slip), and a separate decision on two keys that two
        // merge decisions join through a third.
        (
            "100000002,100000002,merge,rk,2017-07-02,\n",
            "error: out/review/decisions.csv: line 2: id_a and id_b are both 100000002: a decision is on two different keys\n",
        ),
        (
            "100000002,100000004,merge,rk,2017-07-02,\n100000005,100000004,merge,rk,2017-07-02,\n100000002,100000005,separate,jd,2017-07-03,\n",
            "error: out/review/decisions.csv: line 4: 100000002 and 100000005 are decided separate here, but the merge decisions on lines 2, 3 join them: keep one\n",
        ),
        (
            "100000002,100000004,Maybe,rk,2017-07-02,\n",
            "error: out/review/decisions.csv: line 2: column decision: expected merge or separate, found \"Maybe\"\n",
        ),
    ];
    let stages = fs::read(w.join("out/stages.json")).unwrap();
    let summary = fs::read(w.join("out/identity/summary.json")).unwrap();
    for (rows, message) in cases {
        fs::write(w.join("out/review/decisions.csv"), format!("{head}{rows}")).unwrap();
        // The file changed, so identity runs (it is never skipped with
        // decisions it has not checked) and refuses them.
        let o = run();
        assert_eq!(o.status.code(), Some(2));
        assert_eq!(String::from_utf8_lossy(&o.stderr), message);
        // validate refuses what needs no run to see (all but a key no
        // student has), with the same words.
        let v = cutover(&["validate", "--config", "config.toml"], w);
        if message.contains("no student has the key") {
            assert_eq!(v.status.code(), Some(0));
        } else {
            assert_eq!(v.status.code(), Some(2));
            assert_eq!(
                String::from_utf8_lossy(&v.stderr),
                message.trim_start_matches("error: ")
            );
        }
        // Nothing of the identity stage written.
        assert_eq!(fs::read(w.join("out/stages.json")).unwrap(), stages);
        assert_eq!(
            fs::read(w.join("out/identity/summary.json")).unwrap(),
            summary
        );
    }
    // The same pair decided twice alike is taken.
    fs::write(
        w.join("out/review/decisions.csv"),
        format!("{head}100000002,100000004,merge,rk,2017-07-02,\n100000004,100000002,merge,jd,2017-07-03,\n"),
    )
    .unwrap();
    let o = run();
    assert_eq!(o.status.code(), Some(0));
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("identity: ran (changed: review decisions)")
    );
    // Unchanged, checked decisions: identity skipped.
    let o = run();
    assert_eq!(o.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&o.stdout).contains("identity: skipped"));
    // Saved by Excel in Windows-1252, with an accented note: taken (it
    // failed with a CSV parse error naming neither file nor line).
    let mut cp1252 = format!("{head}100000002,100000004,merge,rk,2017-07-02,m").into_bytes();
    cp1252.extend_from_slice(b"\xeame \xe9l\xe8ve\r\n");
    fs::write(w.join("out/review/decisions.csv"), cp1252).unwrap();
    let o = run();
    assert_ok(&o);
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("identity: ran (changed: review decisions)")
    );
    // A decision typed as a reviewer would in a spreadsheet (Merge,
    // SEPARATE) is taken: it was refused as neither merge nor separate.
    fs::write(
        w.join("out/review/decisions.csv"),
        format!("{head}100000002,100000004,Merge,rk,2017-07-02,\n100000001,100000005, SEPARATE ,rk,2017-07-02,\n"),
    )
    .unwrap();
    let o = run();
    assert_ok(&o);
}

#[test]
fn a_second_run_into_an_output_folder_in_use_is_refused() {
    // Two runs into one folder at once: the second removed the first's
    // temporary files as a killed run's and failed on them (`cannot read
    // out/read/.cutover-ZH6HE0.tmp`), or swapped uploads under it.
    let tmp = tempfile::tempdir().unwrap();
    let w = tmp.path();
    fixture(w);
    let run = || cutover(&["run", "--config", "config.toml", "--quiet"], w);
    assert_eq!(run().status.code(), Some(0));
    let stages = fs::read(w.join("out/stages.json")).unwrap();
    // A run in progress holds the folder's lock.
    let held = fs::File::open(w.join("out/.cutover.lock")).unwrap();
    held.lock().unwrap();
    let o = cutover(&["run", "--config", "config.toml", "--quiet", "--force"], w);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&o.stderr),
        "error: the output folder out is in use by another cutover run: wait for it to finish, or choose another output folder\n"
    );
    assert_eq!(fs::read(w.join("out/stages.json")).unwrap(), stages);
    // The commands that write into a run's folder wait for it too: `ids
    // assign` rewrote the issued IDs' record a run was reading, and two at
    // once each wrote the record read before the other's.
    fs::write(w.join("issued.csv"), "StateStudentID\n").unwrap();
    fs::write(w.join("log.csv"), "x\n").unwrap();
    for args in [
        &["ids", "assign", "issued.csv", "--out", "out"][..],
        &["results", "log.csv", "--upload", "frm", "--out", "out"],
    ] {
        let o = cutover(args, w);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert_eq!(
            String::from_utf8_lossy(&o.stderr),
            "error: the output folder out is in use by another cutover run: wait for it to finish, or choose another output folder\n"
        );
    }
    // Once it ends, the next run goes ahead.
    drop(held);
    assert_eq!(run().status.code(), Some(0));
}

/// `validate` notes a `.csv` file in the bundle that no entity reads, in
/// the words of the run's note, before it says the configuration is valid.
#[test]
fn validate_notes_a_bundle_file_it_would_not_read() {
    let tmp = tempfile::tempdir().unwrap();
    let w = tmp.path();
    let scenario = repo().join("tests/scenarios/bundle_holds_a_file_it_does_not_read");
    copy_dir(&scenario.join("input"), &w.join("input"));
    copy_dir(&repo().join("crosswalks"), &w.join("crosswalks"));
    copy_dir(&repo().join("layouts"), &w.join("layouts"));
    fs::copy(scenario.join("config.toml"), w.join("config.toml")).unwrap();
    let v = cutover(&["validate", "--config", "config.toml"], w);
    assert_eq!(v.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&v.stdout),
        "note: input/student_enrollment (2).csv is not a file of the bundle (a second part of one, or named otherwise?): not read; name it in [files] to read it instead\nconfig.toml: valid\n"
    );
}

/// A copy of a bundle file named in another case beside it
/// (`Student_Personal.csv`, a second export?) and a file saved as a
/// workbook (`truancy.xlsx`, no `truancy.csv`) are noted too: the starting
/// binary said nothing of either (names were matched ignoring case, and
/// only `.csv` files looked at), their rows in no ledger.
#[test]
fn validate_notes_a_copy_named_in_another_case_and_a_spreadsheet() {
    let tmp = tempfile::tempdir().unwrap();
    let w = tmp.path();
    let scenario = repo().join("tests/scenarios/bundle_holds_a_file_it_does_not_read");
    copy_dir(&scenario.join("input"), &w.join("input"));
    copy_dir(&repo().join("crosswalks"), &w.join("crosswalks"));
    copy_dir(&repo().join("layouts"), &w.join("layouts"));
    fs::copy(scenario.join("config.toml"), w.join("config.toml")).unwrap();
    fs::copy(
        w.join("input/student_personal.csv"),
        w.join("input/Student_Personal.csv"),
    )
    .unwrap();
    fs::write(w.join("input/truancy.xlsx"), b"PK\x03\x04").unwrap();
    let v = cutover(&["validate", "--config", "config.toml"], w);
    assert_eq!(v.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&v.stdout),
        "note: input/Student_Personal.csv is not a file of the bundle (a second part of one, or named otherwise?): not read; name it in [files] to read it instead\n\
         note: input/student_enrollment (2).csv is not a file of the bundle (a second part of one, or named otherwise?): not read; name it in [files] to read it instead\n\
         note: input/truancy.xlsx is a spreadsheet, not read: save it as a comma-separated (.csv) file named as [files] names it to read it\n\
         config.toml: valid\n"
    );
}

/// Lines of commas only (a spreadsheet's formatted but empty rows) are not
/// records: run.json's read report of the file says how many were not
/// read, and where the first is (the scenario
/// `rows_of_commas_after_the_last` checks the quarantine and the ledger).
#[test]
fn lines_with_every_field_blank_are_noted_not_read() {
    let tmp = tempfile::tempdir().unwrap();
    let w = tmp.path();
    let scenario = repo().join("tests/scenarios/rows_of_commas_after_the_last");
    copy_dir(&scenario.join("input"), &w.join("input"));
    fs::copy(scenario.join("config.toml"), w.join("config.toml")).unwrap();
    copy_dir(&repo().join("crosswalks"), &w.join("crosswalks"));
    copy_dir(&repo().join("layouts"), &w.join("layouts"));
    assert_ok(&cutover(&["run", "--config", "config.toml", "--quiet"], w));
    let run: serde_json::Value =
        serde_json::from_slice(&fs::read(w.join("out/run.json")).unwrap()).unwrap();
    let read = run["stages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["stage"] == "read" && s["entity"] == "student_enrollment")
        .unwrap();
    assert_eq!(
        read["notes"],
        serde_json::json!([
            "4 line(s) with every field blank not read, as not records (a spreadsheet's empty rows?): line 3 and after"
        ])
    );
}

/// A decisions file as a spreadsheet saves it: a byte-order mark, CRLF
/// line ends, unnamed columns after the last, blank lines and rows of
/// commas only (formatted but empty rows) is applied as the plain file
/// is. The rows of commas stopped the run (`line 4: column decision:
/// expected merge or separate, found ""`), and so did the unnamed columns
/// (`line 1: expected the columns id_a,id_b,decision,reviewer,date,note,
/// found id_a,id_b,decision,reviewer,date,note,,`).
#[test]
fn a_decisions_file_saved_by_a_spreadsheet_is_applied_as_the_plain_one() {
    let tmp = tempfile::tempdir().unwrap();
    let w = tmp.path();
    fixture(w);
    let run = || cutover(&["run", "--config", "config.toml", "--quiet"], w);
    assert_eq!(run().status.code(), Some(0));
    let decisions = w.join("out/review/decisions.csv");
    fs::write(
        &decisions,
        "id_a,id_b,decision,reviewer,date,note\n100000002,100000004,merge,rk,2017-07-02,\n",
    )
    .unwrap();
    assert_ok(&run());
    let plain = fs::read(w.join("out/identity/summary.json")).unwrap();
    let crosswalk = fs::read(w.join("out/identity/id_crosswalk.csv")).unwrap();
    fs::write(
        &decisions,
        "\u{FEFF}id_a,id_b,decision,reviewer,date,note,,\r\n\r\n,,,,,,,\r\n100000002,100000004,merge,rk,2017-07-02,,,\r\n,,,,,,,\r\n\r\n",
    )
    .unwrap();
    let v = cutover(&["validate", "--config", "config.toml"], w);
    assert_eq!(
        v.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&v.stderr)
    );
    let o = run();
    assert_ok(&o);
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("identity: ran (changed: review decisions)")
    );
    assert_eq!(
        fs::read(w.join("out/identity/summary.json")).unwrap(),
        plain
    );
    assert_eq!(
        fs::read(w.join("out/identity/id_crosswalk.csv")).unwrap(),
        crosswalk
    );
}

/// The read report's notes of each file of a scenario run.
fn read_notes(scenario: &str) -> Vec<(String, serde_json::Value)> {
    let tmp = tempfile::tempdir().unwrap();
    let w = tmp.path();
    let scenario = repo().join("tests/scenarios").join(scenario);
    copy_dir(&scenario.join("input"), &w.join("input"));
    fs::copy(scenario.join("config.toml"), w.join("config.toml")).unwrap();
    copy_dir(&repo().join("crosswalks"), &w.join("crosswalks"));
    copy_dir(&repo().join("layouts"), &w.join("layouts"));
    assert_ok(&cutover(&["run", "--config", "config.toml", "--quiet"], w));
    let run: serde_json::Value =
        serde_json::from_slice(&fs::read(w.join("out/run.json")).unwrap()).unwrap();
    run["stages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["stage"] == "read")
        .map(|s| {
            (
                s["entity"].as_str().unwrap().to_string(),
                s["notes"].clone(),
            )
        })
        .collect()
}

/// A file whose every data line ends with a delimiter the header lacks (one
/// blank field more) is read, the extra field not: run.json's read report
/// of each such file says so (the scenario
/// `trailing_comma_on_every_data_line` checks the rows and the ledger).
/// One row so in a file of whole rows is a row shifted by a stray comma,
/// and its file has no such note (`a_row_shifted_by_a_stray_comma`).
#[test]
fn a_delimiter_ending_every_data_line_is_noted_and_its_blank_field_not_read() {
    let note = "every data line has one field more than the header, blank, after its last value (a delimiter ending each line, as some exports write): that field is not read";
    let blank = "1 line(s) with every field blank not read, as not records (a spreadsheet's empty rows?): line 3";
    assert_eq!(
        read_notes("trailing_comma_on_every_data_line"),
        vec![
            ("student_personal".to_string(), serde_json::json!([note])),
            (
                "student_enrollment".to_string(),
                serde_json::json!([note, blank])
            ),
        ]
    );
    // The header ending with a delimiter, the rows not: read without the
    // unnamed column.
    assert_eq!(
        read_notes("header_ends_with_a_comma_the_rows_do_not"),
        vec![
            ("student_personal".to_string(), serde_json::json!([])),
            (
                "student_enrollment".to_string(),
                serde_json::json!([
                    "every data line has 1 field(s) fewer than the header, whose last 1 column(s) are unnamed (not read): the lines are read without them",
                    "columns not read: (unnamed column 39)"
                ])
            ),
        ]
    );
    assert_eq!(
        read_notes("a_row_shifted_by_a_stray_comma"),
        vec![
            ("student_personal".to_string(), serde_json::json!([])),
            ("student_enrollment".to_string(), serde_json::json!([])),
        ]
    );
}

/// Two delimiters ending every data line (two blank fields more than the
/// header) are read as one is; a file whose every line ends with one but
/// for a row shifted by a stray comma (one field more again) quarantines
/// that row alone, and says so (both were quarantined row by row, every
/// row `column_count`). The scenarios check the rows, the quarantine and
/// the ledger.
#[test]
fn delimiters_ending_every_data_line_and_a_shifted_row_are_noted() {
    let two = "every data line has 2 fields more than the header, blank, after its last value (2 delimiters ending each line, as some exports write): those fields are not read";
    let blank = "1 line(s) with every field blank not read, as not records (a spreadsheet's empty rows?): line 3";
    assert_eq!(
        read_notes("two_commas_ending_every_data_line"),
        vec![
            ("student_personal".to_string(), serde_json::json!([two])),
            (
                "student_enrollment".to_string(),
                serde_json::json!([two, blank])
            ),
        ]
    );
    let but_one = "every data line but 1 has one field more than the header, blank, after its last value (a delimiter ending each line, as some exports write): that field is not read; the 1 line(s) with one field more again (a delimiter inside a value?) are quarantined (column_count)";
    let one = "every data line has one field more than the header, blank, after its last value (a delimiter ending each line, as some exports write): that field is not read";
    assert_eq!(
        read_notes("trailing_commas_and_a_row_shifted_by_a_stray_comma"),
        vec![
            ("student_personal".to_string(), serde_json::json!([but_one])),
            ("student_enrollment".to_string(), serde_json::json!([one])),
        ]
    );
}

/// Excel's `sep=,` line above the header is not read, and said so (the run
/// stopped: "none of the file's columns found in its 2 field(s)"); the
/// scenario `excel_sep_line_above_the_header` checks the rows and their
/// line numbers.
#[test]
fn an_excel_sep_line_above_the_header_is_noted() {
    let sep = "the first line, sep=, (Excel's line naming the delimiter), is not read: the header is the line after it";
    let one = "every data line has one field more than the header, blank, after its last value (a delimiter ending each line, as some exports write): that field is not read";
    assert_eq!(
        read_notes("excel_sep_line_above_the_header"),
        vec![
            ("student_personal".to_string(), serde_json::json!([sep])),
            (
                "student_enrollment".to_string(),
                serde_json::json!([sep, one])
            ),
        ]
    );
}

/// An output folder no run wrote (no run.json, stages.json or lock file)
/// that holds an `uploads` folder of its own is refused before anything is
/// written: the run swapped its own uploads folder in whole and removed
/// the one there, with the district's file in it. Other files are never
/// touched, so a folder holding only those is used.
#[test]
fn an_output_folder_no_run_wrote_holding_uploads_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let w = tmp.path();
    fixture(w);
    fs::create_dir_all(w.join("out/uploads")).unwrap();
    fs::write(w.join("out/uploads/district_notes.txt"), "keep\n").unwrap();
    fs::write(w.join("out/notes.docx"), "keep\n").unwrap();
    let o = cutover(&["run", "--config", "config.toml", "--quiet"], w);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&o.stderr),
        "error: the output folder out holds uploads, but no cutover run's record (run.json, stages.json): a run would replace or write over it: choose an empty or new output folder, or move uploads away\n"
    );
    assert_eq!(
        fs::read_to_string(w.join("out/uploads/district_notes.txt")).unwrap(),
        "keep\n"
    );
    assert!(!w.join("out/.cutover.lock").exists());
    fs::remove_dir_all(w.join("out/uploads")).unwrap();
    assert_ok(&cutover(&["run", "--config", "config.toml", "--quiet"], w));
    assert_eq!(
        fs::read_to_string(w.join("out/notes.docx")).unwrap(),
        "keep\n"
    );
    // Its own output folder, a run's record and all, is used again.
    assert_ok(&cutover(&["run", "--config", "config.toml", "--quiet"], w));
}

/// A bundle file rewritten while the run reads it (after its checksum and
/// encoding pass, before its parse): the rows read were not the bytes
/// hashed, and the run recorded them under the old checksum. The run now
/// stops naming the file, leaving the previous run's outputs as they were;
/// a rerun reads the file as it now is.
#[test]
fn a_file_rewritten_between_its_read_passes_stops_the_run() {
    let tmp = tempfile::tempdir().unwrap();
    let w = tmp.path();
    fixture(w);
    let run = |hook: Option<&str>| {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_cutover"));
        command.args(["run", "--config", "config.toml", "--quiet"]);
        if let Some(hook) = hook {
            command.env("CUTOVER_REWRITE_BETWEEN_PASSES", hook);
        }
        command.current_dir(w).output().unwrap()
    };
    assert_ok(&run(None));
    let before = crate::common::files(&w.join("out"));
    let path = w.join("input/student_enrollment.csv");
    let text = fs::read_to_string(&path).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    // The file as the run hashes it (its last row gone), then as another
    // program rewrites it (its first row gone too).
    lines.pop();
    fs::write(&path, lines.join("\n") + "\n").unwrap();
    lines.remove(1);
    fs::write(w.join("rewritten.csv"), lines.join("\n") + "\n").unwrap();
    let hook = format!(
        "student_enrollment.csv={}",
        w.join("rewritten.csv").display()
    );
    let o = run(Some(&hook));
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&o.stderr),
        "error: student_enrollment.csv: the file changed while the run read it (its size, times or inode are not those it had when checksummed): the rows read may not be the bytes checksummed: run again once nothing writes to the file\n"
    );
    let after = crate::common::files(&w.join("out"));
    let outputs = |f: &std::collections::BTreeMap<String, Vec<u8>>| {
        f.iter()
            .filter(|(k, _)| !k.starts_with("run.") && !k.starts_with("logs/"))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect::<Vec<_>>()
    };
    assert!(outputs(&before) == outputs(&after), "the outputs changed");
    assert_eq!(
        fs::read(&path).unwrap(),
        fs::read(w.join("rewritten.csv")).unwrap()
    );
    assert_ok(&run(None));
}

/// A bundle file rewritten to the same size within one tick of the file
/// system's clock keeps its stamp (device, inode, size, times): the hook
/// `CUTOVER_PARSE_INSTEAD` parses other bytes of the same size for the
/// file, the file left as it was, as such a rewrite would. The parse pass
/// hashes the bytes it reads, and they do not hash as the file did when
/// the run checksummed it: the run stops naming the file (with the hash
/// not compared, it ran to exit 0 on the other bytes under the old
/// checksum).
#[test]
fn a_rewrite_the_stamp_cannot_see_is_caught_by_the_hash_of_the_bytes_parsed() {
    let tmp = tempfile::tempdir().unwrap();
    let w = tmp.path();
    fixture(w);
    let path = w.join("input/student_enrollment.csv");
    let text = fs::read_to_string(&path).unwrap();
    // One grade level changed, the size the same.
    let (head, rest) = text.split_once('\n').unwrap();
    let (first, tail) = rest.split_once('\n').unwrap();
    let at = head.split(',').position(|c| c == "GradeLevelCode").unwrap();
    let mut fields: Vec<String> = first.split(',').map(str::to_string).collect();
    fields[at] = if fields[at] == "05" { "06" } else { "05" }.to_string();
    let rewritten = format!("{head}\n{}\n{tail}", fields.join(","));
    assert_eq!(rewritten.len(), text.len());
    fs::write(w.join("rewritten.csv"), rewritten).unwrap();
    let hook = format!(
        "student_enrollment.csv={}",
        w.join("rewritten.csv").display()
    );
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_cutover"))
        .args(["run", "--config", "config.toml", "--quiet"])
        .env("CUTOVER_PARSE_INSTEAD", hook)
        .current_dir(w)
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&o.stderr),
        "error: student_enrollment.csv: the file changed while the run read it (the bytes parsed do not hash as the file did when checksummed): the rows read may not be the bytes checksummed: run again once nothing writes to the file\n"
    );
    assert_eq!(o.status.code(), Some(2));
    assert_ok(&cutover(&["run", "--config", "config.toml", "--quiet"], w));
}

/// A DOS end-of-file mark (Ctrl-Z, 0x1A) ending a file, after its last
/// value or on a line of its own, or on a line of its own between two rows
/// (files joined with `copy /b`), is not a record: run.json's read report
/// says it was not read (it was a `column_count` row, or after the last
/// value a control character quarantining its row; in a file whose data
/// lines each end with a delimiter, it failed the whole-file rule and every
/// row was `column_count`). The scenario
/// `dos_end_of_file_mark_after_the_last_line` checks the rows and the
/// ledger.
#[test]
fn a_dos_end_of_file_mark_is_noted_not_read() {
    let ends = "the file ends in a DOS end-of-file mark (Ctrl-Z, 0x1A), as old Windows tools end a text file: not read";
    let line = "1 line(s) holding only a DOS end-of-file mark (Ctrl-Z, 0x1A) not read, as not records: line 3";
    let one = "every data line has one field more than the header, blank, after its last value (a delimiter ending each line, as some exports write): that field is not read";
    assert_eq!(
        read_notes("dos_end_of_file_mark_after_the_last_line"),
        vec![
            ("student_personal".to_string(), serde_json::json!([ends])),
            (
                "student_enrollment".to_string(),
                serde_json::json!([one, ends, line])
            ),
        ]
    );
}

/// Runs `args` (which name the folder `dir` it writes into) killed just
/// before it moves its file into place (`CUTOVER_FAULT_AT=1`), then again:
/// the folder is left as it was but for the killed command's temporary
/// file, and the second leaves the bytes an uninterrupted command leaves
/// in a copy, nothing left behind.
fn kill_and_rerun_command(w: &Path, args: &[&str], dir: &str) {
    let files = |d: &str| crate::common::files(&w.join(d));
    let clean = format!("{dir}.clean");
    copy_dir(&w.join(dir), &w.join(&clean));
    // The folder is the last argument naming it (`layouts manifest
    // --layouts layouts`).
    let at = args.iter().rposition(|a| *a == dir).unwrap();
    let mut on_clean = args.to_vec();
    on_clean[at] = &clean;
    assert_ok(&cutover(&on_clean, w));
    let before = files(dir);
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_cutover"))
        .args(args)
        .env("CUTOVER_FAULT_AT", "1")
        .current_dir(w)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), None, "{args:?}: ended by a signal");
    let after = files(dir);
    let changed: Vec<&String> = after
        .keys()
        .filter(|k| before.get(*k) != after.get(*k))
        .collect();
    assert!(
        changed.len() == 1 && changed[0].contains(".cutover-") && changed[0].ends_with(".tmp"),
        "{args:?} killed changed {changed:?}"
    );
    assert_ok(&cutover(args, w));
    let (now, expected) = (files(dir), files(&clean));
    let differ: Vec<&String> = now
        .keys()
        .chain(expected.keys())
        .filter(|k| now.get(*k) != expected.get(*k))
        .collect();
    assert!(
        differ.is_empty(),
        "{args:?} killed, then run again: {differ:?} differ"
    );
}

/// The commands that write outside a run, each killed before it moves its
/// file into place and run again: `ids assign` and `results` (into a
/// run's folder), `crosswalk manifest` and `layouts manifest` (into the
/// tables' folders). Each left its temporary file beside the file it
/// writes, and the command run again left it there (in the tables'
/// folders for good: no run cleans them).
#[test]
fn a_command_killed_before_it_moves_its_file_into_place_is_completed_by_the_next() {
    let tmp = tempfile::tempdir().unwrap();
    let w = tmp.path();
    fixture(w);
    assert_ok(&cutover(&["run", "--config", "config.toml", "--quiet"], w));
    fs::write(
        w.join("issued.csv"),
        "StateStudentID,LastName,FirstName,BirthDate,Gender,SAUID,SchoolStudentID\n\
         100000099,O'BRIEN,Ava ,11/30/2010,F,2544,C1\n",
    )
    .unwrap();
    fs::write(
        w.join("cte.log"),
        "Row Number,SAU ID,School ID,State Student Number,Error\n1,2544,2854,100000002,Unable to resolve CTE Code \"48.0508\"\n",
    )
    .unwrap();
    kill_and_rerun_command(w, &["ids", "assign", "issued.csv", "--out", "out"], "out");
    let results = ["results", "cte.log", "--upload", "cte", "--out", "out"];
    kill_and_rerun_command(w, &results, "out");
    // A table edited, so the manifest is rewritten with another checksum.
    let grades = w.join("crosswalks/grade_levels.csv");
    let mut table = fs::read_to_string(&grades).unwrap();
    table.push('\n');
    fs::write(&grades, table).unwrap();
    let crosswalk = ["crosswalk", "manifest", "--crosswalks", "crosswalks"];
    kill_and_rerun_command(w, &crosswalk, "crosswalks");
    kill_and_rerun_command(
        w,
        &["layouts", "manifest", "--layouts", "layouts"],
        "layouts",
    );
}

#[test]
fn a_bundle_without_enrollments_is_run_and_says_so_on_the_terminal_and_the_report() {
    // The starting binary listed the file in run.json alone: the run ended
    // 0, `ledger: every row accounted for`, with no enrollment, Student
    // Personal, FRM, ELL or Special Education upload for any student.
    let tmp = tempfile::tempdir().unwrap();
    let w = tmp.path();
    fixture(w);
    fs::remove_file(w.join("input/student_enrollment.csv")).unwrap();
    let o = cutover(&["run", "--config", "config.toml", "--quiet"], w);
    assert_eq!(o.status.code(), Some(0));
    let note = "the bundle has no student_enrollment.csv: no enrollment was read, so no \
                Student Enrollment, Student Personal, FRM, ELL or Special Education upload is \
                written for any student and every CTE row is quarantined \
                (no_primary_enrollment); add the file unless the bundle holds identities alone";
    assert_noted(&o, w, note);
    let html = fs::read_to_string(w.join("out/report.html")).unwrap();
    let at = html.find(&format!("<p class=\"warn\" id=\"absent\">Note: {note}</p>"));
    assert!(at.is_some_and(|at| at < html.find("id=\"summary\"").unwrap()));
    // With the file, neither says a word of it.
    fixture(w);
    let o = cutover(&["run", "--config", "config.toml", "--quiet"], w);
    assert_eq!(o.status.code(), Some(0));
    assert!(!String::from_utf8_lossy(&o.stdout).contains("note:"));
    let report: serde_json::Value =
        serde_json::from_slice(&fs::read(w.join("out/report.json")).unwrap()).unwrap();
    assert_eq!(report.get("notes"), None);
    assert!(!fs::read_to_string(w.join("out/report.html"))
        .unwrap()
        .contains("class=\"warn\""));
}

/// `note` is the terminal's first line (`note: ...`) and the report's one
/// note.
fn assert_noted(o: &std::process::Output, w: &Path, note: &str) {
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert_eq!(
        stdout.lines().next(),
        Some(format!("note: {note}").as_str())
    );
    let report: serde_json::Value =
        serde_json::from_slice(&fs::read(w.join("out/report.json")).unwrap()).unwrap();
    assert_eq!(report["notes"], serde_json::json!([note]));
}

/// `student_enrollment.csv` holding its header and no row (an export of
/// no rows, a copy cut after its first line) is said so on the terminal's
/// first line and in the report, as a bundle without the file is: the
/// starting binary ran it, exit 0, with no word of it (the read ledger's
/// 0 rows only).
#[test]
fn an_enrollment_file_of_only_its_header_is_said_so() {
    let tmp = tempfile::tempdir().unwrap();
    let w = tmp.path();
    fixture(w);
    let path = w.join("input/student_enrollment.csv");
    let text = fs::read(&path).unwrap();
    let end = text.iter().position(|&b| b == b'\n').unwrap();
    fs::write(&path, &text[..=end]).unwrap();
    let o = cutover(&["run", "--config", "config.toml", "--quiet"], w);
    assert_eq!(o.status.code(), Some(0));
    let note = "student_enrollment.csv holds its header and no row: no enrollment was read, so \
                no Student Enrollment, Student Personal, FRM, ELL or Special Education upload \
                is written for any student and every CTE row is quarantined \
                (no_primary_enrollment); take the file from the extract again unless the bundle \
                holds identities alone";
    assert_noted(&o, w, note);
}
