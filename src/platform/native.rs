//! `mcready fix`'s typed operations on this host: Windows runs them through its own API
//! (`windows::apply`); every other OS runs its steps' commands instead, and answers here that it has
//! none.

use crate::fix::{Native, Reading};

/// Runs `op` through the OS's API.
///
/// # Errors
/// When the call fails, or this OS has no typed operations.
pub fn run(op: &Native) -> Result<(), String> {
    #[cfg(windows)]
    {
        super::windows::apply::run(op)
    }
    #[cfg(not(windows))]
    {
        Err(format!("typed operations run on Windows only ({op:?})"))
    }
}

/// Reads the state `op` changes.
///
/// # Errors
/// When it cannot be read, or this OS has no typed operations.
pub fn read(op: &Native) -> Result<Reading, String> {
    #[cfg(windows)]
    {
        super::windows::apply::read(op)
    }
    #[cfg(not(windows))]
    {
        Err(format!("typed operations run on Windows only ({op:?})"))
    }
}
