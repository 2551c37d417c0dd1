//! Sandboxed spawns prepared ahead. What a sandboxed process needs before it
//! can start — its private temp dir, its rules, a thread restricted to them —
//! costs more than the spawn on this kind of machine (bench/sandbox.mjs;
//! SECURITY.md "The built-in sandbox"), and so does waking another thread
//! from the call's path. So a preparer thread per function prepares the next
//! spawn each time the spawner thread it prepared has spawned (that thread
//! wakes it, off the call's path), and a call finds one ready. A prepared
//! spawn is used only if nothing it was built from changed: the same
//! confinement and program, and the same directory and program inodes (a
//! swapped directory gets fresh rules, never stale ones).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::Mutex;

use super::rules::Rules;
use super::spawner::Restricted;
use super::{Confinement, PrivateTemp, SpawnError};

/// Prepared spawns kept at most: enough for a few functions called in turn.
const KEPT: usize = 4;

/// A preparer only prepares: a small stack is plenty.
const STACK: usize = 256 * 1024;

static READY: Mutex<Vec<Ready>> = Mutex::new(Vec::new());

/// Preparer threads alive.
static PREPARERS: AtomicUsize = AtomicUsize::new(0);

/// Bumped by [`forget`]: a spawn prepared across it is dropped, not kept.
static GENERATION: AtomicU64 = AtomicU64::new(0);

/// What a prepared spawn was built from.
#[derive(Clone, PartialEq)]
pub struct Key {
    confinement: Confinement,
    program: PathBuf,
    stamps: [Option<Stamp>; 2],
}

/// Identity, last change and size of a file or directory.
type Stamp = (u64, u64, i64, i64, u64);

impl Key {
    pub fn of(confinement: &Confinement, program: &Path) -> Key {
        let stamps = [stamp(&confinement.dir), stamp(program)];
        Key { confinement: confinement.clone(), program: program.to_path_buf(), stamps }
    }
}

fn stamp(path: &Path) -> Option<Stamp> {
    use std::os::unix::fs::MetadataExt;
    let m = std::fs::metadata(path).ok()?;
    Some((m.dev(), m.ino(), m.ctime(), m.ctime_nsec(), m.size()))
}

/// A temp dir and a thread restricted to the rules that grant it.
pub struct Ready {
    key: Key,
    pub temp: PrivateTemp,
    pub spawner: Restricted,
}

/// Builds a spawn for `key` now, and starts the thread that will prepare
/// the next one once this one is used.
pub fn prepare(key: Key) -> Result<Ready, SpawnError> {
    let (wake, woken) = sync_channel(1);
    let ready = build(key.clone(), wake)?;
    // At most KEPT preparers: more would only make spawns to evict.
    if PREPARERS.fetch_add(1, Ordering::SeqCst) >= KEPT {
        PREPARERS.fetch_sub(1, Ordering::SeqCst);
        return Ok(ready);
    }
    let generation = GENERATION.load(Ordering::SeqCst);
    let preparer = std::thread::Builder::new().name("alyx-sandbox-next".into()).stack_size(STACK);
    // Without it calls still work, each building its own spawn.
    let started = preparer.spawn(move || {
        prepare_each_next(key, woken, generation);
        PREPARERS.fetch_sub(1, Ordering::SeqCst);
    });
    if started.is_err() {
        PREPARERS.fetch_sub(1, Ordering::SeqCst);
    }
    Ok(ready)
}

/// The preparer's loop: each time the last spawn prepared for `key` is
/// used, prepare the next. It ends when that spawn is dropped unused
/// (evicted, forgotten): its spawner thread ends and `woken` closes.
fn prepare_each_next(key: Key, mut woken: Receiver<()>, generation: u64) {
    while woken.recv().is_ok() {
        super::temp::close_released();
        let (wake, next_woken) = sync_channel(1);
        let Ok(next) = build(key.clone(), wake) else { return };
        keep(next, generation);
        woken = next_woken;
    }
}

