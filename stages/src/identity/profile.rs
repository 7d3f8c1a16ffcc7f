//! Timings of the identity stage's phases at `-vv` (debug): each phase's
//! seconds, what it counted (ids and counts only, never a name or a birth
//! date) and the process's resident and peak memory when it ended.

use std::time::Instant;

/// A phase clock: `lap` logs the time since the last lap.
pub struct Clock {
    last: Instant,
    cpu: f64,
}

impl Clock {
    pub fn start() -> Self {
        Clock {
            last: Instant::now(),
            cpu: cpu_seconds(),
        }
    }

    /// Logs the phase that just ended with its count, and restarts.
    pub fn lap(&mut self, phase: &str, count: usize) {
        if tracing::enabled!(tracing::Level::DEBUG) {
            let (rss, peak) = memory_mib();
            let cpu = cpu_seconds();
            tracing::debug!(
                phase,
                count,
                seconds = format!("{:.3}", self.last.elapsed().as_secs_f64()),
                cpu_seconds = format!("{:.2}", cpu - self.cpu),
                rss_mib = rss,
                peak_mib = peak,
                "identity phase"
            );
        }
        self.last = Instant::now();
        self.cpu = cpu_seconds();
    }
}

/// CPU seconds the process has used, every thread (Linux; 0 elsewhere).
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // The fields after the command name (which may hold spaces): utime and
    // stime are the 12th and 13th, in clock ticks of 1/100 s.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let ticks: Vec<f64> = rest
        .split_whitespace()
        .skip(11)
        .take(2)
        .filter_map(|v| v.parse().ok())
        .collect();
    ticks.iter().sum::<f64>() / 100.0
}

/// The process's resident and peak resident memory in MiB (Linux; 0
/// elsewhere).
fn memory_mib() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
            .map_or(0, |kb| kb / 1024)
    };
    (field("VmRSS:"), field("VmHWM:"))
}
