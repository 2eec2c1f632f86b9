//! The site index: millions of sites in flat arrays, with an `rstar` R*-tree over their positions.
//!
//! Sites are stored column-wise (positions, kinds as small integers, weights, and one text arena
//! for ids and names), in the spatial order of an R*-tree bulk load. The tree kept for queries
//! indexes buckets of [`BUCKET`] consecutive sites by their bounding boxes: rstar spends about 56
//! bytes per entry, so a tree of points alone would take 60 MB for 1M sites, against 7 MB for the
//! buckets. Queries visit the buckets rstar finds and test each site exactly.

use crate::geo::LonLat;
use crate::geom::{Bounds, Point};
use crate::position::{Position, Space};
use crate::site::{Site, SiteRef};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{RTree, RTreeParams, AABB};
use std::collections::BTreeMap;

/// Node size of the tree. Of 6 (rstar's default), 16, 32, 64 and 128 entries, 16 bulk-loads 1M
/// points fastest (about 1.6x faster than 6) with radius queries as fast as any (`BENCHMARKS.md`).
pub struct SiteTreeParams;

impl RTreeParams for SiteTreeParams {
    const MIN_SIZE: usize = 4;
    const MAX_SIZE: usize = 16;
    const REINSERTION_COUNT: usize = 4;
    type DefaultInsertionStrategy = rstar::RStarInsertionStrategy;
}

/// Sites per bucket of the query tree.
pub const BUCKET: u32 = 8;

/// A run of [`BUCKET`] (or, at the end, fewer) consecutive slots, by its bounding box; `data` is
/// the first slot.
type Bucket = GeomWithData<Rectangle<[f64; 2]>, u32>;

/// Which kinds a query keeps, made by [`SiteIndex::kind_filter`].
#[derive(Debug, Clone)]
pub struct KindFilter(Vec<u16>, bool);

impl KindFilter {
    /// Keeps every kind.
    pub const fn all() -> Self {
        KindFilter(Vec::new(), true)
    }

    /// Keeps the named kinds of an index's kind table (all when `kinds` is empty).
    pub(crate) fn of<S: AsRef<str>>(kind_ids: &BTreeMap<String, u16>, kinds: &[S]) -> Self {
        if kinds.is_empty() {
            return KindFilter::all();
        }
        KindFilter(kinds.iter().filter_map(|k| kind_ids.get(k.as_ref()).copied()).collect(), false)
    }

    pub(crate) fn keeps(&self, kind: u16) -> bool {
        self.1 || self.0.contains(&kind)
    }
}

/// Sites in an R*-tree, queried by radius, box or nearest-k, with a kind filter.
#[derive(Debug)]
pub struct SiteIndex {
    cols: Columns,
    tree: RTree<Bucket, SiteTreeParams>,
    digest: [u64; 2],
}

/// Too many distinct kinds or too much text for the index's compact layout.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum IndexError {
    #[error("more than {} distinct kinds", u16::MAX)]
    TooManyKinds,
    #[error("more than 4 GiB of ids and names, or more than 2^32 sites")]
    TooLarge,
    /// A site whose position is of the other kind of world (see [`Position::check_in`]).
    #[error("site {id:?} {reason}")]
    Space { id: String, reason: String },
}

impl crate::error::Coded for IndexError {
    fn code(&self) -> &'static str {
        match self {
            IndexError::Space { .. } => "input_invalid",
            _ => "import_too_large",
        }
    }
}

/// A site position the columns can hold: planar [`Point`]s or Earth [`LonLat`]s, both two
/// numbers, which is how the columns keep them (so that their code is compiled once).
pub(crate) trait Coords: Copy + Into<Position> {
    /// The two coordinates, in the order the digest hashes them (x, y or lon, lat).
    fn coords(self) -> [f64; 2];
    fn from_coords(c: [f64; 2]) -> Self;
}

impl Coords for Point {
    fn coords(self) -> [f64; 2] {
        [self.x, self.y]
    }

    fn from_coords(c: [f64; 2]) -> Self {
        Point::new(c[0], c[1])
    }
}

impl Coords for LonLat {
    fn coords(self) -> [f64; 2] {
        [self.lon, self.lat]
    }

