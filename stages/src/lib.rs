//! The cutover transforms: pure functions from frames to frames, no file I/O.
//!
//! Every stage returns its frames and a [`report::StageReport`]; the pipeline
//! checks `in = out + rejected + merged` for every stage and entity.

pub mod codes;
pub mod columns;
pub mod conform;
pub mod crosswalk;
pub mod end_of_year;
pub mod identity;
pub mod ingest;
pub mod preflight;
pub mod quarantine;
pub mod report;
pub mod schema;
pub mod text;
