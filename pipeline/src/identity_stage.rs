//! The identity stage's files: reviewer decisions in, snapshots, the ID
//! crosswalk, the review queue (the only output with names and birth dates,
//! in a 0700 folder, for the people who decide) and the summary out; and the
//! `cutover identity explain` and `cutover identity score` commands.

use crate::config::Config;
use crate::output::{private_dir, write_atomic, write_bytes, write_frame_csv, LineEnds};
use crate::snapshot::{self, Provenance};
use anyhow::{Context, Result};
use cutover_stages::columns::*;
use cutover_stages::identity::{
    self, Decision, IdentityConfig, Pair, Scored, COMPARATORS, STUDENT_KEY,
};
use cutover_stages::report::StageReport;
use polars::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// What the report shows of identity resolution (`identity/summary.json`).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Summary {
    pub identity_rows: u64,
    pub students: u64,
    pub needs_new_state_id: u64,
    pub review_queue: u64,
    pub pairs_scored: u64,
    pub oversized_blocks: u64,
    /// Identity rows by the rule that placed them with their student.
    pub identity_rows_by_rule: BTreeMap<String, u64>,
    /// Retired IDs by the rule that retired them.
    pub retired_ids_by_rule: BTreeMap<String, u64>,
    pub blocking: Vec<(String, u64)>,
}

pub struct StageOut {
    pub summary: Summary,
    pub reports: Vec<StageReport>,
    pub outputs: Vec<String>,
    /// Content hashes of the snapshots, `name.column` -> hash.
    pub data: BTreeMap<String, String>,
    /// Every StateStudentID and provisional key (`__from`) to its surviving
    /// key (`__to`), for the rekey stage.
    pub key_map: DataFrame,
}

const DECISION_COLUMNS: [&str; 6] = ["id_a", "id_b", "decision", "reviewer", "date", "note"];

/// Reads `review/decisions.csv`; a missing file is no decisions.
pub fn read_decisions(path: &Path, bytes: &[u8]) -> Result<Vec<Decision>> {
    let rows = decision_rows(path, bytes)?;
    let file = path.display();
    // Two decisions on one pair: the later won silently, whatever a
    // reviewer meant by the other.
    let mut seen: BTreeMap<(&str, &str), (u64, bool)> = BTreeMap::new();
    for (line, d) in &rows {
        let pair = (d.id_a.as_str().min(&d.id_b), d.id_a.as_str().max(&d.id_b));
        match seen.insert(pair, (*line, d.merge)) {
            Some((first, merge)) if merge != d.merge => anyhow::bail!(
                "{file}: line {line}: {} and {} are decided {} here and {} on line {first}: keep one",
                d.id_a,
                d.id_b,
                word(d.merge),
                word(merge)
            ),
            _ => {}
        }
    }
    separated_yet_merged(&file.to_string(), &rows)?;
    Ok(rows.into_iter().map(|(_, d)| d).collect())
}

/// Refuses a separate decision whose two keys other decisions merge
/// through a third (`A,B merge`, `B,C merge`, `A,C separate`): one of them
/// is wrong, and which one the tool cannot tell.
fn separated_yet_merged(file: &str, rows: &[(u64, Decision)]) -> Result<()> {
    let mut merged: BTreeMap<&str, Vec<(&str, u64)>> = BTreeMap::new();
    for (line, d) in rows.iter().filter(|(_, d)| d.merge) {
        merged.entry(&d.id_a).or_default().push((&d.id_b, *line));
        merged.entry(&d.id_b).or_default().push((&d.id_a, *line));
    }
    for (line, d) in rows.iter().filter(|(_, d)| !d.merge) {
        // The merge decisions' lines on a path from id_a to id_b, if any.
        let mut came: BTreeMap<&str, (&str, u64)> = BTreeMap::new();
        let mut queue = std::collections::VecDeque::from([d.id_a.as_str()]);
        while let Some(at) = queue.pop_front() {
            for &(next, l) in merged.get(at).into_iter().flatten() {
                if next != d.id_a && !came.contains_key(next) {
                    came.insert(next, (at, l));
                    queue.push_back(next);
                }
            }
        }
        let mut lines = Vec::new();
        let mut at = d.id_b.as_str();
        while let Some(&(from, l)) = came.get(at) {
            lines.push(l.to_string());
            at = from;
        }
        if !lines.is_empty() {
            lines.reverse();
            anyhow::bail!(
                "{file}: line {line}: {} and {} are decided separate here, but the merge decisions on lines {} join them: keep one",
                d.id_a,
                d.id_b,
                lines.join(", ")
            );
        }
    }
    Ok(())
}

fn word(merge: bool) -> &'static str {
    if merge {
        "merge"
    } else {
        "separate"
    }
}

/// Refuses a decision naming a key no student is compared under in this
/// run (`key_map`'s `__from`: every StateStudentID and provisional key): it
/// was skipped without a word, so a mistyped ID left two records of one
/// child apart while the reviewer believed them merged.
pub fn check_decision_keys(path: &Path, bytes: &[u8], key_map: &DataFrame) -> Result<()> {
    let keys = key_map.column("__from")?.str()?;
    let known: PlHashSet<&str> = keys.iter().flatten().collect();
    for (line, d) in decision_rows(path, bytes)? {
        if let Some(id) = [&d.id_a, &d.id_b]
            .into_iter()
            .find(|k| !known.contains(k.as_str()))
        {
            let padded = format!("{id:0>9}");
            if crate::issued::zeros_dropped(id) && known.contains(padded.as_str()) {
                anyhow::bail!(
                    "{}: line {line}: no student has the key {id} in this run, but {padded} is a student's: leading zeros lost, as when the file is opened and saved in Excel? Write both IDs with their nine digits (an ID is never padded here: a digit may be missing instead)",
                    path.display(),
                );
            }
            anyhow::bail!(
                "{}: line {line}: no student has the key {id} in this run: the decision on {} and {} cannot be applied (a mistyped ID, or one no longer in the extract?)",
                path.display(),
                d.id_a,
                d.id_b
            );
        }
    }
    Ok(())
}

