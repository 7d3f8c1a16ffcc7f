//! `cutover trace`, `cutover diff` and the fix lists, on the hand-written
//! bundle of `tests/scenarios/uploads_every_kind` plus three rows: a
//! malformed enrollment (quarantined at ingest), a second identity of
//! Emma Smith under a second StateStudentID, and a reviewer decision merging
//! the two IDs.

use crate::common::*;
use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

/// The scenario's bundle and configuration, the tables and layouts, copied
/// into `w`, with the extra rows and the reviewer decision.
fn bundle(w: &Path) {
    let scenario = repo().join("tests/scenarios/uploads_every_kind");
    copy_dir(&scenario.join("input"), &w.join("input"));
    fs::copy(scenario.join("config.toml"), w.join("config.toml")).unwrap();
    copy_dir(&repo().join("crosswalks"), &w.join("crosswalks"));
    copy_dir(&repo().join("layouts"), &w.join("layouts"));
    // Line 15: an entry date that is no date.
    append(
        &w.join("input/student_enrollment.csv"),
        "900014,343,100000005,E1,1244,001,P,2017,07,2016-13-45,02,,,N,R,01,,,,N,N,N,N,N,N,N,N,N,N,,N,,,,,,,\n",
    );
    // Line 8: Emma Smith again, under a second StateStudentID.
    append(
        &w.join("input/student_personal.csv"),
        "100006,500007,100000006,Smith,Emma,,,F,2004-01-09,,N,N,N,N,N,Y,O,N,,eng,2011-09-01,\r\n",
    );
    fs::create_dir_all(w.join("out/review")).unwrap();
    fs::write(
        w.join("out/review/decisions.csv"),
        "id_a,id_b,decision,reviewer,date,note\n100000005,100000006,merge,rk,2017-07-01,same child\n",
    )
    .unwrap();
}

fn append(path: &Path, text: &str) {
    let mut bytes = fs::read(path).unwrap();
    bytes.extend_from_slice(text.as_bytes());
    fs::write(path, bytes).unwrap();
}

fn run(w: &Path) {
    let o = cutover(&["run", "--config", "config.toml", "--quiet"], w);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}

fn stdout(args: &[&str], w: &Path) -> String {
    let o = cutover(args, w);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap()
}

fn trace(w: &Path, what: &[&str]) -> String {
    let mut args = vec!["trace"];
    args.extend(what);
    args.extend(["--out", "out", "--crosswalks", "crosswalks"]);
    stdout(&args, w)
}

#[test]
fn traces_of_four_rows_say_where_each_went_word_for_word() {
    let dir = tempfile::tempdir().unwrap();
    let w = dir.path();
    bundle(w);
    run(w);
    // A row that reached an upload.
    assert_eq!(trace(w, &["student_enrollment.csv:5"]), TRACE_UPLOADED);
    // A row quarantined at ingest.
    assert_eq!(trace(w, &["student_enrollment.csv:15"]), TRACE_QUARANTINED);
    // An identity row merged into its student's newer identity (which a
    // reviewer's decision tied to a second StateStudentID).
    assert_eq!(trace(w, &["student_personal.csv:7"]), TRACE_MERGED);
    // A row held by pre-flight.
    assert_eq!(trace(w, &["student_enrollment.csv:10"]), TRACE_HELD);
}

const TRACE_UPLOADED: &str = "\
trace of student_enrollment.csv:5