    fn from_coords(c: [f64; 2]) -> Self {
        LonLat::new(c[0], c[1])
    }
}

/// Sites stored column-wise, addressed by slot: the layout of the builders and the indexes, planar
/// and Earth alike. Positions are kept as their two coordinates; [`Columns::site`] gives them
/// their type back.
#[derive(Debug)]
pub(crate) struct Columns {
    pub(crate) pos: Vec<[f64; 2]>,
    pub(crate) kind: Vec<u16>,
    pub(crate) weight: Vec<f64>,
    /// `text[text_at[2i]..text_at[2i+1]]` is the id of slot i, `..text_at[2i+2]` its name.
    text: String,
    text_at: Vec<u32>,
    pub(crate) kinds: Vec<String>,
    pub(crate) kind_ids: BTreeMap<String, u16>,
    /// The greatest weight of any site pushed (0 for none).
    pub(crate) max_weight: f64,
}

impl Default for Columns {
    fn default() -> Self {
        Columns {
            pos: Vec::new(),
            kind: Vec::new(),
            weight: Vec::new(),
            text: String::new(),
            text_at: vec![0],
            kinds: Vec::new(),
            kind_ids: BTreeMap::new(),
            max_weight: 0.0,
        }
    }
}

impl Columns {
    pub(crate) fn with_capacity(sites: usize, text: usize) -> Self {
        let mut text_at = Vec::with_capacity(sites * 2 + 1);
        text_at.push(0);
        Columns {
            pos: Vec::with_capacity(sites),
            kind: Vec::with_capacity(sites),
            weight: Vec::with_capacity(sites),
            text: String::with_capacity(text),
            text_at,
            ..Columns::default()
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.pos.len()
    }

    fn push_text(&mut self, id: &str, name: &str) -> Result<(), IndexError> {
        for part in [id, name] {
            self.text.push_str(part);
            self.text_at.push(u32::try_from(self.text.len()).map_err(|_| IndexError::TooLarge)?);
        }
        Ok(())
    }

    /// Pushes owned sites, refusing any not in `space`.
    pub(crate) fn push_sites(&mut self, sites: &[Site], space: Space) -> Result<(), IndexError> {
        for s in sites {
            if s.pos.space() != space {
                let reason = s.pos.check_in(space).err().unwrap_or_default();
                return Err(IndexError::Space { id: s.id.clone(), reason });
            }
            let coords = match s.pos {
                Position::Plane(p) => p.coords(),
                Position::Earth(p) => p.coords(),
            };
            self.push_coords(&s.id, coords, &s.kind, &s.name, s.weight)?;
        }
        Ok(())
    }

    pub(crate) fn push<P: Coords>(&mut self, site: SiteRef<'_, P>) -> Result<(), IndexError> {
        self.push_coords(site.id, site.pos.coords(), site.kind, site.name, site.weight)
    }

    fn push_coords(&mut self, id: &str, pos: [f64; 2], kind: &str, name: &str, weight: f64) -> Result<(), IndexError> {
        // Imports often repeat the last row's kind: check it before the table.
        let last = self.kind.last().map(|&k| k as usize);
        let kind = match (last, self.kind_ids.get(kind)) {
            (Some(k), _) if self.kinds[k] == kind => k as u16,
            (_, Some(&k)) => k,
            (_, None) => {
                let k = u16::try_from(self.kinds.len()).map_err(|_| IndexError::TooManyKinds)?;
                self.kinds.push(kind.to_owned());
                self.kind_ids.insert(kind.to_owned(), k);
                k
            }
        };
        if self.len() >= u32::MAX as usize {
            return Err(IndexError::TooLarge);
        }
        self.push_text(id, name)?;
        self.pos.push(pos);
        self.kind.push(kind);
        self.weight.push(weight);
        self.max_weight = self.max_weight.max(weight);
        Ok(())
    }

    pub(crate) fn id(&self, slot: usize) -> &str {
        &self.text[self.text_at[2 * slot] as usize..self.text_at[2 * slot + 1] as usize]
    }

    fn name(&self, slot: usize) -> &str {
        &self.text[self.text_at[2 * slot + 1] as usize..self.text_at[2 * slot + 2] as usize]
    }

    pub(crate) fn key(&self, slot: usize) -> crate::site::SiteKey<'_> {
        crate::site::SiteKey {
            id: self.id(slot),
            kind: &self.kinds[self.kind[slot] as usize],
            weight: self.weight[slot],
        }
    }

