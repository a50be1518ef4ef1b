//! A log-linear histogram: constant memory, percentiles within about 6%.

/// Values below this are counted exactly.
const LINEAR: u64 = 16;
/// Sub-buckets per power of two.
const SUB: u32 = 16;
const BUCKETS: usize = (LINEAR as usize) + (64 - 4) * SUB as usize;

/// Counts `u64` values (durations in ns) in 976 buckets: exact below 16, then 16 per power
/// of two. Count, sum, min and max are exact.
///
/// ```
/// use async_hooks_cli::hist::Histogram;
///
/// let mut h = Histogram::default();
/// for v in 1..=1000 {
///     h.record(v * 1000);
/// }
/// assert_eq!(h.count(), 1000);
/// assert_eq!(h.max(), 1_000_000);
/// let p50 = h.percentile(50.0);
/// assert!((470_000..=530_000).contains(&p50), "{p50}");
/// ```
#[derive(Debug, Clone, Default)]
pub struct Histogram {
    buckets: Vec<u64>,
    count: u64,
    sum: u128,
    min: u64,
    max: u64,
}

fn index(v: u64) -> usize {
    if v < LINEAR {
        return v as usize;
    }
    let exp = 63 - v.leading_zeros(); // >= 4
    let sub = (v >> (exp - 4)) & u64::from(SUB - 1);
    LINEAR as usize + (exp as usize - 4) * SUB as usize + sub as usize
}

/// The middle of bucket `i`.
fn value(i: usize) -> u64 {
    if i < LINEAR as usize {
        return i as u64;
    }
    let j = i - LINEAR as usize;
    let exp = (j / SUB as usize) as u32 + 4;
    let sub = (j % SUB as usize) as u64;
    let low = (1u64 << exp) | (sub << (exp - 4));
    low.saturating_add(1u64 << (exp - 5))
}

impl Histogram {
    /// Counts one value.
    ///
    /// ```
    /// # let mut h = async_hooks_cli::hist::Histogram::default();
    /// h.record(42);
    /// assert_eq!((h.min(), h.max()), (42, 42));
    /// ```
    pub fn record(&mut self, v: u64) {
        if self.buckets.is_empty() {
            self.buckets = vec![0; BUCKETS];
            self.min = v;
        }
        self.buckets[index(v)] += 1;
        self.count += 1;
        self.sum += u128::from(v);
        self.min = self.min.min(v);
        self.max = self.max.max(v);
    }

    /// Values counted.
    ///
    /// ```
    /// assert_eq!(async_hooks_cli::hist::Histogram::default().count(), 0);
    /// ```
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Their sum.
    ///
    /// ```
    /// # let mut h = async_hooks_cli::hist::Histogram::default();
    /// h.record(2);
    /// h.record(3);
    /// assert_eq!(h.sum(), 5);
    /// ```
    pub fn sum(&self) -> u128 {
        self.sum
    }

    /// The smallest value (0 when empty).
    ///
    /// ```
    /// assert_eq!(async_hooks_cli::hist::Histogram::default().min(), 0);
    /// ```
    pub fn min(&self) -> u64 {
        self.min
    }

    /// The largest value (0 when empty).
    ///
    /// ```
    /// assert_eq!(async_hooks_cli::hist::Histogram::default().max(), 0);
    /// ```
    pub fn max(&self) -> u64 {
        self.max
    }

    /// The mean (0 when empty).
    ///
    /// ```
    /// # let mut h = async_hooks_cli::hist::Histogram::default();
    /// h.record(2);
    /// h.record(4);
    /// assert_eq!(h.mean(), 3);
    /// ```
    pub fn mean(&self) -> u64 {
        if self.count == 0 {
            0
        } else {
            (self.sum / u128::from(self.count)) as u64
        }
    }

    /// The value below which `p` percent of the values lie (0 when empty), clamped to the
    /// exact min and max.
    ///
    /// ```
    /// # let mut h = async_hooks_cli::hist::Histogram::default();
    /// h.record(5);
    /// assert_eq!(h.percentile(99.0), 5);
    /// ```
    pub fn percentile(&self, p: f64) -> u64 {
        if self.count == 0 {
            return 0;
        }
        let rank = ((p / 100.0) * self.count as f64).ceil().max(1.0) as u64;
        let mut seen = 0;
        for (i, &n) in self.buckets.iter().enumerate() {
            seen += n;
            if seen >= rank {
                return value(i).clamp(self.min, self.max);
            }
        }
        self.max
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_monotonic_and_close() {
        let mut last = 0;
        for v in (0..1_000_000u64)
            .step_by(37)
            .chain([u64::MAX / 3, u64::MAX])
        {
            let i = index(v);
            assert!(i < BUCKETS);
            assert!(i >= last);
            last = i;
            let mid = value(i);
            if v >= LINEAR {
                let err = (mid as f64 - v as f64).abs() / v as f64;
                assert!(err < 0.07, "{v} -> {mid}");
            } else {
                assert_eq!(mid, v);
            }
        }
    }
}
