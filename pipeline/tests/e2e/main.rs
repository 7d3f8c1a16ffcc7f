//! The end-to-end tests, one binary: each module runs the real `cutover`
//! binary on scenario folders or generated bundles; `common` holds the
//! helpers they share.

// The tests break an output folder by hand (a file removed, a folder moved
// aside): the workspace's rule that every rename and removal syncs its
// folder (`clippy.toml`) is the program's, not theirs.
#![allow(clippy::disallowed_methods)]

mod common;

mod answers;
mod breaker;
mod crosswalk_check;
mod end_of_year;
mod follow_up;
mod generated;
mod hand_made;
mod help;
mod identity;
mod issued_ids;
mod kills;
mod privacy;
mod replaced_table;
mod reruns;
mod scenarios;
mod standards;
mod uploads;
