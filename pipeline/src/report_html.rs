//! `report.html`: the report as a person reads it, one self-contained page
//! (inline CSS and SVG, no script, no network). The page is a minijinja
//! template (`pipeline/templates/report.html`) with automatic HTML escaping;
//! this module only shapes the report into sections of tables and charts.
//! minijinja over askama or maud: the template stays a plain HTML file a
//! reviewer can read, it costs no proc-macro build time, and escaping is on
//! by default for `.html` templates.

use crate::report::Report;
use crate::report_labels::Labels;
use cutover_stages::columns::YEAR_CODE;
use serde::Serialize;
use std::collections::BTreeMap;

const TEMPLATE: &str = include_str!("../templates/report.html");

#[derive(Serialize)]
struct Cell {
    text: String,
    numeric: bool,
}

#[derive(Serialize)]
struct Table {
    head: Vec<String>,
    rows: Vec<Vec<Cell>>,
}

fn table(head: &[&str], rows: Vec<Vec<String>>) -> Table {
    Table {
        head: head.iter().map(|h| h.to_string()).collect(),
        rows: rows
            .into_iter()
            .map(|r| {
                r.into_iter()
                    .map(|text| Cell {
                        numeric: !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()),
                        text,
                    })
                    .collect()
            })
            .collect(),
    }
}

#[derive(Serialize)]
struct Grid {
    y: String,
    x: String,
    text_y: String,
    label: String,
}

#[derive(Serialize)]
struct Bar {
    x: String,
    y: String,
    width: String,
    height: String,
    fill: &'static str,
    tip: String,
}

#[derive(Serialize)]
struct Label {
    x: String,
    y: String,
    text: String,
}

#[derive(Serialize)]
struct Chart {
    title: String,
    width: f64,
    height: f64,
    left: f64,
    legend_y: f64,
    legend_text_y: f64,
    series: (String, String),
    grid: Vec<Grid>,
    bars: Vec<Bar>,
    labels: Vec<Label>,
}

/// A grouped bar chart of two series (before, after).
fn chart(title: &str, labels: &[String], series: [&[u64]; 2], names: (&str, &str)) -> Chart {
    let max = series[0]
        .iter()
        .chain(series[1])
        .copied()
        .max()
        .unwrap_or(1)
        .max(1) as f64;
    let (w, h, left, bottom) = (760.0, 260.0, 56.0, 40.0);
    let band = (w - left - 10.0) / labels.len().max(1) as f64;
    let bar = (band * 0.38).max(1.0);
    let plot = h - bottom - 10.0;
    let grid = (0..=4)
        .map(|k| {
            let y = 10.0 + plot - plot * k as f64 / 4.0;
            Grid {
                y: format!("{y:.1}"),
                x: format!("{:.1}", left - 4.0),
                text_y: format!("{:.1}", y + 3.0),
                label: format!("{:.0}", max * k as f64 / 4.0),
            }
        })
        .collect();
    let mut bars = Vec::new();
    let mut ticks = Vec::new();
    for (i, label) in labels.iter().enumerate() {
        let x0 = left + band * i as f64 + band * 0.1;
        for (j, fill) in ["#8aa4c8", "#2b5d9b"].into_iter().enumerate() {
            let v = series[j].get(i).copied().unwrap_or(0) as f64;
            let bh = plot * v / max;
            bars.push(Bar {
                x: format!("{:.1}", x0 + j as f64 * bar),
                y: format!("{:.1}", 10.0 + plot - bh),
                width: format!("{bar:.1}"),
                height: format!("{bh:.1}"),
                fill,
                tip: format!("{label}: {v:.0}"),
            });
        }
        ticks.push(Label {
            x: format!("{:.1}", x0 + bar),
            y: format!("{:.1}", h - bottom + 14.0),
            text: label.clone(),
        });
    }
    Chart {
        title: title.to_string(),
        width: w,
        height: h,
        left,
        legend_y: h - 16.0,
        legend_text_y: h - 7.0,
        series: (names.0.to_string(), names.1.to_string()),
        grid,
        bars,
        labels: ticks,
    }
}

