//! Tests on bundles from the generator: determinism, the quarantine against
//! the ground truth, the same bytes out for the same bytes in.

use crate::common::{crosswalks, csv_rows, cutover, files};

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::process::Command;

const DEFECTS: &str = "column_count = 0.002\ninvalid_date = 0.003\nunknown_code = 0.002\nretired_code = 0.0015\nexit_before_entry = 0.002\nimplausible_birth_date = 0.002\nrace_format = 0.01\nrequired = 0.0015\nsped_start_required = 0.002\nunmapped_cip = 0.008\ncte_end_before_start = 0.008\nresolution_date_required = 0.008\ntruancy_unknown_code = 0.006\ninvalid_year = 0.005\n";

#[test]
fn same_arguments_same_bytes_and_different_seeds_differ() {
    let tmp = tempfile::tempdir().unwrap();
    let w = tmp.path();
    for (out, seed) in [("a", "5"), ("b", "5"), ("c", "6")] {
        let o = cutover(
            &[
                "generate",
                "--students",
                "300",
                "--seed",
                seed,
                "--out",
                out,
            ],
            w,
        );
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    assert_eq!(files(&w.join("a")), files(&w.join("b")));
    assert_eq!(files(&w.join("a-truth")), files(&w.join("b-truth")));
    assert_ne!(files(&w.join("a")), files(&w.join("c")));
    // The truth is beside the bundle, never inside it.
    let bundle: BTreeSet<String> = files(&w.join("a")).into_keys().collect();
    assert_eq!(
        bundle,
        [
            "behavior.csv",
            "cte.csv",
            "graduation.csv",
            "mailing_address.csv",
            "schools.csv",
            "student_enrollment.csv",
            "student_personal.csv",
            "truancy.csv"
        ]
        .map(String::from)
        .into()
    );
}

#[test]
fn the_bundle_has_the_encodings_and_line_ends_of_real_extracts() {
    let tmp = tempfile::tempdir().unwrap();
    let w = tmp.path();
    assert!(cutover(
        &["generate", "--students", "400", "--seed", "3", "--out", "b"],
        w
    )
    .status
    .success());
    let personal = fs::read(w.join("b/student_personal.csv")).unwrap();
    assert!(
        std::str::from_utf8(&personal).is_err(),
        "student_personal.csv is Windows-1252"
    );
    assert!(personal.windows(2).any(|p| p == b"\r\n"));
    let (text, _, _) = encoding_rs::WINDOWS_1252.decode(&personal);
    assert!(text.contains('é'), "accented surnames are present");
    assert!(text.contains('\''), "apostrophes are present");
    let enrollment = fs::read(w.join("b/student_enrollment.csv")).unwrap();
    assert!(
        enrollment.starts_with(&[0xEF, 0xBB, 0xBF]),
        "student_enrollment.csv has a BOM"
    );
}

#[test]
fn every_planted_malformed_row_is_quarantined_and_no_clean_row_is() {
    let tmp = tempfile::tempdir().unwrap();
    let w = tmp.path();
    fs::write(w.join("defects.toml"), DEFECTS).unwrap();
    let o = cutover(
        &[
            "generate",
            "--students",
            // 2,700 and seed 34: with the identity shapes planted since
            // the ninth session, 2,500 students (seed 31) drew no weapon
            // code 11 and 2,600 planted no resolution before its event;
            // with the relatives of the twenty-third, seed 31 drew no
            // expulsion (exit 19, about 1 in 1,000 high-school years) at
            // 2,600 to 2,900, and seeds 32 and 33 missed a weapon code;
            // with the naming systems of the twenty-fourth, seed 34
            // planted no resolution before its event, 35 drew no weapon
            // code 13, 36 planted no CTE end before its start, 37
            // rejected 6 of 183 CTE rows (above the 2% check), 38 drew
            // no special-education setting H; 41 draws and plants all.
            "2700",
            "--seed",
            "41",
            "--out",
            "bundle",
            "--defects",
            "defects.toml",
        ],
        w,
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let cw = crosswalks();
    let o = cutover(
        &[
            "run",
            "bundle",
            "--out",
            "out",
            "--crosswalks",
            &cw,
            "--quiet",
        ],
        w,
    );
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );

    // (file, row) -> rules quarantined there.
    let mut quarantined: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
    for entity in [
        "student_personal",
        "student_enrollment",
        "schools",
        "behavior",
        "truancy",
        "graduation",
        "cte",
    ] {
        for row in csv_rows(&w.join(format!("out/quarantine/{entity}.csv"))) {
            quarantined
                .entry((row["source_file"].clone(), row["source_row"].clone()))
                .or_default()
                .insert(row["rule"].clone());
        }
    }
    // Pre-flight's defects are held at publish, not quarantined (uploads.rs
    // checks them). Unmapped CIP codes are quarantined by the crosswalk
    // stage, in the same quarantine files, so they stay in.
    let planted: Vec<BTreeMap<String, String>> = csv_rows(&w.join("bundle-truth/defects.csv"))
        .into_iter()
        .filter(|d| !d["rule"].is_empty() && d["rule"] != "concurrent_exits_after_primary")
        .collect();
    let mut kinds = BTreeSet::new();
    let mut file_rules = BTreeSet::new();
    for d in &planted {
        let key = (d["file"].clone(), d["row"].clone());
        let rules = quarantined.get(&key);
        assert!(
            rules.is_some_and(|r| r.contains(&d["rule"])),
            "planted {} at {}:{} quarantined as {:?}",
            d["rule"],
            key.0,
            key.1,
            rules
        );
        kinds.insert(d["rule"].clone());
        file_rules.insert((d["file"].clone(), d["rule"].clone()));
    }
    let planted_rows: BTreeSet<(String, String)> = planted
        .iter()
        .map(|d| (d["file"].clone(), d["row"].clone()))
        .collect();
    let clean_quarantined: Vec<_> = quarantined
        .iter()
        .filter(|(k, _)| !planted_rows.contains(k))
        .collect();
    assert!(
        clean_quarantined.is_empty(),
        "clean rows quarantined: {clean_quarantined:?}"
    );
    for rule in [
        "column_count",
        "invalid_date",
        "unknown_code",
        "retired_code",
        "exit_before_entry",
        "implausible_birth_date",
        "race_format",
        "required",
        "esl_date_required",
        "sped_start_required",
        "invalid_time",
        "resolution_date_required",
        "resolution_before_event",
        "end_before_start",
        "unmapped_code",
        "invalid_year",
    ] {
        assert!(kinds.contains(rule), "no {rule} defect was planted");
    }
    // Each rule of the files derived from the enrollments was exercised in
    // its own file (unknown_code and invalid_date also occur in the
    // enrollment and personal files).
    for (file, rule) in [
        ("behavior.csv", "unknown_code"),
        ("behavior.csv", "invalid_time"),
        ("behavior.csv", "resolution_date_required"),
        ("behavior.csv", "resolution_before_event"),
        ("truancy.csv", "unknown_code"),
        ("truancy.csv", "invalid_date"),
        ("cte.csv", "end_before_start"),
        ("cte.csv", "unmapped_code"),
        ("graduation.csv", "invalid_year"),
    ] {
        assert!(
            file_rules.contains(&(file.to_string(), rule.to_string())),
            "no {rule} defect was planted in {file}"
        );
    }
    every_code_the_standards_list_is_drawn_in_its_years(&w.join("bundle"));
    // No name or birth date reaches a quarantine file.
    let bytes = fs::read(w.join("bundle/student_personal.csv")).unwrap();
    let (text, _, _) = encoding_rs::WINDOWS_1252.decode(&bytes);
    let mut r = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut names = BTreeSet::new();
    for rec in r.records() {
        let rec = rec.unwrap();
        for i in [3, 4, 5] {
            if rec.len() > i && rec[i].len() > 1 {
                names.insert(rec[i].to_string());
            }
        }
    }
    let rows = csv_rows(&w.join("out/quarantine/student_personal.csv"));
    assert!(!rows.is_empty());
    for row in rows {
        assert!(
            !names.contains(&row["value"]),
            "a name in quarantine: line {}",
            row["source_row"]
        );
        if ["BirthDate", "LastName", "FirstName", "MiddleName", "Suffix"]
            .contains(&row["column"].as_str())
        {
            assert_eq!(row["value"], "[redacted]");
        }
    }
}

#[test]
fn two_runs_on_the_same_inputs_write_the_same_bytes_on_any_number_of_threads() {
    let tmp = tempfile::tempdir().unwrap();
    let w = tmp.path();
    assert!(cutover(
        &[
            "generate",
            "--students",
            "600",
            "--seed",
            "4",
            "--out",
            "bundle"
        ],
        w
    )
    .status
    .success());
    let cw = crosswalks();
    // On one thread and on three (polars' pool and rayon's, which our
    // own parallel steps use): a machine with other cores than this one's
    // must write the same bytes (a parallel sort, group or join that kept
    // the order its threads finished in, or text cut per thread, would
    // differ).
    for (out, threads) in [("one", "1"), ("two", "3")] {
        let o = Command::new(env!("CARGO_BIN_EXE_cutover"))
            .args([
                "run",
                "bundle",
                "--out",
                out,
                "--crosswalks",
                &cw,
                "--quiet",
            ])
            .env("POLARS_MAX_THREADS", threads)
            .env("RAYON_NUM_THREADS", threads)
            .current_dir(w)
            .output()
            .unwrap();
        assert_eq!(
            o.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
    let mut one = files(&w.join("one"));
    let mut two = files(&w.join("two"));
    let run_one = one.remove("run.json").unwrap();
    let run_two = two.remove("run.json").unwrap();
    // run.html shows run.json's times: it differs as run.json does.
    assert!(one.remove("run.html").is_some() && two.remove("run.html").is_some());
    assert_eq!(
        one.keys().collect::<Vec<_>>(),
        two.keys().collect::<Vec<_>>()
    );
    for (name, bytes) in &one {
        assert!(bytes == &two[name], "{name} differs between runs");
    }
    // run.json differs only in its wall-clock times (publish's per upload
    // too) and measured memory and CPU time.
    let strip = |b: &[u8]| {
        let mut v: serde_json::Value = serde_json::from_slice(b).unwrap();
        v["started_at"] = serde_json::Value::Null;
        v["finished_at"] = serde_json::Value::Null;
        for t in v["timings"].as_array_mut().unwrap() {
            t["seconds"] = serde_json::Value::Null;
            t["peak_rss_bytes"] = serde_json::Value::Null;
            t["cpu_seconds"] = serde_json::Value::Null;
            // Each upload's time in publish.
            for part in t["parts"].as_array_mut().into_iter().flatten() {
                part["seconds"] = serde_json::Value::Null;
            }
        }
        v
    };
    assert_eq!(strip(&run_one), strip(&run_two));
}

#[test]
fn user_errors_are_worded_exactly() {
    let tmp = tempfile::tempdir().unwrap();
    let w = tmp.path();
    let cases: Vec<(Vec<&str>, i32, &str)> = vec![
        (
            vec!["generate", "--students", "0", "--out", "b"],
            2,
            "error: --students must be at least 1\n",
        ),
        (
            vec!["generate", "--first-year", "2017", "--last-year", "2005", "--out", "b"],
            2,
            "error: --first-year 2017 is after --last-year 2005\n",
        ),
        (
            vec!["generate", "--defects", "rates.toml", "--out", "b"],
            2,
            "error: rates.toml: unknown field `typos`, expected one of `name_change`, `duplicate_same_id`, `duplicate_new_id`, `missing_state_id`, `twins`, `twins_same_first_name`, `twins_local_number_reused`, `triplets`, `siblings`, `siblings_similar_names`, `look_alike`, `look_alike_day_apart`, `cousins`, `step_siblings`, `half_siblings`, `look_alike_one_after_the_other`, `re_registered_late_exit`, `retired_first_id`, `overlapping_primary`, `column_count`, `invalid_date`, `unknown_code`, `retired_code`, `exit_before_entry`, `esl_date_required`, `sped_start_required`, `implausible_birth_date`, `race_format`, `required`, `blank_first_name`, `blank_last_name`, `blank_birth_date`, `behavior_unknown_code`, `invalid_time`, `resolution_date_required`, `resolution_before_event`, `truancy_unknown_code`, `unmapped_cip`, `cte_end_before_start`, `concurrent_exits_after_primary`, `invalid_year`\n",
        ),
        (
            vec!["run", "nowhere", "--crosswalks", "nowhere-either"],
            2,
            "<defaults>: bundle: nowhere is not a folder\n<defaults>: crosswalks: nowhere-either is not a folder\n",
        ),
        (
            vec!["validate", "--config", "missing.toml"],
            2,
            "missing.toml: cannot read the configuration: No such file or directory (os error 2)\n",
        ),
    ];
    fs::write(w.join("rates.toml"), "typos = 0.5\n").unwrap();
    for (args, code, stderr) in cases {
        let o = cutover(&args, w);
        assert_eq!(o.status.code(), Some(code), "{args:?}");
        assert_eq!(String::from_utf8_lossy(&o.stderr), stderr, "{args:?}");
    }
    // A usage error is exit code 2 too.
    assert_eq!(cutover(&["run"], w).status.code(), Some(2));
}

#[test]
fn the_coverage_report_accounts_for_every_legacy_value() {
    let tmp = tempfile::tempdir().unwrap();
    let w = tmp.path();
    assert!(cutover(
        &[
            "generate",
            "--students",
            "800",
            "--seed",
            "9",
            "--out",
            "bundle"
        ],
        w
    )
    .status
    .success());
    let cw = crosswalks();
    let o = cutover(
        &[
            "run",
            "bundle",
            "--out",
            "out",
            "--crosswalks",
            &cw,
            "--quiet",
        ],
        w,
    );
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let coverage: serde_json::Value =
        serde_json::from_slice(&fs::read(w.join("out/crosswalk/coverage.json")).unwrap()).unwrap();
    let columns = coverage["columns"].as_array().unwrap();
    assert_eq!(
        columns.len(),
        21,
        "enrollments: two organization columns and nine code columns; behavior: a school and three codes; truancy: a school and a code; CTE: a school and two codes; race"
    );
    // The only unmapped values are the CIP codes planted as unmapped.
    let truth = w.join(format!("{}-truth/defects.csv", "bundle"));
    let planted_cip = csv_rows(&truth)
        .iter()
        .filter(|d| d["kind"] == "unmapped_cip")
        .count() as u64;
    for c in columns {
        let expected = if c["column"] == "CIPCode" {
            planted_cip
        } else {
            0
        };
        assert_eq!(c["unmapped_rows"], expected, "{}", c["column"]);
        if c["unmapped_rows"] != 0 {
            continue;
        }
        for v in c["values"].as_array().unwrap() {
            assert!(
                v["target"].is_string() && v["loss_class"].is_string(),
                "{} {}",
                c["column"],
                v
            );
        }
    }
    let race = &coverage["race"];
    assert_eq!(race["agree"], true);
    let years: BTreeSet<&str> = race["by_year"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["group"].as_str().unwrap())
        .collect();
    assert!(
        years.contains("2009") && years.contains("2012"),
        "{years:?}"
    );
    assert!(!race["by_sau"].as_array().unwrap().is_empty());
    // Both race formats are present: bridged legacy rows and reported ones.
    use polars::prelude::SerReader;
    let df = polars::prelude::ParquetReader::new(
        fs::File::open(w.join("out/crosswalk/student_personal.parquet")).unwrap(),
    )
    .finish()
    .unwrap();
    let q = df.column("RaceQuality").unwrap().str().unwrap().clone();
    let qualities: BTreeSet<&str> = (0..q.len()).filter_map(|i| q.get(i)).collect();
    assert_eq!(
        qualities,
        ["derived_assumed", "derived_unknown_race", "reported"].into()
    );
}

/// Every code the standards list (ICSE v1 003 and v2.5 002, the launch
/// notices 000) appears in the generated bundle in a school year it is valid
/// in: (column, code, first year, last year), typed from the documents.
/// Together with the quarantine test above (only planted rows are
/// quarantined), this shows the generator draws every valid code and
/// nothing valid is rejected.
fn every_code_the_standards_list_is_drawn_in_its_years(bundle: &std::path::Path) {
    const ANY: (i32, i32) = (i32::MIN, i32::MAX);
    let mut expected: Vec<(&str, &str, &str, (i32, i32))> = Vec::new();
    let file = "student_enrollment.csv";
    // 002 line 34: exceptionality 01-14 (01 Mental Retardation until
    // 2009-10 in v1, Intellectual Disability after).
    for c in [
        "02", "03", "04", "05", "06", "07", "08", "09", "10", "11", "12", "13", "14",
    ] {
        expected.push((file, "Exceptionality", c, ANY));
    }
    expected.push((file, "Exceptionality", "01", (i32::MIN, 2010)));
    expected.push((file, "Exceptionality", "01", (2011, i32::MAX)));
    // 002 line 34, 003 lines 497-512: exit reasons; 07 and 08 DO NOT USE
    // in 2009-10, 08 also in 2011-12. 09 (deceased) is drawn only when a
    // student in special education dies: the generator's death rate (about
    // 1 in 10,000 student-years) gives this bundle fewer than one, so it is
    // not required here.
    for c in ["01", "02", "03", "04", "05", "06", "10", "11", "12"] {
        expected.push((file, "SpedExitReason", c, ANY));
    }
    expected.push((file, "SpedExitReason", "07", (2011, i32::MAX)));
    expected.push((file, "SpedExitReason", "08", (i32::MIN, 2009)));
    for c in ["A", "B", "C", "D", "E", "F", "G", "H"] {
        expected.push((file, "SpedSetting", c, ANY));
    }
    for c in ["01", "02", "03", "04", "05", "99"] {
        expected.push((file, "EnglishProficiency", c, ANY));
    }
    for c in ["F", "R", "N", "U", "P"] {
        expected.push((file, "SchoolLunchElig", c, ANY));
    }
    for c in ["R", "S", "O", "P", "F", "M"] {
        expected.push((file, "FiscalResponsibility", c, ANY));
    }
    // 003 line 127: A removed March 11, 2010.
    expected.push((file, "FiscalResponsibility", "A", (i32::MIN, 2010)));
    for c in ["1", "2", "3", "4"] {
        expected.push((file, "HomelessCode", c, (2010, i32::MAX)));
    }
    for c in ["1", "2", "3", "4", "5"] {
        expected.push((file, "SAUPercentage", c, ANY));
    }
    // 000 lines 102-116.
    expected.push((file, "StartStatus", "02", ANY));
    for c in ["10", "13", "15", "19", "23"] {
        expected.push((file, "ExitTypeCode", c, ANY));
    }
    expected.push((file, "ExitTypeCode", "12", (2013, i32::MAX)));
    // 002 line 35.
    for c in ["11", "12", "13", "20", "96"] {
        expected.push(("behavior.csv", "WeaponCode", c, ANY));
    }
    for c in ["O", "P", "V", "W"] {
        expected.push(("behavior.csv", "RoleCode", c, ANY));
    }
    for c in ["01", "02", "03", "04", "05", "06", "09"] {
        expected.push(("behavior.csv", "ResolutionCode", c, ANY));
    }
    for c in [
        "1A", "1B", "1C", "2A", "2B", "2C", "2D", "3A", "3B", "3C", "3D", "4",
    ] {
        expected.push(("truancy.csv", "TruancyLevel", c, ANY));
    }
    // (file, column, code) -> school years seen.
    let mut seen: BTreeMap<(String, String, String), BTreeSet<i32>> = BTreeMap::new();
    for f in ["student_enrollment.csv", "behavior.csv", "truancy.csv"] {
        // Flexible: the planted column_count rows are skipped.
        let mut r = csv::ReaderBuilder::new()
            .flexible(true)
            .from_path(bundle.join(f))
            .unwrap();
        let header: Vec<String> = r
            .headers()
            .unwrap()
            .iter()
            .map(|h| h.trim_start_matches('\u{feff}').to_string())
            .collect();
        let year_at = header.iter().position(|h| h == "YearCode").unwrap();
        for rec in r.records() {
            let rec = rec.unwrap();
            if rec.len() != header.len() {
                continue;
            }
            let year: i32 = rec[year_at].parse().unwrap_or(0);
            for (col, value) in header.iter().zip(rec.iter()) {
                seen.entry((f.to_string(), col.clone(), value.to_string()))
                    .or_default()
                    .insert(year);
            }
        }
    }
    let missing: Vec<String> = expected
        .iter()
        .filter(|(f, col, code, (first, last))| {
            !seen
                .get(&(f.to_string(), col.to_string(), code.to_string()))
                .is_some_and(|years| years.iter().any(|y| first <= y && y <= last))
        })
        .map(|(f, col, code, _)| format!("{f} {col} {code}"))
        .collect();
    assert!(missing.is_empty(), "codes never drawn: {missing:?}");
}
