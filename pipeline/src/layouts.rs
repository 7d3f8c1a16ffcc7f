//! The upload layouts: one CSV per upload (`header,source,format,required`,
//! rows in file order) and a manifest with their checksums, kept beside the
//! crosswalks and checked at start-up. The Department fixes a column name
//! or order by editing a layout file and running `cutover layouts manifest`;
//! no rebuild.

use crate::crosswalks::{rows_of, MANIFEST, MANIFEST_COLUMNS};
use cutover_stages::conform::{FieldType, Upload, UPLOADS};
use cutover_stages::preflight::{Format, Layout, LayoutColumn};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The columns of a layout file.
pub const LAYOUT_COLUMNS: [&str; 4] = ["header", "source", "format", "required"];

/// Uploads that have a layout file (the rest keep their slot, empty).
fn uploads_with_layouts() -> impl Iterator<Item = &'static cutover_stages::conform::Upload> {
    UPLOADS.iter().copied().filter(|u| !u.fields.is_empty())
}

/// The layouts, and each layout file's SHA-256 (for the rerun fingerprint).
pub type Loaded = (Vec<Layout>, BTreeMap<String, String>);

/// Loads and checks every layout; every problem at once, each naming its
/// file, line and column. `code_tables` are the crosswalk tables a
/// `code:<table>` format may name.
pub fn load(dir: &Path, code_tables: &BTreeSet<String>) -> Result<Loaded, Vec<String>> {
    let mut problems = Vec::new();
    let mut sums = BTreeMap::new();
    let manifest_path = dir.join(MANIFEST);
    let manifest_file = manifest_path.display().to_string();
    let manifest = rows_of(&manifest_path, &MANIFEST_COLUMNS, &mut problems);
    let listed: BTreeMap<String, (u64, String, String)> = manifest
        .iter()
        .map(|(line, r)| (r[0].clone(), (*line, r[1].clone(), r[3].clone())))
        .collect();
    let mut layouts = Vec::new();
    for upload in uploads_with_layouts() {
        let file = format!("{}.csv", upload.name);
        let path = dir.join(&file);
        let shown = path.display().to_string();
        let Ok(bytes) = std::fs::read(&path) else {
            problems.push(format!(
                "{shown}: missing: every upload needs its layout ({})",
                upload.title
            ));
            continue;
        };
        let sum = crate::checksum::hex(&Sha256::digest(&bytes));
        check_listed(
            &manifest_file,
            listed.get(upload.name),
            upload.name,
            &file,
            &sum,
            &mut problems,
        );
        sums.insert(file, sum);
        let columns = layout_columns(upload, &path, code_tables, &mut problems);
        layouts.push(Layout {
            upload: upload.name.to_string(),
            columns,
        });
    }
    for (name, (line, _, _)) in &listed {
        if !uploads_with_layouts().any(|u| u.name == name) {
            problems.push(format!(
                "{manifest_file}: line {line}: {name} is not an upload with a layout"
            ));
        }
    }
    if problems.is_empty() {
        Ok((layouts, sums))
    } else {
        Err(problems)
    }
}

/// Checks the manifest row `listed` of layout `name` (its file and checksum).
fn check_listed(
    manifest_file: &str,
    listed: Option<&(u64, String, String)>,
    name: &str,
    file: &str,
    sum: &str,
    problems: &mut Vec<String>,
) {
    match listed {
        None => problems.push(format!("{manifest_file}: no row names the {name} layout")),
        Some((line, listed_file, listed_sum)) => {
            if listed_file != file {
                problems.push(format!(
                    "{manifest_file}: line {line}: column file: expected {file}, found {listed_file}"
                ));
            }
            if listed_sum != sum {
                let dir = std::path::Path::new(manifest_file)
                    .parent()
                    .map_or(String::new(), |d| d.display().to_string());
                problems.push(format!(
                    "{manifest_file}: line {line}: column sha256: {file} has checksum {sum}, the manifest says {listed_sum} (edited? record the new checksum: `make manifest`, or `cutover layouts manifest --layouts {dir}`)"
                ));
            }
        }
    }
}

