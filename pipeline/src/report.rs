//! The reconciliation report: `report.json` for machines and `report.html`
//! (one self-contained file: inline CSS and SVG, no script, no network) for
//! people. IDs and counts only: never a name, a birth date or an address.

use crate::read::FileInfo;
use crate::run::{Coverage, Failure};
use cutover_stages::columns::*;
use cutover_stages::crosswalk::Tables;
use cutover_stages::report::StageReport;
use polars::prelude::*;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

/// One group of a control total: rows read, rows that reached the last
/// stage, rows rejected on the way.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Total {
    pub group: String,
    pub before: u64,
    pub after: u64,
    pub rejected: u64,
}

/// A control total over one dimension.
#[derive(Clone, Debug, Serialize)]
pub struct ControlTotal {
    pub name: String,
    pub entity: String,
    /// The legacy column grouped by.
    pub column: String,
    pub groups: Vec<Total>,
}

/// `report.json`.
#[derive(Debug, Serialize)]
pub struct Report {
    pub run_id: String,
    pub tool_version: String,
    pub status: String,
    pub inputs: Vec<FileInfo>,
    pub ledger: Vec<LedgerRow>,
    pub quarantine_by_rule: BTreeMap<String, u64>,
    pub control_totals: Vec<ControlTotal>,
    pub coverage: Coverage,
    pub identity: crate::identity_stage::Summary,
    pub uploads: crate::publish::Summary,
    pub failures: Vec<Failure>,
}

#[derive(Debug, Serialize)]
pub struct LedgerRow {
    #[serde(flatten)]
    pub report: StageReport,
    pub balanced: bool,
}

/// The frames a report is computed from, per entity: the read frame (legacy
/// text values) and the last stage's rows.
pub struct Frames<'a> {
    pub entity: &'a str,
    pub read: &'a DataFrame,
    pub last: &'a DataFrame,
}

fn survived(frames: &Frames) -> PolarsResult<DataFrame> {
    let rows = frames
        .last
        .column(SOURCE_ROW)?
        .as_materialized_series()
        .clone();
    frames
        .read
        .clone()
        .lazy()
        .filter(col(SOURCE_ROW).is_in(lit(rows).implode(false), false))
        .collect()
}

fn group_counts(
    df: &DataFrame,
    key: &str,
    filter: Option<Expr>,
) -> PolarsResult<BTreeMap<String, u64>> {
    let mut lf = df.clone().lazy();
    if let Some(f) = filter {
        lf = lf.filter(f);
    }
    let g = lf
        .group_by([col(key).fill_null(lit("(blank)")).alias("__g")])
        .agg([len().alias("__n")])
        .collect()?;
    let keys = g.column("__g")?.str()?.clone();
    let n = g
        .column("__n")?
        .as_materialized_series()
        .cast(&DataType::UInt64)?;
    let n = n.u64()?;
    Ok((0..g.height())
        .map(|i| (keys.get(i).unwrap_or("").to_string(), n.get(i).unwrap_or(0)))
        .collect())
}

fn control_total(
    name: &str,
    frames: &Frames,
    survivors: &DataFrame,
    key: &str,
    filter: Option<Expr>,
) -> PolarsResult<ControlTotal> {
    let before = group_counts(frames.read, key, filter.clone())?;
    let after = group_counts(survivors, key, filter)?;
    let groups = before
        .iter()
        .map(|(g, b)| {
            let a = after.get(g).copied().unwrap_or(0);
            Total {
                group: g.clone(),
                before: *b,
                after: a,
                rejected: b - a,
            }
        })
        .collect();
    Ok(ControlTotal {
        name: name.to_string(),
        entity: frames.entity.to_string(),
        column: key.to_string(),
        groups,
    })
}

fn yes(column: &str) -> Expr {
    col(column).str().to_uppercase().eq(lit("Y"))
}