/// The decisions of `review/decisions.csv`, each with its line.
fn decision_rows(path: &Path, bytes: &[u8]) -> Result<Vec<(u64, Decision)>> {
    if bytes.is_empty() {
        return Ok(Vec::new());
    }
    let file = path.display().to_string();
    // A reviewer's file saved by Excel in Windows-1252 (an accented note)
    // failed as `CSV parse error: record 1 (line 1, field: 5, ...): invalid
    // utf-8`, naming neither the file nor the line; keys and decisions are
    // ASCII either way.
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => std::borrow::Cow::Borrowed(text),
        Err(_) => encoding_rs::WINDOWS_1252.decode(bytes).0,
    };
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut header: Vec<String> = reader
        .headers()?
        .iter()
        .map(|h| h.trim().to_string())
        .collect();
    // Unnamed columns after the last, as a spreadsheet saves formatted
    // but empty cells (`...,note,,`), are not read.
    while header.len() > DECISION_COLUMNS.len() && header.last().is_some_and(String::is_empty) {
        header.pop();
    }
    anyhow::ensure!(
        header == DECISION_COLUMNS,
        "{file}: line 1: expected the columns {}, found {}",
        DECISION_COLUMNS.join(","),
        header.join(",")
    );
    let mut out = Vec::new();
    let mut problems = Vec::new();
    for record in reader.records() {
        let r = record?;
        let line = crate::csvline::line_of(text.as_bytes(), &r);
        let field = |i: usize| r.get(i).unwrap_or("").trim().to_string();
        // A row of commas only (a spreadsheet's formatted but empty rows
        // saved past the last) is not a decision, as a blank line is not:
        // it stopped the run (`column decision: expected merge or
        // separate, found ""`).
        if r.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        // Merge or SEPARATE, as typed in a spreadsheet, is taken.
        let decision = field(2);
        let merge = match decision.to_ascii_lowercase().as_str() {
            "merge" => true,
            "separate" => false,
            _ => {
                problems.push(format!("{file}: line {line}: column decision: expected merge or separate, found {decision:?}"));
                continue;
            }
        };
        if field(0).is_empty() || field(1).is_empty() {
            problems.push(format!("{file}: line {line}: id_a and id_b are required"));
            continue;
        }
        if field(0) == field(1) {
            problems.push(format!(
                "{file}: line {line}: id_a and id_b are both {}: a decision is on two different keys",
                field(0)
            ));
            continue;
        }
        out.push((
            line,
            Decision {
                id_a: field(0),
                id_b: field(1),
                merge,
            },
        ));
    }
    anyhow::ensure!(problems.is_empty(), "{}", problems.join("\n"));
    Ok(out)
}

/// `pairs.parquet`'s frame from the compact scored pairs: keys looked up
/// by unit, levels and outcomes from the policy's own strings, the columns
/// on both cores.
fn pairs_frame<'a>(pairs: &'a [Scored], keys: &'a [String]) -> PolarsResult<DataFrame> {
    use rayon::prelude::*;
    type Build<'a> = Box<dyn Fn() -> Column + Sync + 'a>;
    type Text<'a> = Box<dyn Fn(&'a Scored) -> &'a str + Sync + 'a>;
    let key = |unit: u32| keys[unit as usize].as_str();
    let text = |name: &'static str, f: Text<'a>| -> Build<'a> {
        Box::new(move || {
            StringChunked::from_iter_values(name.into(), pairs.iter().map(&f)).into_column()
        })
    };
    let mut builds: Vec<Build> = vec![
        text("key_a", Box::new(move |p| key(p.a))),
        text("key_b", Box::new(move |p| key(p.b))),
        Box::new(|| {
            Column::new(
                "score".into(),
                pairs.iter().map(|p| p.score).collect::<Vec<_>>(),
            )
        }),
        Box::new(|| {
            Column::new(
                "probability".into(),
                pairs.iter().map(|p| p.probability).collect::<Vec<_>>(),
            )
        }),
        text("outcome", Box::new(|p| p.outcome)),
        text("reason", Box::new(|p| &p.reason)),
        text("pattern", Box::new(|p| p.pattern)),
    ];
    for (c, (name, _)) in COMPARATORS.iter().enumerate() {
        builds.push(Box::new(move || {
            StringChunked::from_iter_options(
                format!("{name}_level").into(),
                pairs.iter().map(|p| p.level(c)),
            )
            .into_column()
        }));
        builds.push(Box::new(move || {
            Column::new(
                format!("{name}_weight").into(),
                pairs.iter().map(|p| p.weight(c)).collect::<Vec<_>>(),
            )
        }));
    }
    let columns: Vec<Column> = builds.par_iter().map(|build| build()).collect();
    DataFrame::new(pairs.len(), columns)
}

/// Who a key is, for a reviewer: name, birth date, enrollment years and SAUs.
struct Who {
    name: String,
    birth: String,
    enrollments: String,
}