#[derive(Serialize, Default)]
struct Block {
    heading: Option<String>,
    detail: Option<String>,
    chart: Option<Chart>,
    table: Option<Table>,
}

#[derive(Serialize)]
struct Status {
    ok: bool,
    text: String,
    verdict: String,
}

#[derive(Serialize, Default)]
struct Section {
    title: String,
    note: Option<String>,
    /// A page beside the report: (relative path, text).
    link: Option<(String, String)>,
    status: Option<Status>,
    blocks: Vec<Block>,
}

fn section(title: &str, note: Option<&str>, blocks: Vec<Block>) -> Section {
    Section {
        title: title.to_string(),
        note: note.map(str::to_string),
        link: None,
        status: None,
        blocks,
    }
}

fn just(table: Table) -> Block {
    Block {
        table: Some(table),
        ..Default::default()
    }
}

fn counts(map: &BTreeMap<String, u64>) -> Vec<Vec<String>> {
    map.iter()
        .map(|(k, n)| vec![k.clone(), n.to_string()])
        .collect()
}

fn failures(r: &Report) -> Option<Section> {
    let rows = r
        .failures
        .iter()
        .map(|f| {
            vec![
                f.stage.clone(),
                f.entity.clone(),
                f.check.clone(),
                f.message.clone(),
            ]
        })
        .collect();
    let t = table(&["stage", "entity", "check", "message"], rows);
    (!r.failures.is_empty()).then(|| section("Failed checks", None, vec![just(t)]))
}

fn inputs(r: &Report) -> Section {
    let rows = r
        .inputs
        .iter()
        .map(|i| {
            vec![
                i.file.clone(),
                i.encoding.clone(),
                i.line_endings.clone(),
                i.undecodable.to_string(),
                i.bytes.to_string(),
                i.sha256.chars().take(16).collect(),
            ]
        })
        .collect();
    let head = [
        "file",
        "encoding",
        "line ends",
        "undecodable",
        "bytes",
        "sha256 (start)",
    ];
    section("Inputs", None, vec![just(table(&head, rows))])
}

fn ledger(r: &Report) -> Section {
    let rows = r
        .ledger
        .iter()
        .map(|l| {
            let s = &l.report;
            vec![
                s.stage.clone(),
                s.entity.clone(),
                s.rows_in.to_string(),
                s.rows_out.to_string(),
                s.rejected_total().to_string(),
                s.merged.to_string(),
                s.added.values().sum::<u64>().to_string(),
                s.excluded.values().sum::<u64>().to_string(),
                if l.balanced { "yes" } else { "NO" }.to_string(),
            ]
        })
        .collect();
    let head = [
        "stage", "entity", "in", "out", "rejected", "merged", "added", "excluded", "balanced",
    ];
    section(
        "Ledger: rows in + added = out + rejected + merged + excluded",
        Some("Only the conform stage adds rows (one Student Personal row per SAU and school year) or leaves rows out on purpose (a victim's behavior row is not uploaded), each under a named rule."),
        vec![just(table(&head, rows))],
    )
}

/// Rows kept with a wrong value, by the first rule each broke (identity
/// rows: a finding, not a reject), when there are any.
fn kept(r: &Report) -> Option<Section> {
    kept_section(&r.ledger)
}

fn kept_section(ledger: &[crate::report::LedgerRow]) -> Option<Section> {
    let mut by_rule: BTreeMap<String, u64> = BTreeMap::new();
    for l in ledger {
        for (rule, n) in &l.report.kept {
            *by_rule
                .entry(format!("{} {}: {rule}", l.report.stage, l.report.entity))
                .or_default() += n;
        }
    }
    if by_rule.is_empty() {
        return None;
    }
    Some(section(
        "Rows kept with a wrong value, by rule",
        Some("Identity rows with a value that is there but wrong: kept (counted as out), the value cleared where it cannot be trusted, each finding in the quarantine file; pre-flight holds the student's Student Personal row until it is corrected or filled from another identity."),
        vec![just(table(&["stage entity: rule", "rows"], counts(&by_rule)))],
    ))
}