student_enrollment.csv:5 (student_enrollment)
  read: EnrollmentID=900004, School_ID=825, StateStudentID=100000002, SchoolStudentID=B1, ResidentSAU_ID=1244, ResidentTownCode=001, EnrollmentTypeCode=P, YearCode=2016, GradeLevelCode=11, SchoolEntryDate=2015-08-31, StartStatus=02, ExitDate=2016-06-10, SchoolLunchElig=R, FiscalResponsibility=R, EnglishProficiency=03, DateFirstEnrolledESL=2008-09-15, MigrantFlag=N, Section504Flag=Y, RefugeeFlag=N, StateAgencyClientFlag=N, SupplementalEdServices=N, GiftedTalentedAcademic=N, GiftedTalentedArtistic=N, AlternativeEducation=N, ForeignExchange=N, HomeSchooled=N, SpecialEdFlag=N
  ingest: typed EnrollmentID=900004 (i64), YearCode=2016 (i32), SchoolEntryDate=2015-08-31 (date), ExitDate=2016-06-10 (date), DateFirstEnrolledESL=2008-09-15 (date), ShelteredEnglishFlag=false (bool), HeritageLanguageFlag=false (bool), BilingualEdFlag=false (bool), ESLOnlyFlag=false (bool), MigrantFlag=false (bool), TitleICMigrantFlag=false (bool), Section504Flag=true (bool), RefugeeFlag=false (bool), StateAgencyClientFlag=false (bool), SupplementalEdServices=false (bool), GiftedTalentedAcademic=false (bool), GiftedTalentedArtistic=false (bool), AlternativeEducation=false (bool), ForeignExchange=false (bool), HomeSchooled=false (bool), SpecialEdFlag=false (bool), school_year=2016 (i32)
  crosswalk: School_ID 825 -> SchoolOrgID 1921 (organizations.csv line 136)
  crosswalk: School_ID 825 -> SAUOrgID 2544 (organizations.csv line 136)
  crosswalk: ResidentSAU_ID 1244 -> ResidentSAUOrgID 2544 (organizations.csv line 260)
  crosswalk: GradeLevelCode 11 -> GradeLevel 11 (grade_levels.csv line 15)
  crosswalk: StartStatus 02 -> EntryCode E02 (entry_codes.csv line 3)
  crosswalk: SchoolLunchElig R -> EconomicStatus Reduced (economic_status.csv line 3)
  crosswalk: FiscalResponsibility R -> FiscalResponsibilityCode R (fiscal_responsibility.csv line 2)
  crosswalk: EnglishProficiency 03 -> ELStatus EL (english_proficiency.csv line 4)
  identity: StateStudentID 100000002 kept, student 100000002 (rule kept)
  conform: student_enrollment row for 2015-16, SAU 2544: SAUID=2544, SchoolID=1921, StateStudentID=100000002, SchoolStudentID=B1, SchoolYear=2016, GradeLevel=11, EnrollmentType=P, EntryDate=2015-08-31, EntryCode=E02, ExitDate=2016-06-10, ResidentSAUID=2544, FiscalResponsibility=R, Section504=true, Migrant=false, Refugee=false, StateAgencyClient=false, GiftedTalentedAcademic=false, GiftedTalentedArtistic=false, AlternativeEducation=false, ForeignExchange=false, HomeSchooled=false
  pre-flight: student_enrollment: passed
  conform: frm row for 2015-16, SAU 2544: SAUID=2544, SchoolID=1921, StateStudentID=100000002, SchoolYear=2016, EconomicStatus=Reduced, EligibilityStartDate=2015-08-31
  pre-flight: frm: passed
  conform: ell row for 2015-16, SAU 2544: SAUID=2544, SchoolID=1921, StateStudentID=100000002, SchoolYear=2016, ELStatus=EL, IdentifiedDate=2008-09-15, DateFirstEnrolledESL=2008-09-15, EnglishProficiency=03
  pre-flight: ell: passed
  upload: uploads/2015-16/2544/student_enrollment.csv row 3
  upload: uploads/2015-16/2544/frm.csv row 3
  upload: uploads/2015-16/2544/ell.csv row 1
  outcome: reached 3 upload rows (ell, frm, student_enrollment)
";

const TRACE_QUARANTINED: &str = "\
trace of student_enrollment.csv:15

student_enrollment.csv:15 (student_enrollment)
  read: EnrollmentID=900014, School_ID=343, StateStudentID=100000005, SchoolStudentID=E1, ResidentSAU_ID=1244, ResidentTownCode=001, EnrollmentTypeCode=P, YearCode=2017, GradeLevelCode=07, SchoolEntryDate=2016-13-45, StartStatus=02, SchoolLunchElig=N, FiscalResponsibility=R, EnglishProficiency=01, MigrantFlag=N, Section504Flag=N, RefugeeFlag=N, StateAgencyClientFlag=N, SupplementalEdServices=N, GiftedTalentedAcademic=N, GiftedTalentedArtistic=N, AlternativeEducation=N, ForeignExchange=N, HomeSchooled=N, SpecialEdFlag=N
  ingest: rule invalid_date on SchoolEntryDate = \"2016-13-45\": SchoolEntryDate: expected a date as YYYY-MM-DD or MM/DD/YYYY
  outcome: stopped at ingest: quarantined (invalid_date)
";

const TRACE_MERGED: &str = "\
trace of student_personal.csv:7

student_personal.csv:7 (student_personal)
  read: PersonID=100005, IdentityID=500006, StateStudentID=100000005, LastName=[redacted], FirstName=[redacted], Gender=F, BirthDate=[redacted], HispanicLatino=N, RaceAmericanIndian=N, RaceAsian=N, RaceBlack=N, RacePacificIslander=N, RaceWhite=Y, RaceDetermination=O, ImmigrantFlag=N, HomePrimaryLanguage=eng, IdentityEffectiveDate=2010-09-01
  ingest: typed PersonID=100005 (i64), IdentityID=500006 (i64), BirthDate=[redacted] (date), HispanicLatino=false (bool), RaceAmericanIndian=false (bool), RaceAsian=false (bool), RaceBlack=false (bool), RacePacificIslander=false (bool), RaceWhite=true (bool), ImmigrantFlag=false (bool), IdentityEffectiveDate=2010-09-01 (date), school_year=2011 (i32)
  identity: StateStudentID 100000005 kept, student 100000005 (rule original), current identity on line 8
  outcome: merged at identity: an earlier identity of student 100000005, who is carried on by student_personal.csv:8