/// The columns of one layout file; every problem of its rows pushed on
/// `problems`.
fn layout_columns(
    upload: &Upload,
    path: &Path,
    code_tables: &BTreeSet<String>,
    problems: &mut Vec<String>,
) -> Vec<LayoutColumn> {
    let shown = path.display().to_string();
    let mut columns = Vec::new();
    let mut headers: BTreeMap<String, u64> = BTreeMap::new();
    for (line, row) in rows_of(path, &LAYOUT_COLUMNS, problems) {
        let at = |column: &str| format!("{shown}: line {line}: column {column}");
        let (header, source, format, required) = (&row[0], &row[1], &row[2], &row[3]);
        if header.is_empty() {
            problems.push(format!("{}: a header is required", at("header")));
        } else if let Some(first) = headers.insert(header.clone(), line) {
            problems.push(format!(
                "{}: {header} is already the header of line {first}",
                at("header")
            ));
        }
        let field = upload.fields.iter().find(|(n, _)| n == source);
        if field.is_none() {
            problems.push(format!(
                "{}: {source:?} is not a field of the {} upload ({})",
                at("source"),
                upload.title,
                upload
                    .fields
                    .iter()
                    .map(|(n, _)| *n)
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        let parsed = Format::parse(format);
        match (&parsed, field) {
            (None, _) => problems.push(format!(
                "{}: {format:?} is not a format (text, date, flag, id, code:<crosswalk table>)",
                at("format")
            )),
            (Some(Format::Code(table)), _) if !code_tables.contains(table) => problems.push(
                format!("{}: {table} is not a crosswalk code table", at("format")),
            ),
            (Some(Format::Id), Some((_, kind))) if *kind != FieldType::OrgId => {
                problems.push(format!(
                    "{}: id needs a NEO Org ID field, and {source} is not one",
                    at("format")
                ))
            }
            (Some(Format::Date), Some((_, kind))) if *kind != FieldType::Date => {
                problems.push(format!(
                    "{}: date needs a date field, and {source} is not one",
                    at("format")
                ))
            }
            (Some(Format::Flag), Some((_, kind))) if *kind != FieldType::Flag => {
                problems.push(format!(
                    "{}: flag needs a Y/N field, and {source} is not one",
                    at("format")
                ))
            }
            _ => {}
        }
        let required = match required.as_str() {
            "Y" => true,
            "N" => false,
            other => {
                problems.push(format!(
                    "{}: expected Y or N, found {other:?}",
                    at("required")
                ));
                false
            }
        };
        if let (Some(format), Some(_)) = (parsed, field) {
            columns.push(LayoutColumn {
                header: header.clone(),
                source: source.clone(),
                format,
                required,
            });
        }
    }
    columns
}

/// Rewrites the manifest's checksums from the layout files as they are.
pub fn write_manifest(dir: &Path) -> anyhow::Result<()> {
    // A killed rewrite's temporary file, else left in the folder for good.
    crate::output::remove_stale_temporaries(dir)?;
    let mut problems = Vec::new();
    let existing = rows_of(&dir.join(MANIFEST), &MANIFEST_COLUMNS, &mut problems);
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(MANIFEST_COLUMNS)?;
    for upload in uploads_with_layouts() {
        let file = format!("{}.csv", upload.name);
        let bytes = std::fs::read(dir.join(&file))
            .map_err(|e| anyhow::anyhow!("{file}: cannot read: {e}"))?;
        let sum = crate::checksum::hex(&Sha256::digest(&bytes));
        let old = existing.iter().find(|(_, r)| r[0] == upload.name);
        let version = old
            .map(|(_, r)| r[2].clone())
            .unwrap_or_else(|| "1".to_string());
        let description = old
            .map(|(_, r)| r[4].clone())
            .unwrap_or_else(|| format!("the {} upload", upload.title));
        w.write_record([upload.name, &file, &version, &sum, &description])?;
    }
    crate::output::write_bytes(&dir.join(MANIFEST), &w.into_inner()?)
}