/// The strings of a column, cast once (none when it is absent).
fn cast_str(df: &DataFrame, c: &str) -> PolarsResult<Option<StringChunked>> {
    match df.column(c) {
        Ok(col) => Ok(Some(
            col.as_materialized_series()
                .cast(&DataType::String)?
                .str()?
                .clone(),
        )),
        Err(_) => Ok(None),
    }
}

/// Who the `wanted` keys are: a student's name and birth date (by its
/// surviving key) and the years and SAUs of the enrollments as read under
/// an ID (`StateStudentID` of the enrollment evidence, before re-keying),
/// or, for a `NEW-` unit, the rows without an ID its local number ties it
/// to (`tied`, [`identity::Resolved::tied`]).
fn who(
    students: &DataFrame,
    enrollment: Option<&DataFrame>,
    tied: &PlHashMap<String, String>,
    wanted: &PlHashSet<&str>,
) -> PolarsResult<BTreeMap<String, Who>> {
    let required = |c: &str| -> PolarsResult<StringChunked> {
        cast_str(students, c)?.ok_or_else(|| polars_err!(ColumnNotFound: "{c}"))
    };
    let keys = required(STUDENT_KEY)?;
    let (first, last, birth) = (
        required(FIRST_NAME)?,
        required(LAST_NAME)?,
        required(BIRTH_DATE)?,
    );
    let blank = || Who {
        name: String::new(),
        birth: String::new(),
        enrollments: String::new(),
    };
    let mut out = BTreeMap::new();
    for i in 0..keys.len() {
        let key = keys.get(i).unwrap_or("");
        if !wanted.contains(key) {
            continue;
        }
        let name = format!(
            "{} {}",
            first.get(i).unwrap_or(""),
            last.get(i).unwrap_or("")
        );
        let birth = birth.get(i).unwrap_or("").to_string();
        out.insert(
            key.to_string(),
            Who {
                name,
                birth,
                ..blank()
            },
        );
    }
    let years = match enrollment {
        Some(e) => enrollment_years(e, tied, wanted)?,
        None => BTreeMap::new(),
    };
    for (id, (y, s)) in years {
        let text = format!(
            "{} in SAU {}",
            y.into_iter().collect::<Vec<_>>().join(" "),
            s.into_iter().collect::<Vec<_>>().join(" ")
        );
        out.entry(id).or_insert_with(blank).enrollments = text;
    }
    Ok(out)
}

/// A key's school years and SAUs, as the queue shows them.
type YearsAndSaus = (BTreeSet<String>, BTreeSet<String>);

/// The school years and SAUs of the enrollment rows of each `wanted` key:
/// the rows read under it, and a `NEW-` unit's rows without an ID that its
/// local number ties it to (as identity reads them: an SAU, the number
/// stripped). Only those rows (a few thousand) have their year and SAU
/// cast to text.
fn enrollment_years(
    e: &DataFrame,
    tied: &PlHashMap<String, String>,
    wanted: &PlHashSet<&str>,
) -> PolarsResult<BTreeMap<String, YearsAndSaus>> {
    let missing = |c: &str| polars_err!(ColumnNotFound: "{c}");
    // One chunk each: a row is found by its index at once.
    let ids = cast_str(e, STATE_STUDENT_ID)?.ok_or_else(|| missing(STATE_STUDENT_ID))?;
    let ids = ids.rechunk();
    let sau = cast_str(e, cutover_stages::crosswalk::SAU_ORG_ID)?.map(|c| c.rechunk().into_owned());
    let local = cast_str(e, SCHOOL_STUDENT_ID)?.map(|c| c.rechunk().into_owned());
    let key_of = |i: usize| -> Option<&str> {
        ids.get(i).or_else(|| {
            sau.as_ref()?.get(i)?;
            let n = local.as_ref()?.get(i)?;
            tied.get(n.trim()).map(String::as_str)
        })
    };
    let rows: Vec<(IdxSize, &str)> = (0..ids.len())
        .filter_map(|i| Some((i as IdxSize, key_of(i).filter(|k| wanted.contains(k))?)))
        .collect();
    let picked = e.take(&IdxCa::from_vec(
        "rows".into(),
        rows.iter().map(|r| r.0).collect(),
    ))?;
    let y = cast_str(&picked, YEAR_CODE)?.ok_or_else(|| missing(YEAR_CODE))?;
    let s = cast_str(&picked, cutover_stages::crosswalk::SAU_ORG_ID)?;
    let mut years: BTreeMap<String, YearsAndSaus> = BTreeMap::new();
    for (j, (_, key)) in rows.iter().enumerate() {
        let entry = years.entry(key.to_string()).or_default();
        entry.0.insert(y.get(j).unwrap_or("").to_string());
        let sau = s.as_ref().and_then(|s| s.get(j)).unwrap_or("");
        entry.1.insert(sau.to_string());
    }
    Ok(years)
}

/// The frames identity resolution reads.
pub struct Frames<'a> {
    pub personal: &'a DataFrame,
    /// Only the enrollment columns that are evidence of identity (the rekey
    /// stage re-keys the whole rows).
    pub enrollment: Option<&'a DataFrame>,
    pub addresses: Option<&'a DataFrame>,
}

