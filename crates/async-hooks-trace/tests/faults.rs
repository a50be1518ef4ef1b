//! The recorder against a bad disk: a path that cannot be created, a device that is always
//! full, a small filesystem that fills up in the middle of a recording (SPEC S20 for the
//! recorder: a clear error, never a panic or a silent loss). The recorder is process-global:
//! run with `cargo nextest`.
//!
//! The tests run as root here, which ignores permission bits, so "unwritable" is a path whose
//! parent is a regular file, and "full" is `/dev/full` (every write fails with `ENOSPC`) and a
//! 512 KiB tmpfs mounted for the test (skipped, saying so, where `mount` is not allowed).

use std::error::Error as _;
use std::io;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use async_hooks::AsyncResource;
use async_hooks_trace::{Recorder, TraceError, TraceReader};

fn temp_path(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("aht-faults-{}-{name}", std::process::id()))
}

/// The `io::ErrorKind` under a recorder error.
fn io_kind(err: &TraceError) -> Option<io::ErrorKind> {
    err.source()
        .and_then(|s| s.downcast_ref::<io::Error>())
        .map(io::Error::kind)
}

/// After a failed start, nothing is left running: a good path records normally.
fn assert_a_recorder_can_still_start() {
    assert!(!Recorder::is_recording());
    let path = temp_path("after.aht");
    let trace = Recorder::start(&path).expect("a good path works after a failed start");
    drop(AsyncResource::new("test.After"));
    let summary = trace.finish().unwrap();
    assert_eq!((summary.events, summary.lost), (2, 0));
    std::fs::remove_file(&path).ok();
}

#[test]
fn a_path_under_a_regular_file_is_a_clear_error_at_start() {
    let file = temp_path("not-a-dir");
    std::fs::write(&file, b"a file, not a directory").unwrap();
    let err = Recorder::start(file.join("trace.aht")).unwrap_err();
    assert!(err.is_io(), "{err:?}");
    assert_eq!(io_kind(&err), Some(io::ErrorKind::NotADirectory));
    assert!(err.to_string().contains("Not a directory"), "{err}");
    std::fs::remove_file(&file).ok();
    assert_a_recorder_can_still_start();
}

#[test]
fn a_directory_as_the_path_is_a_clear_error_at_start() {
    let err = Recorder::start(std::env::temp_dir()).unwrap_err();
    assert!(err.is_io(), "{err:?}");
    assert_eq!(io_kind(&err), Some(io::ErrorKind::IsADirectory));
    assert_a_recorder_can_still_start();
}

#[test]
fn a_start_error_names_the_path() {
    // S20: "each error says what was wrong": which file could not be created.
    let file = temp_path("not-a-dir-2");
    std::fs::write(&file, b"x").unwrap();
    let path = file.join("trace.aht");
    let err = Recorder::start(&path).unwrap_err();
    std::fs::remove_file(&file).ok();
    assert!(
        err.to_string().contains(&*path.to_string_lossy()),
        "the error should name {}: {err}",
        path.display()
    );
}

#[test]
fn dev_full_fails_at_start_with_no_space_left() {
    // The header is written and flushed by `start`, so a device that is full refuses at once.
    let err = Recorder::start("/dev/full").unwrap_err();
    assert!(err.is_io(), "{err:?}");
    assert_eq!(io_kind(&err), Some(io::ErrorKind::StorageFull));
    assert!(err.to_string().contains("No space left on device"), "{err}");
    assert_a_recorder_can_still_start();
}

/// A tmpfs of `size` mounted at a fresh directory, unmounted on drop.
struct SmallFs(PathBuf);

impl SmallFs {
    fn mount(size: &str) -> Option<SmallFs> {
        let dir = temp_path("smallfs");
        std::fs::create_dir_all(&dir).ok()?;
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(&dir)
            .status()
            .is_ok_and(|s| s.success());
        if ok {
            Some(SmallFs(dir))
        } else {
            std::fs::remove_dir(&dir).ok();
            None
        }
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for SmallFs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
        std::fs::remove_dir(&self.0).ok();
    }
}

#[test]
fn a_disk_that_fills_up_mid_recording_is_reported_by_finish() {
    let Some(fs) = SmallFs::mount("512k") else {
        eprintln!("SKIPPED: cannot mount a tmpfs here (needs root and CAP_SYS_ADMIN)");
        return;
    };
    let path = fs.path().join("trace.aht");
    let started = Instant::now();
    let trace = Recorder::start(&path).expect("the header fits");
    // Far more than 512 KiB of records (chunks are up to 64 KiB, so several fit): tens of thousands of resources, sent in batches.
    let mut created = 0u64;
    for batch in 0..50 {
        for _ in 0..1_000 {
            let r = AsyncResource::new("test.Fill");
            r.run_in_async_scope(|| {});
            created += 1;
        }
        trace.flush_thread();
        if batch == 25 {
            // The writer has hit the full disk by now; the program goes on undisturbed.
            std::thread::sleep(Duration::from_millis(150));
        }
    }
    let err = trace.finish().unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(20), "no stall");
    assert!(err.is_io(), "{err:?}");
    assert_eq!(io_kind(&err), Some(io::ErrorKind::StorageFull), "{err}");
    assert!(err.to_string().contains("No space left on device"), "{err}");
    assert!(!Recorder::is_recording());

    // The file holds a valid prefix: its events read back, then an error (the end record is
    // missing, or the last chunk is cut), never a panic and never more than was recorded.
    let len = std::fs::metadata(&path).unwrap().len();
    assert!(len > 256 * 1024 && len <= 512 * 1024, "{len} bytes");
    let mut read = 0u64;
    let mut end = None;
    for event in TraceReader::open(&path).unwrap() {
        match event {
            Ok(_) => read += 1,
            Err(e) => {
                end = Some(e);
                break;
            }
        }
    }
    let end = end.expect("a cut trace ends in an error");
    assert!(end.is_unfinished() || end.is_truncated(), "{end}");
    assert!(read > 5_000 && read < 4 * created, "{read} events read");
}

#[test]
fn dev_full_via_a_symlink_mid_path_is_also_refused_at_start() {
    // A second route to the same device: the error is the same, not a silent success.
    let link = temp_path("full-link.aht");
    std::fs::remove_file(&link).ok();
    std::os::unix::fs::symlink("/dev/full", &link).unwrap();
    let err = Recorder::start(&link).unwrap_err();
    std::fs::remove_file(&link).ok();
    assert_eq!(io_kind(&err), Some(io::ErrorKind::StorageFull), "{err}");
}
