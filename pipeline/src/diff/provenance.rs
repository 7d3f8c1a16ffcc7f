//! Why two runs differ: what each was made from, as `run.json` and
//! `stages.json` record it.

use super::{read_json, Cause};
use anyhow::Result;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

/// What one run was made from.
pub struct Provenance {
    pub run_id: String,
    tool_version: String,
    config: String,
    /// Input file -> SHA-256.
    inputs: BTreeMap<String, String>,
    /// Crosswalk table -> SHA-256.
    tables: BTreeMap<String, String>,
    /// `review decisions`, `layouts`: the stage components that are files a
    /// person edits (from `stages.json`).
    components: BTreeMap<String, String>,
}

/// Stage components that name an input a person edits (the others are
/// fingerprints of earlier stages, which follow from these).
const EDITED: [&str; 2] = ["review decisions", "layouts"];

fn text(v: &Value, path: &[&str]) -> String {
    let mut v = v;
    for p in path {
        v = &v[*p];
    }
    v.as_str().unwrap_or("").to_string()
}

impl Provenance {
    pub fn load(root: &Path) -> Result<Provenance> {
        let run = read_json(&root.join("run.json"))?;
        let inputs = run["inputs"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|f| (text(f, &["file"]), text(f, &["sha256"])))
                    .collect()
            })
            .unwrap_or_default();
        let tables = run["crosswalks"]
            .as_object()
            .map(|o| {
                o.iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap_or("").to_string()))
                    .collect()
            })
            .unwrap_or_default();
        let mut components = BTreeMap::new();
        let stages_path = root.join("stages.json");
        if stages_path.is_file() {
            let stages = read_json(&stages_path)?;
            if let Some(all) = stages["stages"].as_object() {
                for stage in all.values() {
                    for name in EDITED {
                        let v = text(stage, &["components", name]);
                        if !v.is_empty() {
                            components.insert(name.to_string(), v);
                        }
                    }
                }
            }
        }
        Ok(Provenance {
            run_id: text(&run, &["run_id"]),
            tool_version: text(&run, &["tool_version"]),
            config: text(&run, &["config", "sha256"]),
            inputs,
            tables,
            components,
        })
    }
}

/// The first 12 characters of a checksum, or `absent`.
fn short(v: Option<&String>) -> String {
    match v {
        Some(v) if !v.is_empty() => v.chars().take(12).collect(),
        _ => "absent".to_string(),
    }
}

fn map_causes(
    kind: &str,
    a: &BTreeMap<String, String>,
    b: &BTreeMap<String, String>,
    out: &mut Vec<Cause>,
) {
    let mut names: Vec<&String> = a.keys().chain(b.keys()).collect();
    names.sort();
    names.dedup();
    for name in names {
        if a.get(name) != b.get(name) {
            out.push(Cause {
                kind: kind.to_string(),
                name: name.clone(),
                a: short(a.get(name)),
                b: short(b.get(name)),
            });
        }
    }
}

/// Every difference in what the runs were made from, in the order a run
/// reads them: tool, configuration, inputs, tables, decisions, layouts.
pub fn causes(a: &Provenance, b: &Provenance) -> Vec<Cause> {
    let mut out = Vec::new();
    if a.tool_version != b.tool_version {
        out.push(Cause {
            kind: "tool version".into(),
            name: "cutover".into(),
            a: a.tool_version.clone(),
            b: b.tool_version.clone(),
        });
    }
    if a.config != b.config {
        out.push(Cause {
            kind: "configuration".into(),
            name: "sha256".into(),
            a: short(Some(&a.config)),
            b: short(Some(&b.config)),
        });
    }
    map_causes("input file", &a.inputs, &b.inputs, &mut out);
    map_causes("crosswalk table", &a.tables, &b.tables, &mut out);
    for name in EDITED {
        let (x, y) = (a.components.get(name), b.components.get(name));
        if x != y {
            out.push(Cause {
                kind: name.to_string(),
                name: "sha256".into(),
                a: short(x),
                b: short(y),
            });
        }
    }
    out
}
