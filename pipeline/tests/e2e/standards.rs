//! Every code and label the Department's documents give, held against the
//! shipped tables. The expected values are typed here from the documents in
//! `/work/shared/seeds` (ICSE Student Data Standards v1, 2009-10, file 003;
//! v2.5, 2011-12, file 002; the launch notices, file 000), never read from
//! the tables, so a table that drifts from the documents fails this test.
//! School years are named by the year they end: v1 is 2010, v2.5 is 2012.

use crate::common::{csv_rows, repo};

use std::collections::{BTreeMap, BTreeSet};

const V1: i32 = 2010;
const V25: i32 = 2012;

/// v2.5 line 34: "Exceptionality: ... 01 - Intellectual Disability ...".
const EXCEPTIONALITY_V25: [(&str, &str); 14] = [
    ("01", "Intellectual Disability"),
    ("02", "Hearing Impairment"),
    ("03", "Deafness"),
    ("04", "Speech and Language Impairment"),
    ("05", "Visual Impairment including Blindness"),
    ("06", "Emotional Disability"),
    ("07", "Orthopedic Impairment"),
    ("08", "Other Health Impairment"),
    ("09", "Specific Learning Disability"),
    ("10", "Deaf-Blindness"),
    ("11", "Multiple Disabilities"),
    ("12", "Developmentally Delayed"),
    ("13", "Autism"),
    ("14", "Traumatic Brain Injury"),
];

/// v2.5 line 34: "Exit Reason: ... 08 - Still Receiving Special Education
/// Services - DO NOT USE ...": every code but 08.
const SPED_EXIT_V25: [(&str, &str); 11] = [
    ("01", "Graduation with Diploma"),
    ("02", "Graduation through Certificate/Fulfillment of IEP"),
    ("03", "Reached Maximum Age"),
    ("04", "Dropped Out"),
    ("05", "Status Unknown"),
    ("06", "Exited to Regular Education"),
    ("07", "Moved Out of District, Known to be Continuing"),
    ("09", "Deceased"),
    ("10", "Moved, Not Known to be Continuing"),
    ("11", "Exited to School Age Special Education Services"),
    ("12", "Parents Refused Services"),
];

/// v2.5 line 28 and v1 lines 345-356.
const ENGLISH: [(&str, &str); 6] = [
    ("01", "Native English Speaker"),
    ("02", "Bilingual-Never LEP"),
    ("03", "Limited English Proficient"),
    ("04", "Transitioned Back to LEP"),
    ("05", "Former LEP"),
    ("99", "Status unknown"),
];

/// v2.5 line 29 and v1 lines 364-373.
const LUNCH: [(&str, &str); 5] = [
    ("F", "Free"),
    ("R", "Reduced"),
    ("N", "None"),
    ("U", "Update Required"),
    ("P", "Pre-approved"),
];

/// v2.5 line 29 and v1 lines 377-397.
const FISCAL: [(&str, &str); 6] = [
    ("R", "Resident of School Unit"),
    ("S", "Superintendent Agreement"),
    ("O", "Paid by Resident SAU or EUT"),
    ("P", "Paid by Other Source"),
    ("F", "100% State/Federal Funding"),
    ("M", "Paid by Maine Indian Education"),
];

/// v2.5 line 29 and v1 lines 404-411.
const HOMELESS: [(&str, &str); 4] = [
    ("1", "Shelter"),
    ("2", "Doubled up"),
    ("3", "Unsheltered"),
    ("4", "Motel/hotel"),
];

/// v2.5 line 33 and v1 lines 465-473.
const SAU_PERCENTAGE: [(&str, &str); 5] = [
    ("1", "1-25% of educational time spent at school"),
    ("2", "26-50% of educational time spent at school"),
    ("3", "51-75% of educational time spent at school"),
    ("4", "76% plus of educational time spent at school"),
    ("5", "Special Education only provided by school"),
];