";

const TRACE_HELD: &str = "\
trace of student_enrollment.csv:10

student_enrollment.csv:10 (student_enrollment)
  read: EnrollmentID=900009, School_ID=1389, StateStudentID=100000004, ResidentSAU_ID=1244, ResidentTownCode=001, EnrollmentTypeCode=S, YearCode=2016, GradeLevelCode=11, SchoolEntryDate=2015-09-08, StartStatus=02, ExitDate=2016-06-08, SchoolLunchElig=N, FiscalResponsibility=R, EnglishProficiency=01, MigrantFlag=N, Section504Flag=N, RefugeeFlag=N, StateAgencyClientFlag=N, SupplementalEdServices=N, GiftedTalentedAcademic=N, GiftedTalentedArtistic=N, AlternativeEducation=N, ForeignExchange=N, HomeSchooled=N, SpecialEdFlag=N
  ingest: typed EnrollmentID=900009 (i64), YearCode=2016 (i32), SchoolEntryDate=2015-09-08 (date), ExitDate=2016-06-08 (date), ShelteredEnglishFlag=false (bool), HeritageLanguageFlag=false (bool), BilingualEdFlag=false (bool), ESLOnlyFlag=false (bool), MigrantFlag=false (bool), TitleICMigrantFlag=false (bool), Section504Flag=false (bool), RefugeeFlag=false (bool), StateAgencyClientFlag=false (bool), SupplementalEdServices=false (bool), GiftedTalentedAcademic=false (bool), GiftedTalentedArtistic=false (bool), AlternativeEducation=false (bool), ForeignExchange=false (bool), HomeSchooled=false (bool), SpecialEdFlag=false (bool), school_year=2016 (i32)
  crosswalk: School_ID 1389 -> SchoolOrgID 2854 (organizations.csv line 318)
  crosswalk: School_ID 1389 -> SAUOrgID 2544 (organizations.csv line 318)
  crosswalk: ResidentSAU_ID 1244 -> ResidentSAUOrgID 2544 (organizations.csv line 260)
  crosswalk: GradeLevelCode 11 -> GradeLevel 11 (grade_levels.csv line 15)
  crosswalk: StartStatus 02 -> EntryCode E02 (entry_codes.csv line 3)
  crosswalk: SchoolLunchElig N -> EconomicStatus NotEligible (economic_status.csv line 4)
  crosswalk: FiscalResponsibility R -> FiscalResponsibilityCode R (fiscal_responsibility.csv line 2)
  crosswalk: EnglishProficiency 01 -> ELStatus NeverEL (english_proficiency.csv line 2)
  identity: StateStudentID 100000004 kept, student 100000004 (rule kept)
  conform: student_enrollment row for 2015-16, SAU 2544: SAUID=2544, SchoolID=2854, StateStudentID=100000004, SchoolYear=2016, GradeLevel=11, EnrollmentType=S, EntryDate=2015-09-08, EntryCode=E02, ExitDate=2016-06-08, ResidentSAUID=2544, FiscalResponsibility=R, Section504=false, Migrant=false, Refugee=false, StateAgencyClient=false, GiftedTalentedAcademic=false, GiftedTalentedArtistic=false, AlternativeEducation=false, ForeignExchange=false, HomeSchooled=false
  pre-flight: student_enrollment: held (no_primary_enrollment): EntryDate: no primary enrollment of the student is open on this date in the school year
  outcome: stopped at pre-flight: held (no_primary_enrollment)
";

