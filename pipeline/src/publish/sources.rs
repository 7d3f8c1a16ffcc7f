//! The source frames of the uploads publish conforms: each snapshot read
//! with only the columns the uploads still to be conformed declare, the
//! enrollment rows split once for the uploads in a row that read them, each
//! frame dropped when the next upload does not read it (read again for an
//! upload further on). An upload kept from the last run reads nothing.

use crate::runfiles;
use anyhow::Result;
use cutover_stages::conform::{
    self, declared, sources_of, split_input, ConformConfig, Source, Sources, Upload,
};
use polars::prelude::*;
use std::collections::BTreeMap;
use std::path::Path;

/// The snapshot a source frame is read from.
pub fn snapshot_of(source: Source) -> String {
    format!("identity/{}.parquet", source.entity())
}

/// Whether the run has the snapshot of every frame `upload` reads.
pub fn available(root: &Path, upload: &Upload) -> bool {
    sources_of(upload)
        .into_iter()
        .all(|s| conform::optional(upload, s) || root.join(snapshot_of(s)).is_file())
}

/// The frames loaded so far, and what the uploads still to come may read.
pub struct Loaded<'a> {
    root: &'a Path,
    split: ConformConfig,
    /// Uploads that may still be conformed, in order.
    pending: Vec<&'static Upload>,
    frames: BTreeMap<Source, DataFrame>,
}

impl<'a> Loaded<'a> {
    pub fn new(root: &'a Path, split: ConformConfig, pending: Vec<&'static Upload>) -> Self {
        Loaded {
            root,
            split,
            pending,
            frames: BTreeMap::new(),
        }
    }

    /// The columns of `source` that `upload` and the uploads still pending
    /// read: loaded once for all of them.
    fn wanted(&self, upload: &Upload, source: Source) -> Vec<&'static str> {
        let mut out = declared(upload, source);
        for u in &self.pending {
            for c in declared(u, source) {
                if !out.contains(&c) {
                    out.push(c);
                }
            }
        }
        out
    }

    /// Reads `columns` of a snapshot (those it has).
    fn read(&self, source: Source, columns: &[&str]) -> Result<DataFrame> {
        let rel = snapshot_of(source);
        let have = runfiles::columns_of(self.root, &rel)?;
        let keep: Vec<Expr> = columns
            .iter()
            .filter(|c| have.iter().any(|h| h == *c))
            .map(|c| col(*c))
            .collect();
        let lf =
            runfiles::scan(self.root, &rel)?.ok_or_else(|| anyhow::anyhow!("{rel} is missing"))?;
        Ok(lf.select(keep).collect()?)
    }

    /// Whether the loaded frame of `source` has every column in `columns`
    /// the snapshot has.
    fn covers(&self, source: Source, columns: &[&str]) -> Result<bool> {
        let Some(df) = self.frames.get(&source) else {
            return Ok(false);
        };
        let have = runfiles::columns_of(self.root, &snapshot_of(source))?;
        Ok(columns
            .iter()
            .filter(|c| have.iter().any(|h| h == *c) || **c == conform::SPLIT_CUT)
            .all(|c| df.column(c).is_ok()))
    }

    /// Makes sure the frames `upload` reads are loaded.
    fn load(&mut self, upload: &Upload) -> Result<()> {
        for source in sources_of(upload) {
            if conform::optional(upload, source) && !self.root.join(snapshot_of(source)).is_file() {
                continue;
            }
            let wanted = self.wanted(upload, source);
            if self.covers(source, &wanted)? {
                continue;
            }
            let mut clock = crate::publish::Clock::new(upload.name);
            let frame = if source == Source::Segments {
                let mut readers: Vec<&Upload> = self.pending.clone();
                readers.push(upload);
                let rows = self.read(Source::Segments, &split_input(readers))?;
                clock.lap("read segments");
                conform::split(&rows, &self.split)?
            } else {
                self.read(source, &wanted)?
            };
            clock.lap(if source == Source::Segments {
                "split"
            } else {
                "read"
            });
            self.frames.insert(source, frame);
        }
        Ok(())
    }

    /// Conforms `upload` (`None` when a frame it reads is absent), then
    /// drops the frames no upload still pending reads.
    pub fn conform(&mut self, upload: &'static Upload) -> Result<Option<conform::Built>> {
        self.pending.retain(|u| u.name != upload.name);
        self.load(upload)?;
        let mut clock = crate::publish::Clock::new(upload.name);
        let built = {
            let f = |s: Source| self.frames.get(&s);
            conform::build(
                upload,
                &Sources {
                    students: f(Source::Students),
                    enrollment: f(Source::Enrollment),
                    segments: f(Source::Segments),
                    behavior: f(Source::Behavior),
                    truancy: f(Source::Truancy),
                    cte: f(Source::Cte),
                },
            )?
        };
        clock.lap("build");
        self.drop_unread();
        Ok(built)
    }

    /// An upload found kept after all: nothing more is loaded for it.
    pub fn kept(&mut self, upload: &Upload) {
        self.pending.retain(|u| u.name != upload.name);
        self.drop_unread();
    }

    /// Drops the frames the next upload to be conformed does not read: the
    /// upload just conformed is checked and written without them, and a
    /// frame an upload further on reads is read (and split) again then.
    /// Publish holds one upload's source frames at a time, not every
    /// frame some upload still reads.
    fn drop_unread(&mut self) {
        let next = self.pending.first().map(|u| sources_of(u));
        self.frames
            .retain(|s, _| next.as_ref().is_some_and(|n| n.contains(s)));
    }
}
