//! The one error type of the command: a message for `error: ...` on standard error.

use std::fmt;
use std::path::Path;

/// Why a command could not do its job (exit status 2). The message never holds a secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Failure(String);

impl Failure {
    pub(crate) fn new(message: impl Into<String>) -> Self {
        Self(message.into())
    }

    /// A file that cannot be read or written.
    pub(crate) fn file(action: &str, path: &Path, error: &std::io::Error) -> Self {
        Self(format!("cannot {action} {}: {error}", path.display()))
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<pwh_core::keyring::KeyRingError> for Failure {
    fn from(error: pwh_core::keyring::KeyRingError) -> Self {
        Self(format!("{error} (or pass --key and --secret)"))
    }
}