#[test]
fn a_student_is_traced_under_a_retired_id_with_names_only_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    let w = dir.path();
    bundle(w);
    run(w);
    let by_retired = trace(w, &["--student", "100000006"]);
    let by_survivor = trace(w, &["--student", "100000005"]);
    // The same rows, whichever ID is asked for.
    assert_eq!(
        by_retired.lines().skip(1).collect::<Vec<_>>(),
        by_survivor.lines().skip(1).collect::<Vec<_>>()
    );
    assert!(by_retired.starts_with(
        "trace of student 100000006\nstudent: 100000005 (IDs: 100000005, 100000006)\n"
    ));
    let heads: Vec<&str> = by_retired
        .lines()
        .filter(|l| !l.starts_with(' ') && l.contains(".csv:"))
        .collect();
    assert_eq!(
        heads,
        [
            "behavior.csv:2 (behavior)",
            "cte.csv:5 (cte)",
            "student_enrollment.csv:11 (student_enrollment)",
            "student_enrollment.csv:12 (student_enrollment)",
            "student_enrollment.csv:13 (student_enrollment)",
            "student_enrollment.csv:15 (student_enrollment)",
            "student_personal.csv:7 (student_personal)",
            "student_personal.csv:8 (student_personal)",
        ]
    );
    assert!(!by_retired.contains("Smith") && !by_retired.contains("2004-01-09"));
    assert!(by_retired.contains("LastName=[redacted]"));
    let pii = trace(w, &["--student", "100000006", "--show-pii"]);
    assert!(pii.contains("LastName=Smith") && pii.contains("BirthDate=2004-01-09"));

    let json: serde_json::Value =
        serde_json::from_str(&trace(w, &["student_personal.csv:8", "--json"])).unwrap();
    assert_eq!(json["rows"][0]["identity"]["rule"], "decision");
    assert_eq!(json["rows"][0]["identity"]["student"], "100000005");

    let o = cutover(&["trace", "student_enrollment.csv:99", "--out", "out"], w);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&o.stderr),
        "error: student_enrollment.csv:99: no such row in this run (no entity's read snapshot or quarantine has it)\n"
    );
    let o = cutover(&["trace", "student_enrollment.csv", "--out", "out"], w);
    assert_eq!(
        String::from_utf8_lossy(&o.stderr),
        "error: student_enrollment.csv: expected FILE:ROW, such as student_enrollment.csv:1234\n"
    );
}

