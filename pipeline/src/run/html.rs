//! `run.html`: the stage times and peak memory of the latest run, from
//! `run.json`, linked from the report's summary. Kept apart from
//! `report.html` so that the report is the same bytes for the same inputs.

use super::RunRecord;
use serde::Serialize;

const TEMPLATE: &str = include_str!("../../templates/run.html");

#[derive(Serialize)]
struct Line {
    stage: String,
    ran: bool,
    reason: String,
    seconds: String,
    rows_in: String,
    peak_mib: String,
}

/// The page of `record`: one line per stage decided, with its timing when
/// it ran.
pub fn html(record: &RunRecord) -> String {
    let stages: Vec<Line> = record
        .decisions
        .iter()
        .map(|d| {
            let t = record.timings.iter().find(|t| t.stage == d.stage);
            Line {
                stage: d.stage.clone(),
                ran: d.ran,
                reason: d.reason.clone(),
                seconds: t.map(|t| format!("{:.1}", t.seconds)).unwrap_or_default(),
                rows_in: t.map(|t| t.rows_in.to_string()).unwrap_or_default(),
                peak_mib: t
                    .map(|t| format!("{:.0}", t.peak_rss_bytes as f64 / 1048576.0))
                    .unwrap_or_default(),
            }
        })
        .collect();
    let mut env = minijinja::Environment::new();
    env.add_template("run.html", TEMPLATE)
        .expect("the run template parses");
    let mut html = env
        .get_template("run.html")
        .and_then(|t| {
            t.render(minijinja::context! {
                r => minijinja::Value::from(minijinja::value::Serde(record)),
                stages => minijinja::Value::from(minijinja::value::Serde(&stages)),
            })
        })
        .expect("the run template renders");
    html.push('\n');
    html
}
