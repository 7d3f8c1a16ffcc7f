//! The comparison as one self-contained HTML page (no script, no external
//! resource), in the report's style. Rendered with minijinja, which escapes
//! every value of a `.html` template.

use super::RunDiff;
use anyhow::{Context, Result};
use minijinja::{context, Environment};

const TEMPLATE: &str = include_str!("diff.html");

/// The page for `d`.
pub fn html(d: &RunDiff) -> Result<String> {
    let mut env = Environment::new();
    env.add_template("diff.html", TEMPLATE)
        .context("the diff page's template does not parse")?;
    let changed_stages: Vec<_> = d.stages.iter().filter(|t| t.differs()).collect();
    let changed_uploads: Vec<_> = d.uploads.iter().filter(|t| t.differs()).collect();
    let page = env
        .get_template("diff.html")
        .context("the diff page's template")?
        .render(context! {
            d => minijinja::Value::from(minijinja::value::Serde(d)),
            changed_stages => minijinja::Value::from(minijinja::value::Serde(&changed_stages)),
            changed_uploads => minijinja::Value::from(minijinja::value::Serde(&changed_uploads)),
            same_stages => d.stages.len() - changed_stages.len(),
            same_uploads => d.uploads.len() - changed_uploads.len(),
        })
        .context("cannot render the diff page")?;
    Ok(page)
}