/// The fix lists hold every quarantine and pre-flight line once, by SAU.
#[test]
fn the_fix_lists_match_the_quarantine_and_preflight_files_row_for_row() {
    let dir = tempfile::tempdir().unwrap();
    let w = dir.path();
    bundle(w);
    run(w);
    let out = w.join("out");
    let mut expected: BTreeMap<(String, String, String, String), u32> = BTreeMap::new();
    for (folder, message) in [("quarantine", "message"), ("preflight", "Error")] {
        for e in fs::read_dir(out.join(folder)).unwrap() {
            for r in csv_rows(&e.unwrap().path()) {
                *expected
                    .entry((
                        r["source_file"].clone(),
                        r["source_row"].clone(),
                        r["rule"].clone(),
                        r[message].clone(),
                    ))
                    .or_default() += 1;
            }
        }
    }
    let mut listed: BTreeMap<(String, String, String, String), u32> = BTreeMap::new();
    let mut by_sau: BTreeMap<String, usize> = BTreeMap::new();
    for e in fs::read_dir(out.join("fixlists")).unwrap() {
        let path = e.unwrap().path();
        if path.extension().is_some_and(|x| x == "csv") {
            let rows = csv_rows(&path);
            by_sau.insert(
                path.file_stem().unwrap().to_string_lossy().to_string(),
                rows.len(),
            );
            for r in rows {
                *listed
                    .entry((
                        r["file"].clone(),
                        r["line"].clone(),
                        r["rule"].clone(),
                        r["message"].clone(),
                    ))
                    .or_default() += 1;
            }
        }
    }
    assert!(expected.len() > 10);
    assert_eq!(listed, expected);
    assert_eq!(by_sau, BTreeMap::from([("2544".to_string(), 15)]));
    let sau = fs::read_to_string(out.join("fixlists/2544.csv")).unwrap();
    assert_eq!(sau, FIXLIST_2544);
    let page = fs::read_to_string(out.join("fixlists/2544.html")).unwrap();
    assert!(page.contains("<h1>Fix list: SAU 2544 Brooks Public Schools</h1>"));
    assert!(!page.contains("Smith") && !page.contains("2004-01-09"));
    let index = fs::read_to_string(out.join("fixlists/index.html")).unwrap();
    assert!(index.contains(
        r#"<a href="2544.html">2544</a></td><td>Brooks Public Schools</td><td class="n">15</td>"#
    ));
    // The report's table of fix lists names each SAU beside its Org ID.
    let report = fs::read_to_string(out.join("report.html")).unwrap();
    assert!(report.contains("<th>SAU</th><th>SAU name</th><th>rows to fix</th>"));
    assert!(report
        .contains(r#"<td class="n">2544</td><td>Brooks Public Schools</td><td class="n">15</td>"#));
}

/// The summary at the top of report.html: the flows, the queue's state,
/// the fix-list links and the link to the stage times, word for word; the
/// page holds no name or birth date and no time of day.
#[test]
fn the_report_opens_with_a_summary_of_every_flow() {
    let dir = tempfile::tempdir().unwrap();
    let w = dir.path();
    bundle(w);
    run(w);
    let html = fs::read_to_string(w.join("out/report.html")).unwrap();
    let start = html.find(r#"<section class="summary""#).unwrap();
    let end = html[start..].find("</section>").unwrap() + start;
    assert!(start < html.find("<h2>Inputs</h2>").unwrap());
    let summary = &html[start..end];
    let text = |s: &str| -> String {
        let mut out = String::new();
        let mut tag = false;
        for c in s.chars() {
            match c {
                '<' => tag = true,
                '>' => {
                    tag = false;
                    out.push('|');
                }
                c if !tag => out.push(c),
                _ => {}
            }
        }
        out.split('|')
            .filter(|x| !x.trim().is_empty())
            .collect::<Vec<_>>()
            .join("|")
    };
    let rows: Vec<String> = summary
        .split("<tr")
        .skip(2)
        .map(|r| text(&format!("<tr{}", r.split("</tr>").next().unwrap())))
        .collect();
    assert_eq!(rows, SUMMARY_ROWS);
    let all = text(summary);
    let (head, rest) = all.split_once("|flow|").unwrap();
    let tail = &rest[rest.find("Carried:").unwrap()..];
    assert_eq!(format!("{head}|flow|{tail}"), SUMMARY_TEXT);
    assert!(!html.contains("Smith") && !html.contains("2004-01-09"));
    assert!(fs::read_to_string(w.join("out/run.html"))
        .unwrap()
        .contains("<th>seconds</th>"));
}

const SUMMARY_ROWS: [&str; 16] = [
    "student_personal|7|0|2|5",
    "upload: New State ID|1|0|1",
    "upload: Student Personal|7|1|6",
    "student_enrollment|14|2|0|12",
    "upload: Student Enrollment|12|4|8",
    "upload: FRM (economic status)|9|1|8",
    "upload: Special Ed|3|1|2",
    "upload: ELL Student|2|0|2",
    "schools|3|0|0|3",
    "behavior|5|0|0|5",
    "upload: Behavior|3|0|3",
    "truancy|3|0|0|3",
    "upload: Truancy|3|0|3",
    "graduation|1|0|0|1",
    "cte|4|1|0|3",
    "upload: CTE|3|2|1",
];
const SUMMARY_TEXT: &str = "Summary|37 source rows read: 32 carried, 3 quarantined, 2 merged by identity. Uploads: 34 rows written, 9 held by pre-flight.|entity &#x2f; upload|read|quarantined|merged|carried|conformed|held by pre-flight|uploaded|flow|Carried: rows that reached conform (schools and mailing addresses: ingest's output, which later stages read). Conform adds and leaves out rows under named rules (the ledger below); each upload's rows conformed are uploaded or held by pre-flight.|Bars: an entity's rows read|carried|quarantined|merged; an upload's rows conformed|uploaded|held by pre-flight.|Identity review queue: empty, nothing pending; 1 pair decided (1 merged, 0 kept separate).|Fix lists, a page per SAU (|all|): |2544 Brooks Public Schools: 15 rows|Stage times and peak memory of the latest run: |run.html| (written from run.json, so that this page is the same bytes for the same inputs).";

const FIXLIST_2544: &str = "\
file,line,StateStudentID,School_ID,school_year,stage,column,rule,message,what_to_do
cte.csv,3,100000004,1389,2017,pre-flight (cte),ProgramEndDate,concurrent_exits_after_primary,ProgramEndDate: 06/07/2017 is after the primary enrollment's exit 03/10/2017,\"Correct the enrollment dates so the student has one primary enrollment at a time, covering every other enrollment.\"
cte.csv,3,100000004,1389,2017,pre-flight (cte),,no_concurrent_enrollment,\"Secondary enrollment not found at \"\"Brooks Regional Technical Center\"\"\",Correct the record in ICSE.
cte.csv,4,100000004,1389,2017,crosswalk,CIPCode,unmapped_code,CIPCode: no row of cip_codes.csv (domain cip_codes) maps code 99.9999 in school year 2017,\"The code has no mapping for its school year: correct it in ICSE, or the Department adds the code to the crosswalk table named and records its checksum (`make manifest`).\"
cte.csv,5,100000005,1389,2017,pre-flight (cte),,no_concurrent_enrollment,\"Secondary enrollment not found at \"\"Brooks Regional Technical Center\"\"\",Correct the record in ICSE.
student_enrollment.csv,9,100000004,1389,2017,pre-flight (student_enrollment),ExitDate,concurrent_exits_after_primary,ExitDate: 06/07/2017 is after the primary enrollment's exit 03/10/2017,\"Correct the enrollment dates so the student has one primary enrollment at a time, covering every other enrollment.\"
student_enrollment.csv,10,100000004,1389,2016,pre-flight (student_enrollment),EntryDate,no_primary_enrollment,EntryDate: no primary enrollment of the student is open on this date in the school year,\"Correct the enrollment dates so the student has one primary enrollment at a time, covering every other enrollment.\"
student_enrollment.csv,11,100000005,343,2016,ingest,ExitDate,spans_school_years,\"ExitDate: in school year 2017, after the school year of SchoolEntryDate (an enrollment ends within its school year)\",Correct the record in ICSE.
student_enrollment.csv,12,100000005,343,2017,pre-flight (student_enrollment),ExitDate,overlapping_primary,ExitDate: (open) is not before the student's next primary enrollment (school 1921) begins on 10/03/2016,\"Correct the enrollment dates so the student has one primary enrollment at a time, covering every other enrollment.\"
student_enrollment.csv,13,100000005,825,2017,pre-flight (special_ed),StartDate,sped_overlap,StartDate: 10/03/2016 is before the student's previous special-ed segment ends (open),Correct the special-education dates so the service periods do not overlap.
student_enrollment.csv,14,,343,2017,pre-flight (frm),StateStudentID,awaiting_state_id,StateStudentID: the student has no StateStudentID yet; the New State ID upload assigns one first,Request a StateStudentID for the student (New State ID) and tie the enrollment to it.
student_enrollment.csv,14,,343,2017,pre-flight (frm),StateStudentID,required,StateStudentID: a value is required,Enter the missing value in ICSE.
student_enrollment.csv,14,,343,2017,pre-flight (student_enrollment),StateStudentID,awaiting_state_id,StateStudentID: the student has no StateStudentID yet; the New State ID upload assigns one first,Request a StateStudentID for the student (New State ID) and tie the enrollment to it.
student_enrollment.csv,14,,343,2017,pre-flight (student_enrollment),StateStudentID,required,StateStudentID: a value is required,Enter the missing value in ICSE.
student_enrollment.csv,15,100000005,343,2017,ingest,SchoolEntryDate,invalid_date,SchoolEntryDate: expected a date as YYYY-MM-DD or MM/DD/YYYY,Correct the value's format in ICSE.
student_personal.csv,6,100000004,,,pre-flight (student_personal),StateStudentID,no_valid_enrollment,StateStudentID: no enrollment of the student in this SAU and school year passed pre-flight,Fix the student's enrollments in this SAU and year listed above; this row follows.
";

/// Runs the bundle in `w/<name>` after `edit` changes it.
fn variant(w: &Path, name: &str, edit: impl FnOnce(&Path)) {
    let v = w.join(name);
    bundle(&v);
    edit(&v);
    run(&v);
}

fn edit(path: &Path, from: &str, to: &str) {
    let text = fs::read_to_string(path).unwrap();
    assert!(text.contains(from), "{from}");
    fs::write(path, text.replacen(from, to, 1)).unwrap();
}

#[test]
fn diffs_name_what_changed_and_why() {
    let dir = tempfile::tempdir().unwrap();
    let w = dir.path();
    variant(w, "a", |_| {});
    // One crosswalk row: graduates exit as W16.
    variant(w, "crosswalk", |v| {
        edit(
            &v.join("crosswalks/exit_codes.csv"),
            "15,Completed – Graduated,W15,",
            "15,Completed – Graduated,W16,",
        );
        let o = cutover(&["crosswalk", "manifest", "--crosswalks", "crosswalks"], v);
        assert_eq!(o.status.code(), Some(0));
    });
    // One reviewer decision: Luc and Noah merged.
    variant(w, "decision", |v| {
        append(
            &v.join("out/review/decisions.csv"),
            "100000002,100000004,merge,rk,2017-07-02,test\n",
        );
    });
    // One input row: Luc's 2017 exit date.
    variant(w, "input", |v| {
        edit(
            &v.join("input/student_enrollment.csv"),
            "2016-08-29,02,2017-06-09,15",
            "2016-08-29,02,2017-06-08,15",
        );
    });
    let diff = |b: &str| stdout(&["diff", "a/out", &format!("{b}/out")], w);
    assert_eq!(diff("crosswalk"), DIFF_CROSSWALK);
    assert_eq!(diff("decision"), DIFF_DECISION);
    assert_eq!(diff("input"), DIFF_INPUT);
    assert!(diff("a").contains(
        "why: the runs were made from the same tool, configuration, inputs, tables and decisions\n"
    ));

    let o = cutover(
        &[
            "diff",
            "a/out",
            "crosswalk/out",
            "--json",
            "--html",
            "diff.html",
        ],
        w,
    );
    assert_eq!(o.status.code(), Some(0));
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(json["causes"][0]["kind"], "crosswalk table");
    let page = fs::read_to_string(w.join("diff.html")).unwrap();
    assert!(page.contains("<td>crosswalk table</td><td>exit_codes.csv</td>"));
    assert!(!page.contains("<script") && !page.contains("http"));
}

const DIFF_CROSSWALK: &str = "\
A: a/out (run fca109db04f03844)
B: crosswalk/out (run 1d41e1b100fbf16b)
why: crosswalk table exit_codes.csv: b5a62292f472 -> 5236f5228297
crosswalk/student_enrollment: 12 -> 12 rows; added 0, removed 0, changed 1
  changed columns: ExitCode 1
  changed: student_enrollment.csv:6
identity/student_enrollment: 12 -> 12 rows; added 0, removed 0, changed 1
  changed columns: ExitCode 1
  changed: student_enrollment.csv:6
conform/student_enrollment: 12 -> 12 rows; added 0, removed 0, changed 1
  changed columns: ExitCode 1
  changed: student_enrollment.csv:6:2017:2544
uploads/student_enrollment: 8 -> 8 rows; added 0, removed 0, changed 1
  changed columns: ExitCode 1
  changed: uploads/2016-17/2544/student_enrollment.csv (student_enrollment.csv:6)
  uploads/2016-17/2544/student_enrollment.csv: added 0, removed 0, changed 1
unchanged: 46 of 49 snapshots, 10 of 11 uploads
identity: 0 students split, 0 joined
";

const DIFF_DECISION: &str = "\
A: a/out (run fca109db04f03844)
B: decision/out (run fca109db04f03844)
why: review decisions sha256: ae90da5c74eb -> 41a0347d1e48
identity/behavior: 5 -> 5 rows; added 0, removed 0, changed 2
  changed columns: StateStudentID 2
  changed: behavior.csv:4, behavior.csv:6
identity/cte: 3 -> 3 rows; added 0, removed 0, changed 1
  changed columns: StateStudentID 1
  changed: cte.csv:3
identity/id_crosswalk: 1 -> 2 rows; added 1, removed 0, changed 0
  added: 100000004
identity/identity_map: 7 -> 7 rows; added 0, removed 0, changed 1
  changed columns: StudentKey 1, rule 1
  changed: 6
identity/student_enrollment: 12 -> 12 rows; added 0, removed 0, changed 3
  changed columns: StateStudentID 3
  changed: student_enrollment.csv:10, student_enrollment.csv:8, student_enrollment.csv:9
identity/students: 5 -> 4 rows; added 0, removed 1, changed 1
  changed columns: Asian 1, BirthDate 1, FederalRaceCategory 1, FirstName 1, Hispanic 1, HispanicLatino 1, HomePrimaryLanguage 1, IdentityEffectiveDate 1, IdentityID 1, ImmigrantFlag 1, LastName 1, NameHistory 1, PersonID 1, RaceAsian 1, RaceDetermination 1, RaceWhite 1, StateStudentID 1, Suffix 1, USSchoolDate 1, White 1, source_row 1
  removed: 100000004
  changed: 100000002
identity/truancy: 3 -> 3 rows; added 0, removed 0, changed 3
  changed columns: StateStudentID 3
  changed: truancy.csv:2, truancy.csv:3, truancy.csv:4
conform/behavior: 3 -> 3 rows; added 0, removed 0, changed 2
  changed columns: StateStudentID 2
  changed: behavior.csv:4:2017:2544, behavior.csv:6:2017:2544
conform/cte: 3 -> 3 rows; added 0, removed 0, changed 1
  changed columns: StateStudentID 1
  changed: cte.csv:3:2017:2544
conform/frm: 9 -> 9 rows; added 0, removed 0, changed 1
  changed columns: StateStudentID 1
  changed: student_enrollment.csv:8:2017:2544
conform/student_enrollment: 12 -> 12 rows; added 0, removed 0, changed 3
  changed columns: StateStudentID 3
  changed: student_enrollment.csv:10:2016:2544, student_enrollment.csv:8:2017:2544, student_enrollment.csv:9:2017:2544
conform/student_personal: 7 -> 5 rows; added 0, removed 2, changed 4
  changed columns: StateStudentID 2, upload_row 4
  removed: student_personal.csv:4:2016:2544, student_personal.csv:4:2017:2544
  changed: student_personal.csv:3:2017:2544, student_personal.csv:6:2016:2544, student_personal.csv:6:2017:2544, student_personal.csv:8:2017:2544
conform/truancy: 3 -> 3 rows; added 0, removed 0, changed 3
  changed columns: StateStudentID 3
  changed: truancy.csv:2:2017:2544, truancy.csv:3:2017:2544, truancy.csv:4:2017:2544
uploads/student_enrollment: 8 -> 9 rows; added 2, removed 1, changed 1
  changed columns: StateStudentID 1
  added: uploads/2015-16/2544/student_enrollment.csv (student_enrollment.csv:10), uploads/2016-17/2544/student_enrollment.csv (student_enrollment.csv:9)
  removed: uploads/2016-17/2544/student_enrollment.csv (student_enrollment.csv:6)
  changed: uploads/2016-17/2544/student_enrollment.csv (student_enrollment.csv:8)
  uploads/2015-16/2544/student_enrollment.csv: added 1, removed 0, changed 0
  uploads/2016-17/2544/student_enrollment.csv: added 1, removed 1, changed 1
uploads/student_personal: 6 -> 5 rows; added 1, removed 2, changed 1
  changed columns: StateStudentID 1
  added: uploads/2015-16/2544/student_personal.csv (student_personal.csv:6)
  removed: uploads/2015-16/2544/student_personal.csv (student_personal.csv:4), uploads/2016-17/2544/student_personal.csv (student_personal.csv:4)
  changed: uploads/2016-17/2544/student_personal.csv (student_personal.csv:6)
  uploads/2015-16/2544/student_personal.csv: added 1, removed 1, changed 0
  uploads/2016-17/2544/student_personal.csv: added 0, removed 1, changed 1
uploads/frm: 8 -> 8 rows; added 0, removed 0, changed 1
  changed columns: StateStudentID 1
  changed: uploads/2016-17/2544/frm.csv (student_enrollment.csv:8)
  uploads/2016-17/2544/frm.csv: added 0, removed 0, changed 1
uploads/cte: 1 -> 2 rows; added 1, removed 0, changed 0
  added: uploads/2016-17/2544/cte.csv (cte.csv:3)
  uploads/2016-17/2544/cte.csv: added 1, removed 0, changed 0
uploads/behavior: 3 -> 3 rows; added 0, removed 0, changed 2
  changed columns: StateStudentID 2
  changed: uploads/2016-17/2544/behavior.csv (behavior.csv:4), uploads/2016-17/2544/behavior.csv (behavior.csv:6)
  uploads/2016-17/2544/behavior.csv: added 0, removed 0, changed 2
uploads/truancy: 3 -> 3 rows; added 0, removed 0, changed 3
  changed columns: StateStudentID 3
  changed: uploads/2016-17/2544/truancy.csv (truancy.csv:2), uploads/2016-17/2544/truancy.csv (truancy.csv:3), uploads/2016-17/2544/truancy.csv (truancy.csv:4)
  uploads/2016-17/2544/truancy.csv: added 0, removed 0, changed 3
unchanged: 36 of 49 snapshots, 5 of 11 uploads
identity: 0 students split, 1 joined
  100000002, 100000004 -> 100000002
";

const DIFF_INPUT: &str = "\
A: a/out (run fca109db04f03844)
B: input/out (run c608629ceb77ee4c)
why: input file student_enrollment.csv: 6a817360542b -> 41d4ff533bc5
read/student_enrollment: 14 -> 14 rows; added 0, removed 0, changed 1
  changed columns: ExitDate 1
  changed: student_enrollment.csv:6
ingest/student_enrollment: 12 -> 12 rows; added 0, removed 0, changed 1
  changed columns: ExitDate 1
  changed: student_enrollment.csv:6
crosswalk/student_enrollment: 12 -> 12 rows; added 0, removed 0, changed 1
  changed columns: ExitDate 1
  changed: student_enrollment.csv:6
identity/student_enrollment: 12 -> 12 rows; added 0, removed 0, changed 1
  changed columns: ExitDate 1
  changed: student_enrollment.csv:6
conform/student_enrollment: 12 -> 12 rows; added 0, removed 0, changed 1
  changed columns: ExitDate 1
  changed: student_enrollment.csv:6:2017:2544
uploads/student_enrollment: 8 -> 8 rows; added 0, removed 0, changed 1
  changed columns: ExitDate 1
  changed: uploads/2016-17/2544/student_enrollment.csv (student_enrollment.csv:6)
  uploads/2016-17/2544/student_enrollment.csv: added 0, removed 0, changed 1
unchanged: 44 of 49 snapshots, 10 of 11 uploads
identity: 0 students split, 0 joined
";

/// The SIF export of the bundle, compared with `tests/golden/sif/`
/// (`UPDATE_GOLDEN=1` rewrites it).
#[test]
fn the_sif_export_matches_its_golden_files() {
    let dir = tempfile::tempdir().unwrap();
    let w = dir.path();
    bundle(w);
    run(w);
    assert_eq!(
        stdout(&["sif", "--out", "out"], w),
        "school year 2017, as of 2017-06-30: out/sif\nDisciplineIncident: 3\nStudentPersonal: 5\nStudentSchoolEnrollment: 5\nStudentSpecialEducationSummary: 2\n"
    );
    let golden = repo().join("tests/golden/sif");
    let got = files(&w.join("out/sif"));
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        fs::create_dir_all(&golden).unwrap();
        for (name, bytes) in &got {
            fs::write(golden.join(name), bytes).unwrap();
        }
    }
    assert_eq!(got, files(&golden));
    let personal = String::from_utf8(got["StudentPersonal.xml"].clone()).unwrap();
    // Ava has no StateStudentID: her ID is requested, with NMN for her
    // blank middle name.
    assert!(personal.contains(
        "<StateProvinceId>REQUEST</StateProvinceId>\n    <Name Type=\"04\">\n      <LastName>O&apos;Brien</LastName>\n      <FirstName>Ava</FirstName>\n      <MiddleName>NMN</MiddleName>\n"
    ));
    // Emma's values come from her most recent enrollment (school 1921, E2).
    assert!(personal.contains("<LocalId>E2</LocalId>"));
}