/// Every control total the data allows.
pub fn control_totals(frames: &[Frames], tables: &Tables) -> PolarsResult<Vec<ControlTotal>> {
    let mut out = Vec::new();
    for f in frames {
        let survivors = survived(f)?;
        if f.entity == cutover_stages::schema::STUDENT_PERSONAL.name {
            // Students: distinct StateStudentIDs (before identity resolution).
            let distinct = |df: &DataFrame| -> PolarsResult<u64> {
                Ok(df
                    .column(STATE_STUDENT_ID)?
                    .as_materialized_series()
                    .drop_nulls()
                    .n_unique()? as u64)
            };
            let (b, a) = (distinct(f.read)?, distinct(&survivors)?);
            out.push(ControlTotal {
                name: "students (distinct StateStudentID)".into(),
                entity: f.entity.into(),
                column: STATE_STUDENT_ID.into(),
                groups: vec![Total {
                    group: "all".into(),
                    before: b,
                    after: a,
                    rejected: b.saturating_sub(a),
                }],
            });
        }
        if f.entity == cutover_stages::schema::BEHAVIOR.name {
            // Incidents: distinct IncidentIDs by school year.
            let incidents = |df: &DataFrame| -> PolarsResult<BTreeMap<String, u64>> {
                let g = df
                    .clone()
                    .lazy()
                    .group_by([col(YEAR_CODE).fill_null(lit("(blank)")).alias("__g")])
                    .agg([col(INCIDENT_ID).n_unique().alias("__n")])
                    .collect()?;
                let keys = g.column("__g")?.str()?.clone();
                let n = g
                    .column("__n")?
                    .as_materialized_series()
                    .cast(&DataType::UInt64)?;
                let n = n.u64()?;
                Ok((0..g.height())
                    .map(|i| (keys.get(i).unwrap_or("").to_string(), n.get(i).unwrap_or(0)))
                    .collect())
            };
            let (before, after) = (incidents(f.read)?, incidents(&survivors)?);
            out.push(ControlTotal {
                name: "behavior incidents by school year (distinct IncidentID)".into(),
                entity: f.entity.into(),
                column: YEAR_CODE.into(),
                groups: before
                    .iter()
                    .map(|(g, b)| {
                        let a = after.get(g).copied().unwrap_or(0);
                        Total {
                            group: g.clone(),
                            before: *b,
                            after: a,
                            rejected: b.saturating_sub(a),
                        }
                    })
                    .collect(),
            });
            out.push(control_total(
                "behavior rows by event code",
                f,
                &survivors,
                EVENT_CODE,
                None,
            )?);
        }
        if f.entity == cutover_stages::schema::TRUANCY.name {
            out.push(control_total(
                "truancy steps by level",
                f,
                &survivors,
                TRUANCY_LEVEL,
                None,
            )?);
        }
        if f.entity == cutover_stages::schema::CTE.name {
            out.push(control_total(
                "CTE programs by CIP code",
                f,
                &survivors,
                CIP_CODE,
                None,
            )?);
        }
        if f.entity == cutover_stages::schema::GRADUATION.name {
            out.push(control_total(
                "graduation cohorts (NGA cohort end year)",
                f,
                &survivors,
                NGA_COHORT_END_YEAR,
                None,
            )?);
        }
        if f.entity == cutover_stages::schema::STUDENT_ENROLLMENT.name {
            out.push(control_total(
                "enrollments by school year",
                f,
                &survivors,
                YEAR_CODE,
                None,
            )?);
            out.push(control_total(
                "enrollments by resident SAU (MEDMS id)",
                f,
                &survivors,
                RESIDENT_SAU_ID,
                None,
            )?);
            out.push(control_total(
                "enrollments by grade",
                f,
                &survivors,
                GRADE_LEVEL_CODE,
                None,
            )?);
            out.push(control_total(
                "special education by disability",
                f,
                &survivors,
                EXCEPTIONALITY,
                Some(yes(SPECIAL_ED_FLAG)),
            )?);
            out.push(control_total(
                "English proficiency",
                f,
                &survivors,
                ENGLISH_PROFICIENCY,
                None,
            )?);
            out.push(control_total(
                "economic status (school lunch)",
                f,
                &survivors,
                SCHOOL_LUNCH_ELIG,
                None,
            )?);
            if let Some(exits) = tables.codes.get("exit_codes") {
                for (flag, name) in [
                    ("graduate", "graduates by exit code"),
                    ("dropout", "dropouts by exit code"),
                ] {
                    let Some(i) = exits.flag_columns.iter().position(|c| c == flag) else {
                        continue;
                    };
                    let codes: Vec<String> = exits
                        .rows
                        .iter()
                        .filter(|r| r.flags[i])
                        .map(|r| r.legacy_code.clone())
                        .collect::<BTreeSet<_>>()
                        .into_iter()
                        .collect();
                    let filter = col(EXIT_TYPE_CODE)
                        .is_in(lit(Series::new("c".into(), codes)).implode(false), false);
                    out.push(control_total(
                        name,
                        f,
                        &survivors,
                        EXIT_TYPE_CODE,
                        Some(filter),
                    )?);
                }
            }
        }
    }
    Ok(out)
}

