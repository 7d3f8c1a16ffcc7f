//! The launch notices' end-of-year rules in the report, by SAU: the
//! hand-written bundle of `tests/scenarios/uploads_end_of_year_hold` (a
//! continuing senior with start status 14 at line 6, exit 19 with no
//! expulsion in behavior at line 13), run with the rules reporting (the
//! default) and holding.

use crate::common::*;
use std::fs;
use std::path::Path;

fn run(w: &Path, hold: bool) {
    let scenario = repo().join("tests/scenarios/uploads_end_of_year_hold");
    copy_dir(&scenario.join("input"), &w.join("input"));
    copy_dir(&repo().join("crosswalks"), &w.join("crosswalks"));
    copy_dir(&repo().join("layouts"), &w.join("layouts"));
    let config = fs::read_to_string(scenario.join("config.toml")).unwrap();
    let config = if hold {
        config
    } else {
        config.replace("action = \"hold\"", "action = \"report\"")
    };
    fs::write(w.join("config.toml"), config).unwrap();
    let o = cutover(&["run", "--config", "config.toml", "--quiet"], w);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn the_report_lists_each_rules_findings_by_sau() {
    for hold in [false, true] {
        let dir = tempfile::tempdir().unwrap();
        let w = dir.path();
        run(w, hold);
        assert_eq!(
            fs::read_to_string(w.join("out/end_of_year/by_sau/2544.csv")).unwrap(),
            "rule,source_file,source_row,SAUOrgID,school_year\n\
             continuing_start_status,student_enrollment.csv,6,2544,2017\n\
             expelled_without_behavior,student_enrollment.csv,13,2544,2017\n",
            "hold = {hold}"
        );
        let report: serde_json::Value =
            serde_json::from_str(&fs::read_to_string(w.join("out/report.json")).unwrap()).unwrap();
        assert_eq!(
            report["end_of_year"],
            serde_json::json!({
                "continuing_start_status": {"2544": 1},
                "expelled_without_behavior": {"2544": 1},
            }),
            "hold = {hold}"
        );
        let html = fs::read_to_string(w.join("out/report.html")).unwrap();
        let section = html
            .split("<h2>End of year: the launch notices&#x27; rules, by SAU</h2>")
            .nth(1)
            .expect("the report has the end-of-year section");
        let table = section.split("</table>").next().unwrap();
        assert!(
            table.ends_with(
                "<tbody><tr><td>continuing_start_status</td><td class=\"n\">2544</td><td>Brooks Public Schools</td><td class=\"n\">1</td></tr>\
                 <tr><td>expelled_without_behavior</td><td class=\"n\">2544</td><td>Brooks Public Schools</td><td class=\"n\">1</td></tr></tbody>"
            ),
            "hold = {hold}: {table}"
        );
        let held = fs::read_to_string(w.join("out/preflight/student_enrollment.csv")).unwrap();
        assert_eq!(
            held.contains(",continuing_start_status\r\n"),
            hold,
            "hold = {hold}: {held}"
        );
    }
}
