//! The identity stage's files: reviewer decisions in, snapshots, the ID
//! crosswalk, the review queue (the only output with names and birth dates,
//! in a 0700 folder, for the people who decide) and the summary out; and the
//! `cutover identity explain` and `cutover identity score` commands.

use crate::config::Config;
use crate::output::{private_dir, write_atomic, write_bytes, write_frame_csv, LineEnds};
use crate::snapshot::{self, Provenance};
use anyhow::{Context, Result};
use cutover_stages::columns::*;
use cutover_stages::identity::{self, Decision, IdentityConfig, Pair, COMPARATORS, STUDENT_KEY};
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
}

const DECISION_COLUMNS: [&str; 6] = ["id_a", "id_b", "decision", "reviewer", "date", "note"];

/// Reads `review/decisions.csv`; a missing file is no decisions.
pub fn read_decisions(path: &Path, bytes: &[u8]) -> Result<Vec<Decision>> {
    if bytes.is_empty() {
        return Ok(Vec::new());
    }
    let file = path.display().to_string();
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(bytes);
    let header: Vec<String> = reader
        .headers()?
        .iter()
        .map(|h| h.trim().to_string())
        .collect();
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
        let line = r.position().map(|p| p.line()).unwrap_or(0);
        let field = |i: usize| r.get(i).unwrap_or("").trim().to_string();
        let merge = match field(2).as_str() {
            "merge" => true,
            "separate" => false,
            other => {
                problems.push(format!("{file}: line {line}: column decision: expected merge or separate, found {other:?}"));
                continue;
            }
        };
        if field(0).is_empty() || field(1).is_empty() {
            problems.push(format!("{file}: line {line}: id_a and id_b are required"));
            continue;
        }
        out.push(Decision {
            id_a: field(0),
            id_b: field(1),
            merge,
        });
    }
    anyhow::ensure!(problems.is_empty(), "{}", problems.join("\n"));
    Ok(out)
}

fn pairs_frame(pairs: &[Pair]) -> PolarsResult<DataFrame> {
    let mut columns = vec![
        Column::new(
            "key_a".into(),
            pairs.iter().map(|p| p.key_a.clone()).collect::<Vec<_>>(),
        ),
        Column::new(
            "key_b".into(),
            pairs.iter().map(|p| p.key_b.clone()).collect::<Vec<_>>(),
        ),
        Column::new(
            "score".into(),
            pairs.iter().map(|p| p.score).collect::<Vec<_>>(),
        ),
        Column::new(
            "probability".into(),
            pairs.iter().map(|p| p.probability).collect::<Vec<_>>(),
        ),
        Column::new(
            "outcome".into(),
            pairs.iter().map(|p| p.outcome.clone()).collect::<Vec<_>>(),
        ),
        Column::new(
            "reason".into(),
            pairs.iter().map(|p| p.reason.clone()).collect::<Vec<_>>(),
        ),
    ];
    for (c, (name, _)) in COMPARATORS.iter().enumerate() {
        columns.push(Column::new(
            format!("{name}_level").into(),
            pairs
                .iter()
                .map(|p| p.terms.get(c).map(|t| t.level))
                .collect::<Vec<_>>(),
        ));
        columns.push(Column::new(
            format!("{name}_weight").into(),
            pairs
                .iter()
                .map(|p| p.terms.get(c).map(|t| t.weight))
                .collect::<Vec<_>>(),
        ));
    }
    DataFrame::new(pairs.len(), columns)
}

/// Who a key is, for a reviewer: name, birth date, enrollment years and SAUs.
struct Who {
    name: String,
    birth: String,
    enrollments: String,
}

