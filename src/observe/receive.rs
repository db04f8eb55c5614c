//! The one receive loop behind `listen`, `respond` and the peer test.
//!
//! Each source (a socket, the capture) is read on a thread of its own in slices of at most
//! [`SLICE`], so the stop flag and Ctrl-C are seen quickly; what it reads goes through a **bounded**
//! channel, so a flood the consumer cannot keep up with waits in the kernel's receive buffer instead of
//! growing this process's memory. A source that fails (its interface vanished mid-window) sends one
//! [`Received::Failed`] and stops: the caller turns it into a warning in the document, never a silent
//! end of the window.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use super::Clock;
use crate::net::NetError;

/// How long one blocking read may last before the loop looks at the clock and the stop flag again.
pub const SLICE: Duration = Duration::from_millis(100);
/// Items queued between the readers and the consumer at most.
pub const CAPACITY: usize = 4096;

/// One source: a name for warnings, the last instant to read, and how to read the next item.
pub struct Source<'a, T> {
    pub name: &'static str,
    pub until: Instant,
    pub next: Box<dyn FnMut(Instant) -> Result<Option<T>, NetError> + Send + 'a>,
}

impl<'a, T> Source<'a, T> {
    pub fn new(
        name: &'static str,
        until: Instant,
        next: impl FnMut(Instant) -> Result<Option<T>, NetError> + Send + 'a,
    ) -> Self {
        Self { name, until, next: Box::new(next) }
    }
}

/// What the consumer is handed.
#[derive(Debug)]
pub enum Received<T> {
    Item(T),
    /// A source failed and stopped; the message names it and the OS error.
    Failed(String),
    /// Nothing arrived for a slice: a chance to look at the clock.
    Idle,
}

/// Whether the consumer wants more.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    Continue,
    Stop,
}

/// How the loop ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    /// The consumer said stop, or every source reached its end.
    Done,
    /// Ctrl-C or SIGTERM.
    Interrupted,
}

/// Reads every source on its own thread and hands what arrives to `consume` on this thread, until
/// `consume` says stop, every source is done, or the clock says interrupted.
pub fn run<T: Send>(
    sources: Vec<Source<'_, T>>,
    clock: &dyn Clock,
    mut consume: impl FnMut(Received<T>) -> Flow,
) -> Ended {
    let stop = AtomicBool::new(false);
    let (tx, rx) = mpsc::sync_channel::<Received<T>>(CAPACITY);
    std::thread::scope(|scope| {
        for mut source in sources {
            let tx = tx.clone();
            let stop = &stop;
            scope.spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    let now = Instant::now();
                    if now >= source.until {
                        break;
                    }
                    match (source.next)((now + SLICE).min(source.until)) {
                        Ok(Some(item)) => {
                            if tx.send(Received::Item(item)).is_err() {
                                break;
                            }
                        }
                        Ok(None) => {}
                        Err(error) => {
                            let _ =
                                tx.send(Received::Failed(format!("{} stopped early: {error}", source.name)));
                            break;
                        }
                    }
                }
            });
        }
        drop(tx);
        let ended = loop {
            if clock.interrupted() {
                break Ended::Interrupted;
            }
            let received = match rx.recv_timeout(SLICE) {
                Ok(received) => received,
                Err(mpsc::RecvTimeoutError::Timeout) => Received::Idle,
                Err(mpsc::RecvTimeoutError::Disconnected) => break Ended::Done,
            };
            if consume(received) == Flow::Stop {
                break Ended::Done;
            }
        };
        stop.store(true, Ordering::Relaxed);
        // Readers blocked on a full channel must see it close to notice the stop.
        drop(rx);
        ended
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::observe::SystemClock;
    use std::io;

    #[test]
    fn items_arrive_and_a_failing_source_becomes_a_warning() {
        let until = Instant::now() + Duration::from_secs(2);
        let mut items = vec![1, 2, 3].into_iter();
        let counting = Source::new("counter", until, move |_| Ok(items.next()));
        let failing = Source::new("the group socket", until, |_| {
            Err::<Option<i32>, _>(NetError::Os { what: "receive".into(), source: io::Error::other("gone") })
        });
        let (mut seen, mut warnings) = (Vec::new(), Vec::new());
        let ended = run(vec![counting, failing], &SystemClock, |received| {
            match received {
                Received::Item(n) => seen.push(n),
                Received::Failed(message) => warnings.push(message),
                Received::Idle => {}
            }
            if seen.len() == 3 && !warnings.is_empty() { Flow::Stop } else { Flow::Continue }
        });
        assert_eq!(ended, Ended::Done);
        assert_eq!(seen, [1, 2, 3]);
        assert_eq!(warnings, ["the group socket stopped early: cannot receive: gone"]);
    }

    #[test]
    fn a_flood_is_bounded_and_stops_when_asked() {
        let until = Instant::now() + Duration::from_secs(5);
        let flood = Source::new("flood", until, |_| Ok(Some([0u8; 64])));
        let mut taken = 0;
        let ended = run(vec![flood], &SystemClock, |_| {
            taken += 1;
            if taken == 10 * CAPACITY { Flow::Stop } else { Flow::Continue }
        });
        assert_eq!((ended, taken), (Ended::Done, 10 * CAPACITY));
    }
}
