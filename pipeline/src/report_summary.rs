//! The top of `report.html`, what a person reads first: one flow per source
//! entity (rows read, quarantined, merged by identity, carried to conform;
//! then per upload built from it: conformed, held by pre-flight, uploaded)
//! with a bar each, the identity review queue's state, and the links to the
//! fix lists and to the stage times (`run.html`, written from `run.json`
//! after the run: the report itself holds nothing that changes from one run
//! of the same inputs to the next).

use crate::queue_state::ReviewState;
use crate::report::Report;
use serde::Serialize;

/// The source entity each upload is built from (the Student Personal
/// upload also takes its SAUs and years from the enrollments). Attendance
/// and Proficiency-Based Education have no source in the extract.
pub const UPLOAD_SOURCES: [(&str, &str); 9] = [
    ("new_state_id", "student_personal"),
    ("student_personal", "student_personal"),
    ("student_enrollment", "student_enrollment"),
    ("frm", "student_enrollment"),
    ("ell", "student_enrollment"),
    ("special_ed", "student_enrollment"),
    ("cte", "cte"),
    ("behavior", "behavior"),
    ("truancy", "truancy"),
];

/// One coloured part of a bar: its share of the row's scale in percent.
#[derive(Serialize)]
pub struct Segment {
    class: &'static str,
    width: String,
    tip: String,
}

/// One line of the flow table: an entity or an upload built from it.
#[derive(Serialize)]
pub struct FlowRow {
    label: String,
    upload: bool,
    /// read, quarantined, merged, carried, conformed, held, uploaded (blank
    /// where the step does not apply).
    cells: Vec<String>,
    bar: Vec<Segment>,
}