    pub(crate) fn site<P: Coords>(&self, slot: usize) -> SiteRef<'_, P> {
        SiteRef {
            id: self.id(slot),
            pos: P::from_coords(self.pos[slot]),
            kind: &self.kinds[self.kind[slot] as usize],
            name: self.name(slot),
            weight: self.weight[slot],
        }
    }

    /// Slots whose id repeats an earlier slot's id (the first occurrence is kept).
    ///
    /// Slots are sorted by a hash of their id (computed on both cores), so that strings are only
    /// compared within a run of equal hashes: sorting a million ids as strings took most of an
    /// import's time.
    pub(crate) fn duplicate_slots(&self) -> Vec<u32> {
        let mut order: Vec<(u64, u32)> = crate::par::map(self.len(), 1 << 15, |slot| {
            (crate::hash::hash_str(0x6964_7321, self.id(slot)), slot as u32)
        });
        crate::par::sort_unstable(&mut order);
        let mut dups = Vec::new();
        for run in order.chunk_by(|a, b| a.0 == b.0).filter(|run| run.len() > 1) {
            let mut slots: Vec<u32> = run.iter().map(|&(_, slot)| slot).collect();
            slots.sort_unstable_by(|&a, &b| self.id(a as usize).cmp(self.id(b as usize)).then(a.cmp(&b)));
            dups.extend(slots.windows(2).filter(|w| self.id(w[0] as usize) == self.id(w[1] as usize)).map(|w| w[1]));
        }
        dups.sort_unstable();
        dups
    }

    /// The order-independent digest of the site set (see [`site_hash`]): a wrapping sum, so parts
    /// summed on several cores add up to the same.
    pub(crate) fn digest(&self) -> [u64; 2] {
        let parts = crate::par::map_ranges(self.len(), 1 << 15, |slots| {
            let mut digest = [0u64; 2];
            let mut buf = Vec::new();
            for slot in slots {
                let h = site_hash(self, slot, &mut buf);
                digest[0] = digest[0].wrapping_add(h[0]);
                digest[1] = digest[1].wrapping_add(h[1]);
            }
            digest
        });
        parts.into_iter().fold([0, 0], |a, b| [a[0].wrapping_add(b[0]), a[1].wrapping_add(b[1])])
    }

    /// Number of sites of each kind, by kind name.
    pub(crate) fn kind_counts(&self) -> BTreeMap<&str, u64> {
        let mut counts = vec![0u64; self.kinds.len()];
        for &k in &self.kind {
            counts[k as usize] += 1;
        }
        self.kinds.iter().map(String::as_str).zip(counts).collect()
    }

    /// Heap bytes of the columns.
    pub(crate) fn heap_bytes(&self) -> usize {
        self.pos.capacity() * 16
            + self.kind.capacity() * 2
            + self.weight.capacity() * 8
            + self.text.capacity()
            + self.text_at.capacity() * 4
    }

    /// These columns without the given slots (sorted, as from [`Self::duplicate_slots`]).
    pub(crate) fn without(self, drop: &[u32]) -> Columns {
        if drop.is_empty() {
            return self;
        }
        let keep: Vec<u32> = (0..self.len() as u32).filter(|slot| drop.binary_search(slot).is_err()).collect();
        self.select(&keep)
    }

    /// The sites of the given slots, in that order, with the same kind table.
    pub(crate) fn select(&self, slots: &[u32]) -> Columns {
        let mut out = Columns::with_capacity(slots.len(), 0);
        out.kinds.clone_from(&self.kinds);
        out.kind_ids.clone_from(&self.kind_ids);
        out.max_weight = self.max_weight;
        for &slot in slots {
            let slot = slot as usize;
            out.push_text(self.id(slot), self.name(slot)).expect("a subset of valid columns fits");
            out.pos.push(self.pos[slot]);
            out.kind.push(self.kind[slot]);
            out.weight.push(self.weight[slot]);
        }
        out
    }

    /// All the sites in a new order: slot `i` moves to `to[i]` (a permutation of `0..len`). Each
    /// column is read in order and written where its sites go, which is much faster than reading
    /// the sites in their new order from all over memory; each core writes one range of the new
    /// order.
    pub(crate) fn permute(&self, to: &[u32]) -> Columns {
        let n = self.len();
        debug_assert_eq!(to.len(), n);
        let mut at = vec![0u32; 2 * n + 1];
        for (i, &k) in to.iter().enumerate() {
            let k = k as usize;
            at[2 * k + 1] = self.text_at[2 * i + 1] - self.text_at[2 * i];
            at[2 * k + 2] = self.text_at[2 * i + 2] - self.text_at[2 * i + 1];
        }
        for j in 1..at.len() {
            at[j] += at[j - 1];
        }
        let (mut text, mut pos) = (vec![0u8; self.text.len()], vec![[0.0; 2]; n]);
        let (mut kind, mut weight) = (vec![0u16; n], vec![0.0; n]);
        // Each task owns the part of every column that its range of the new order fills.
        let mut tasks = Vec::new();
        let (mut text_rest, mut pos_rest) = (&mut text[..], &mut pos[..]);
        let (mut kind_rest, mut weight_rest) = (&mut kind[..], &mut weight[..]);
        for dest in crate::par::ranges(n, 1 << 16) {
            let text_len = (at[2 * dest.end] - at[2 * dest.start]) as usize;
            let (t, rest) = std::mem::take(&mut text_rest).split_at_mut(text_len);
            text_rest = rest;
            let (p, rest) = std::mem::take(&mut pos_rest).split_at_mut(dest.len());
            pos_rest = rest;
            let (k, rest) = std::mem::take(&mut kind_rest).split_at_mut(dest.len());
            kind_rest = rest;
            let (w, rest) = std::mem::take(&mut weight_rest).split_at_mut(dest.len());
            weight_rest = rest;
            let at = &at;
            tasks.push(move || {
                let (first, base) = (dest.start, at[2 * dest.start] as usize);
                for (i, &k_to) in to.iter().enumerate() {
                    let j = k_to as usize;
                    if !dest.contains(&j) {
                        continue;
                    }
                    let (from, end) = (self.text_at[2 * i] as usize, self.text_at[2 * i + 2] as usize);
                    let start = at[2 * j] as usize - base;
                    t[start..start + (end - from)].copy_from_slice(&self.text.as_bytes()[from..end]);
                    p[j - first] = self.pos[i];
                    k[j - first] = self.kind[i];
                    w[j - first] = self.weight[i];
                }
            });
        }
        crate::par::join_all(tasks);
        Columns {
            pos,
            kind,
            weight,
            text: String::from_utf8(text).expect("whole ids and names, moved intact"),
            text_at: at,
            kinds: self.kinds.clone(),
            kind_ids: self.kind_ids.clone(),
            max_weight: self.max_weight,
        }
    }
}

