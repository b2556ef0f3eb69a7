//! The stored token: `config.toml` in the user's configuration directory, private to the user.
//!
//! - The file is `DRIFTQL_CONFIG_DIR/config.toml` when that variable is set, else
//!   `config.toml` in the platform's configuration directory for driftql
//!   (`$XDG_CONFIG_HOME/driftql` or `~/.config/driftql` on Linux,
//!   `~/Library/Application Support/driftql` on macOS, `%APPDATA%\driftql\config` on Windows).
//! - It holds `token = "..."`; keys it does not know are kept (their comments and layout are
//!   not: the file is written anew).
//! - It is written whole (a temporary file beside it, then renamed), with mode 0600 on Unix,
//!   in a directory created with mode 0700. A file that the group or others may read is
//!   refused, for reading as for writing ([`StoreError::Exposed`]): a token in it may have been
//!   seen, and should be replaced.
//! - No error says what the file holds: a file that is not TOML is named with the line of the
//!   problem, never with its text (which may be the token).

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use super::cache::{Whole, write_whole};

/// The environment variable that overrides the configuration directory.
pub const CONFIG_DIR_ENV: &str = "DRIFTQL_CONFIG_DIR";

/// The configuration file: where the token is stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Store {
    path: PathBuf,
}

/// The stored token could not be read, written or removed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// No configuration directory is known (no home directory).
    #[error(
        "no configuration directory: the home directory is unknown; set {CONFIG_DIR_ENV} to the \
         directory to use"
    )]
    NoDir,
    /// The file could not be read or written.
    #[error("{}: {error}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What failed.
        error: io::Error,
    },
    /// The file may be read by the group or by others.
    #[error(
        "{} may be read by other users (mode {mode:o}): a token in it may have been seen; \
         replace the token, and make the file private (chmod 600 {}) or remove it",
        path.display(),
        path.display()
    )]
    Exposed {
        /// The file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// The file is not TOML, or its `token` is not a string.
    #[error("{} cannot be used: {reason}", path.display())]
    Damaged {
        /// The file.
        path: PathBuf,
        /// What is wrong (never what the file holds).
        reason: String,
    },
}

impl Store {
    /// The file `config.toml` in `dir`.
    pub fn in_dir(dir: impl AsRef<Path>) -> Store {
        Store {
            path: dir.as_ref().join("config.toml"),
        }
    }

    /// The file in the user's configuration directory (`DRIFTQL_CONFIG_DIR` when it is set).
    pub fn at_default_dir() -> Result<Store, StoreError> {
        if let Some(dir) = std::env::var_os(CONFIG_DIR_ENV).filter(|d| !d.is_empty()) {
            return Ok(Store::in_dir(PathBuf::from(dir)));
        }
        directories::ProjectDirs::from("", "", "driftql")
            .map(|p| Store::in_dir(p.config_dir()))
            .ok_or(StoreError::NoDir)
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn io(&self) -> impl FnOnce(io::Error) -> StoreError + '_ {
        |error| StoreError::Io {
            path: self.path.clone(),
            error,
        }
    }

