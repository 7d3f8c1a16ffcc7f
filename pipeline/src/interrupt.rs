//! Ctrl-C during a run. Without a handler the run died at once, leaving
//! its temporary files (`.cutover-*.tmp`) and the uploads folder being
//! built (`.uploads.partial`) for the next run to remove. Now the run
//! stops its changes of names ([`crate::output::close_gate`]: every
//! temporary made, file moved into place, file or folder made or removed
//! goes through that gate, and the changes under way finish first), puts
//! the output folder right as the next run's start-up would
//! ([`crate::run::recover`]: temporaries removed, a half-built uploads
//! folder removed, one set aside in a swap put back), says so, and exits
//! 130 (as a shell reports a Ctrl-C). Files being written outside the gate
//! are temporaries, removed with the rest: no file is left half-written
//! under its own name, and none under a hidden one.

use anyhow::{Context, Result};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// What a run stopped by Ctrl-C prints (stderr), before exiting 130.
pub const STOPPED: &str = "error: interrupted (Ctrl-C): the run stopped; its temporary files are \
     removed and no file is left half-written (uploads/, if there, is a whole run's): run it \
     again to finish";

/// The output folder of the run under way.
static ROOT: Mutex<Option<PathBuf>> = Mutex::new(None);

/// Stops the run at Ctrl-C (SIGINT) from now on, putting `root` right
/// first. Called once the run holds its output folder's lock and its
/// start-up recovery is done.
pub fn watch(root: &Path) -> Result<()> {
    static WATCHING: std::sync::OnceLock<()> = std::sync::OnceLock::new();
    *ROOT.lock().unwrap_or_else(|e| e.into_inner()) = Some(root.to_path_buf());
    if WATCHING.get().is_some() {
        return Ok(());
    }
    let mut signals = signal_hook::iterator::Signals::new([signal_hook::consts::SIGINT])
        .context("cannot watch for Ctrl-C")?;
    std::thread::Builder::new()
        .name("ctrl-c".into())
        .spawn(move || {
            if signals.forever().next().is_some() {
                stop();
            }
        })
        .context("cannot watch for Ctrl-C")?;
    let _ = WATCHING.set(());
    Ok(())
}

/// Sends this process a SIGINT, as Ctrl-C does (the test hook's).
pub fn raise() {
    let _ = signal_hook::low_level::raise(signal_hook::consts::SIGINT);
}

/// Set once a Ctrl-C is being handled.
static STOPPING: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Whether a Ctrl-C is being handled: a thread that failed meanwhile (on a
/// temporary removed under it) says nothing and waits for the exit.
pub fn stopping() -> bool {
    STOPPING.load(std::sync::atomic::Ordering::SeqCst)
}

/// Waits for the exit a Ctrl-C's handling ends in.
pub fn wait_for_the_exit() -> ! {
    loop {
        std::thread::park();
    }
}

/// Closes the gate, puts the output folder right and exits 130. A thread
/// failing meanwhile on a temporary removed under it neither prints nor
/// ends the process: `main` waits ([`stopping`]), a panic waits in its hook.
fn stop() -> ! {
    STOPPING.store(true, std::sync::atomic::Ordering::SeqCst);
    std::panic::set_hook(Box::new(|_| wait_for_the_exit()));
    let _gate = crate::output::close_gate();
    let root = ROOT.lock().unwrap_or_else(|e| e.into_inner()).clone();
    if let Some(Err(e)) = root.map(|root| crate::run::recover(&root)) {
        eprintln!("error: interrupted (Ctrl-C), and the output folder not put right: {e:#}: the next run puts it right");
        std::process::exit(130);
    }
    eprintln!("{STOPPED}");
    std::process::exit(130)
}
