//! [`FileOutboxStore`]: the outbox in a file, for native apps and services.
//!
//! The file holds the waiting messages as one JSON array and is rewritten whole on every
//! change through a temporary file and a rename, so a crash leaves either the old or the new
//! list, never half of one. An outbox holds at most a few hundred short messages, so whole
//! rewrites stay small. The temporary file is `fsync`ed before the rename: without it, after
//! a power cut, file systems that delay writing data (XFS, btrfs, F2FS) can keep the rename
//! and lose the data, leaving an empty or broken file where the whole outbox was. The
//! directory is not synced, so a power cut may still lose the last change (the rename); a
//! crashed or killed process loses nothing.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use crate::engine::{OutboxStore, StoreError, StoredMessage};

/// An [`OutboxStore`] in one JSON file. Give each client (each account) its own file.
#[derive(Debug)]
pub struct FileOutboxStore {
    path: PathBuf,
    messages: Mutex<BTreeMap<u64, StoredMessage>>,
}

impl FileOutboxStore {
    /// Opens the store at `path`, reading what it holds; a missing file is an empty store.
    /// A file that cannot be read or parsed is an error, not an empty store: its messages
    /// would be lost.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        let path = path.as_ref().to_path_buf();
        let messages = match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice::<Vec<StoredMessage>>(&bytes)
                .map_err(|error| failure(&path, "read", error))?,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(error) => return Err(failure(&path, "read", error)),
        };
        let messages = messages.into_iter().map(|m| (m.id, m)).collect();
        remove_orphaned_temporaries(&path);
        Ok(Self {
            path,
            messages: Mutex::new(messages),
        })
    }

    fn messages(&self) -> MutexGuard<'_, BTreeMap<u64, StoredMessage>> {
        self.messages
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn write(&self, messages: &BTreeMap<u64, StoredMessage>) -> Result<(), StoreError> {
        let list: Vec<&StoredMessage> = messages.values().collect();
        let bytes = serde_json::to_vec(&list).map_err(|e| failure(&self.path, "encode", e))?;
        let temporary = temporary_for(&self.path);
        let written = std::fs::File::create(&temporary).and_then(|mut file| {
            std::io::Write::write_all(&mut file, &bytes)?;
            file.sync_all()
        });
        written.map_err(|e| failure(&temporary, "write", e))?;
        std::fs::rename(&temporary, &self.path).map_err(|e| failure(&self.path, "replace", e))
    }
}

/// The file a new list is written to before it replaces `path`: beside it (a rename does
/// not cross file systems), named after the whole file name and the process. Before,
/// `a.json` and `a.db` shared `a.tmp`, and so did two processes on one file: interleaved
/// writes could be renamed into place as a broken list.
fn temporary_for(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".{}.tmp", std::process::id()));
    path.with_file_name(name)
}

/// How old a temporary file must be to be taken for one a crash left: a write renames its
/// file into place within moments, so a minute-old one belongs to no write under way.
const ORPHANED_AFTER: std::time::Duration = std::time::Duration::from_secs(60);