// ------------------------------------------------------------------ HTML

/// Upload rows against conformed rows, and what pre-flight held back.
fn uploads_section(s: &mut String, report: &Report) {
    let u = &report.uploads;
    let _ = write!(
        s,
        r#"<h2>Synergy uploads</h2><p class="note">Written to <code>uploads/&lt;school year&gt;/&lt;SAU Org ID&gt;/&lt;upload&gt;.csv</code> ({} files). Every written row is a conformed row that passed pre-flight (as of {}): written = conformed &minus; held by pre-flight. Held rows are in <code>preflight/&lt;upload&gt;.csv</code> with Synergy's result-log columns and their source file and row.</p>"#,
        u.files,
        esc(&u.as_of)
    );
    let labels: Vec<String> = u
        .uploads
        .iter()
        .filter(|x| x.conformed > 0)
        .map(|x| x.title.clone())
        .collect();
    let conformed: Vec<u64> = u
        .uploads
        .iter()
        .filter(|x| x.conformed > 0)
        .map(|x| x.conformed)
        .collect();
    let written: Vec<u64> = u
        .uploads
        .iter()
        .filter(|x| x.conformed > 0)
        .map(|x| x.written)
        .collect();
    if !labels.is_empty() {
        s.push_str(&bars(
            "upload rows",
            &labels,
            &conformed,
            &written,
            ("conformed", "written"),
        ));
    }
    let rows: Vec<Vec<String>> = u
        .uploads
        .iter()
        .map(|x| {
            let held: u64 = x.preflight.values().sum();
            vec![
                x.title.clone(),
                x.conformed.to_string(),
                held.to_string(),
                x.written.to_string(),
                if x.conformed == held + x.written {
                    "yes"
                } else {
                    "NO"
                }
                .to_string(),
                x.files.to_string(),
                x.note.clone().unwrap_or_default(),
            ]
        })
        .collect();
    s.push_str(&table(
        &[
            "upload",
            "conformed",
            "held by pre-flight",
            "written",
            "balanced",
            "files",
            "note",
        ],
        &rows,
    ));
    s.push_str("<h3>pre-flight findings by rule</h3>");
    let mut by_rule: BTreeMap<(String, String), u64> = BTreeMap::new();
    for x in &u.uploads {
        for (rule, n) in &x.preflight {
            *by_rule.entry((rule.clone(), x.title.clone())).or_default() += n;
        }
    }
    let rows: Vec<Vec<String>> = by_rule
        .iter()
        .map(|((rule, upload), n)| vec![rule.clone(), upload.clone(), n.to_string()])
        .collect();
    s.push_str(&table(&["rule", "upload", "rows held"], &rows));
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A grouped bar chart, two series (before, after), as inline SVG.
fn bars(
    title: &str,
    labels: &[String],
    before: &[u64],
    after: &[u64],
    names: (&str, &str),
) -> String {
    let max = before
        .iter()
        .chain(after)
        .copied()
        .max()
        .unwrap_or(1)
        .max(1) as f64;
    let (w, h, left, bottom) = (760.0, 260.0, 56.0, 40.0);
    let band = (w - left - 10.0) / labels.len().max(1) as f64;
    let bar = (band * 0.38).max(1.0);
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg class="chart" role="img" aria-label="{t}" viewBox="0 0 {w} {h}" width="{w}" height="{h}" xmlns="http://www.w3.org/2000/svg"><title>{t}</title>"#,
        t = esc(title)
    );
    let plot = h - bottom - 10.0;
    for k in 0..=4 {
        let v = max * k as f64 / 4.0;
        let y = 10.0 + plot - plot * k as f64 / 4.0;
        let _ = write!(
            s,
            r##"<line x1="{left}" x2="{w}" y1="{y:.1}" y2="{y:.1}" stroke="#ddd"/><text x="{x:.1}" y="{ty:.1}" font-size="10" text-anchor="end">{v:.0}</text>"##,
            x = left - 4.0,
            ty = y + 3.0
        );
    }
    for (i, label) in labels.iter().enumerate() {
        let x0 = left + band * i as f64 + band * 0.1;
        for (j, (values, color)) in [(before, "#8aa4c8"), (after, "#2b5d9b")].iter().enumerate() {
            let v = values.get(i).copied().unwrap_or(0) as f64;
            let bh = plot * v / max;
            let _ = write!(
                s,
                r#"<rect x="{x:.1}" y="{y:.1}" width="{bar:.1}" height="{bh:.1}" fill="{color}"><title>{l}: {v:.0}</title></rect>"#,
                x = x0 + j as f64 * bar,
                y = 10.0 + plot - bh,
                l = esc(label)
            );
        }
        let _ = write!(
            s,
            r#"<text x="{x:.1}" y="{y:.1}" font-size="10" text-anchor="middle">{l}</text>"#,
            x = x0 + bar,
            y = h - bottom + 14.0,
            l = esc(label)
        );
    }
    let _ = write!(
        s,
        r##"<rect x="{left}" y="{y}" width="10" height="10" fill="#8aa4c8"/><text x="{x1}" y="{ty}" font-size="11">{a}</text><rect x="{x2}" y="{y}" width="10" height="10" fill="#2b5d9b"/><text x="{x3}" y="{ty}" font-size="11">{b}</text></svg>"##,
        y = h - 16.0,
        ty = h - 7.0,
        x1 = left + 14.0,
        x2 = left + 120.0,
        x3 = left + 134.0,
        a = esc(names.0),
        b = esc(names.1)
    );
    s
}