fn who(
    students: &DataFrame,
    enrollment: Option<&DataFrame>,
) -> PolarsResult<BTreeMap<String, Who>> {
    let col_str = |df: &DataFrame, c: &str| -> PolarsResult<Vec<String>> {
        let s = df
            .column(c)?
            .as_materialized_series()
            .cast(&DataType::String)?;
        let s = s.str()?;
        Ok((0..s.len())
            .map(|i| s.get(i).unwrap_or("").to_string())
            .collect())
    };
    let keys = col_str(students, STUDENT_KEY)?;
    let first = col_str(students, FIRST_NAME)?;
    let last = col_str(students, LAST_NAME)?;
    let birth = col_str(students, BIRTH_DATE)?;
    let mut years: BTreeMap<String, (BTreeSet<String>, BTreeSet<String>)> = BTreeMap::new();
    if let Some(e) = enrollment {
        let ids = col_str(e, identity::LEGACY_STATE_STUDENT_ID)?;
        let y = col_str(e, YEAR_CODE)?;
        let sau = if e.column(cutover_stages::crosswalk::SAU_ORG_ID).is_ok() {
            col_str(e, cutover_stages::crosswalk::SAU_ORG_ID)?
        } else {
            vec![String::new(); e.height()]
        };
        for i in 0..e.height() {
            let entry = years.entry(ids[i].clone()).or_default();
            entry.0.insert(y[i].clone());
            entry.1.insert(sau[i].clone());
        }
    }
    let mut out = BTreeMap::new();
    for i in 0..keys.len() {
        out.insert(
            keys[i].clone(),
            Who {
                name: format!("{} {}", first[i], last[i]),
                birth: birth[i].clone(),
                enrollments: String::new(),
            },
        );
    }
    for (id, (y, s)) in years {
        let text = format!(
            "{} in SAU {}",
            y.into_iter().collect::<Vec<_>>().join(" "),
            s.into_iter().collect::<Vec<_>>().join(" ")
        );
        out.entry(id)
            .or_insert(Who {
                name: String::new(),
                birth: String::new(),
                enrollments: String::new(),
            })
            .enrollments = text;
    }
    Ok(out)
}

/// The frames identity resolution reads.
pub struct Frames<'a> {
    pub personal: &'a DataFrame,
    pub enrollment: Option<&'a DataFrame>,
    pub addresses: Option<&'a DataFrame>,
    /// Behavior, truancy, CTE and graduation rows, re-keyed like enrollments.
    pub others: Vec<(&'a str, &'a DataFrame)>,
}

