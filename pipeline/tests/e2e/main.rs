//! The end-to-end tests, one binary: each module runs the real `cutover`
//! binary on scenario folders or generated bundles; `common` holds the
//! helpers they share.

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
mod privacy;
mod replaced_table;
mod reruns;
mod scenarios;
mod standards;
mod uploads;
