//! What the process has used so far: CPU time and peak resident memory,
//! for run.json's timings and the `-vv` phase logs.

/// The peak resident memory since the last reset (Linux; 0 elsewhere).
pub fn peak_rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map(|kb| kb * 1024)
        .unwrap_or(0)
}

/// CPU time used by the process so far, user + system, in seconds (Linux:
/// `/proc/self/stat` fields 14 and 15, in clock ticks of 1/100 s).
pub fn cpu_time() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // The command name may hold spaces: the fields start after its ')'.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or("", |(_, rest)| rest)
        .split_whitespace()
        .collect();
    let ticks = |i: usize| fields.get(i).and_then(|v| v.parse::<f64>().ok());
    match (ticks(11), ticks(12)) {
        (Some(user), Some(system)) => (user + system) / 100.0,
        _ => 0.0,
    }
}

/// Resets the peak resident memory [`peak_rss`] reports.
pub fn reset_peak_rss() {
    // "5" resets the peak resident set size (Linux 4.0 on); where it cannot,
    // the figure is the process's peak so far.
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}
