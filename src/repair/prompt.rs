//! Questions on the terminal: a disruptive step, the final "keep these changes?". Only when stdin and
//! stderr are a terminal; the final question gives up when its time is over (the answer is then no).

use std::io::{BufRead as _, IsTerminal as _, Write as _};
use std::sync::mpsc;
use std::time::Duration;

/// Asks on the terminal; `None` when there is none.
#[derive(Debug, Default)]
pub struct Terminal;

impl super::Ask for Terminal {
    fn ask(&mut self, question: &str, within: Option<Duration>) -> Option<bool> {
        if !std::io::stdin().is_terminal() || !std::io::stderr().is_terminal() {
            return None;
        }
        let _ = write!(std::io::stderr(), "{question} ");
        let _ = std::io::stderr().flush();
        let (sender, receiver) = mpsc::channel();
        // The line is read on a thread of its own so that the question can time out; a thread left
        // blocked on stdin ends with the process.
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = std::io::stdin().lock().read_line(&mut line);
            let _ = sender.send(line);
        });
        let line = match within {
            Some(limit) => receiver.recv_timeout(limit).ok(),
            None => receiver.recv().ok(),
        };
        let Some(line) = line else {
            let _ = writeln!(std::io::stderr(), "\n(no answer in time)");
            return Some(false);
        };
        Some(matches!(line.trim().to_ascii_lowercase().as_str(), "y" | "yes"))
    }
}