/// The stage's snapshots: students, identity map and ID crosswalk (their
/// content hashes into `data`: a later stage reads them, publish the
/// students, rekey the identity map), `pairs.parquet`, the largest, which
/// only `identity explain` and the score read (no content hash; the runner
/// still checksums its file), and the review queue: each on its own
/// thread, at the same time.
fn write_snapshots(
    root: &Path,
    out: &identity::Resolved,
    enrollment: Option<&DataFrame>,
    provenance: &Provenance,
    outputs: &mut Vec<String>,
    data: &mut BTreeMap<String, String>,
) -> Result<()> {
    let (scored, keys) = (&out.scored, &out.keys);
    std::thread::scope(|scope| -> Result<()> {
        let pairs = scope.spawn(|| -> Result<()> {
            let mut pairs = pairs_frame(scored, keys)?;
            snapshot::write_parquet(root, identity::STAGE, "pairs", &mut pairs, provenance)
        });
        let queue = scope.spawn(|| review_queue(root, out, enrollment));
        let frames = [
            ("students", &out.students),
            ("identity_map", &out.identity_map),
            ("id_crosswalk", &out.id_crosswalk),
        ];
        let written = frames.map(|(name, df)| {
            let task = scope.spawn(move || -> Result<BTreeMap<String, String>> {
                // A shallow copy: the writer may rechunk what it writes.
                let mut df = df.clone();
                snapshot::write_parquet(root, identity::STAGE, name, &mut df, provenance)?;
                crate::checksum::data_hashes(name, &df)
            });
            (name, task)
        });
        for (name, task) in written {
            data.extend(task.join().expect("a snapshot writer does not panic")?);
            outputs.push(format!("{}/{name}.parquet", identity::STAGE));
        }
        pairs.join().expect("the pairs writer does not panic")?;
        queue.join().expect("the queue writer does not panic")
    })?;
    outputs.push(format!("{}/pairs.parquet", identity::STAGE));
    Ok(())
}

/// The review queue: what a reviewer needs, in a folder only its owner
/// reads.
fn review_queue(
    root: &Path,
    out: &identity::Resolved,
    enrollment: Option<&DataFrame>,
) -> Result<()> {
    let wanted: PlHashSet<&str> = out
        .review
        .iter()
        .flat_map(|p| [p.key_a.as_str(), p.key_b.as_str()])
        .collect();
    let people = who(&out.students, enrollment, &out.tied, &wanted)?;
    write_queue(root, &out.review, &people)
}

/// Runs identity resolution and writes its files.
pub fn run_stage(
    root: &Path,
    frames: Frames,
    decisions: &[Decision],
    check_keys: &dyn Fn(&DataFrame) -> Result<()>,
    nicknames: &[(String, String)],
    config: &Config,
    provenance: &Provenance,
) -> Result<StageOut> {
    let settings = IdentityConfig {
        merge_probability: config.merge_probability,
        review_probability: config.review_probability,
        max_block: config.max_block,
        nicknames: nicknames.to_vec(),
        same_name_birth_date_review: config.same_name_birth_date_review,
    };
    let Frames {
        personal,
        enrollment,
        addresses,
    } = frames;
    let mut out = identity::run(personal, enrollment, addresses, decisions, &settings)?;
    // Before anything is written.
    check_keys(&out.key_map)?;
    let mut clock = identity::profile::Clock::start();
    let mut outputs = Vec::new();
    let mut data = BTreeMap::new();
    write_snapshots(root, &out, enrollment, provenance, &mut outputs, &mut data)?;
    clock.lap("write_snapshots+queue", out.review.len());
    // The ID crosswalk as CSV too: retired ID -> surviving ID, rule, score.
    write_frame_csv(
        &root.join("identity/id_crosswalk.csv"),
        &out.id_crosswalk,
        &["retired_id", "surviving_id", "rule", "score"],
        LineEnds::Lf,
    )?;
    outputs.push("identity/id_crosswalk.csv".into());
    write_bytes(
        &root.join("identity/model.json"),
        &serde_json::to_vec_pretty(&out.model)?,
    )?;
    outputs.push("identity/model.json".into());
    outputs.push("review/queue.csv".into());

    let count = |df: &DataFrame, c: &str| -> Result<BTreeMap<String, u64>> {
        let s = df
            .column(c)?
            .as_materialized_series()
            .cast(&DataType::String)?;
        let s = s.str()?.clone();
        let mut m = BTreeMap::new();
        for i in 0..s.len() {
            *m.entry(s.get(i).unwrap_or("").to_string()).or_default() += 1;
        }
        Ok(m)
    };
    let needs = out
        .students
        .column(identity::NEEDS_NEW_STATE_ID)?
        .bool()?
        .sum()
        .unwrap_or(0) as u64;
    let summary = Summary {
        identity_rows: personal.height() as u64,
        students: out.students.height() as u64,
        needs_new_state_id: needs,
        review_queue: out.review.len() as u64,
        pairs_scored: out.scored.len() as u64,
        oversized_blocks: out.oversized_blocks,
        identity_rows_by_rule: count(&out.identity_map, "rule")?,
        retired_ids_by_rule: count(&out.id_crosswalk, "rule")?,
        blocking: out.passes.clone(),
    };
    write_bytes(
        &root.join("identity/summary.json"),
        &serde_json::to_vec_pretty(&summary)?,
    )?;
    outputs.push("identity/summary.json".into());
    // The pairs (the largest thing the stage holds) freed beside the next
    // stage rather than before it.
    let pairs = std::mem::take(&mut out.scored);
    std::thread::spawn(move || drop(pairs));
    clock.lap("summary", 1);
    Ok(StageOut {
        summary,
        reports: out.reports,
        outputs,
        data,
        key_map: out.key_map,
    })
}