/// What the control totals count, and what they do not show.
const CONTROL_TOTALS_NOTE: &str = "Before: rows parsed from the file (rows with the wrong number of fields cannot be grouped: the ledger counts them under column_count). After: rows that reached the entity's last stage. The difference is rejected rows, each in a quarantine file. A value is shown only when it is a code of the column's code set (in any year), a code-like value as short as its codes, or a well-formed year, MEDMS id or CIP code; any other value (a name or a date in a shifted row, typed text) is counted in one group such as \"(not a code: 2 values)\", 2 distinct values, whose rows are in the quarantine files with their values.";

/// What the coverage lists, and what it does not show.
const COVERAGE_NOTE: &str = "Every value that reached the crosswalk, with its rows and what it became. A value that is no code of the column's code set nor a well-formed code (a surname passes ingest as a CIP code, text of seven characters) is not shown: such values are counted in one line, \"(not a CIP code: 2 values)\", their rows in the quarantine files.";

fn control_totals(r: &Report, labels: &Labels) -> Section {
    let mut blocks = Vec::new();
    for t in &r.control_totals {
        let groups: Vec<String> = t.groups.iter().map(|g| g.group.clone()).collect();
        let before: Vec<u64> = t.groups.iter().map(|g| g.before).collect();
        let after: Vec<u64> = t.groups.iter().map(|g| g.after).collect();
        let rows = t
            .groups
            .iter()
            .map(|g| {
                vec![
                    g.group.clone(),
                    labels.legacy(&t.entity, &t.column, &g.group),
                    g.before.to_string(),
                    g.after.to_string(),
                    g.rejected.to_string(),
                ]
            })
            .collect();
        blocks.push(Block {
            heading: Some(t.name.clone()),
            detail: Some(format!("{} · {}", t.entity, t.column)),
            chart: (t.column == YEAR_CODE).then(|| {
                chart(
                    &t.name,
                    &groups,
                    [&before, &after],
                    ("read", "after the last stage"),
                )
            }),
            table: Some(table(
                &["group", "label", "before", "after", "rejected"],
                rows,
            )),
        });
    }
    section("Control totals", Some(CONTROL_TOTALS_NOTE), blocks)
}

fn race(r: &Report) -> Section {
    let race = &r.coverage.race;
    let labels: Vec<String> = race.total.iter().map(|c| c.category.clone()).collect();
    let before: Vec<u64> = race.total.iter().map(|c| c.before).collect();
    let after: Vec<u64> = race.total.iter().map(|c| c.after).collect();
    let rows = race
        .total
        .iter()
        .map(|c| {
            vec![
                c.category.clone(),
                c.before.to_string(),
                c.after.to_string(),
            ]
        })
        .collect();
    let mut s = section(
        "Race and ethnicity: the seven federal categories",
        None,
        vec![Block {
            chart: Some(chart(
                "seven race categories",
                &labels,
                [&before, &after],
                ("before bridging", "after bridging"),
            )),
            table: Some(table(&["category", "before", "after"], rows)),
            ..Default::default()
        }],
    );
    s.status = Some(Status {
        ok: race.agree,
        text: "Before and after bridging the legacy single field".into(),
        verdict: if race.agree {
            "equal in total, by school year and by SAU"
        } else {
            "they differ"
        }
        .into(),
    });
    s
}