/// Collects sites, then builds the tree in one bulk load.
#[derive(Debug, Default)]
pub struct SiteIndexBuilder {
    cols: Columns,
}

impl SiteIndexBuilder {
    pub fn new() -> Self {
        Self::with_capacity(0)
    }

    pub fn with_capacity(sites: usize) -> Self {
        Self { cols: Columns::with_capacity(sites, 0) }
    }

    pub fn len(&self) -> usize {
        self.cols.len()
    }

    pub fn is_empty(&self) -> bool {
        self.cols.len() == 0
    }

    /// Adds a site; fields must already be checked with [`crate::site::check_site`].
    pub fn push(&mut self, site: SiteRef<'_>) -> Result<(), IndexError> {
        self.cols.push(site)
    }

    /// Slots whose id repeats an earlier slot's id (the first occurrence is kept).
    pub fn duplicate_slots(&self) -> Vec<u32> {
        self.cols.duplicate_slots()
    }

    pub(crate) fn from_columns(cols: Columns) -> Self {
        Self { cols }
    }

    /// Builds the index, dropping the given slots (sorted, as from [`Self::duplicate_slots`]).
    pub fn build_without(self, drop: &[u32]) -> SiteIndex {
        SiteIndexBuilder { cols: self.cols.without(drop) }.build()
    }