/// Review pairs grouped into clusters (a student with three IDs is one
/// question): each pair's cluster is the smallest key connected to it
/// through review pairs; clusters come strongest first.
fn queue_order(review: &[Pair]) -> Vec<(String, &Pair)> {
    let mut parent: BTreeMap<&str, &str> = BTreeMap::new();
    fn root<'a>(parent: &BTreeMap<&'a str, &'a str>, mut k: &'a str) -> &'a str {
        while let Some(&p) = parent.get(k) {
            if p == k {
                break;
            }
            k = p;
        }
        k
    }
    for p in review {
        for k in [p.key_a.as_str(), p.key_b.as_str()] {
            parent.entry(k).or_insert(k);
        }
        let (ra, rb) = (root(&parent, &p.key_a), root(&parent, &p.key_b));
        if ra != rb {
            let (lo, hi) = if ra < rb { (ra, rb) } else { (rb, ra) };
            parent.insert(hi, lo);
        }
    }
    let mut strongest: BTreeMap<&str, f64> = BTreeMap::new();
    for p in review {
        let c = root(&parent, &p.key_a);
        let e = strongest.entry(c).or_insert(f64::MIN);
        *e = e.max(p.score);
    }
    let mut rows: Vec<(String, &Pair)> = review
        .iter()
        .map(|p| (root(&parent, &p.key_a).to_string(), p))
        .collect();
    rows.sort_by(|(ca, a), (cb, b)| {
        let (sa, sb) = (strongest[ca.as_str()], strongest[cb.as_str()]);
        sb.total_cmp(&sa)
            .then_with(|| ca.cmp(cb))
            .then_with(|| b.score.total_cmp(&a.score))
            .then_with(|| (&a.key_a, &a.key_b).cmp(&(&b.key_a, &b.key_b)))
    });
    rows
}

/// Writes `review/queue.csv`: one row per pair, grouped by cluster, with
/// the evidence for and against and the hard-negative pattern.
fn write_queue(root: &Path, review: &[Pair], people: &BTreeMap<String, Who>) -> Result<()> {
    private_dir(&root.join("review"))?;
    write_atomic(&root.join("review/queue.csv"), |f| {
        let mut w = csv::Writer::from_writer(std::io::BufWriter::new(f));
        w.write_record([
            "cluster",
            "id_a",
            "id_b",
            "probability",
            "score",
            "pattern",
            "reason",
            "evidence_for",
            "evidence_against",
            "name_a",
            "birth_date_a",
            "enrollments_a",
            "name_b",
            "birth_date_b",
            "enrollments_b",
        ])?;
        let blank = Who {
            name: String::new(),
            birth: String::new(),
            enrollments: String::new(),
        };
        let evidence = |p: &Pair, positive: bool| -> String {
            p.terms
                .iter()
                .filter(|t| {
                    if positive {
                        t.weight > 0.0
                    } else {
                        t.weight < 0.0
                    }
                })
                .map(|t| format!("{}={} ({:+.2})", t.comparator, t.level, t.weight))
                .collect::<Vec<_>>()
                .join("; ")
        };
        for (cluster, p) in queue_order(review) {
            let a = people.get(&p.key_a).unwrap_or(&blank);
            let b = people.get(&p.key_b).unwrap_or(&blank);
            w.write_record([
                cluster.as_str(),
                &p.key_a,
                &p.key_b,
                &format!("{:.4}", p.probability),
                &format!("{:.2}", p.score),
                &p.pattern,
                &p.reason,
                &evidence(p, true),
                &evidence(p, false),
                &a.name,
                &a.birth,
                &a.enrollments,
                &b.name,
                &b.birth,
                &b.enrollments,
            ])?;
        }
        w.flush()?;
        Ok(())
    })
}

