//! Bad, truncated and newer-version files: every one gets an error that says what is wrong and
//! at which byte, and no input makes the reader panic or hang (issue, section 1).

use std::sync::OnceLock;

use async_hooks::AsyncResource;
use async_hooks_trace::{Recorder, TraceError, TraceReader};
use proptest::prelude::*;

// ---- hand-made files ---------------------------------------------------------------------

fn header(version: u16) -> Vec<u8> {
    let mut out = b"AHTRACE\0".to_vec();
    out.extend_from_slice(&version.to_le_bytes());
    let program = b"prog";
    out.extend_from_slice(&(14 + program.len() as u32).to_le_bytes());
    out.extend_from_slice(&1_700_000_000_000_000_000u64.to_le_bytes());
    out.extend_from_slice(&42u32.to_le_bytes());
    out.extend_from_slice(&(program.len() as u16).to_le_bytes());
    out.extend_from_slice(program);
    out
}

const HEADER_LEN: u64 = 32;

fn chunk(thread: u32, records: &[Vec<u8>]) -> Vec<u8> {
    let body: Vec<u8> = records.concat();
    let mut out = vec![b'C'];
    out.extend_from_slice(&thread.to_le_bytes());
    out.extend_from_slice(&(records.len() as u32).to_le_bytes());
    out.extend_from_slice(&(body.len() as u32).to_le_bytes());
    out.extend_from_slice(&body);
    out
}

fn thread_rec(name: &str) -> Vec<u8> {
    let mut out = vec![0x11];
    out.extend_from_slice(&(name.len() as u16).to_le_bytes());
    out.extend_from_slice(name.as_bytes());
    out
}

fn string_rec(id: u32, text: &str) -> Vec<u8> {
    let mut out = vec![0x10];
    out.extend_from_slice(&id.to_le_bytes());
    out.extend_from_slice(&(text.len() as u16).to_le_bytes());
    out.extend_from_slice(text.as_bytes());
    out
}