fn identity(r: &Report) -> Section {
    let id = &r.identity;
    let summary = vec![
        vec!["identity rows".into(), id.identity_rows.to_string()],
        vec!["students".into(), id.students.to_string()],
        vec![
            "students needing a New State ID".into(),
            id.needs_new_state_id.to_string(),
        ],
        vec!["review queue (pairs)".into(), id.review_queue.to_string()],
        vec!["candidate pairs scored".into(), id.pairs_scored.to_string()],
        vec![
            "blocks too large to pair".into(),
            id.oversized_blocks.to_string(),
        ],
    ];
    let passes = id
        .blocking
        .iter()
        .map(|(p, n)| vec![p.clone(), n.to_string()])
        .collect();
    let titled = |heading: &str, t: Table| Block {
        heading: Some(heading.to_string()),
        table: Some(t),
        ..Default::default()
    };
    section(
        "Identity: one student, one StateStudentID",
        None,
        vec![
            just(table(&["", "count"], summary)),
            titled(
                "identity rows by the rule that placed them",
                table(
                    &["rule", "identity rows"],
                    counts(&id.identity_rows_by_rule),
                ),
            ),
            titled(
                "candidate pairs by blocking pass",
                table(&["pass", "pairs"], passes),
            ),
        ],
    )
}

fn uploads(r: &Report) -> Section {
    let u = &r.uploads;
    let shown: Vec<_> = u.uploads.iter().filter(|x| x.conformed > 0).collect();
    let labels: Vec<String> = shown.iter().map(|x| x.title.clone()).collect();
    let conformed: Vec<u64> = shown.iter().map(|x| x.conformed).collect();
    let written: Vec<u64> = shown.iter().map(|x| x.written).collect();
    let rows = u
        .uploads
        .iter()
        .map(|x| {
            let held: u64 = x.preflight.values().sum();
            let balanced = if x.conformed == held + x.written {
                "yes"
            } else {
                "NO"
            };
            vec![
                x.title.clone(),
                x.conformed.to_string(),
                held.to_string(),
                x.written.to_string(),
                balanced.to_string(),
                x.files.to_string(),
                x.note.clone().unwrap_or_default(),
            ]
        })
        .collect();
    let mut by_rule: BTreeMap<(String, String), u64> = BTreeMap::new();
    for x in &u.uploads {
        for (rule, n) in &x.preflight {
            *by_rule.entry((rule.clone(), x.title.clone())).or_default() += n;
        }
    }
    let held = by_rule
        .iter()
        .map(|((rule, upload), n)| vec![rule.clone(), upload.clone(), n.to_string()])
        .collect();
    let head = [
        "upload",
        "conformed",
        "held by pre-flight",
        "written",
        "balanced",
        "files",
        "note",
    ];
    let note = format!("Written to uploads/<school year>/<SAU Org ID>/<upload>.csv ({} files). Every written row is a conformed row that passed pre-flight (as of {}): written = conformed - held by pre-flight. Held rows are in preflight/<upload>.csv with Synergy's result-log columns and their source file and row.", u.files, u.as_of);
    let chart = (!labels.is_empty()).then(|| {
        chart(
            "upload rows",
            &labels,
            [&conformed, &written],
            ("conformed", "written"),
        )
    });
    section(
        "Synergy uploads",
        Some(&note),
        vec![
            Block {
                chart,
                table: Some(table(&head, rows)),
                ..Default::default()
            },
            Block {
                heading: Some("pre-flight findings by rule".into()),
                table: Some(table(&["rule", "upload", "rows held"], held)),
                ..Default::default()
            },
        ],
    )
}

fn coverage(r: &Report, labels: &Labels) -> Section {
    let blocks = r
        .coverage
        .columns
        .iter()
        .map(|c| {
            let rows = c
                .values
                .iter()
                .map(|v| {
                    let target = v.target.as_deref();
                    vec![
                        v.value.clone(),
                        labels.legacy(&c.entity, &c.column, &v.value),
                        v.count.to_string(),
                        target.unwrap_or("UNMAPPED").to_string(),
                        target
                            .map(|t| labels.new_code(&c.domain, t))
                            .unwrap_or_default(),
                        v.loss_class.clone().unwrap_or_default(),
                    ]
                })
                .collect();
            Block {
                heading: Some(c.column.clone()),
                detail: Some(format!(
                    "{} · domain {} · unmapped rows {}",
                    c.entity, c.domain, c.unmapped_rows
                )),
                table: Some(table(
                    &[
                        "legacy value",
                        "label",
                        "rows",
                        "new code",
                        "new label",
                        "loss class",
                    ],
                    rows,
                )),
                ..Default::default()
            }
        })
        .collect();
    section(
        "Crosswalk coverage: every legacy value seen",
        Some(COVERAGE_NOTE),
        blocks,
    )
}