/// v2.5 lines 33-34 and v1 lines 484-494 (D has no label in either).
const SPED_SETTING: [(&str, &str); 7] = [
    ("A", "Regular class 80% or more of the day"),
    ("B", "Regular class no more than 79% to 40% of the day"),
    ("C", "Regular class for less than 40% of the day"),
    ("E", "Residential Facility"),
    ("F", "Homebound/Hospital"),
    ("G", "Correctional Facility"),
    ("H", "Parentally Placed in a Private Schools"),
];

/// v2.5 line 35 and v1 lines 592-598.
const WEAPONS: [(&str, &str); 5] = [
    ("11", "Firearm: Handgun"),
    ("12", "Firearm: Shotgun/Rifle"),
    ("13", "Firearm: Destructive Device"),
    ("20", "Blade 2.5\"+"),
    ("96", "Other Dangerous Weapon"),
];

/// v2.5 line 35 and v1 lines 632-639.
const ROLES: [(&str, &str); 4] = [
    ("O", "Offender"),
    ("P", "Participant"),
    ("V", "Victim"),
    ("W", "Witness"),
];

/// v2.5 line 35 and v1 lines 642-687: "Expulsion with Services (01)" ...
const RESOLUTIONS: [(&str, &str); 7] = [
    ("01", "Expulsion with Services"),
    ("02", "Out of School Suspension"),
    ("03", "Alternative Education Setting by School Personnel"),
    ("04", "Pending"),
    ("05", "In School Suspension"),
    ("06", "Alternative Education Setting by Hearing Officer"),
    ("09", "Expulsion without Services"),
];

/// v2.5 line 35 and v1 lines 695-718.
const TRUANCY: [(&str, &str); 12] = [
    ("1A", "Identified but not resolved"),
    ("1B", "Resolved by informal administrative action"),
    ("1C", "Official Parent Notification (MRSA 20A 5051A 2C)"),
    ("2A", "Compulsory attendance waived by School Board"),
    ("2B", "Parent has appealed to Commissioner for waiver"),
    ("2C", "Waiver request granted by the Commissioner"),
    ("2D", "Parents referred to District Attorney"),
    ("3A", "Denied by District Attorney"),
    ("3B", "Pending District Attorney Decision"),
    ("3C", "Prosecuted by formal Court action"),
    ("3D", "Pending Court action"),
    ("4", "Resolved"),
];

/// v2.5 line 28 and v1 lines 240-244.
const ENROLLMENT_TYPES: [(&str, &str); 3] = [
    ("P", "Primary"),
    ("S", "Partial"),
    ("N", "Special Ed Services"),
];

/// v1 lines 200-215, the single race field.
const RACE_V1: [(&str, &str); 5] = [
    ("A", "Asian, Pacific Islander"),
    ("B", "African American-Black"),
    ("C", "Caucasian-White"),
    ("H", "Hispanic"),
    ("I", "American Indian, Native Alaskan"),
];

/// The launch notices (000) lines 102-116 and v2.5 line 35 ("99: Other").
const EXIT_TYPES: [(&str, &str); 8] = [
    ("10", "Transfer to a school outside of the country"),
    ("12", "Transfer to a public charter school"),
    ("13", "Transfer to home schooling"),
    ("15", "Completed – Graduated"),
    ("20", "Maximum Age for Services"),
    ("23", "Adult Ed Diploma or High School Equivalency diploma"),
    ("26", "Transfer to another educational program"),
    ("99", "Other"),
];

/// `legacy_codes.csv` rows: (domain, code) -> [(label, first, last)].
type Legacy = BTreeMap<(String, String), Vec<(String, i32, i32)>>;

fn year(v: &str, open: i32) -> i32 {
    if v.is_empty() {
        open
    } else {
        v.parse().unwrap()
    }
}

