//! Reading, writing and locking the tokens file: owner-only permissions,
//! atomic replacement, and a sidecar lock for read-modify-write.

use std::ffi::OsString;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read as _, Write as _};
use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};

use crate::AuthError;
use crate::record::TokenFile;

fn io_error(action: &'static str, path: &Path) -> impl FnOnce(io::Error) -> AuthError {
    move |source| AuthError::Io {
        action,
        path: path.to_owned(),
        source,
    }
}

/// The file's bytes, or `None` when it does not exist. Refuses a file whose
/// mode grants anything to group or others, checked on the open handle.
pub(crate) fn read(path: &Path) -> Result<Option<Vec<u8>>, AuthError> {
    let mut file = match File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io_error("opening tokens file", path)(e)),
    };
    let meta = file.metadata().map_err(io_error("reading tokens file", path))?;
    if !meta.is_file() {
        return Err(AuthError::NotAFile { path: path.to_owned() });
    }
    let mode = meta.permissions().mode() & 0o7777;
    if mode & 0o077 != 0 {
        return Err(AuthError::InsecurePermissions {
            path: path.to_owned(),
            mode,
        });
    }
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes)
        .map_err(io_error("reading tokens file", path))?;
    Ok(Some(bytes))
}

/// The parsed file; a missing file has no tokens.
pub(crate) fn load(path: &Path) -> Result<TokenFile, AuthError> {
    match read(path)? {
        Some(bytes) => TokenFile::parse(path, &bytes),
        None => Ok(TokenFile::default()),
    }
}

/// `path` with `suffix` appended to its file name.
fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = OsString::from(path.as_os_str());
    name.push(suffix);
    PathBuf::from(name)
}

/// Creates (or opens) `path` with mode 0600 for writing.
fn open_private(path: &Path, create_new: bool) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.write(true).mode(0o600);
    if create_new {
        options.create_new(true);
    } else {
        options.create(true).truncate(false);
    }
    options.open(path)
}

/// Replaces the file atomically: a 0600 temporary file in the same
/// directory, written and fsynced, renamed over it, then the directory
/// fsynced. Readers see the old file or the new one, never a partial one.
pub(crate) fn write_atomic(path: &Path, file: &TokenFile) -> Result<(), AuthError> {
    let json = file
        .to_json()
        .map_err(|e| io_error("serializing tokens file", path)(io::Error::other(e)))?;
    let tmp = sibling(path, &format!(".{}.tmp", std::process::id()));
    // Callers hold the lock, so a file of this name is a crashed run's leftover.
    let _ = fs::remove_file(&tmp);
    let written = (|| {
        let mut out = open_private(&tmp, true)?;
        // The umask may have removed more than group/other bits.
        out.set_permissions(fs::Permissions::from_mode(0o600))?;
        out.write_all(&json)?;
        out.sync_all()
    })();
    let renamed = written.and_then(|()| fs::rename(&tmp, path));
    if let Err(e) = renamed {
        let _ = fs::remove_file(&tmp);
        return Err(io_error("writing tokens file", &tmp)(e));
    }
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io_error("syncing directory", dir))
}

/// An exclusive lock on `<file>.lock`, held until dropped.
pub(crate) struct FileLock(#[expect(dead_code, reason = "held for its Drop, which unlocks")] File);

/// Blocks until this process holds the exclusive lock for `path`.
pub(crate) fn lock(path: &Path) -> Result<FileLock, AuthError> {
    let lock_path = sibling(path, ".lock");
    let file = open_private(&lock_path, false).map_err(io_error("opening lock file", &lock_path))?;
    file.lock().map_err(io_error("locking", &lock_path))?;
    Ok(FileLock(file))
}