fn event_rec(kind: u8, id: u64) -> Vec<u8> {
    let mut out = vec![kind];
    for v in [100u64, id, 1, if kind == 4 { 0 } else { id }] {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out
}

fn init_rec(id: u64, ty: u32, site: u32) -> Vec<u8> {
    let mut out = event_rec(1, id);
    out.extend_from_slice(&ty.to_le_bytes());
    out.extend_from_slice(&site.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out
}

fn end_rec(events: u64) -> Vec<u8> {
    let mut out = vec![b'E'];
    out.extend_from_slice(&24u32.to_le_bytes());
    for v in [events, 0, 1000] {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out
}

/// A valid two-event file: header, one chunk (thread, string, init, destroy), end.
fn valid_file() -> Vec<u8> {
    [
        header(1),
        chunk(
            1,
            &[
                thread_rec("main"),
                string_rec(2, "X"),
                init_rec(5, 2, 0),
                event_rec(4, 5),
            ],
        ),
        end_rec(2),
    ]
    .concat()
}

/// Reads `bytes` to the end: the events before the first error, and that error.
fn read(bytes: &[u8]) -> (usize, Option<TraceError>) {
    let mut reader = match TraceReader::from_reader(bytes) {
        Ok(r) => r,
        Err(e) => return (0, Some(e)),
    };
    let mut events = 0;
    let mut error = None;
    for (i, item) in reader.by_ref().enumerate() {
        assert!(error.is_none(), "the iterator ends after its error");
        assert!(i <= bytes.len() / 33, "more events than the bytes can hold");
        match item {
            Ok(_) => events += 1,
            Err(e) => error = Some(e),
        }
    }
    assert!(reader.next().is_none(), "the iterator stays ended");
    (events, error)
}

fn error_of(bytes: &[u8]) -> TraceError {
    read(bytes).1.expect("an error")
}

#[test]
fn the_hand_made_file_is_valid() {
    let (events, error) = read(&valid_file());
    assert_eq!((events, error.map(|e| e.to_string())), (2, None));
}

#[test]
fn bad_magic_says_it_is_not_a_trace() {
    let err = error_of(b"GIF89a, not a trace at all");
    assert!(err.is_bad_magic());
    assert_eq!(
        err.to_string(),
        "at byte 0: not an async-hooks trace: expected the magic bytes \"AHTRACE\\0\" at the start"
    );
}

#[test]
fn an_empty_file_is_truncated_at_byte_0() {
    let err = error_of(b"");
    assert!(err.is_truncated());
    assert_eq!(
        err.to_string(),
        "at byte 0: the file is truncated: it ends inside the file header (the file is empty)"
    );
}

#[test]
fn a_newer_version_asks_for_an_upgrade() {
    let mut file = valid_file();
    file[8..10].copy_from_slice(&3u16.to_le_bytes());
    let err = error_of(&file);
    assert!(err.is_newer_version());
    assert_eq!(
        err.to_string(),
        "at byte 8: file format version 3 is newer than this reader (1): upgrade async-hooks-cli"
    );
}

#[test]
fn a_cut_inside_a_chunk_says_how_much_is_missing() {
    let file = valid_file();
    let end_len = 29;
    let chunk_len = file.len() - HEADER_LEN as usize - end_len;
    let cut = &file[..HEADER_LEN as usize + 20];
    let (events, err) = read(cut);
    let err = err.unwrap();
    assert_eq!(events, 0);
    assert!(err.is_truncated());
    assert_eq!(err.offset(), Some(HEADER_LEN));
    assert_eq!(
        err.to_string(),
        format!(
            "at byte {HEADER_LEN}: the file is truncated: it ends inside a chunk of {} bytes, \
             of which 7 are present",
            chunk_len - 13
        )
    );
}

#[test]
fn a_file_without_end_record_yields_its_events_then_says_unfinished() {
    let file = valid_file();
    let (events, err) = read(&file[..file.len() - 29]);
    let err = err.unwrap();
    assert_eq!(events, 2);
    assert!(err.is_unfinished());
    assert_eq!(err.offset(), Some(file.len() as u64 - 29));
}

#[test]
fn every_truncation_of_a_recorded_file_is_an_error_never_a_panic() {
    // Every prefix of a real multi-chunk file: the events before the cut, then one error
    // (truncated inside a block, or unfinished between blocks).
    let file = recorded_file();
    let (all, none) = read(file);
    assert!(none.is_none());
    let mut last_events = 0;
    // Every cut in the first 2 KiB (header, first chunk) and the last 256 bytes (last chunk,
    // end record), and every 127th byte between: reading every prefix of a file of 100s of
    // KiB is quadratic.
    let n = file.len();
    let cuts = (0..n.min(2048))
        .chain((2048..n.saturating_sub(256)).step_by(127))
        .chain(n.saturating_sub(256).max(2048)..n);
    for cut in cuts {
        let (events, err) = read(&file[..cut]);
        let err = err.unwrap_or_else(|| panic!("cut at {cut} must be an error"));
        assert!(
            err.is_truncated() || err.is_unfinished(),
            "cut at {cut}: {err}"
        );
        assert!(err.offset().unwrap() <= cut as u64, "cut at {cut}: {err}");
        assert!(events >= last_events && events <= all);
        last_events = events;
    }
}

#[test]
fn an_unknown_record_kind_is_named_with_its_offset() {
    let mut file = valid_file();
    let at = HEADER_LEN as usize + 13; // the thread record
    file[at] = 0x7f;
    let err = error_of(&file);
    assert!(err.is_unknown_record());
    assert_eq!(err.offset(), Some(at as u64));
    assert!(err
        .to_string()
        .starts_with(&format!("at byte {at}: unknown record kind 0x7f")));
}

#[test]
fn a_string_used_before_its_definition_is_an_error() {
    let file = [
        header(1),
        chunk(1, &[init_rec(5, 9, 0), string_rec(9, "late")]),
        end_rec(1),
    ]
    .concat();
    let err = error_of(&file);
    assert!(err.is_undefined_string());
    let type_field = HEADER_LEN + 13 + 33;
    assert_eq!(err.offset(), Some(type_field));
    assert!(err
        .to_string()
        .contains("string id 9 is used before its definition"));
}

#[test]
fn an_absurd_chunk_length_is_refused_before_allocating() {
    let mut file = header(1);
    file.push(b'C');
    file.extend_from_slice(&1u32.to_le_bytes());
    file.extend_from_slice(&1u32.to_le_bytes());
    file.extend_from_slice(&u32::MAX.to_le_bytes());
    let err = error_of(&file);
    assert!(err.is_too_large());
    assert_eq!(err.offset(), Some(HEADER_LEN + 9));
    assert_eq!(
        err.to_string(),
        format!(
            "at byte {}: the chunk length is 4294967295, more than the limit of 16777216",
            HEADER_LEN + 9
        )
    );
    // An absurd header length too.
    let mut file = header(1);
    file[10..14].copy_from_slice(&u32::MAX.to_le_bytes());
    assert!(error_of(&file).is_too_large());
}

#[test]
fn inconsistent_files_are_malformed() {
    // A record count that leaves bytes unread.
    let mut c = chunk(1, &[thread_rec("t"), event_rec(2, 5)]);
    c[5..9].copy_from_slice(&1u32.to_le_bytes());
    let err = error_of(&[header(1), c, end_rec(0)].concat());
    assert!(
        err.is_malformed() && err.to_string().contains("record count is wrong"),
        "{err}"
    );

    // A record count larger than the records: a record overruns its chunk.
    let mut c = chunk(1, &[thread_rec("t")]);
    c[5..9].copy_from_slice(&2u32.to_le_bytes());
    let err = error_of(&[header(1), c, end_rec(0)].concat());
    assert!(err.is_malformed(), "{err}");

    // One id, two texts.
    let c = chunk(1, &[string_rec(2, "a"), string_rec(2, "b")]);
    let err = error_of(&[header(1), c, end_rec(0)].concat());
    assert!(err
        .to_string()
        .contains("string id 2 is defined again as \"b\": it was \"a\""));

    // An end record that miscounts, and data after the end record.
    let body = chunk(1, &[thread_rec("t"), event_rec(2, 5)]);
    let err = error_of(&[header(1), body.clone(), end_rec(7)].concat());
    assert!(err
        .to_string()
        .contains("the end record counts 7 events but the file holds 1"));
    let err = error_of(&[header(1), body, end_rec(1), b"x".to_vec()].concat());
    assert!(err.to_string().contains("data after the end record"));

    // Invalid UTF-8 in a thread name; an unknown block tag.
    let err = error_of(&[header(1), chunk(1, &[vec![0x11, 1, 0, 0xff]]), end_rec(0)].concat());
    assert!(err.to_string().contains("not valid UTF-8"), "{err}");
    let err = error_of(&[header(1), b"Z".to_vec()].concat());
    assert!(err.to_string().contains("unknown block tag 0x5a"), "{err}");
}

// ---- a recorded file, mutated ------------------------------------------------------------

/// A real file of this process, recorded once: two threads, several chunks.
fn recorded_file() -> &'static [u8] {
    static FILE: OnceLock<Vec<u8>> = OnceLock::new();
    FILE.get_or_init(|| {
        let path = std::env::temp_dir().join(format!("aht-bad-{}.aht", std::process::id()));
        let trace = Recorder::start(&path).unwrap();
        let work = || {
            for i in 0..600u32 {
                let r = AsyncResource::builder(if i % 2 == 0 { "test.A" } else { "test.B" })
                    .payload(i)
                    .build()
                    .unwrap();
                r.run_in_async_scope(|| {});
            }
        };
        std::thread::spawn(work).join().unwrap();
        work();
        trace.finish().unwrap();
        let bytes = std::fs::read(&path).unwrap();
        std::fs::remove_file(&path).ok();
        bytes
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn mutated_files_give_ok_or_err_never_a_panic(
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..4), 1..8),
        cut in any::<prop::sample::Index>(),
        do_cut in any::<bool>(),
    ) {
        let mut file = recorded_file().to_vec();
        for (at, byte, op) in edits {
            let i = at.index(file.len());
            match op {
                0 => file[i] = byte,
                1 => file[i] ^= 1 << (byte % 8),
                2 => file.insert(i, byte),
                _ => { file.remove(i); }
            }
        }
        if do_cut {
            file.truncate(cut.index(file.len() + 1));
        }
        // `read` checks: at most one error, last; the iterator ends; no more events than bytes.
        let (_, err) = read(&file);
        if let Some(err) = err {
            prop_assert!(err.offset().is_some(), "file errors carry an offset: {}", err);
            prop_assert!(err.offset().unwrap() <= file.len() as u64);
        }
    }

    #[test]
    fn random_bytes_after_a_valid_header_give_ok_or_err(
        tail in proptest::collection::vec(any::<u8>(), 0..2048),
    ) {
        let file = [header(1), tail].concat();
        let (_, err) = read(&file);
        prop_assert!(err.is_some(), "random bytes are not a finished trace");
    }
}
