//! Escaping of trace text (types, sites, payloads: user data) for every output format.

use std::fmt::Write as _;

/// Characters that no output keeps as they are: control characters other than tab and
/// newline (XML 1.0 forbids most of them) become U+FFFD.
fn clean(c: char) -> Option<char> {
    if c.is_control() && c != '\t' && c != '\n' {
        None
    } else {
        Some(c)
    }
}

/// Escapes `text` for HTML and SVG text and attribute values.
///
/// ```
/// use async_hooks_cli::escape::html;
/// assert_eq!(html("<a href=\"x\">&'</a>"), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;");
/// assert_eq!(html("bell\u{7}"), "bell\u{FFFD}");
/// ```
pub fn html(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match clean(c) {
            Some('&') => out.push_str("&amp;"),
            Some('<') => out.push_str("&lt;"),
            Some('>') => out.push_str("&gt;"),
            Some('"') => out.push_str("&quot;"),
            Some('\'') => out.push_str("&#39;"),
            Some(c) => out.push(c),
            None => out.push('\u{FFFD}'),
        }
    }
    out
}

/// Escapes `text` as the inside of a JSON string.
///
/// ```
/// use async_hooks_cli::escape::json;
/// assert_eq!(json("a\"b\\c\nd\u{1}"), "a\\\"b\\\\c\\nd\\u0001");
/// ```
pub fn json(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || c == '\u{2028}' || c == '\u{2029}' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

/// Escapes `text` as the inside of a double-quoted DOT string; a newline becomes DOT's `\n`.
///
/// ```
/// use async_hooks_cli::escape::dot;
/// assert_eq!(dot("say \"hi\"\\\n"), "say \\\"hi\\\"\\\\\\n");
/// ```
pub fn dot(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    for c in text.chars() {
        match clean(c) {
            Some('"') => out.push_str("\\\""),
            Some('\\') => out.push_str("\\\\"),
            Some('\n') => out.push_str("\\n"),
            Some('\t') => out.push(' '),
            Some(c) => out.push(c),
            None => out.push('\u{FFFD}'),
        }
    }
    out
}

/// Cuts `text` to at most `max` characters, ending with `…` when cut.
///
/// ```
/// use async_hooks_cli::escape::shorten;
/// assert_eq!(shorten("abcdef", 4), "abc…");
/// assert_eq!(shorten("abc", 4), "abc");
/// ```
pub fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}