/// Runs identity resolution and writes its files.
pub fn run_stage(
    root: &Path,
    frames: Frames,
    decisions: &[Decision],
    nicknames: &[(String, String)],
    config: &Config,
    provenance: &Provenance,
) -> Result<StageOut> {
    let settings = IdentityConfig {
        merge_probability: config.merge_probability,
        review_probability: config.review_probability,
        max_block: config.max_block,
        nicknames: nicknames.to_vec(),
    };
    let Frames {
        personal,
        enrollment,
        addresses,
        others,
    } = frames;
    let mut out = identity::run(personal, enrollment, addresses, decisions, &settings)?;
    let mut outputs = Vec::new();
    let mut data = BTreeMap::new();
    let mut write = |name: &str, df: &mut DataFrame| -> Result<()> {
        snapshot::write_parquet(root, identity::STAGE, name, df, provenance)?;
        outputs.push(format!("{}/{name}.parquet", identity::STAGE));
        data.extend(crate::run::data_hashes(name, df)?);
        Ok(())
    };
    write("students", &mut out.students)?;
    write("identity_map", &mut out.identity_map)?;
    write("id_crosswalk", &mut out.id_crosswalk)?;
    write("pairs", &mut pairs_frame(&out.pairs)?)?;
    if let Some(e) = out.enrollment.as_mut() {
        write(STUDENT_ENROLLMENT_NAME, e)?;
    }
    for (entity, df) in others {
        let mut rekeyed = identity::rekey(df, &out.key_map)?;
        let mut r = StageReport::new(identity::STAGE, entity);
        r.rows_in = df.height() as u64;
        r.rows_out = rekeyed.height() as u64;
        out.reports.push(r);
        write(entity, &mut rekeyed)?;
    }
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

    // The review queue: what a reviewer needs, in a folder only its owner reads.
    let people = who(&out.students, out.enrollment.as_ref())?;
    private_dir(&root.join("review"))?;
    write_atomic(&root.join("review/queue.csv"), |f| {
        let mut w = csv::Writer::from_writer(std::io::BufWriter::new(f));
        w.write_record([
            "id_a",
            "id_b",
            "probability",
            "score",
            "reason",
            "weights",
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
        for p in &out.review {
            let a = people.get(&p.key_a).unwrap_or(&blank);
            let b = people.get(&p.key_b).unwrap_or(&blank);
            let weights: Vec<String> = p
                .terms
                .iter()
                .map(|t| format!("{}={} ({:+.2})", t.comparator, t.level, t.weight))
                .collect();
            w.write_record([
                p.key_a.as_str(),
                &p.key_b,
                &format!("{:.4}", p.probability),
                &format!("{:.2}", p.score),
                &p.reason,
                &weights.join("; "),
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
    })?;
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
        pairs_scored: out.pairs.len() as u64,
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
    Ok(StageOut {
        summary,
        reports: out.reports,
        outputs,
        data,
    })
}

const STUDENT_ENROLLMENT_NAME: &str = "student_enrollment";

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

/// `cutover identity explain A B`: each comparison's level and weight.
pub fn explain(root: &Path, a: &str, b: &str, show_pii: bool) -> Result<String> {
    let pairs = crate::snapshot::read_parquet(&root.join("identity/pairs.parquet"))?;
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
    for (name, _) in COMPARATORS {
        out.push_str(&format!(
            "  {:<14} {:<30} {:>8}\n",
            name,
            get(&format!("{name}_level"))?,
            get(&format!("{name}_weight"))?
        ));
    }
    let students = crate::snapshot::read_parquet(&root.join("identity/students.parquet"))?;
    let people = who(&students, None)?;
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

/// Pairwise precision, recall and F1 against a truth file.
#[derive(Debug, Serialize)]
pub struct Score {
    pub true_pairs: u64,
    pub predicted_pairs: u64,
    pub true_positive_pairs: u64,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    /// Per kind of duplicate: identity rows of that kind, and how many were
    /// placed with their student's original identity.
    pub by_kind: BTreeMap<String, (u64, u64)>,
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

/// `cutover identity score --truth FILE`: the identity map against the
/// truth (`IdentityID,...,true_student[,kind]`: the generator's
/// `identities.csv`, or any file of true clusters).
pub fn score(root: &Path, truth: &Path) -> Result<Score> {
    let map = crate::snapshot::read_parquet(&root.join("identity/identity_map.parquet"))?;
    let ids = map
        .column(IDENTITY_ID)?
        .as_materialized_series()
        .cast(&DataType::Int64)?;
    let ids = ids.i64()?.clone();
    let keys = map.column(STUDENT_KEY)?.str()?.clone();
    let mut predicted: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    let mut predicted_of: BTreeMap<i64, String> = BTreeMap::new();
    for i in 0..map.height() {
        if let (Some(id), Some(k)) = (ids.get(i), keys.get(i)) {
            predicted.entry(k.to_string()).or_default().push(id);
            predicted_of.insert(id, k.to_string());
        }
    }
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
    let kind_col = at("kind");
    let mut truth_groups: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    let mut rows: Vec<(i64, String, String)> = Vec::new();
    for r in reader.records() {
        let r = r?;
        let Ok(id) = r[id_col].parse::<i64>() else {
            continue;
        };
        // Only identity rows that reached the identity stage are scored.
        if !predicted_of.contains_key(&id) {
            continue;
        }
        let student = r[student_col].to_string();
        truth_groups.entry(student.clone()).or_default().push(id);
        rows.push((
            id,
            student,
            kind_col.map(|k| r[k].to_string()).unwrap_or_default(),
        ));
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
    let mut original: BTreeMap<&str, i64> = BTreeMap::new();
    for (id, student, kind) in &rows {
        if kind == "original" || kind.is_empty() {
            original.entry(student.as_str()).or_insert(*id);
        }
    }
    let mut by_kind: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    for (id, student, kind) in &rows {
        if kind.is_empty() || kind == "original" {
            continue;
        }
        let entry = by_kind.entry(kind.clone()).or_default();
        entry.0 += 1;
        if let Some(o) = original.get(student.as_str()) {
            if predicted_of.get(o) == predicted_of.get(id) {
                entry.1 += 1;
            }
        }
    }
    Ok(Score {
        true_pairs: t.len() as u64,
        predicted_pairs: p.len() as u64,
        true_positive_pairs: tp,
        precision,
        recall,
        f1,
        by_kind,
    })
}