fn table(head: &[&str], rows: &[Vec<String>]) -> String {
    let mut s = String::from("<table><thead><tr>");
    for h in head {
        let _ = write!(s, "<th>{}</th>", esc(h));
    }
    s.push_str("</tr></thead><tbody>");
    for r in rows {
        s.push_str("<tr>");
        for c in r {
            let numeric = !c.is_empty() && c.bytes().all(|b| b.is_ascii_digit());
            let _ = write!(
                s,
                "<td{}>{}</td>",
                if numeric { r#" class="n""# } else { "" },
                esc(c)
            );
        }
        s.push_str("</tr>");
    }
    s.push_str("</tbody></table>");
    s
}

/// `report.html`: one self-contained page.
pub fn html(report: &Report) -> String {
    let mut s = String::new();
    let ok = report.failures.is_empty();
    let _ = write!(
        s,
        r#"<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>cutover reconciliation report {id}</title><style>
body{{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem auto;max-width:64rem;color:#1c2430;padding:0 1rem}}
h1{{font-size:1.6rem}} h2{{margin-top:2.2rem;border-bottom:2px solid #2b5d9b;padding-bottom:.2rem}}
table{{border-collapse:collapse;margin:.6rem 0;font-size:.9rem}} th,td{{border:1px solid #ccd;padding:.25rem .6rem;text-align:left}}
th{{background:#eef2f8}} td.n{{text-align:right;font-variant-numeric:tabular-nums}}
.status{{display:inline-block;padding:.2rem .7rem;border-radius:.3rem;color:#fff;font-weight:600}}
.passed{{background:#2e7d32}} .failed{{background:#c62828}} .note{{color:#555;font-size:.9rem}}
</style></head><body>
<h1>cutover reconciliation report</h1>
<p>Run <code>{id}</code> · cutover {v} · <span class="status {cls}">{status}</span></p>
<p class="note">Every row read is either carried to the last stage or rejected with its file, row and rule (the quarantine files). This page holds IDs and counts only.</p>"#,
        id = esc(&report.run_id),
        v = esc(&report.tool_version),
        cls = if ok { "passed" } else { "failed" },
        status = if ok {
            "every row accounted for"
        } else {
            "checks failed"
        }
    );
    if !ok {
        s.push_str("<h2>Failed checks</h2>");
        let rows: Vec<Vec<String>> = report
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
        s.push_str(&table(&["stage", "entity", "check", "message"], &rows));
    }
    s.push_str("<h2>Inputs</h2>");
    let rows: Vec<Vec<String>> = report
        .inputs
        .iter()
        .map(|i| {
            vec![
                i.file.clone(),
                i.encoding.clone(),
                i.line_endings.clone(),
                i.undecodable.to_string(),
                i.bytes.to_string(),
                i.sha256[..16].to_string(),
            ]
        })
        .collect();
    s.push_str(&table(
        &[
            "file",
            "encoding",
            "line ends",
            "undecodable",
            "bytes",
            "sha256 (start)",
        ],
        &rows,
    ));
    s.push_str("<h2>Ledger: rows in + added = out + rejected + merged + excluded</h2><p class=\"note\">Only the conform stage adds rows (one Student Personal row per SAU and school year) or leaves rows out on purpose (a victim's behavior row is not uploaded), each under a named rule.</p>");
    let rows: Vec<Vec<String>> = report
        .ledger
        .iter()
        .map(|l| {
            let r = &l.report;
            vec![
                r.stage.clone(),
                r.entity.clone(),
                r.rows_in.to_string(),
                r.rows_out.to_string(),
                r.rejected_total().to_string(),
                r.merged.to_string(),
                r.added.values().sum::<u64>().to_string(),
                r.excluded.values().sum::<u64>().to_string(),
                if l.balanced { "yes" } else { "NO" }.to_string(),
            ]
        })
        .collect();
    s.push_str(&table(
        &[
            "stage", "entity", "in", "out", "rejected", "merged", "added", "excluded", "balanced",
        ],
        &rows,
    ));
    s.push_str("<h2>Rejected rows by rule</h2>");
    let rows: Vec<Vec<String>> = report
        .quarantine_by_rule
        .iter()
        .map(|(r, n)| vec![r.clone(), n.to_string()])
        .collect();
    s.push_str(&table(&["rule", "rows"], &rows));
    s.push_str(r#"<h2>Control totals</h2><p class="note">Before: rows parsed from the file (rows with the wrong number of fields cannot be grouped: the ledger counts them under column_count). After: rows that reached the entity's last stage. The difference is rejected rows, each in a quarantine file.</p>"#);
    for t in &report.control_totals {
        let _ = write!(
            s,
            "<h3>{} <span class=\"note\">({} · {})</span></h3>",
            esc(&t.name),
            esc(&t.entity),
            esc(&t.column)
        );
        if t.column == YEAR_CODE {
            let labels: Vec<String> = t.groups.iter().map(|g| g.group.clone()).collect();
            let before: Vec<u64> = t.groups.iter().map(|g| g.before).collect();
            let after: Vec<u64> = t.groups.iter().map(|g| g.after).collect();
            s.push_str(&bars(
                &t.name,
                &labels,
                &before,
                &after,
                ("read", "after the last stage"),
            ));
        }
        let rows: Vec<Vec<String>> = t
            .groups
            .iter()
            .map(|g| {
                vec![
                    g.group.clone(),
                    g.before.to_string(),
                    g.after.to_string(),
                    g.rejected.to_string(),
                ]
            })
            .collect();
        s.push_str(&table(&["group", "before", "after", "rejected"], &rows));
    }
    s.push_str("<h2>Race and ethnicity: the seven federal categories</h2>");
    let race = &report.coverage.race;
    let _ = write!(
        s,
        r#"<p>Before and after bridging the legacy single field: <span class="status {}">{}</span></p>"#,
        if race.agree { "passed" } else { "failed" },
        if race.agree {
            "equal in total, by school year and by SAU"
        } else {
            "they differ"
        }
    );
    let labels: Vec<String> = race.total.iter().map(|c| c.category.clone()).collect();
    let before: Vec<u64> = race.total.iter().map(|c| c.before).collect();
    let after: Vec<u64> = race.total.iter().map(|c| c.after).collect();
    s.push_str(&bars(
        "seven race categories",
        &labels,
        &before,
        &after,
        ("before bridging", "after bridging"),
    ));
    let rows: Vec<Vec<String>> = race
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
    s.push_str(&table(&["category", "before", "after"], &rows));
    let id = &report.identity;
    s.push_str("<h2>Identity: one student, one StateStudentID</h2>");
    let rows: Vec<Vec<String>> = vec![
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
    s.push_str(&table(&["", "count"], &rows));
    let rows: Vec<Vec<String>> = id
        .identity_rows_by_rule
        .iter()
        .map(|(r, n)| vec![r.clone(), n.to_string()])
        .collect();
    s.push_str("<h3>identity rows by the rule that placed them</h3>");
    s.push_str(&table(&["rule", "identity rows"], &rows));
    let rows: Vec<Vec<String>> = id
        .blocking
        .iter()
        .map(|(p, n)| vec![p.clone(), n.to_string()])
        .collect();
    s.push_str("<h3>candidate pairs by blocking pass</h3>");
    s.push_str(&table(&["pass", "pairs"], &rows));
    uploads_section(&mut s, report);
    s.push_str("<h2>Crosswalk coverage: every legacy value seen</h2>");
    for c in &report.coverage.columns {
        let _ = write!(
            s,
            "<h3>{} <span class=\"note\">({} · domain {} · unmapped rows {})</span></h3>",
            esc(&c.column),
            esc(&c.entity),
            esc(&c.domain),
            c.unmapped_rows
        );
        let rows: Vec<Vec<String>> = c
            .values
            .iter()
            .map(|v| {
                vec![
                    v.value.clone(),
                    v.count.to_string(),
                    v.target.clone().unwrap_or_else(|| "UNMAPPED".into()),
                    v.loss_class.clone().unwrap_or_default(),
                ]
            })
            .collect();
        s.push_str(&table(
            &["legacy value", "rows", "new code", "loss class"],
            &rows,
        ));
    }
    s.push_str("</body></html>\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_totals_count_what_was_read_and_what_survived() {
        let read = df!(
            SOURCE_ROW => [2i64, 3, 4, 5],
            YEAR_CODE => ["2012", "2012", "2013", "2013"],
        )
        .unwrap();
        let last = df!(SOURCE_ROW => [2i64, 4, 5]).unwrap();
        let frames = Frames {
            entity: "student_enrollment",
            read: &read,
            last: &last,
        };
        let survivors = survived(&frames).unwrap();
        let t = control_total("by year", &frames, &survivors, YEAR_CODE, None).unwrap();
        assert_eq!(
            t.groups,
            vec![
                Total {
                    group: "2012".into(),
                    before: 2,
                    after: 1,
                    rejected: 1
                },
                Total {
                    group: "2013".into(),
                    before: 2,
                    after: 2,
                    rejected: 0
                },
            ]
        );
    }

    #[test]
    fn chart_labels_are_escaped() {
        let svg = bars("a<b", &["x&y".to_string()], &[1], &[2], ("r", "s"));
        assert!(svg.contains("a&lt;b") && svg.contains("x&amp;y") && svg.starts_with("<svg"));
    }
}
