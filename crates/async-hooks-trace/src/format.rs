//! The file format's constants and the encoding of records (described in `FORMAT.md`).
//!
//! Everything is little-endian. Both the writer (`recorder`, `local`) and the reader use these
//! names, so the two cannot drift apart.

/// The first eight bytes of every trace file.
pub(crate) const MAGIC: [u8; 8] = *b"AHTRACE\0";
/// The format version this crate writes, and the newest it reads.
pub(crate) const VERSION: u16 = 1;
/// The most bytes of header body a reader accepts.
pub(crate) const MAX_HEADER_LEN: u32 = 64 * 1024;

/// A chunk: `tag u8, thread u32, count u32, len u32`, then `len` bytes of `count` records.
pub(crate) const TAG_CHUNK: u8 = b'C';
/// The end record: `tag u8, len u32 (= 24), events u64, lost u64, end_ns u64`.
pub(crate) const TAG_END: u8 = b'E';
/// Bytes of a chunk header.
pub(crate) const CHUNK_HEADER_LEN: usize = 13;
/// Bytes of the end record's body.
pub(crate) const END_BODY_LEN: u32 = 24;
/// The most bytes of records a reader accepts in one chunk. Writers send 64 KiB.
pub(crate) const MAX_CHUNK_LEN: u32 = 16 * 1024 * 1024;

/// Record kinds.
pub(crate) const REC_INIT: u8 = 0x01;
pub(crate) const REC_BEFORE: u8 = 0x02;
pub(crate) const REC_AFTER: u8 = 0x03;
pub(crate) const REC_DESTROY: u8 = 0x04;
pub(crate) const REC_STRING: u8 = 0x10;
pub(crate) const REC_THREAD: u8 = 0x11;

/// `kind u8, ts u64, async u64, trigger u64, exec u64`: before, after, destroy.
pub(crate) const EVENT_LEN: usize = 33;
/// An event, then `type u32, site u32, payload u16`, then the payload bytes: init.
pub(crate) const INIT_FIXED_LEN: usize = EVENT_LEN + 10;
/// `kind u8, id u32, len u16`, then the bytes: a string definition.
pub(crate) const STRING_FIXED_LEN: usize = 7;
/// `kind u8, len u16`, then the bytes: a thread name.
pub(crate) const THREAD_FIXED_LEN: usize = 3;

/// String ids are below this, so a reader's table of them stays small (16 MiB of slots at
/// most). The writer maps new strings past the limit to [`OVERFLOW_STRING`].
pub(crate) const MAX_STRING_ID: u32 = 1 << 20;
/// The text that stands for strings past [`MAX_STRING_ID`].
pub(crate) const OVERFLOW_STRING: &str = "<too many distinct strings>";
/// The most bytes a writer stores of one string (type, site, thread name).
pub(crate) const MAX_STRING_LEN: usize = 4096;
/// The most bytes a writer stores of a payload summary.
pub(crate) const MAX_PAYLOAD_LEN: usize = 128;

/// The longest prefix of `s` of at most `max` bytes that ends on a character boundary.
pub(crate) fn truncate(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// Appends a fixed event record.
#[inline]
pub(crate) fn put_event(buf: &mut Vec<u8>, kind: u8, ts: u64, id: u64, trigger: u64, exec: u64) {
    let mut rec = [0u8; EVENT_LEN];
    rec[0] = kind;
    rec[1..9].copy_from_slice(&ts.to_le_bytes());
    rec[9..17].copy_from_slice(&id.to_le_bytes());
    rec[17..25].copy_from_slice(&trigger.to_le_bytes());
    rec[25..33].copy_from_slice(&exec.to_le_bytes());
    buf.extend_from_slice(&rec);
}

/// Appends a string definition (`s` is cut to [`MAX_STRING_LEN`]).
pub(crate) fn put_string(buf: &mut Vec<u8>, id: u32, s: &str) {
    let s = truncate(s, MAX_STRING_LEN);
    buf.push(REC_STRING);
    buf.extend_from_slice(&id.to_le_bytes());
    buf.extend_from_slice(&(s.len() as u16).to_le_bytes());
    buf.extend_from_slice(s.as_bytes());
}

/// Appends a thread-name record (`name` is cut to [`MAX_STRING_LEN`]).
pub(crate) fn put_thread(buf: &mut Vec<u8>, name: &str) {
    let name = truncate(name, MAX_STRING_LEN);
    buf.push(REC_THREAD);
    buf.extend_from_slice(&(name.len() as u16).to_le_bytes());
    buf.extend_from_slice(name.as_bytes());
}

/// Writes a chunk header for `count` records on `thread` into the first
/// [`CHUNK_HEADER_LEN`] bytes of `buf`, which holds the header's room and then the records.
pub(crate) fn seal_chunk(buf: &mut [u8], thread: u32, count: u32) {
    let len = (buf.len() - CHUNK_HEADER_LEN) as u32;
    buf[0] = TAG_CHUNK;
    buf[1..5].copy_from_slice(&thread.to_le_bytes());
    buf[5..9].copy_from_slice(&count.to_le_bytes());
    buf[9..13].copy_from_slice(&len.to_le_bytes());
}

/// The file header: magic, version, header length, then the body.
pub(crate) fn header(start_unix_ns: u64, pid: u32, program: &str) -> Vec<u8> {
    let program = truncate(program, MAX_STRING_LEN);
    let body_len = 8 + 4 + 2 + program.len();
    let mut out = Vec::with_capacity(14 + body_len);
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&VERSION.to_le_bytes());
    out.extend_from_slice(&(body_len as u32).to_le_bytes());
    out.extend_from_slice(&start_unix_ns.to_le_bytes());
    out.extend_from_slice(&pid.to_le_bytes());
    out.extend_from_slice(&(program.len() as u16).to_le_bytes());
    out.extend_from_slice(program.as_bytes());
    out
}

/// The end record.
pub(crate) fn end(events: u64, lost: u64, end_ns: u64) -> [u8; 5 + END_BODY_LEN as usize] {
    let mut out = [0u8; 5 + END_BODY_LEN as usize];
    out[0] = TAG_END;
    out[1..5].copy_from_slice(&END_BODY_LEN.to_le_bytes());
    out[5..13].copy_from_slice(&events.to_le_bytes());
    out[13..21].copy_from_slice(&lost.to_le_bytes());
    out[21..29].copy_from_slice(&end_ns.to_le_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncate_keeps_char_boundaries() {
        assert_eq!(truncate("héllo", 2), "h");
        assert_eq!(truncate("héllo", 3), "hé");
        assert_eq!(truncate("abc", 10), "abc");
    }

    #[test]
    fn sealed_chunk_header() {
        let mut buf = vec![0u8; CHUNK_HEADER_LEN];
        put_event(&mut buf, REC_BEFORE, 1, 2, 3, 4);
        seal_chunk(&mut buf, 7, 1);
        assert_eq!(buf[0], TAG_CHUNK);
        assert_eq!(&buf[1..5], &7u32.to_le_bytes());
        assert_eq!(&buf[9..13], &(EVENT_LEN as u32).to_le_bytes());
    }
}
