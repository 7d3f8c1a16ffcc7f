//! The stages `cutover run` knows, named once.

/// The stages `cutover run` knows, in their fixed order (read runs inside
/// ingest, conform and pre-flight inside publish).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum StageId {
    Ingest,
    Crosswalk,
    Identity,
    Publish,
    Report,
}

impl StageId {
    pub const ALL: [StageId; 5] = [
        StageId::Ingest,
        StageId::Crosswalk,
        StageId::Identity,
        StageId::Publish,
        StageId::Report,
    ];

    pub fn name(self) -> &'static str {
        match self {
            StageId::Ingest => "ingest",
            StageId::Crosswalk => "crosswalk",
            StageId::Identity => "identity",
            StageId::Publish => "publish",
            StageId::Report => "report",
        }
    }

    pub fn parse(name: &str) -> Option<StageId> {
        StageId::ALL.into_iter().find(|s| s.name() == name)
    }
}