fn legacy() -> Legacy {
    let mut out = Legacy::new();
    for r in csv_rows(&repo().join("crosswalks/legacy_codes.csv")) {
        out.entry((r["domain"].clone(), r["code"].clone()))
            .or_default()
            .push((
                r["label"].clone(),
                year(&r["first_year"], i32::MIN),
                year(&r["last_year"], i32::MAX),
            ));
    }
    out
}

/// The label `legacy_codes.csv` gives a code in a school year, if valid then.
fn label_in(legacy: &Legacy, domain: &str, code: &str, y: i32) -> Option<String> {
    let rows = legacy.get(&(domain.to_string(), code.to_string()))?;
    let valid: Vec<&String> = rows
        .iter()
        .filter(|(_, f, l)| *f <= y && y <= *l)
        .map(|(label, _, _)| label)
        .collect();
    assert!(valid.len() <= 1, "{domain} {code} has two rows in {y}");
    valid.first().map(|l| l.to_string())
}

/// The codes of a domain valid in a school year.
fn valid_in(legacy: &Legacy, domain: &str, y: i32) -> BTreeSet<String> {
    legacy
        .iter()
        .filter(|((d, _), rows)| d == domain && rows.iter().any(|(_, f, l)| *f <= y && y <= *l))
        .map(|((_, c), _)| c.clone())
        .collect()
}

/// Holds a domain's codes and labels in a year, and (with `exact`) that the
/// table has no other code valid that year.
fn holds(legacy: &Legacy, domain: &str, y: i32, expected: &[(&str, &str)], exact: bool) {
    for (code, label) in expected {
        assert_eq!(
            label_in(legacy, domain, code, y).as_deref(),
            Some(*label),
            "legacy_codes.csv: {domain} {code} in {y}"
        );
    }
    if exact {
        let want: BTreeSet<String> = expected.iter().map(|(c, _)| c.to_string()).collect();
        assert_eq!(valid_in(legacy, domain, y), want, "{domain} codes in {y}");
    }
}

/// A mapping table's legacy labels: (code, year) must find the label.
fn table_holds(table: &str, y: i32, expected: &[(&str, &str)]) {
    let rows = csv_rows(&repo().join(format!("crosswalks/{table}.csv")));
    for (code, label) in expected {
        let found: Vec<&String> = rows
            .iter()
            .filter(|r| {
                r["legacy_code"] == *code
                    && year(&r["first_year"], i32::MIN) <= y
                    && y <= year(&r["last_year"], i32::MAX)
            })
            .map(|r| &r["legacy_label"])
            .collect();
        assert_eq!(found, vec![label], "{table}.csv: {code} in {y}");
    }
}

#[test]
fn exceptionality_is_as_the_standards_number_it() {
    let legacy = legacy();
    holds(&legacy, "exceptionality", V25, &EXCEPTIONALITY_V25, true);
    table_holds("exceptionality", V25, &EXCEPTIONALITY_V25);
    // v1 line 517: "01 – Mental Retardation"; 02-14 as in v2.5.
    let mut v1 = EXCEPTIONALITY_V25.to_vec();
    v1[0] = ("01", "Mental Retardation");
    holds(&legacy, "exceptionality", V1, &v1, true);
    table_holds("exceptionality", V1, &v1);
    // Synergy gets the v2.5 label in every year.
    let rows = csv_rows(&repo().join("crosswalks/exceptionality.csv"));
    for (code, label) in EXCEPTIONALITY_V25 {
        for r in rows.iter().filter(|r| r["legacy_code"] == code) {
            assert_eq!(
                (r["new_code"].as_str(), r["new_label"].as_str()),
                (code, label)
            );
        }
    }
}