    /// Orders the sites along a Z-order curve over their bounding box, rewrites the columns in that
    /// order (so the sites a query returns sit together in memory: on 1M sites a 1.5 km radius
    /// query is about 5x faster than with columns in source order), and bulk-loads the tree over
    /// runs of [`BUCKET`] of them. Ids must be unique (see [`Self::duplicate_slots`]). Keys and the
    /// sort are computed on both cores; the order only makes nearby sites neighbours in memory, and
    /// no answer depends on it.
    pub fn build(self) -> SiteIndex {
        let cols = self.cols;
        let n = cols.len();
        // The digest is a sum, so it is computed in source order, which reads memory sequentially.
        let digest = cols.digest();
        // The box of every site: each core's part's corners, then the box of those.
        let corners: Vec<[f64; 2]> = crate::par::map_ranges(n, 1 << 15, |slots| extent(&cols.pos[slots]))
            .into_iter()
            .flat_map(|(lo, hi)| [lo, hi])
            .collect();
        let (lo, hi) = extent(&corners);
        let scale = [0, 1].map(|d| if hi[d] > lo[d] { f64::from(u32::MAX) / (hi[d] - lo[d]) } else { 0.0 });
        let mut keyed: Vec<(u64, u32)> = crate::par::map(n, 1 << 15, |i| {
            let p = cols.pos[i];
            let cell = [0, 1].map(|d| ((p[d] - lo[d]) * scale[d]) as u32);
            (z_order(cell), i as u32)
        });
        crate::par::sort_unstable(&mut keyed);
        let mut to = vec![0u32; n];
        for (k, &(_, slot)) in keyed.iter().enumerate() {
            to[slot as usize] = k as u32;
        }
        let cols = cols.permute(&to);
        let buckets: Vec<Bucket> = cols
            .pos
            .chunks(BUCKET as usize)
            .enumerate()
            .map(|(i, chunk)| {
                let (lo, hi) = extent(chunk);
                GeomWithData::new(Rectangle::from_corners(lo, hi), i as u32 * BUCKET)
            })
            .collect();
        SiteIndex { cols, tree: RTree::bulk_load_with_params(buckets), digest }
    }
}

/// The lower and upper corners of the smallest box holding `points` (infinite and inside out for
/// none).
pub(crate) fn extent(points: &[[f64; 2]]) -> ([f64; 2], [f64; 2]) {
    points.iter().fold(([f64::INFINITY; 2], [f64::NEG_INFINITY; 2]), |(lo, hi), p| {
        ([lo[0].min(p[0]), lo[1].min(p[1])], [hi[0].max(p[0]), hi[1].max(p[1])])
    })
}

/// The position of a cell on a Z-order (Morton) curve: the bits of its two coordinates interleaved.
fn z_order(cell: [u32; 2]) -> u64 {
    let spread = |c: u32| {
        let mut v = u64::from(c);
        v = (v | v << 16) & 0x0000_ffff_0000_ffff;
        v = (v | v << 8) & 0x00ff_00ff_00ff_00ff;
        v = (v | v << 4) & 0x0f0f_0f0f_0f0f_0f0f;
        v = (v | v << 2) & 0x3333_3333_3333_3333;
        (v | v << 1) & 0x5555_5555_5555_5555
    };
    spread(cell[0]) | spread(cell[1]) << 1
}

/// Two independent 64-bit hashes of a site's content (length-prefixed id, kind and name, then the
/// bits of the two coordinates and the weight), summed into the order-independent digest. `buf`
/// is scratch space.
fn site_hash(cols: &Columns, slot: usize, buf: &mut Vec<u8>) -> [u64; 2] {
    buf.clear();
    for part in [cols.id(slot), &cols.kinds[cols.kind[slot] as usize], cols.name(slot)] {
        buf.extend_from_slice(&(part.len() as u32).to_le_bytes());
        buf.extend_from_slice(part.as_bytes());
    }
    let [a, b] = cols.pos[slot];
    for v in [a, b, cols.weight[slot]] {
        buf.extend_from_slice(&v.to_bits().to_le_bytes());
    }
    crate::hash::hash_bytes2([0x5173_6974_6531, 0x5173_6974_6532], buf)
}