    /// The file's keys, or `None` when there is no file. Refuses a file others may read. The
    /// file is opened once, and its permissions are those of what was opened.
    fn table(&self) -> Result<Option<toml::Table>, StoreError> {
        let mut file = match fs::File::open(&self.path) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(self.io()(e)),
        };
        let meta = file.metadata().map_err(self.io())?;
        self.private(&meta)?;
        let mut text = String::new();
        io::Read::read_to_string(&mut file, &mut text).map_err(|e| {
            if e.kind() == io::ErrorKind::InvalidData {
                StoreError::Damaged {
                    path: self.path.clone(),
                    reason: "it is not UTF-8 text".into(),
                }
            } else {
                self.io()(e)
            }
        })?;
        text.parse::<toml::Table>().map(Some).map_err(|e| {
            let line = e
                .span()
                .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1);
            StoreError::Damaged {
                path: self.path.clone(),
                reason: match line {
                    Some(l) => format!("it is not TOML (line {l})"),
                    None => "it is not TOML".into(),
                },
            }
        })
    }

    #[cfg(unix)]
    fn private(&self, meta: &fs::Metadata) -> Result<(), StoreError> {
        use std::os::unix::fs::PermissionsExt;
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(StoreError::Exposed {
                path: self.path.clone(),
                mode,
            });
        }
        Ok(())
    }

    #[cfg(not(unix))]
    fn private(&self, _meta: &fs::Metadata) -> Result<(), StoreError> {
        Ok(())
    }

    /// The stored token, if there is one.
    pub fn token(&self) -> Result<Option<String>, StoreError> {
        let Some(table) = self.table()? else {
            return Ok(None);
        };
        match table.get("token") {
            None => Ok(None),
            Some(toml::Value::String(t)) if !t.trim().is_empty() => Ok(Some(t.trim().to_owned())),
            Some(toml::Value::String(_)) => Ok(None),
            Some(_) => Err(StoreError::Damaged {
                path: self.path.clone(),
                reason: "its `token` is not a string".into(),
            }),
        }
    }

    /// Stores `token`, keeping the file's other keys.
    pub fn store_token(&self, token: &str) -> Result<(), StoreError> {
        let mut table = self.table()?.unwrap_or_default();
        table.insert("token".into(), toml::Value::String(token.trim().to_owned()));
        self.write(&table)
    }

    /// Removes the stored token (and the file, when nothing else is in it); says whether
    /// there was one. A file that others may read, or that cannot be read as TOML, is removed
    /// whole: it may hold a token that must not stay.
    pub fn remove_token(&self) -> Result<bool, StoreError> {
        let mut table = match self.table() {
            Ok(Some(t)) => t,
            Ok(None) => return Ok(false),
            Err(StoreError::Exposed { .. } | StoreError::Damaged { .. }) => {
                fs::remove_file(&self.path).map_err(self.io())?;
                return Ok(true);
            }
            Err(e) => return Err(e),
        };
        let had = table.remove("token").is_some();
        if table.is_empty() {
            match fs::remove_file(&self.path) {
                Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(self.io()(e)),
                _ => {}
            }
        } else if had {
            self.write(&table)?;
        }
        Ok(had)
    }

    fn write(&self, table: &toml::Table) -> Result<(), StoreError> {
        let text = toml::to_string(table).map_err(|e| self.io()(io::Error::other(e)))?;
        if let Some(dir) = self.path.parent() {
            create_private_dir(dir).map_err(self.io())?;
        }
        write_whole(&self.path, text.as_bytes(), Whole::Private).map_err(self.io())
    }
}

/// Creates `dir` (and its parents) when missing; a directory created here is private (0700).
fn create_private_dir(dir: &Path) -> io::Result<()> {
    if dir.as_os_str().is_empty() || dir.is_dir() {
        return Ok(());
    }
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp(name: &str) -> PathBuf {
        crate::client::test_dir(&format!("config-{name}"))
    }

    #[test]
    fn a_token_is_stored_privately_and_removed() {
        let dir = temp("store").join("nested");
        let store = Store::in_dir(&dir);
        assert_eq!(store.token().unwrap(), None);
        store.store_token("  tok-12345678  ").unwrap();
        assert_eq!(store.token().unwrap().as_deref(), Some("tok-12345678"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(store.path()), 0o600);
            assert_eq!(mode(&dir), 0o700);
        }
        // Other keys are kept.
        let text = fs::read_to_string(store.path()).unwrap();
        fs::write(store.path(), format!("{text}colour = \"never\"\n")).unwrap();
        store.store_token("tok-87654321").unwrap();
        assert!(fs::read_to_string(store.path()).unwrap().contains("colour"));
        assert!(store.remove_token().unwrap());
        assert_eq!(store.token().unwrap(), None);
        assert!(store.path().exists(), "the other key is still there");
        fs::write(store.path(), "token = \"tok-12345678\"\n").unwrap();
        assert!(store.remove_token().unwrap());
        assert!(!store.path().exists());
        assert!(!store.remove_token().unwrap());
        let _ = temp("store");
    }

    #[cfg(unix)]
    #[test]
    fn a_file_others_may_read_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = temp("exposed");
        let store = Store::in_dir(&dir);
        store.store_token("tok-12345678").unwrap();
        fs::set_permissions(store.path(), fs::Permissions::from_mode(0o644)).unwrap();
        let e = store.token().unwrap_err();
        assert!(matches!(e, StoreError::Exposed { mode: 0o644, .. }), "{e}");
        assert!(e.to_string().contains("chmod 600"));
        assert!(matches!(
            store.store_token("x-12345678"),
            Err(StoreError::Exposed { .. })
        ));
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_damaged_file_is_named_without_its_text() {
        let dir = temp("damaged");
        let store = Store::in_dir(&dir);
        store.store_token("tok-12345678").unwrap();
        fs::write(store.path(), "\ntoken = tok-S3CRET-value\n").unwrap();
        let e = store.token().unwrap_err().to_string();
        assert!(e.contains("not TOML (line 2)"), "{e}");
        assert!(!e.contains("S3CRET"), "{e}");
        fs::write(store.path(), "token = 12\n").unwrap();
        assert!(
            store
                .token()
                .unwrap_err()
                .to_string()
                .contains("not a string")
        );
        fs::remove_dir_all(&dir).unwrap();
    }
}
