//! The fix list pages: one per SAU and an index, self-contained and
//! offline, rendered with minijinja (every value escaped).

use super::{Finding, Summary};
use anyhow::{Context, Result};
use minijinja::{context, Environment};

const SAU_PAGE: &str = include_str!("sau.html");
const INDEX_PAGE: &str = include_str!("index.html");

fn render(name: &str, source: &str, ctx: minijinja::Value) -> Result<String> {
    let mut env = Environment::new();
    env.add_template(name, source)
        .with_context(|| format!("the template {name} does not parse"))?;
    env.get_template(name)
        .with_context(|| format!("the template {name}"))?
        .render(ctx)
        .with_context(|| format!("cannot render {name}"))
}

/// The page of one SAU's fix list.
pub fn sau_page(sau: &str, name: &str, list: &[Finding]) -> Result<String> {
    render(
        "sau.html",
        SAU_PAGE,
        context! { sau => sau, name => name, rows => minijinja::Value::from(minijinja::value::Serde(list)) },
    )
}

/// The index: every SAU with its count, linked to its page.
pub fn index_page(summary: &Summary) -> Result<String> {
    render(
        "index.html",
        INDEX_PAGE,
        context! { s => minijinja::Value::from(minijinja::value::Serde(summary)) },
    )
}