impl SiteIndex {
    /// Builds an index from owned sites, which must be planar. Ids must be unique.
    pub fn from_sites(sites: &[Site]) -> Result<Self, IndexError> {
        let mut b = SiteIndexBuilder::with_capacity(sites.len());
        b.cols.push_sites(sites, Space::Plane)?;
        Ok(b.build())
    }

    pub fn len(&self) -> usize {
        self.cols.len()
    }

    pub fn is_empty(&self) -> bool {
        self.cols.len() == 0
    }

    /// Distinct kinds, in first-seen order.
    pub fn kinds(&self) -> &[String] {
        &self.cols.kinds
    }

    /// Number of sites of each kind, by kind name.
    pub fn kind_counts(&self) -> BTreeMap<&str, u64> {
        self.cols.kind_counts()
    }

    /// The greatest weight of any site (0 for none).
    pub fn max_weight(&self) -> f64 {
        self.cols.max_weight
    }

    /// An order-independent digest of the whole site set (hex): equal for the same sites however
    /// they were ordered in the source.
    pub fn digest(&self) -> String {
        format!("{:016x}{:016x}", self.digest[0], self.digest[1])
    }

    /// The bounding box of all sites, if any.
    pub fn bounds(&self) -> Option<Bounds> {
        let env = self.tree.root().envelope();
        (!self.is_empty()).then(|| Bounds {
            min: Point::new(env.lower()[0], env.lower()[1]),
            max: Point::new(env.upper()[0], env.upper()[1]),
        })
    }

    /// Every site, in the index's own (spatial) order.
    pub fn iter(&self) -> impl Iterator<Item = SiteRef<'_>> + '_ {
        (0..self.cols.len() as u32).map(|slot| self.site(slot))
    }

