//! The stages `cutover run` knows, named once.

/// The stages `cutover run` knows, in their fixed order (read runs inside
/// ingest, conform and pre-flight inside publish). Identity resolves who is
/// who from the columns that are evidence of it; rekey carries the
/// surviving IDs onto every downstream row.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum StageId {
    Ingest,
    Crosswalk,
    Identity,
    Rekey,
    Publish,
    Report,
}

impl StageId {
    pub const ALL: [StageId; 6] = [
        StageId::Ingest,
        StageId::Crosswalk,
        StageId::Identity,
        StageId::Rekey,
        StageId::Publish,
        StageId::Report,
    ];

    pub fn name(self) -> &'static str {
        match self {
            StageId::Ingest => "ingest",
            StageId::Crosswalk => "crosswalk",
            StageId::Identity => "identity",
            StageId::Rekey => "rekey",
            StageId::Publish => "publish",
            StageId::Report => "report",
        }
    }

    pub fn parse(name: &str) -> Option<StageId> {
        StageId::ALL.into_iter().find(|s| s.name() == name)
    }
}

/// The version of this tool, recorded in every fingerprint and snapshot.
pub const TOOL_VERSION: &str = env!("CARGO_PKG_VERSION");
