//! Reuse at column level: when the only tables an entity's crosswalk reads
//! that changed are code tables of some of its bindings (one grade-level
//! row edited), only those bindings' columns are mapped again and put into
//! the last run's snapshot in place (its rows keep their order). This is
//! done only when the answer is the one a full mapping gives: everything
//! else it is made from is as last time (`base:<entity>` in the stage's
//! data, beside each bound table's checksum `table:<entity>:<domain>`),
//! its snapshots are as the last run wrote them, their columns are the
//! ones the tables now make, and no row of a changed column is unmapped,
//! last time or now (so the same rows are quarantined, for the same
//! reasons). `run.json` lists such an entity `patched`.

use super::super::entities;
use super::super::frames;
use super::{output_names, quarantine_key, Work};
use crate::checksum::{data_hashes, file_sha256};
use crate::snapshot;
use anyhow::Result;
use cutover_stages::columns::SOURCE_ROW;
use cutover_stages::crosswalk::{self, Binding, ColumnCoverage};
use cutover_stages::ingest;
use cutover_stages::report::StageReport;
use polars::prelude::*;

/// The key of what an entity's crosswalk is made from besides its bound
/// code tables.
pub fn base_key(entity: &str) -> String {
    format!("base:{entity}")
}

/// The key of the checksum of a code table an entity's binding reads.
pub fn table_key(entity: &str, domain: &str) -> String {
    format!("table:{entity}:{domain}")
}

