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
        let names: Vec<String> = frames::scan(ctx, crosswalk::STAGE, entity)?
            .collect_schema()?
            .iter_names()
            .map(|c| c.to_string())
            .collect();
        if names != crosswalk::output_names(entity, &original, &ctx.tables.mapping) {
            return Ok(None);
        }
        let kept = frames::load_columns(ctx, crosswalk::STAGE, entity, &[SOURCE_ROW])?;
        let kept = kept.column(SOURCE_ROW)?;
        let mut coverage = Vec::new();
        let mut columns = Vec::new();
        for b in changed {
            let Some((c, mapped)) = self.remapped(entity, b, kept)? else {
                return Ok(None);
            };
            coverage.push(c);
            columns.extend(mapped);
        }
        let columns = DataFrame::new(kept.len(), columns)?;
        self.write_patched(entity, columns, coverage)?;
        Ok(Some(report))
    }

    /// Maps one binding again over the ingested rows: its coverage and its
    /// columns on the `kept` rows (the last run's crosswalked rows), or
    /// `None` when a row of it is unmapped or the rows do not line up.
    fn remapped(
        &self,
        entity: &str,
        b: &Binding,
        kept: &Column,
    ) -> Result<Option<(ColumnCoverage, Vec<Column>)>> {
        let ctx = self.ctx;
        let ingested = frames::scan(ctx, ingest::STAGE, entity)?;
        let (mapped, coverage) =
            crosswalk::remap(ingested, entity, b, &ctx.tables.mapping, &self.config)?;
        if coverage.unmapped_rows != 0 || !strictly_increasing(mapped.column(SOURCE_ROW)?)? {
            return Ok(None);
        }
        let series = kept.as_materialized_series().clone();
        let mapped = mapped
            .lazy()
            .filter(col(SOURCE_ROW).is_in(lit(series).implode(false), false))
            .collect()?;
        if !mapped.column(SOURCE_ROW)?.equals_missing(kept) {
            return Ok(None);
        }
        let names = crosswalk::bound_names(b, &ctx.tables.mapping);
        let columns = names
            .iter()
            .map(|n| Ok(mapped.column(n)?.clone()))
            .collect::<Result<Vec<_>>>()?;
        Ok(Some((coverage, columns)))
    }

    /// Writes the patched rows a row group at a time (the last run's rows
    /// with `columns` put in, each row group as it was, so the bytes are
    /// those a full mapping writes; the quarantine is the last run's),
    /// carries the last run's data hashes but the patched columns', and the
    /// coverage with the patched columns' replaced.
    fn write_patched(
        &mut self,
        entity: &'static str,
        columns: DataFrame,
        coverage: Vec<ColumnCoverage>,
    ) -> Result<()> {
        let (ctx, prev) = (self.ctx, self.prev.expect("patched from a previous run"));
        let (root, prov) = (ctx.root, &ctx.provenance);
        let last = snapshot::snapshot_path(root, crosswalk::STAGE, entity);
        let groups = snapshot::row_groups(&last)?;
        let staged =
            snapshot::stage_parquet_batches(root, crosswalk::STAGE, entity, prov, |sink| {
                if groups.iter().all(|g| g.1 == 0) {
                    return sink.write(&mut snapshot::read_parquet(&last)?);
                }
                for &(offset, n) in groups.iter().filter(|g| g.1 > 0) {
                    let mut rows = snapshot::read_slice(&last, (offset, n), None)?;
                    for c in columns.slice(offset as i64, n).columns() {
                        rows.replace(c.name(), c.clone())?;
                    }
                    sink.write(&mut rows)?;
                }
                Ok(())
            })?;
        staged.persist()?;
        let q = frames::quarantine_name(entity);
        snapshot::restamp(root, crosswalk::STAGE, &q, prov)?;
        let prefixes = [entity.to_string(), quarantine_key(entity)];
        entities::carry_data(prev, &prefixes, &mut self.produced);
        self.produced.data.extend(data_hashes(entity, &columns)?);
        let last = self.last.as_ref().expect("patched with its coverage");
        for c in last.columns.iter().filter(|c| c.entity == entity) {
            let now = coverage.iter().find(|n| n.column == c.column);
            self.coverage.push(now.unwrap_or(c).clone());
        }
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