fn mask(name: &str) -> String {
    name.split_whitespace()
        .map(|w| {
            let mut c = w.chars();
            match c.next() {
                Some(f) => format!("{f}{}", "*".repeat(c.count())),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The scored pairs of a run, or what to do when it has none.
fn read_pairs(root: &Path) -> Result<DataFrame> {
    let path = root.join("identity/pairs.parquet");
    anyhow::ensure!(
        path.is_file(),
        "{}: the run has no identity stage output (run `cutover run` through identity first)",
        path.display()
    );
    crate::snapshot::read_parquet(&path)
}

/// `cutover identity explain A B`: each comparison's level and weight.
pub fn explain(root: &Path, a: &str, b: &str, show_pii: bool) -> Result<String> {
    let pairs = read_pairs(root)?;
    let (x, y) = if a <= b { (a, b) } else { (b, a) };
    let found = pairs
        .lazy()
        .filter(col("key_a").eq(lit(x)).and(col("key_b").eq(lit(y))))
        .collect()?;
    anyhow::ensure!(
        found.height() == 1,
        "{x} and {y} were never compared: no blocking pass put them together"
    );
    let get = |c: &str| -> Result<String> {
        let s = found
            .column(c)?
            .as_materialized_series()
            .cast(&DataType::String)?;
        Ok(s.str()?.get(0).unwrap_or("").to_string())
    };
    let mut out = format!(
        "{x} ~ {y}: {} ({}), score {}, probability {}\n",
        get("outcome")?,
        get("reason")?,
        get("score")?,
        get("probability")?
    );
    let pattern = get("pattern")?;
    if !pattern.is_empty() {
        out.push_str(&format!(
            "  pattern: {pattern} (never merged automatically)\n"
        ));
    }
    for (name, _) in COMPARATORS {
        out.push_str(&format!(
            "  {:<14} {:<30} {:>8}\n",
            name,
            get(&format!("{name}_level"))?,
            get(&format!("{name}_weight"))?
        ));
    }
    let students = crate::snapshot::read_parquet(&root.join("identity/students.parquet"))?;
    let people = who(
        &students,
        None,
        &PlHashMap::new(),
        &PlHashSet::from_iter([x, y]),
    )?;
    for key in [x, y] {
        if let Some(p) = people.get(key) {
            let (name, birth) = if show_pii {
                (p.name.clone(), p.birth.clone())
            } else {
                (mask(&p.name), "****-**-**".to_string())
            };
            out.push_str(&format!("  {key}: {name}, born {birth}\n"));
        }
    }
    Ok(out)
}

/// The identity stage measured against the generator's truth.
#[derive(Debug, Default, Serialize)]
pub struct Score {
    pub true_pairs: u64,
    pub predicted_pairs: u64,
    pub true_positive_pairs: u64,
    /// Automatic (before review) pairwise precision, recall and F1.
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    /// Per kind of duplicate: identity rows of that kind, how many were
    /// placed with their student's original identity automatically, and
    /// after an ideal reviewer works the whole queue.
    pub by_kind: BTreeMap<String, (u64, u64, u64)>,
    /// The same per defect of a duplicate (a duplicate with two defects
    /// counts under each, and under `two_defects`), and per way its history
    /// split (`history re_registered`, ...).
    pub by_defect: BTreeMap<String, (u64, u64, u64)>,
    /// Per kind of hard negative (twins, siblings, look-alikes): pairs,
    /// merged automatically, sent to review.
    pub hard_negatives: BTreeMap<String, (u64, u64, u64)>,
    /// True pairs of units (different IDs of one child) and how many of
    /// them blocking produced.
    pub true_unit_pairs: u64,
    pub blocked_true_unit_pairs: u64,
    pub pair_completeness: f64,
    /// Review queue rows, and those the policy forces (same name and birth
    /// date, look-alikes, same-ID conflicts).
    pub queue: u64,
    pub queue_forced: u64,
    pub queue_by_reason: BTreeMap<String, u64>,
}

impl Score {
    /// What `cutover identity score` prints.
    pub fn render(&self) -> String {
        let pct = |a: u64, n: u64| 100.0 * a as f64 / n.max(1) as f64;
        let mut out = format!(
            "pairs: true {}, predicted {}, both {}\nprecision {:.4}  recall {:.4}  F1 {:.4}\n",
            self.true_pairs,
            self.predicted_pairs,
            self.true_positive_pairs,
            self.precision,
            self.recall,
            self.f1
        );
        for (kind, (n, found, reviewed)) in &self.by_kind {
            out.push_str(&format!(
                "{kind}: {found} of {n} identity rows placed with their student ({:.1}%), {reviewed} after an ideal reviewer ({:.1}%)\n",
                pct(*found, *n),
                pct(*reviewed, *n)
            ));
        }
        for (defect, (n, found, reviewed)) in &self.by_defect {
            out.push_str(&format!(
                "  defect {defect}: {found} of {n} automatically ({:.1}%), {reviewed} after review ({:.1}%)\n",
                pct(*found, *n),
                pct(*reviewed, *n)
            ));
        }
        for (kind, (n, merged, reviewed)) in &self.hard_negatives {
            out.push_str(&format!(
                "hard negatives {kind}: {n} pairs, {merged} merged automatically, {reviewed} sent to review\n"
            ));
        }
        out.push_str(&format!(
            "blocking: {} of {} true pairs of IDs compared (pair completeness {:.4})\n",
            self.blocked_true_unit_pairs, self.true_unit_pairs, self.pair_completeness
        ));
        out.push_str(&format!(
            "review queue: {} pairs, {} forced by the policy ({:.2}x)\n",
            self.queue,
            self.queue_forced,
            self.queue as f64 / self.queue_forced.max(1) as f64
        ));
        for (reason, n) in &self.queue_by_reason {
            out.push_str(&format!("  {reason}: {n}\n"));
        }
        out
    }
}

fn pairs_in(groups: &BTreeMap<String, Vec<i64>>) -> BTreeSet<(i64, i64)> {
    let mut out = BTreeSet::new();
    for ids in groups.values() {
        for i in 0..ids.len() {
            for j in i + 1..ids.len() {
                out.insert((ids[i].min(ids[j]), ids[i].max(ids[j])));
            }
        }
    }
    out
}

fn column_strings(df: &DataFrame, c: &str) -> Result<Vec<String>> {
    let s = df
        .column(c)?
        .as_materialized_series()
        .cast(&DataType::String)?;
    let s = s.str()?.clone();
    Ok((0..s.len())
        .map(|i| s.get(i).unwrap_or("").to_string())
        .collect())
}

/// One truth row: identity row, true student, kind, variation.
struct TruthRow {
    id: i64,
    student: String,
    kind: String,
    variation: String,
}

fn read_truth(truth: &Path, known: &BTreeMap<i64, (String, String)>) -> Result<Vec<TruthRow>> {
    let mut reader = csv::Reader::from_path(truth)
        .with_context(|| format!("{}: cannot read", truth.display()))?;
    let header: Vec<String> = reader.headers()?.iter().map(str::to_string).collect();
    let at = |name: &str| header.iter().position(|h| h == name);
    let (Some(id_col), Some(student_col)) = (at(IDENTITY_ID), at("true_student")) else {
        anyhow::bail!(
            "{}: expected the columns IdentityID and true_student",
            truth.display()
        );
    };
    let (kind_col, variation_col) = (at("kind"), at("variation"));
    let mut rows = Vec::new();
    for r in reader.records() {
        let r = r?;
        let Ok(id) = r[id_col].parse::<i64>() else {
            continue;
        };
        // Only identity rows that reached the identity stage are scored.
        if !known.contains_key(&id) {
            continue;
        }
        let opt = |c: Option<usize>| c.map(|k| r[k].to_string()).unwrap_or_default();
        rows.push(TruthRow {
            id,
            student: r[student_col].to_string(),
            kind: opt(kind_col),
            variation: opt(variation_col),
        });
    }
    Ok(rows)
}

/// Union-find over string keys, for clusters after an ideal reviewer.
fn find(parent: &mut BTreeMap<String, String>, k: &str) -> String {
    let mut r = k.to_string();
    while let Some(p) = parent.get(&r) {
        if p == &r {
            break;
        }
        r = p.clone();
    }
    r
}

/// `cutover identity score --truth FILE`: the identity map against the
/// truth (`IdentityID,...,true_student[,kind,variation]`: the generator's
/// `identities.csv`, or any file of true clusters); with the generator's
/// `hard_negatives.csv` beside it, the twins, siblings and look-alikes.
pub fn score(root: &Path, truth: &Path) -> Result<Score> {
    let path = root.join("identity/identity_map.parquet");
    anyhow::ensure!(
        path.is_file(),
        "{}: the run has no identity stage output (run `cutover run` through identity first)",
        path.display()
    );
    let map = crate::snapshot::read_parquet(&path)?;
    let ids = map
        .column(IDENTITY_ID)?
        .as_materialized_series()
        .cast(&DataType::Int64)?;
    let ids = ids.i64()?.clone();
    let keys = column_strings(&map, STUDENT_KEY)?;
    let units = column_strings(&map, "UnitKey")?;
    // identity row -> (student key, unit key)
    let mut known: BTreeMap<i64, (String, String)> = BTreeMap::new();
    let mut predicted: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    for i in 0..map.height() {
        if let Some(id) = ids.get(i) {
            predicted.entry(keys[i].clone()).or_default().push(id);
            known.insert(id, (keys[i].clone(), units[i].clone()));
        }
    }
    let rows = read_truth(truth, &known)?;
    let mut truth_groups: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    for r in &rows {
        truth_groups
            .entry(r.student.clone())
            .or_default()
            .push(r.id);
    }
    let t = pairs_in(&truth_groups);
    let p = pairs_in(&predicted);
    let tp = t.intersection(&p).count() as u64;
    let precision = if p.is_empty() {
        1.0
    } else {
        tp as f64 / p.len() as f64
    };
    let recall = if t.is_empty() {
        1.0
    } else {
        tp as f64 / t.len() as f64
    };
    let f1 = if precision + recall == 0.0 {
        0.0
    } else {
        2.0 * precision * recall / (precision + recall)
    };
    let mut score = Score {
        true_pairs: t.len() as u64,
        predicted_pairs: p.len() as u64,
        true_positive_pairs: tp,
        precision,
        recall,
        f1,
        ..Score::default()
    };
    // Units of each true student, and true students of each unit.
    let mut students_of_unit: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    let mut units_of_student: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for r in &rows {
        let unit = known[&r.id].1.as_str();
        students_of_unit.entry(unit).or_default().insert(&r.student);
        units_of_student.entry(&r.student).or_default().insert(unit);
    }
    // The queue, and an ideal reviewer's merges: every review pair whose
    // two units hold one true student.
    let queue = read_queue(root)?;
    let survivors: BTreeMap<String, String> = known
        .values()
        .map(|(key, unit)| (unit.clone(), key.clone()))
        .collect();
    let mut parent: BTreeMap<String, String> = BTreeMap::new();
    for (a, b, reason) in &queue {
        score.queue += 1;
        let forced = reason.starts_with("same first name")
            || reason.starts_with("look_alike")
            || reason.starts_with("same_id_conflict");
        score.queue_forced += u64::from(forced);
        let label = reason.split(':').next().unwrap_or("").to_string();
        *score.queue_by_reason.entry(label).or_default() += 1;
        let same = match (
            students_of_unit.get(a.as_str()),
            students_of_unit.get(b.as_str()),
        ) {
            (Some(x), Some(y)) => !x.is_disjoint(y),
            _ => false,
        };
        if same {
            let survivor = |u: &str| survivors.get(u).cloned().unwrap_or_else(|| u.to_string());
            let (ka, kb) = (survivor(a), survivor(b));
            let (ra, rb) = (find(&mut parent, &ka), find(&mut parent, &kb));
            if ra != rb {
                parent.insert(ra.clone(), ra.clone());
                parent.insert(rb, ra);
            }
        }
    }
    by_kind(&rows, &known, &mut parent, &mut score);
    blocking_completeness(root, &units_of_student, &queue, &mut score)?;
    hard_negatives(truth, &rows, &known, &queue, &mut score)?;
    Ok(score)
}

/// Per kind of duplicate and per defect: rows placed with their student's
/// original identity automatically and after the ideal reviewer's merges
/// (`parent`).
fn by_kind(
    rows: &[TruthRow],
    known: &BTreeMap<i64, (String, String)>,
    parent: &mut BTreeMap<String, String>,
    score: &mut Score,
) {
    let automatic = |id: i64| known[&id].0.clone();
    let mut reviewed = |id: i64| find(parent, &known[&id].0);
    let mut original: BTreeMap<&str, i64> = BTreeMap::new();
    for r in rows {
        if r.kind == "original" || r.kind.is_empty() {
            original.entry(r.student.as_str()).or_insert(r.id);
        }
    }
    for r in rows {
        if r.kind.is_empty() || r.kind == "original" {
            continue;
        }
        let (found, after) = match original.get(r.student.as_str()) {
            Some(&o) => (
                automatic(o) == automatic(r.id),
                reviewed(o) == reviewed(r.id),
            ),
            None => (false, false),
        };
        let count = |m: &mut BTreeMap<String, (u64, u64, u64)>, k: &str| {
            let e = m.entry(k.to_string()).or_default();
            e.0 += 1;
            e.1 += u64::from(found);
            e.2 += u64::from(after);
        };
        count(&mut score.by_kind, &r.kind);
        if r.kind.starts_with("duplicate") {
            // `how;defects`: how the history split (re_registered,
            // re_registered_overlapping, edited, retired_before_extract),
            // then the name and birth-date defects.
            let mut segments: Vec<&str> = r.variation.split(';').collect();
            let defects = segments.pop().unwrap_or("");
            for how in segments {
                count(&mut score.by_defect, &format!("history {how}"));
            }
            let parts: Vec<&str> = defects.split('+').filter(|d| !d.is_empty()).collect();
            for d in &parts {
                count(&mut score.by_defect, d);
            }
            if parts.len() > 1 {
                count(&mut score.by_defect, "two_defects");
            }
        }
    }
}

/// `review/queue.csv` as (id_a, id_b, reason).
fn read_queue(root: &Path) -> Result<Vec<(String, String, String)>> {
    let path = root.join("review/queue.csv");
    let mut reader = csv::Reader::from_path(&path)
        .with_context(|| format!("{}: cannot read", path.display()))?;
    let header: Vec<String> = reader.headers()?.iter().map(str::to_string).collect();
    let at = |name: &str| header.iter().position(|h| h == name).unwrap_or(0);
    let (a, b, reason) = (at("id_a"), at("id_b"), at("reason"));
    let mut out = Vec::new();
    for r in reader.records() {
        let r = r?;
        out.push((r[a].to_string(), r[b].to_string(), r[reason].to_string()));
    }
    Ok(out)
}

/// Pair completeness: of the pairs of units holding one true student, the
/// share blocking produced (every pair in `pairs.parquet` was blocked) or
/// the same-ID conflict rule put before a person.
fn blocking_completeness(
    root: &Path,
    units_of_student: &BTreeMap<&str, BTreeSet<&str>>,
    queue: &[(String, String, String)],
    score: &mut Score,
) -> Result<()> {
    let pairs = read_pairs(root)?;
    let (mut a, mut b) = (
        column_strings(&pairs, "key_a")?,
        column_strings(&pairs, "key_b")?,
    );
    // Same-ID conflicts are compared by their rule, not by blocking.
    for (x, y, reason) in queue {
        if reason.starts_with("same_id_conflict") {
            a.push(x.min(y).clone());
            b.push(x.max(y).clone());
        }
    }
    let blocked: BTreeSet<(&str, &str)> = a
        .iter()
        .zip(&b)
        .map(|(x, y)| (x.as_str(), y.as_str()))
        .collect();
    for units in units_of_student.values() {
        let v: Vec<&str> = units.iter().copied().collect();
        for i in 0..v.len() {
            for j in i + 1..v.len() {
                score.true_unit_pairs += 1;
                score.blocked_true_unit_pairs += u64::from(blocked.contains(&(v[i], v[j])));
            }
        }
    }
    score.pair_completeness = if score.true_unit_pairs == 0 {
        1.0
    } else {
        score.blocked_true_unit_pairs as f64 / score.true_unit_pairs as f64
    };
    Ok(())
}

/// Twins, siblings and look-alikes (`hard_negatives.csv` beside the truth
/// file): merged automatically when any identity row of one shares a
/// student with any of the other; sent to review when a queue pair joins
/// their units.
fn hard_negatives(
    truth: &Path,
    rows: &[TruthRow],
    known: &BTreeMap<i64, (String, String)>,
    queue: &[(String, String, String)],
    score: &mut Score,
) -> Result<()> {
    let path = truth.with_file_name("hard_negatives.csv");
    if !path.exists() {
        return Ok(());
    }
    let mut of_student: BTreeMap<&str, (BTreeSet<&str>, BTreeSet<&str>)> = BTreeMap::new();
    for r in rows {
        let (key, unit) = &known[&r.id];
        let e = of_student.entry(&r.student).or_default();
        e.0.insert(key);
        e.1.insert(unit);
    }
    let reviewed: BTreeSet<(&str, &str)> = queue
        .iter()
        .flat_map(|(a, b, _)| [(a.as_str(), b.as_str()), (b.as_str(), a.as_str())])
        .collect();
    let mut reader = csv::Reader::from_path(&path)
        .with_context(|| format!("{}: cannot read", path.display()))?;
    for r in reader.records() {
        let r = r?;
        let (Some(x), Some(y)) = (of_student.get(&r[0]), of_student.get(&r[1])) else {
            continue;
        };
        let merged = !x.0.is_disjoint(&y.0);
        let in_queue =
            x.1.iter()
                .any(|a| y.1.iter().any(|b| reviewed.contains(&(*a, *b))));
        let e = score.hard_negatives.entry(r[2].to_string()).or_default();
        e.0 += 1;
        e.1 += u64::from(merged);
        e.2 += u64::from(in_queue);
    }
    Ok(())
}