/// The summary at the top of the page.
#[derive(Serialize)]
pub struct Summary {
    headline: String,
    head: [&'static str; 8],
    rows: Vec<FlowRow>,
    queue: String,
    fix_lists: Vec<(String, String)>,
}

#[derive(Default, Clone, Copy)]
struct Flow {
    read: u64,
    quarantined: u64,
    merged: u64,
    carried: u64,
}

fn flow(r: &Report, entity: &str) -> Option<Flow> {
    let mut f = Flow::default();
    let mut seen = false;
    for l in r.ledger.iter().map(|l| &l.report) {
        if l.entity != entity {
            continue;
        }
        match l.stage.as_str() {
            "read" => {
                f.read = l.rows_in;
                seen = true;
            }
            "ingest" | "crosswalk" | "identity" => {}
            _ => continue,
        }
        f.quarantined += l.rejected_total();
        f.merged += l.merged;
        f.carried = l.rows_out;
    }
    seen.then_some(f)
}

fn segments(scale: u64, parts: &[(&'static str, u64, &str)]) -> Vec<Segment> {
    let scale = scale.max(1) as f64;
    parts
        .iter()
        .filter(|(_, n, _)| *n > 0)
        .map(|(class, n, what)| Segment {
            class,
            width: format!("{:.1}", 100.0 * *n as f64 / scale),
            tip: format!("{what}: {n}"),
        })
        .collect()
}

fn upload_rows(r: &Report, entity: &str, scale: u64) -> Vec<FlowRow> {
    let names: Vec<&str> = UPLOAD_SOURCES
        .iter()
        .filter(|(_, e)| *e == entity)
        .map(|(u, _)| *u)
        .collect();
    r.uploads
        .uploads
        .iter()
        .filter(|u| names.contains(&u.upload.as_str()))
        .map(|u| {
            let held: u64 = u.preflight.values().sum();
            let blank = String::new;
            FlowRow {
                label: format!("upload: {}", u.title),
                upload: true,
                cells: vec![
                    blank(),
                    blank(),
                    blank(),
                    blank(),
                    u.conformed.to_string(),
                    held.to_string(),
                    u.written.to_string(),
                ],
                bar: segments(
                    scale.max(u.conformed),
                    &[
                        ("up", u.written, "uploaded"),
                        ("held", held, "held by pre-flight"),
                    ],
                ),
            }
        })
        .collect()
}

/// Rows of every source entity read, each followed by its uploads.
fn rows(r: &Report) -> Vec<FlowRow> {
    let mut entities: Vec<&str> = Vec::new();
    for l in &r.ledger {
        if l.report.stage == "read" && !entities.contains(&l.report.entity.as_str()) {
            entities.push(&l.report.entity);
        }
    }
    let mut out = Vec::new();
    for entity in entities {
        let Some(f) = flow(r, entity) else { continue };
        out.push(FlowRow {
            label: entity.to_string(),
            upload: false,
            cells: [f.read, f.quarantined, f.merged, f.carried]
                .iter()
                .map(u64::to_string)
                .chain(std::iter::repeat_n(String::new(), 3))
                .collect(),
            bar: segments(
                f.read,
                &[
                    ("carried", f.carried, "carried"),
                    ("quar", f.quarantined, "quarantined"),
                    ("merged", f.merged, "merged"),
                ],
            ),
        });
        out.extend(upload_rows(r, entity, f.read));
    }
    out
}

fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn queue_sentence(q: &ReviewState) -> String {
    let pending = if q.pending_pairs == 0 {
        "Identity review queue: empty, nothing pending".to_string()
    } else {
        format!(
            "Identity review queue: {} pending in {} (review/queue.csv: a person decides each in review/decisions.csv)",
            plural(q.pending_pairs, "pair", "pairs"),
            plural(q.pending_clusters, "cluster", "clusters"),
        )
    };
    format!(
        "{pending}; {} decided ({} merged, {} kept separate).",
        plural(q.decided_merge + q.decided_separate, "pair", "pairs"),
        q.decided_merge,
        q.decided_separate
    )
}

/// The summary of `r`.
pub fn summary(r: &Report) -> Summary {
    let rows = rows(r);
    let sum = |i: usize, uploads: bool| -> u64 {
        rows.iter()
            .filter(|x| x.upload == uploads)
            .filter_map(|x| x.cells[i].parse::<u64>().ok())
            .sum()
    };
    let headline = format!(
        "{} source rows read: {} carried, {} quarantined, {} merged by identity. Uploads: {} rows written, {} held by pre-flight.",
        sum(0, false),
        sum(3, false),
        sum(1, false),
        sum(2, false),
        sum(6, true),
        sum(5, true),
    );
    Summary {
        headline,
        head: [
            "entity / upload",
            "read",
            "quarantined",
            "merged",
            "carried",
            "conformed",
            "held by pre-flight",
            "uploaded",
        ],
        rows,
        queue: queue_sentence(&r.review),
        fix_lists: r
            .fix_lists
            .iter()
            .map(|(sau, n)| {
                (
                    format!("fixlists/{sau}.html"),
                    match r.sau_names.get(sau) {
                        Some(name) => format!("{sau} {name}: {}", plural(*n, "row", "rows")),
                        None => format!("{sau}: {}", plural(*n, "row", "rows")),
                    },
                )
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_upload_has_a_source_or_says_why_it_has_none() {
        for u in cutover_stages::conform::UPLOADS {
            let mapped = UPLOAD_SOURCES.iter().any(|(n, _)| *n == u.name);
            assert!(mapped || u.note.is_some(), "{}", u.name);
        }
    }

    #[test]
    fn the_queue_says_what_is_pending_and_what_was_decided() {
        let q = ReviewState {
            pending_pairs: 3,
            pending_clusters: 2,
            decided_merge: 1,
            decided_separate: 0,
        };
        assert_eq!(queue_sentence(&q), "Identity review queue: 3 pairs pending in 2 clusters (review/queue.csv: a person decides each in review/decisions.csv); 1 pair decided (1 merged, 0 kept separate).");
        assert_eq!(
            queue_sentence(&ReviewState::default()),
            "Identity review queue: empty, nothing pending; 0 pairs decided (0 merged, 0 kept separate)."
        );
    }
}