impl Work<'_> {
    /// The checksum of a binding's code table.
    pub(super) fn table_sum(&self, domain: &str) -> String {
        let name = format!("{domain}.csv");
        self.ctx
            .tables
            .table_sums
            .get(&name)
            .cloned()
            .unwrap_or_default()
    }

    /// Records what the next run needs to patch the entity.
    pub(super) fn record_parts(&mut self, entity: &str) {
        let mut parts = vec![(base_key(entity), self.base_print(entity))];
        for b in crosswalk::bindings_of(entity).unwrap_or_default() {
            parts.push((table_key(entity, b.domain), self.table_sum(b.domain)));
        }
        self.produced.data.extend(parts);
    }

    /// The bindings whose table changed since the last run, when only they
    /// did and the last run's snapshots are still as it wrote them.
    fn changed_bindings(&self, entity: &str) -> Option<Vec<&'static Binding>> {
        let prev = self.prev?;
        if prev.data.get(&base_key(entity)) != Some(&self.base_print(entity)) {
            return None;
        }
        let changed: Vec<&Binding> = crosswalk::bindings_of(entity)?
            .iter()
            .filter(|b| {
                prev.data.get(&table_key(entity, b.domain)) != Some(&self.table_sum(b.domain))
            })
            .collect();
        let intact = output_names(entity).iter().all(|o| {
            prev.outputs
                .get(o)
                .is_some_and(|sum| file_sha256(&self.ctx.root.join(o)).ok().as_ref() == Some(sum))
        });
        (intact && !changed.is_empty()).then_some(changed)
    }

    /// The entity patched from the last run's snapshot, if it may be (see
    /// the module): its report, the columns' coverage.
    pub(super) fn patch(&mut self, entity: &'static str) -> Result<Option<StageReport>> {
        let Some(changed) = self.changed_bindings(entity) else {
            return Ok(None);
        };
        let (Some(prev), Some(last)) = (self.prev, self.last.as_ref()) else {
            return Ok(None);
        };
        let report = prev
            .reports
            .iter()
            .find(|r| r.stage == crosswalk::STAGE && r.entity == entity)
            .cloned();
        let mapped_before = |b: &Binding| {
            last.columns
                .iter()
                .any(|c| c.entity == entity && c.column == b.column && c.unmapped_rows == 0)
        };
        let Some(report) = report.filter(|_| changed.iter().all(|b| mapped_before(b))) else {
            return Ok(None);
        };
        let ctx = self.ctx;
        let original: Vec<String> = frames::scan(ctx, ingest::STAGE, entity)?
            .collect_schema()?
            .iter_names()
            .map(|c| c.to_string())
            .collect();
        let mut rows = frames::load(ctx, crosswalk::STAGE, entity)?;
        let names: Vec<String> = rows
            .get_column_names()
            .iter()
            .map(|c| c.to_string())
            .collect();
        if names != crosswalk::output_names(entity, &original, &ctx.tables.mapping) {
            return Ok(None);
        }
        let mut coverage = Vec::new();
        let mut patched = Vec::new();
        for b in changed {
            let Some(c) = self.remapped(entity, b, &mut rows)? else {
                return Ok(None);
            };
            coverage.push(c);
            patched.extend(crosswalk::bound_names(b, &ctx.tables.mapping));
        }
        self.write_patched(entity, rows, &patched, coverage)?;
        Ok(Some(report))
    }

    /// Maps one binding again over the ingested rows and puts its columns
    /// into `rows` (the last run's crosswalked rows); its coverage, or
    /// `None` when a row of it is unmapped or the rows do not line up.
    fn remapped(
        &self,
        entity: &str,
        b: &Binding,
        rows: &mut DataFrame,
    ) -> Result<Option<ColumnCoverage>> {
        let ctx = self.ctx;
        let ingested = frames::scan(ctx, ingest::STAGE, entity)?;
        let (mapped, coverage) =
            crosswalk::remap(ingested, entity, b, &ctx.tables.mapping, &self.config)?;
        if coverage.unmapped_rows != 0 || !strictly_increasing(mapped.column(SOURCE_ROW)?)? {
            return Ok(None);
        }
        let kept = rows.column(SOURCE_ROW)?.as_materialized_series().clone();
        let mapped = mapped
            .lazy()
            .filter(col(SOURCE_ROW).is_in(lit(kept).implode(false), false))
            .collect()?;
        if !mapped
            .column(SOURCE_ROW)?
            .equals_missing(rows.column(SOURCE_ROW)?)
        {
            return Ok(None);
        }
        for name in crosswalk::bound_names(b, &ctx.tables.mapping) {
            rows.replace(&name, mapped.column(&name)?.clone())?;
        }
        Ok(Some(coverage))
    }

    /// Writes the patched rows (the quarantine is the last run's), carries
    /// the last run's data hashes but the patched columns', and the coverage
    /// with the patched columns' replaced.
    fn write_patched(
        &mut self,
        entity: &'static str,
        mut rows: DataFrame,
        patched: &[String],
        coverage: Vec<ColumnCoverage>,
    ) -> Result<()> {
        let (ctx, prev) = (self.ctx, self.prev.expect("patched from a previous run"));
        let (root, prov) = (ctx.root, &ctx.provenance);
        rows.rechunk_mut_par();
        snapshot::write_parquet(root, crosswalk::STAGE, entity, &mut rows, prov)?;
        let q = frames::quarantine_name(entity);
        snapshot::restamp(root, crosswalk::STAGE, &q, prov)?;
        let prefixes = [entity.to_string(), quarantine_key(entity)];
        entities::carry_data(prev, &prefixes, &mut self.produced);
        let columns: Vec<&str> = patched.iter().map(String::as_str).collect();
        self.produced
            .data
            .extend(data_hashes(entity, &rows.select(columns)?)?);
        let last = self.last.as_ref().expect("patched with its coverage");
        for c in last.columns.iter().filter(|c| c.entity == entity) {
            let now = coverage.iter().find(|n| n.column == c.column);
            self.coverage.push(now.unwrap_or(c).clone());
        }
        self.patched.push((entity, rows));
        Ok(())
    }
}

/// Whether a column's values (source rows, sorted) are each greater than
/// the last: no row is there twice.
fn strictly_increasing(c: &Column) -> Result<bool> {
    let values = c.as_materialized_series().cast(&DataType::Int64)?;
    let mut last = None;
    for v in values.i64()?.iter() {
        let Some(v) = v else { return Ok(false) };
        if last.is_some_and(|l| l >= v) {
            return Ok(false);
        }
        last = Some(v);
    }
    Ok(true)
}
