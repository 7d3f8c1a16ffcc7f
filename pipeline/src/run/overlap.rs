//! Making a stage's frames on one thread while the last is written on
//! another: both cores, with at most one frame waiting between them.

use anyhow::Result;
use polars::prelude::DataFrame;

/// Runs `make` on a thread of its own, handing each frame it sends to
/// `take` on this one, in order, with at most one frame waiting between
/// them: (what `make` returned, the first error of `take`). When `take`
/// fails, the frames still sent are dropped and `make`'s next send fails.
pub(super) fn overlapped<T: Send>(
    make: impl FnOnce(&mut dyn FnMut(DataFrame) -> Result<(), ()>) -> T + Send,
    take: impl FnMut(DataFrame) -> Result<()>,
) -> (T, Result<()>) {
    overlapped_holding(1, make, take)
}

/// [`overlapped`] with `waiting` frames at most between the threads: with
/// none, `make`'s send waits until `take` has the frame, so no more than
/// the frame taken and the next one made are held.
pub(super) fn overlapped_holding<T: Send>(
    waiting: usize,
    make: impl FnOnce(&mut dyn FnMut(DataFrame) -> Result<(), ()>) -> T + Send,
    mut take: impl FnMut(DataFrame) -> Result<()>,
) -> (T, Result<()>) {
    let (tx, rx) = std::sync::mpsc::sync_channel::<DataFrame>(waiting);
    let parent = tracing::Span::current();
    std::thread::scope(|s| {
        let maker = s.spawn(move || {
            let _span = parent.enter();
            make(&mut |frame| tx.send(frame).map_err(|_| ()))
        });
        let mut taken = Ok(());
        for frame in rx.iter() {
            taken = take(frame);
            if taken.is_err() {
                break;
            }
        }
        drop(rx);
        let made = maker
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (made, taken)
    })
}