    /// The site in `slot` (0 to `len() - 1`, in the index's own spatial order).
    pub fn site(&self, slot: u32) -> SiteRef<'_> {
        self.cols.site(slot as usize)
    }

    /// A filter keeping the named kinds; names this index does not know simply match nothing.
    pub fn kind_filter<S: AsRef<str>>(&self, kinds: &[S]) -> KindFilter {
        KindFilter::of(&self.cols.kind_ids, kinds)
    }

    fn point(&self, slot: u32) -> Point {
        Point::from_coords(self.cols.pos[slot as usize])
    }

    fn keeps(&self, filter: &KindFilter, slot: u32) -> bool {
        filter.keeps(self.cols.kind[slot as usize])
    }

    /// Slots of a bucket.
    fn slots(&self, bucket: &Bucket) -> std::ops::Range<u32> {
        bucket.data..(bucket.data + BUCKET).min(self.cols.len() as u32)
    }

    /// Sites within `radius` metres of `center` (inclusive), in no particular order.
    pub fn within<'a>(
        &'a self,
        center: Point,
        radius: f64,
        filter: &'a KindFilter,
    ) -> impl Iterator<Item = SiteRef<'a>> + 'a {
        let r2 = radius * radius;
        self.tree
            .locate_within_distance([center.x, center.y], r2)
            .flat_map(move |b| self.slots(b))
            .filter(move |&slot| self.point(slot).distance2(center) <= r2 && self.keeps(filter, slot))
            .map(move |slot| self.site(slot))
    }

    /// Calls `f` with the slot and position of every site within `radius` metres of `center`
    /// (inclusive).
    pub(crate) fn for_each_slot_within(&self, center: Point, radius: f64, mut f: impl FnMut(u32, Point)) {
        let r2 = radius * radius;
        for bucket in self.tree.locate_within_distance([center.x, center.y], r2) {
            for slot in self.slots(bucket) {
                let p = self.point(slot);
                if p.distance2(center) <= r2 {
                    f(slot, p);
                }
            }
        }
    }

    /// The id, kind and weight of the site in `slot`: what a scan of many sites needs.
    pub(crate) fn key(&self, slot: u32) -> crate::site::SiteKey<'_> {
        self.cols.key(slot as usize)
    }

    /// Sites inside a box (inclusive), in no particular order.
    pub fn in_box<'a>(&'a self, bounds: Bounds, filter: &'a KindFilter) -> impl Iterator<Item = SiteRef<'a>> + 'a {
        let aabb = AABB::from_corners([bounds.min.x, bounds.min.y], [bounds.max.x, bounds.max.y]);
        self.tree
            .locate_in_envelope_intersecting(&aabb)
            .flat_map(move |b| self.slots(b))
            .filter(move |&slot| bounds.contains(self.point(slot)) && self.keeps(filter, slot))
            .map(move |slot| self.site(slot))
    }

    /// The `k` nearest sites to `p` that pass the filter, nearest first; equal distances are ordered
    /// by id so the answer does not depend on how the tree was built.
    pub fn nearest(&self, p: Point, k: usize, filter: &KindFilter) -> Vec<SiteRef<'_>> {
        if k == 0 {
            return Vec::new();
        }
        let mut found: Vec<(f64, SiteRef<'_>)> = Vec::new();
        let by_distance_then_id =
            |a: &(f64, SiteRef<'_>), b: &(f64, SiteRef<'_>)| a.0.total_cmp(&b.0).then_with(|| a.1.id.cmp(b.1.id));
        // Buckets come nearest first; once one starts beyond the k-th site found, none can improve.
        for (bucket, bucket_d2) in self.tree.nearest_neighbor_iter_with_distance_2(&[p.x, p.y]) {
            if found.len() >= k && bucket_d2 > found[k - 1].0 {
                break;
            }
            for slot in self.slots(bucket) {
                if self.keeps(filter, slot) {
                    found.push((self.point(slot).distance2(p), self.site(slot)));
                }
            }
            found.sort_unstable_by(by_distance_then_id);
        }
        found.truncate(k);
        found.into_iter().map(|(_, s)| s).collect()
    }

    /// Approximate heap bytes held by the index (arrays, text and tree nodes).
    pub fn heap_bytes(&self) -> usize {
        // rstar keeps each child of a node in a slot the size of a parent node (about 64 bytes).
        let tree = self.tree.size() * 64 * 17 / 16;
        self.cols.heap_bytes() + tree
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site(id: &str, x: f64, y: f64, kind: &str) -> Site {
        Site { id: id.into(), pos: Point::new(x, y).into(), kind: kind.into(), name: format!("Site {id}"), weight: 1.0 }
    }

    fn sample() -> SiteIndex {
        SiteIndex::from_sites(&[
            site("a", 0.0, 0.0, "well"),
            site("b", 10.0, 0.0, "cave"),
            site("c", 0.0, 20.0, "well"),
            site("d", 100.0, 100.0, "ruins"),
        ])
        .unwrap()
    }

    #[test]
    fn radius_queries_are_inclusive_and_filter_by_kind() {
        let idx = sample();
        let all = idx.kind_filter::<&str>(&[]);
        let mut ids: Vec<_> = idx.within(Point::new(0.0, 0.0), 20.0, &all).map(|s| s.id).collect();
        ids.sort();
        assert_eq!(ids, ["a", "b", "c"]);
        let wells = idx.kind_filter(&["well"]);
        let mut ids: Vec<_> = idx.within(Point::new(0.0, 0.0), 20.0, &wells).map(|s| s.id).collect();
        ids.sort();
        assert_eq!(ids, ["a", "c"]);
    }

    #[test]
    fn box_and_nearest_queries() {
        let idx = sample();
        let all = idx.kind_filter::<&str>(&[]);
        let b = Bounds { min: Point::new(-1.0, -1.0), max: Point::new(11.0, 1.0) };
        let mut ids: Vec<_> = idx.in_box(b, &all).map(|s| s.id).collect();
        ids.sort();
        assert_eq!(ids, ["a", "b"]);
        let near: Vec<_> = idx.nearest(Point::new(1.0, 1.0), 2, &all).iter().map(|s| s.id).collect();
        assert_eq!(near, ["a", "b"]);
        let ruins = idx.kind_filter(&["ruins"]);
        let near: Vec<_> = idx.nearest(Point::new(1.0, 1.0), 3, &ruins).iter().map(|s| s.id).collect();
        assert_eq!(near, ["d"]);
        let unknown = idx.kind_filter(&["dragon"]);
        assert!(idx.nearest(Point::new(1.0, 1.0), 3, &unknown).is_empty());
    }

    #[test]
    fn nearest_breaks_ties_by_id() {
        let idx = SiteIndex::from_sites(&[
            site("z", 1.0, 0.0, "well"),
            site("m", -1.0, 0.0, "well"),
            site("k", 0.0, 1.0, "well"),
        ])
        .unwrap();
        let all = idx.kind_filter::<&str>(&[]);
        let near: Vec<_> = idx.nearest(Point::new(0.0, 0.0), 2, &all).iter().map(|s| s.id).collect();
        assert_eq!(near, ["k", "m"]);
    }

    fn pt(s: &Site) -> Point {
        s.pos.as_point().unwrap()
    }

    fn sorted(mut v: Vec<&str>) -> Vec<&str> {
        v.sort_unstable();
        v
    }

    #[test]
    fn queries_agree_with_brute_force() {
        use crate::hash::{mix2, unit};
        let sites: Vec<Site> = (0..2000u64)
            .map(|i| {
                let h = mix2(3, i);
                // Coarse coordinates make ties and points on query boundaries common.
                let (x, y) = ((unit(h) * 200.0).floor() * 5.0, (unit(mix2(h, 1)) * 200.0).floor() * 5.0);
                site(&format!("s{i}"), x, y, ["well", "cave", "ruins"][(h % 3) as usize])
            })
            .collect();
        let idx = SiteIndex::from_sites(&sites).unwrap();
        let caves = idx.kind_filter(&["cave"]);
        for q in 0..60u64 {
            let h = mix2(9, q);
            let c = Point::new((unit(h) * 1000.0).floor(), (unit(mix2(h, 2)) * 1000.0).floor());
            let r = (q * 7 % 150) as f64;
            let want: Vec<&str> = sites
                .iter()
                .filter(|s| s.kind == "cave" && pt(s).distance2(c) <= r * r)
                .map(|s| s.id.as_str())
                .collect();
            assert_eq!(sorted(idx.within(c, r, &caves).map(|s| s.id).collect()), sorted(want));
            let b = Bounds::around(c, r);
            let want: Vec<&str> = sites.iter().filter(|s| b.contains(pt(s))).map(|s| s.id.as_str()).collect();
            assert_eq!(sorted(idx.in_box(b, &KindFilter::all()).map(|s| s.id).collect()), sorted(want));
            let k = (q % 12) as usize;
            let mut want: Vec<&Site> = sites.iter().filter(|s| s.kind == "cave").collect();
            want.sort_by(|a, b| pt(a).distance2(c).total_cmp(&pt(b).distance2(c)).then(a.id.cmp(&b.id)));
            let want: Vec<&str> = want.iter().take(k).map(|s| s.id.as_str()).collect();
            assert_eq!(idx.nearest(c, k, &caves).iter().map(|s| s.id).collect::<Vec<_>>(), want);
        }
    }

    #[test]
    fn digest_ignores_order_and_sees_content() {
        let a = sample();
        let mut sites = vec![
            site("d", 100.0, 100.0, "ruins"),
            site("c", 0.0, 20.0, "well"),
            site("b", 10.0, 0.0, "cave"),
            site("a", 0.0, 0.0, "well"),
        ];
        assert_eq!(a.digest(), SiteIndex::from_sites(&sites).unwrap().digest());
        sites[0].weight = 2.0;
        assert_ne!(a.digest(), SiteIndex::from_sites(&sites).unwrap().digest());
    }

    #[test]
    fn duplicates_are_found_after_their_first_occurrence() {
        let mut b = SiteIndexBuilder::new();
        for s in [site("a", 0.0, 0.0, "w"), site("b", 1.0, 0.0, "w"), site("a", 2.0, 0.0, "w")] {
            b.push(SiteRef { id: &s.id, pos: pt(&s), kind: &s.kind, name: &s.name, weight: s.weight }).unwrap();
        }
        assert_eq!(b.duplicate_slots(), vec![2]);
        let idx = b.build_without(&[2]);
        assert_eq!(idx.len(), 2);
        assert_eq!(idx.iter().find(|s| s.id == "a").unwrap().pos, Point::new(0.0, 0.0));
    }
}
