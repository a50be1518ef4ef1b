//! Colors for resource types: a stable hue per type name.

/// A pastel color for `resource_type`, the same in every output; `lightness` in percent.
///
/// ```
/// use async_hooks_cli::palette::color;
/// assert_eq!(color("Timeout", 80), color("Timeout", 80));
/// assert!(color("Timeout", 80).starts_with("hsl("));
/// ```
pub fn color(resource_type: &str, lightness: u8) -> String {
    // FNV-1a: stable across runs and platforms.
    let mut h: u32 = 0x811c_9dc5;
    for b in resource_type.bytes() {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    let hue = h % 360;
    let saturation = 55 + (h >> 9) % 20;
    format!("hsl({hue}, {saturation}%, {lightness}%)")
}