/// What the end-of-year section says of the findings: held or reported.
fn end_of_year_note(held: bool) -> &'static str {
    if held {
        "The errors the Department asked districts to fix before ICSE closed (000 lines 92-116), held from the uploads ([end_of_year] action = \"hold\"): each row is in end_of_year/findings.csv and end_of_year/by_sau/<SAU>.csv with its file and line, and each upload row held for it in preflight/<upload>.csv under the rule's name."
    } else {
        "The errors the Department asked districts to fix before ICSE closed (000 lines 92-116), reported, not held ([end_of_year] action = \"report\"): each row is in end_of_year/findings.csv and end_of_year/by_sau/<SAU>.csv with its file and line."
    }
}

fn end_of_year(r: &Report) -> Section {
    let rows = r
        .end_of_year
        .iter()
        .flat_map(|(rule, by_sau)| {
            by_sau.iter().map(move |(sau, n)| {
                vec![rule.clone(), sau.clone(), sau_name(r, sau), n.to_string()]
            })
        })
        .collect();
    section(
        "End of year: the launch notices' rules, by SAU",
        Some(end_of_year_note(r.end_of_year_held)),
        vec![just(table(&["rule", "SAU", "SAU name", "rows"], rows))],
    )
}

/// The SAU's NEO name from the organization table, or nothing.
fn sau_name(r: &Report, sau: &str) -> String {
    r.sau_names.get(sau).cloned().unwrap_or_default()
}

fn fix_lists(r: &Report) -> Section {
    let mut s = section(
        "Fix lists: what each district can fix in ICSE",
        Some("Every row quarantined at ingest or crosswalk or held by pre-flight, by SAU, with its file, line, rule and what to do: fixlists/<SAU>.csv and a page per SAU."),
        vec![just(table(
            &["SAU", "SAU name", "rows to fix"],
            r.fix_lists
                .iter()
                .map(|(sau, n)| vec![sau.clone(), sau_name(r, sau), n.to_string()])
                .collect(),
        ))],
    );
    s.link = Some((
        "fixlists/index.html".into(),
        "the fix lists, a page per SAU".into(),
    ));
    s
}