/// Removes the temporary files of `path` ([`temporary_for`]) that crashed processes left:
/// each is named after its process, so the next one never overwrites it. Best effort: a
/// file that cannot be listed or removed stays.
fn remove_orphaned_temporaries(path: &Path) {
    let (Some(name), Some(directory)) = (path.file_name(), path.parent()) else {
        return;
    };
    let directory = match directory.as_os_str().is_empty() {
        true => Path::new("."),
        false => directory,
    };
    let prefix = format!("{}.", name.to_string_lossy());
    let Ok(entries) = std::fs::read_dir(directory) else {
        return;
    };
    for entry in entries.flatten() {
        let file_name = entry.file_name();
        let file_name = file_name.to_string_lossy();
        let is_ours = file_name
            .strip_prefix(&prefix)
            .and_then(|rest| rest.strip_suffix(".tmp"))
            .is_some_and(|pid| !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit()));
        let orphaned = entry
            .metadata()
            .and_then(|metadata| metadata.modified())
            .is_ok_and(|modified| modified.elapsed().is_ok_and(|age| age > ORPHANED_AFTER));
        if is_ours && orphaned {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

fn failure(path: &Path, what: &str, error: impl std::fmt::Display) -> StoreError {
    StoreError(format!("cannot {what} {}: {error}", path.display()))
}

impl OutboxStore for FileOutboxStore {
    fn load(&self) -> Result<Vec<StoredMessage>, StoreError> {
        Ok(self.messages().values().cloned().collect())
    }

    fn save(&self, message: &StoredMessage) -> Result<(), StoreError> {
        let mut messages = self.messages();
        messages.insert(message.id, message.clone());
        self.write(&messages)
    }

    fn remove(&self, id: u64) -> Result<(), StoreError> {
        let mut messages = self.messages();
        if messages.remove(&id).is_some() {
            self.write(&messages)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("niochat-store-{}-{name}", std::process::id()));
        let _ = std::fs::remove_file(&dir);
        dir
    }

    #[test]
    fn what_is_saved_and_not_removed_is_there_after_reopening() {
        let path = scratch("reopen.json");
        let store = FileOutboxStore::open(&path).unwrap();
        store.save(&StoredMessage::new(1, "c", "first")).unwrap();
        store.save(&StoredMessage::new(2, "c", "second")).unwrap();
        store.remove(1).unwrap();
        drop(store);
        let reopened = FileOutboxStore::open(&path).unwrap();
        assert_eq!(
            reopened.load().unwrap(),
            [StoredMessage::new(2, "c", "second")]
        );
        let _ = std::fs::remove_file(&path);
    }

    #[test]
    fn a_damaged_file_is_an_error_not_an_empty_outbox() {
        let path = scratch("damaged.json");
        std::fs::write(&path, b"[{\"id\":1,").unwrap();
        let error = FileOutboxStore::open(&path).unwrap_err();
        assert!(error.to_string().contains("cannot read"), "{error}");
        let _ = std::fs::remove_file(&path);
    }

    #[test]
    fn each_file_and_process_writes_through_its_own_temporary_file() {
        let json = temporary_for(Path::new("/data/outbox.json"));
        let db = temporary_for(Path::new("/data/outbox.db"));
        assert_ne!(json, db);
        assert_eq!(json.parent(), Some(Path::new("/data")), "beside the file");
        let name = json.file_name().unwrap().to_string_lossy().into_owned();
        assert_eq!(name, format!("outbox.json.{}.tmp", std::process::id()));

        // And nothing is left behind once written.
        let path = scratch("written.json");
        let store = FileOutboxStore::open(&path).unwrap();
        store.save(&StoredMessage::new(1, "c", "kept")).unwrap();
        assert!(path.exists());
        assert!(!temporary_for(&path).exists(), "renamed into place");
        let _ = std::fs::remove_file(&path);
    }

    #[test]
    fn temporary_files_a_crash_left_are_removed_and_recent_ones_kept() {
        let path = scratch("orphans.json");
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let beside = |suffix: &str| path.with_file_name(format!("{name}.{suffix}"));
        let (old, recent, other) = (beside("4242.tmp"), beside("4343.tmp"), beside("note.tmp"));
        for file in [&old, &recent, &other] {
            std::fs::write(file, b"[").unwrap();
        }
        let long_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
        for file in [&old, &other] {
            std::fs::File::options()
                .write(true)
                .open(file)
                .unwrap()
                .set_modified(long_ago)
                .unwrap();
        }
        let store = FileOutboxStore::open(&path).unwrap();
        assert!(
            !old.exists(),
            "an hour-old temporary file of this store is removed"
        );
        assert!(recent.exists(), "a write under way is left alone");
        assert!(
            other.exists(),
            "a file not named as a temporary one is left alone"
        );
        drop(store);
        for file in [&recent, &other, &path] {
            let _ = std::fs::remove_file(file);
        }
    }
}
