//! Real tables slot in: a code table replaced by editing its CSV (as when
//! Synergy's published code sets arrive) and `cutover crosswalk manifest`
//! flows through the crosswalk stage to the uploads, with no code change.

use crate::common::{copy_dir, cutover, repo};

use std::fs;

#[test]
fn a_replaced_table_flows_through_to_the_uploads() {
    let tmp = tempfile::tempdir().unwrap();
    let w = tmp.path();
    let scenario = repo().join("tests/scenarios/uploads_every_kind");
    copy_dir(&scenario, w);
    copy_dir(&repo().join("crosswalks"), &w.join("crosswalks"));
    copy_dir(&repo().join("layouts"), &w.join("layouts"));
    let run = || cutover(&["run", "--config", "config.toml", "--quiet"], w);
    let upload = "out/uploads/2016-17/2544/special_ed.csv";
    let o = run();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let before = fs::read_to_string(w.join(upload)).unwrap();
    assert!(before.contains(",05,A,"), "{before}");

    // Synergy publishes its own code for exceptionality 05 (Visual
    // Impairment including Blindness): the table's target is replaced.
    let table = w.join("crosswalks/exceptionality.csv");
    let text = fs::read_to_string(&table).unwrap();
    let from = "05,Visual Impairment including Blindness,05,Visual Impairment including Blindness,";
    assert!(text.contains(from));
    fs::write(
        &table,
        text.replacen(
            from,
            "05,Visual Impairment including Blindness,VI,Visual impairment including blindness,",
            1,
        ),
    )
    .unwrap();

    // Until the manifest is rewritten the edited table is refused.
    let o = run();
    assert_eq!(o.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("exceptionality.csv has checksum"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let o = cutover(&["crosswalk", "manifest", "--crosswalks", "crosswalks"], w);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));

    // The rerun carries the new code to the special-education upload, and
    // nothing else in that file changes.
    let o = run();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let after = fs::read_to_string(w.join(upload)).unwrap();
    assert_eq!(after, before.replace(",05,A,", ",VI,A,"));
    let coverage = fs::read_to_string(w.join("out/crosswalk/coverage.json")).unwrap();
    assert!(coverage.contains("\"VI\""), "{coverage}");
}
