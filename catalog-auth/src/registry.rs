//! The service's live view of the tokens file.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError, RwLock};

use crate::record::TokenFile;
use crate::{AuthError, Tokens, file};

/// What the last reload saw.
#[derive(PartialEq, Eq)]
enum Seen {
    Missing,
    Content(Vec<u8>),
    /// The last reload failed and the empty set is in force.
    Failed,
}

/// The tokens in force for a running service. [`current`](Self::current)
/// is a cheap snapshot for each request; a periodic task calls
/// [`reload`](Self::reload) so that created and revoked tokens take effect
/// without a restart.
pub struct TokenRegistry {
    path: PathBuf,
    current: RwLock<Arc<Tokens>>,
    seen: Mutex<Seen>,
}

impl TokenRegistry {
    /// Reads the file at `path`. A missing file means no tokens (every write
    /// is then unauthorized) and is not an error; a file accessible by group
    /// or others, or one that does not parse, is.
    pub fn open(path: impl Into<PathBuf>) -> Result<Self, AuthError> {
        let path = path.into();
        let (seen, tokens) = read(&path)?;
        Ok(Self {
            path,
            current: RwLock::new(Arc::new(tokens)),
            seen: Mutex::new(seen),
        })
    }

    /// The tokens file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The tokens in force now.
    pub fn current(&self) -> Arc<Tokens> {
        Arc::clone(&self.current.read().unwrap_or_else(PoisonError::into_inner))
    }

    /// Re-reads the file and swaps in its tokens if its content changed;
    /// returns whether the set in force changed. On an error (permissions,
    /// I/O, a file that does not parse) it fails closed: the empty set is put
    /// in force and the error returned for the caller to log.
    pub fn reload(&self) -> Result<bool, AuthError> {
        let mut seen = self.seen.lock().unwrap_or_else(PoisonError::into_inner);
        let bytes = match file::read(&self.path) {
            Ok(bytes) => bytes,
            Err(e) => return Err(self.fail_closed(&mut seen, e)),
        };
        let now_seen = bytes.map_or(Seen::Missing, Seen::Content);
        if *seen == now_seen {
            return Ok(false);
        }
        let tokens = match &now_seen {
            Seen::Content(bytes) => match TokenFile::parse(&self.path, bytes) {
                Ok(file) => Tokens::from(file),
                Err(e) => return Err(self.fail_closed(&mut seen, e)),
            },
            Seen::Missing | Seen::Failed => Tokens::empty(),
        };
        self.swap(tokens);
        *seen = now_seen;
        Ok(true)
    }

    fn fail_closed(&self, seen: &mut Seen, error: AuthError) -> AuthError {
        self.swap(Tokens::empty());
        *seen = Seen::Failed;
        error
    }

    fn swap(&self, tokens: Tokens) {
        *self.current.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(tokens);
    }
}

/// What `open` starts from.
fn read(path: &Path) -> Result<(Seen, Tokens), AuthError> {
    Ok(match file::read(path)? {
        Some(bytes) => {
            let tokens = Tokens::from(TokenFile::parse(path, &bytes)?);
            (Seen::Content(bytes), tokens)
        }
        None => (Seen::Missing, Tokens::empty()),
    })
}

impl fmt::Debug for TokenRegistry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenRegistry")
            .field("path", &self.path)
            .field("tokens", &self.current().len())
            .finish_non_exhaustive()
    }
}