/// A temp dir and a spawner thread restricted to the rules that grant it;
/// the thread sends on `wake` once its spawn is done.
fn build(key: Key, wake: SyncSender<()>) -> Result<Ready, SpawnError> {
    let c = &key.confinement;
    let temp = PrivateTemp::new(&c.temp_root)
        .map_err(|e| SpawnError::Io(std::io::Error::new(e.kind(), format!("its private temp dir: {e}"))))?;
    let rules = Rules::for_call(&c.policy, &c.dir, &key.program, temp.path());
    let spawner = Restricted::new(rules, move || _ = wake.send(()))?;
    Ok(Ready { key, temp, spawner })
}

/// The spawn prepared for `key`, if there is one; else one built now.
pub fn take_or_prepare(key: Key) -> Result<Ready, SpawnError> {
    let mut ready = READY.lock().unwrap_or_else(|e| e.into_inner());
    match ready.iter().position(|r| r.key == key) {
        Some(i) => Ok(ready.remove(i)),
        None => {
            drop(ready);
            prepare(key)
        }
    }
}

/// Keeps `next` for a call to take, unless [`forget`] ran since `generation`.
fn keep(next: Ready, generation: u64) {
    let mut ready = READY.lock().unwrap_or_else(|e| e.into_inner());
    if GENERATION.load(Ordering::SeqCst) != generation {
        drop(ready);
        return drop(next);
    }
    ready.push(next);
    // The oldest go; their temp dirs are removed outside the lock.
    let surplus = ready.len().saturating_sub(KEPT);
    let old: Vec<Ready> = ready.drain(..surplus).collect();
    drop(ready);
    drop(old);
}

/// Drops every prepared spawn: their threads end, their temp dirs go.
/// At host exit and when a runtime closes (nothing is left in TMPDIR).
pub fn forget() {
    GENERATION.fetch_add(1, Ordering::SeqCst);
    let old = std::mem::take(&mut *READY.lock().unwrap_or_else(|e| e.into_inner()));
    drop(old);
    super::temp::close_released();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sandbox::SandboxPolicy;

    fn confinement(dir: &Path, temp_root: &Path) -> Confinement {
        Confinement { policy: SandboxPolicy::default(), dir: dir.to_path_buf(), temp_root: temp_root.to_path_buf() }
    }

    #[test]
    fn a_swapped_directory_or_a_changed_program_is_a_different_key() {
        let tmp = tempfile::tempdir().unwrap();
        let (dir, temps) = (tmp.path().join("f"), tmp.path().join("t"));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::create_dir_all(&temps).unwrap();
        let program = dir.join("bootstrap");
        std::fs::write(&program, "#!/bin/sh\n").unwrap();
        let c = confinement(&dir, &temps);
        let before = Key::of(&c, &program);
        assert!(before == Key::of(&c, &program), "nothing changed: the same key");
        std::fs::write(&program, "#!/usr/bin/env python3\n").unwrap();
        assert!(before != Key::of(&c, &program), "a rewritten program has new rules");
        let now = Key::of(&c, &program);
        std::fs::rename(&dir, tmp.path().join("old")).unwrap();
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(&program, "#!/usr/bin/env python3\n").unwrap();
        assert!(now != Key::of(&c, &program), "a directory swapped under the same path has new rules");
    }

    #[test]
    fn forget_removes_the_temp_dirs_made_ahead() {
        if !crate::sandbox::landlock_here() {
            return;
        }
        let tmp = tempfile::tempdir().unwrap();
        let temps = tmp.path().join("t");
        std::fs::create_dir_all(&temps).unwrap();
        let c = confinement(tmp.path(), &temps);
        let ready = prepare(Key::of(&c, Path::new("/bin/true"))).unwrap();
        let made = ready.temp.path().to_path_buf();
        assert!(made.is_dir());
        keep(ready, GENERATION.load(Ordering::SeqCst));
        forget();
        assert!(!made.exists(), "the prepared temp dir is gone after forget()");
        assert_eq!(std::fs::read_dir(&temps).unwrap().count(), 0);
    }
}