/// `report.html`: one self-contained page, its summary first.
pub fn html(report: &Report, labels: &Labels) -> String {
    let rejected = section(
        "Rejected rows by rule",
        None,
        vec![just(table(
            &["rule", "rows"],
            counts(&report.quarantine_by_rule),
        ))],
    );
    let mut sections: Vec<Section> = failures(report).into_iter().collect();
    sections.extend([inputs(report), ledger(report), rejected]);
    sections.extend(kept(report));
    sections.extend([
        control_totals(report, labels),
        race(report),
        identity(report),
        uploads(report),
        fix_lists(report),
        end_of_year(report),
        coverage(report, labels),
    ]);
    let mut env = minijinja::Environment::new();
    env.add_template("report.html", TEMPLATE)
        .expect("the report template parses");
    let page = minijinja::context! {
        run_id => &report.run_id,
        tool_version => &report.tool_version,
        passed => report.failures.is_empty(),
        notes => &report.notes,
        summary => minijinja::Value::from(minijinja::value::Serde(crate::report_summary::summary(report))),
        sections => minijinja::Value::from(minijinja::value::Serde(&sections)),
    };
    let mut html = env
        .get_template("report.html")
        .and_then(|t| t.render(page))
        .expect("the report template renders");
    html.push('\n');
    html
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_end_of_year_note_says_whether_the_rows_were_held() {
        assert_eq!(
            end_of_year_note(true),
            "The errors the Department asked districts to fix before ICSE closed (000 lines 92-116), held from the uploads ([end_of_year] action = \"hold\"): each row is in end_of_year/findings.csv and end_of_year/by_sau/<SAU>.csv with its file and line, and each upload row held for it in preflight/<upload>.csv under the rule's name."
        );
        assert_eq!(
            end_of_year_note(false),
            "The errors the Department asked districts to fix before ICSE closed (000 lines 92-116), reported, not held ([end_of_year] action = \"report\"): each row is in end_of_year/findings.csv and end_of_year/by_sau/<SAU>.csv with its file and line."
        );
    }

    #[test]
    fn the_control_totals_and_the_coverage_say_what_they_do_not_show() {
        assert_eq!(
            CONTROL_TOTALS_NOTE,
            "Before: rows parsed from the file (rows with the wrong number of fields cannot be grouped: the ledger counts them under column_count). After: rows that reached the entity's last stage. The difference is rejected rows, each in a quarantine file. A value is shown only when it is a code of the column's code set (in any year), a code-like value as short as its codes, or a well-formed year, MEDMS id or CIP code; any other value (a name or a date in a shifted row, typed text) is counted in one group such as \"(not a code: 2 values)\", 2 distinct values, whose rows are in the quarantine files with their values."
        );
        assert_eq!(
            COVERAGE_NOTE,
            "Every value that reached the crosswalk, with its rows and what it became. A value that is no code of the column's code set nor a well-formed code (a surname passes ingest as a CIP code, text of seven characters) is not shown: such values are counted in one line, \"(not a CIP code: 2 values)\", their rows in the quarantine files."
        );
    }

    #[test]
    fn rows_kept_with_a_wrong_value_are_counted_by_rule_only_when_there_are_any() {
        use crate::report::LedgerRow;
        use cutover_stages::report::StageReport;
        let mut ingest = StageReport::new("ingest", "student_personal");
        ingest.kept.insert("race_format".into(), 3);
        ingest.kept.insert("invalid_date".into(), 2);
        let mut crosswalk = StageReport::new("crosswalk", "student_personal");
        crosswalk.kept.insert("unmapped_code".into(), 1);
        let row = |report| LedgerRow {
            report,
            balanced: true,
        };
        let plain = StageReport::new("ingest", "schools");
        assert!(kept_section(&[row(plain.clone())]).is_none());
        let s = kept_section(&[row(ingest), row(crosswalk), row(plain)]).unwrap();
        assert_eq!(s.title, "Rows kept with a wrong value, by rule");
        assert_eq!(
            s.note.as_deref(),
            Some("Identity rows with a value that is there but wrong: kept (counted as out), the value cleared where it cannot be trusted, each finding in the quarantine file; pre-flight holds the student's Student Personal row until it is corrected or filled from another identity.")
        );
        let table = s.blocks[0].table.as_ref().unwrap();
        let rows: Vec<Vec<&str>> = table
            .rows
            .iter()
            .map(|r| r.iter().map(|c| c.text.as_str()).collect())
            .collect();
        assert_eq!(
            rows,
            vec![
                vec!["crosswalk student_personal: unmapped_code", "1"],
                vec!["ingest student_personal: invalid_date", "2"],
                vec!["ingest student_personal: race_format", "3"],
            ]
        );
    }

    #[test]
    fn everything_on_the_page_is_escaped() {
        let mut env = minijinja::Environment::new();
        env.add_template("report.html", TEMPLATE).unwrap();
        let c = chart("a<b", &["x&y".to_string()], [&[1], &[2]], ("r", "s"));
        let out = env
            .get_template("report.html")
            .unwrap()
            .render(minijinja::context! {
                run_id => "<script>",
                tool_version => "1",
                passed => true,
                sections => minijinja::Value::from(minijinja::value::Serde(vec![section("t", Some("n<"), vec![Block { chart: Some(c), table: Some(table(&["h"], vec![vec!["<i>".into()]])), ..Default::default() }])])),
            })
            .unwrap();
        assert!(out.contains("a&lt;b") && out.contains("x&amp;y") && out.contains("&lt;i&gt;"));
        assert!(!out.contains("<script>") && !out.contains("<i>"));
    }
}
