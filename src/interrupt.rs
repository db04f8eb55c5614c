//! Ctrl-C and SIGTERM: the first asks the running observation to stop and keep its report, the second
//! ends the process at once with exit 130.
//!
//! `ctrlc` (with `termination`: SIGINT, SIGTERM and SIGHUP on Unix; Ctrl-C and Ctrl-Break on Windows)
//! runs the handler on a thread of its own, so the handler only flips a flag that every receive loop
//! reads between slices of at most 100 ms.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use crate::verdict::EXIT_INTERRUPTED_TWICE;

static INTERRUPTED: AtomicBool = AtomicBool::new(false);
/// How many [`Hold`]s are alive: while one is, a second Ctrl-C does not end the process.
static HELD: AtomicUsize = AtomicUsize::new(0);

/// Installs the handler for the rest of the process.
///
/// # Errors
/// When the OS refuses a handler (or one was installed already): Ctrl-C then ends the process the
/// default way — the OS still drops mcready's memberships — and the report is lost.
pub fn install() -> Result<(), String> {
    ctrlc::set_handler(|| {
        if INTERRUPTED.swap(true, Ordering::SeqCst) && HELD.load(Ordering::SeqCst) == 0 {
            std::process::exit(i32::from(EXIT_INTERRUPTED_TWICE));
        }
    })
    .map_err(|error| format!("cannot catch Ctrl-C: {error}"))
}

/// Whether Ctrl-C (or SIGTERM) arrived.
#[must_use]
pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::Relaxed)
}

/// While alive, Ctrl-C and SIGTERM never end the process (`mcready fix` rolling a change back: a
/// rollback cut in the middle would leave the host half changed).
#[derive(Debug)]
pub struct Hold(());

/// Holds off the second Ctrl-C's exit until the returned guard drops.
#[must_use]
pub fn hold() -> Hold {
    HELD.fetch_add(1, Ordering::SeqCst);
    Hold(())
}

impl Drop for Hold {
    fn drop(&mut self) {
        HELD.fetch_sub(1, Ordering::SeqCst);
    }
}