#[test]
fn special_education_exit_reasons_and_their_do_not_use_years() {
    let legacy = legacy();
    holds(&legacy, "sped_exit_reason", V25, &SPED_EXIT_V25, true);
    table_holds("sped_exit_reason", V25, &SPED_EXIT_V25);
    // v1 lines 504-507: 07 and 08 DO NOT USE in 2009-10.
    let v1: Vec<(&str, &str)> = SPED_EXIT_V25
        .iter()
        .copied()
        .filter(|(c, _)| *c != "07")
        .collect();
    holds(&legacy, "sped_exit_reason", V1, &v1, true);
    table_holds("sped_exit_reason", V1, &v1);
    // 02 is never retired (both documents list it).
    for y in 2005..=2017 {
        assert!(
            label_in(&legacy, "sped_exit_reason", "02", y).is_some(),
            "02 in {y}"
        );
        assert!(label_in(&legacy, "sped_exit_reason", "08", y).is_none() || y < 2010);
    }
}

#[test]
fn enrollment_code_sets_are_the_standards_words() {
    let legacy = legacy();
    for y in [V1, V25] {
        holds(&legacy, "english_proficiency", y, &ENGLISH, true);
        holds(&legacy, "school_lunch", y, &LUNCH, true);
        holds(&legacy, "homeless", y, &HOMELESS, true);
        holds(&legacy, "sau_percentage", y, &SAU_PERCENTAGE, true);
        holds(&legacy, "sped_setting", y, &SPED_SETTING, false);
        holds(&legacy, "enrollment_type", y, &ENROLLMENT_TYPES, true);
        table_holds("english_proficiency", y, &ENGLISH);
        table_holds("economic_status", y, &LUNCH);
        table_holds("sped_setting", y, &SPED_SETTING);
    }
    holds(&legacy, "race_legacy", V1, &RACE_V1, true);
    let race = csv_rows(&repo().join("crosswalks/race.csv"));
    let labels: Vec<(&str, &str)> = race
        .iter()
        .map(|r| (r["legacy_code"].as_str(), r["legacy_label"].as_str()))
        .collect();
    assert_eq!(labels, RACE_V1.to_vec());
}

#[test]
fn fiscal_responsibility_and_the_removed_a() {
    let legacy = legacy();
    holds(&legacy, "fiscal_responsibility", V25, &FISCAL, true);
    table_holds("fiscal_responsibility", V25, &FISCAL);
    // v1 line 127: "Removed “A” Fiscal Responsibility" on March 11, 2010:
    // valid in 2009-10, never after.
    let mut v1 = FISCAL.to_vec();
    v1.push(("A", "Agency (removed March 2010)"));
    holds(&legacy, "fiscal_responsibility", V1, &v1, true);
    for y in 2011..=2017 {
        assert_eq!(label_in(&legacy, "fiscal_responsibility", "A", y), None);
    }
    // The declared rule for A never lands on S (Superintendent Agreement).
    let rows = csv_rows(&repo().join("crosswalks/fiscal_responsibility.csv"));
    let a = rows.iter().find(|r| r["legacy_code"] == "A").unwrap();
    assert_eq!(
        (a["new_code"].as_str(), a["loss_class"].as_str()),
        ("F", "declared_rule")
    );
    for (code, label) in FISCAL {
        let r = rows.iter().find(|r| r["legacy_code"] == code).unwrap();
        assert_eq!(
            (r["new_code"].as_str(), r["new_label"].as_str()),
            (code, label)
        );
    }
}

#[test]
fn behavior_and_truancy_codes_are_the_standards_words() {
    let legacy = legacy();
    for y in [V1, V25] {
        holds(&legacy, "weapon", y, &WEAPONS, true);
        holds(&legacy, "behavior_role", y, &ROLES, true);
        holds(&legacy, "resolution", y, &RESOLUTIONS, true);
        holds(&legacy, "truancy_level", y, &TRUANCY, true);
        table_holds("weapons", y, &WEAPONS);
        table_holds("resolutions", y, &RESOLUTIONS);
        table_holds("truancy_steps", y, &TRUANCY);
    }
}

