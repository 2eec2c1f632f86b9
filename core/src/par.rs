//! Work spread over the machine's cores where it has threads (never in wasm), with results that do
//! not depend on how many it has: the input is cut into contiguous ranges, each is mapped by the
//! same pure function, and the parts are put back together in order.

use std::ops::Range;

/// How many threads to use for `n` items when each thread should get at least `min_each`: 1 in
/// wasm and for small inputs, at most 8.
fn workers(n: usize, min_each: usize) -> usize {
    #[cfg(not(target_arch = "wasm32"))]
    {
        let cores = std::thread::available_parallelism().map_or(1, |c| c.get()).min(8);
        cores.min(n / min_each.max(1)).max(1)
    }
    #[cfg(target_arch = "wasm32")]
    {
        let _ = (n, min_each);
        1
    }
}

/// Contiguous ranges covering `0..n`, one for each thread the work should use.
pub(crate) fn ranges(n: usize, min_each: usize) -> Vec<Range<usize>> {
    let parts = workers(n, min_each);
    let each = n.div_ceil(parts).max(1);
    (0..parts).map(|p| (p * each).min(n)..((p + 1) * each).min(n)).collect()
}

/// Runs every task, each on its own thread where there are threads, and returns their results in
/// order.
pub(crate) fn join_all<T: Send, F: FnOnce() -> T + Send>(tasks: Vec<F>) -> Vec<T> {
    #[cfg(not(target_arch = "wasm32"))]
    if tasks.len() > 1 {
        return std::thread::scope(|scope| {
            let handles: Vec<_> = tasks.into_iter().map(|t| scope.spawn(t)).collect();
            handles.into_iter().map(|h| h.join().expect("a worker does not panic")).collect()
        });
    }
    tasks.into_iter().map(|t| t()).collect()
}

/// `f` applied to contiguous ranges covering `0..n`, each on its own thread where that pays, the
/// results in range order. `f` must give the same answer for a range however the rest is cut.
pub(crate) fn map_ranges<T: Send>(n: usize, min_each: usize, f: impl Fn(Range<usize>) -> T + Sync) -> Vec<T> {
    let f = &f;
    join_all(ranges(n, min_each).into_iter().map(|r| move || f(r)).collect())
}

/// `f` of every item of `0..n`, computed in parallel ranges, in order.
pub(crate) fn map<T: Send>(n: usize, min_each: usize, f: impl Fn(usize) -> T + Sync) -> Vec<T> {
    let parts = map_ranges(n, min_each, |r| r.map(&f).collect::<Vec<T>>());
    if parts.len() == 1 {
        return parts.into_iter().next().unwrap_or_default();
    }
    let mut out = Vec::with_capacity(n);
    for part in parts {
        out.extend(part);
    }
    out
}

/// Sorts `v` as `sort_unstable` does (for a total order with no equal elements the result is the
/// same whatever the split): halves sorted on their own threads, then merged.
pub(crate) fn sort_unstable<T: Ord + Copy + Send>(v: &mut Vec<T>) {
    let parts = ranges(v.len(), 1 << 16);
    if parts.len() < 2 {
        v.sort_unstable();
        return;
    }
    let mid = v.len() / 2;
    let (a, b) = v.split_at_mut(mid);
    join_all(vec![Box::new(|| a.sort_unstable()) as Box<dyn FnOnce() + Send>, Box::new(|| b.sort_unstable())]);
    let mut out = Vec::with_capacity(v.len());
    let (mut i, mut j) = (0, mid);
    while i < mid && j < v.len() {
        if v[j] < v[i] {
            out.push(v[j]);
            j += 1;
        } else {
            out.push(v[i]);
            i += 1;
        }
    }
    out.extend_from_slice(&v[i..mid]);
    out.extend_from_slice(&v[j..]);
    *v = out;
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_sort_in_halves_is_a_sort() {
        for n in [0, 1, 3, 70_000, 200_001] {
            let mut v: Vec<(u64, u32)> = (0..n as u32).map(|i| (crate::hash::mix(u64::from(i)) % 1000, i)).collect();
            let mut want = v.clone();
            want.sort_unstable();
            super::sort_unstable(&mut v);
            assert_eq!(v, want);
        }
    }

    #[test]
    fn results_come_back_in_order_whatever_the_split() {
        for n in [0, 1, 7, 10_000, 100_003] {
            assert_eq!(super::map(n, 1000, |i| i * 3), (0..n).map(|i| i * 3).collect::<Vec<_>>());
            let sums: u64 = super::map_ranges(n, 1000, |r| r.map(|i| i as u64).sum::<u64>()).into_iter().sum();
            assert_eq!(sums, (0..n as u64).sum::<u64>());
        }
    }
}