#[test]
fn exit_types_the_launch_notices_name() {
    let legacy = legacy();
    for y in [V1, V25, 2017] {
        holds(&legacy, "exit_type", y, &EXIT_TYPES, false);
        table_holds("exit_codes", y, &EXIT_TYPES);
    }
    // 000 line 102: "code 02 (continuous in same school)".
    assert_eq!(
        label_in(&legacy, "start_status", "02", 2017).as_deref(),
        Some("Continuous in same school")
    );
    // Transfers out are transfers; 23 is not a regular diploma.
    let rows = csv_rows(&repo().join("crosswalks/exit_codes.csv"));
    let flags = |code: &str| {
        let r = rows.iter().find(|r| r["legacy_code"] == code).unwrap();
        [
            r["transfer_out"].clone(),
            r["dropout"].clone(),
            r["graduate"].clone(),
        ]
        .join("")
    };
    assert_eq!(flags("10"), "YNN");
    assert_eq!(flags("12"), "YNN");
    assert_eq!(flags("13"), "YNN");
    assert_eq!(flags("15"), "NNY");
    assert_eq!(flags("23"), "NNN");
}

/// No document lists the start codes: v2.5 (002 line 28) and v1 (003 line
/// 252) link to the MEDMS list, the notices give only 02 (000 line 102) and
/// speak of a start status to transfer in from home school (line 104) with
/// no code. Every other start status is a reconstruction, and the three
/// whose labels decide a merge or a meaning (13, 15, 16) say they are
/// unconfirmed, in both tables.
#[test]
fn start_statuses_other_than_02_are_marked_unconfirmed_reconstructions() {
    let legacy = csv_rows(&repo().join("crosswalks/legacy_codes.csv"));
    let entry = csv_rows(&repo().join("crosswalks/entry_codes.csv"));
    let starts: Vec<&BTreeMap<String, String>> = legacy
        .iter()
        .filter(|r| r["domain"] == "start_status")
        .collect();
    assert_eq!(
        starts
            .iter()
            .map(|r| r["code"].as_str())
            .collect::<Vec<_>>(),
        ["01", "02", "10", "11", "12", "13", "14", "15", "16"]
    );
    for r in starts.iter().chain(entry.iter().collect::<Vec<_>>().iter()) {
        let code = r.get("code").or(r.get("legacy_code")).unwrap();
        let note = &r["note"];
        if code == "02" {
            assert!(note.contains("000_d6dad0fd79d0afd6.txt line 102"), "{note}");
            continue;
        }
        assert!(note.starts_with("reconstruction"), "{code}: {note}");
        if ["13", "15", "16"].contains(&code.as_str()) {
            assert!(note.contains("label unconfirmed"), "{code}: {note}");
        }
    }
    assert!(
        entry.iter().find(|r| r["legacy_code"] == "13").unwrap()["note"]
            .contains("transfer in from Home School")
    );
}

#[test]
fn every_row_cites_a_document_or_says_it_is_a_reconstruction() {
    let tables = [
        "legacy_codes",
        "grade_levels",
        "entry_codes",
        "exit_codes",
        "economic_status",
        "fiscal_responsibility",
        "english_proficiency",
        "sped_setting",
        "exceptionality",
        "sped_exit_reason",
        "behavior_events",
        "weapons",
        "resolutions",
        "truancy_steps",
        "cte_exit_status",
        "race",
    ];
    let seeds = [
        "000_d6dad0fd79d0afd6.txt line ",
        "002_e770a609831df98f.txt line ",
        "003_753b922f4abe16fa.txt line ",
    ];
    for t in tables {
        for (i, r) in csv_rows(&repo().join(format!("crosswalks/{t}.csv")))
            .iter()
            .enumerate()
        {
            let note = &r["note"];
            assert!(
                note.contains("reconstruction") || seeds.iter().any(|s| note.contains(s)),
                "{t}.csv row {}: {note:?}",
                i + 2
            );
        }
    }
}
