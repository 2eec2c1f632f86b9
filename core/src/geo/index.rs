//! The Earth index: sites anywhere on the planet, queried by geodesic radius and nearest-k.
//!
//! One `rstar` tree over the sites' unit normals in 3D, where the antimeridian and the poles are
//! ordinary places. The layout is the planar index's ([`crate::index`]): columns in a spatial
//! order (a Z-order curve over the normals), and a tree of buckets of [`BUCKET`] consecutive sites
//! by their 3D boxes. Each site's normal is kept as `f32`s (12 bytes); a query turns its geodesic
//! radius into chord bounds ([`super::chord_bound`], with the radii of curvature of the latitudes
//! it can reach) that decide almost every site, and measures the geodesic exactly only for sites
//! in the thin shell (under 1% of the radius) where the bounds cannot.

use super::geodesic::MAX_CURVATURE_RADIUS;
use super::{chord_bound, LonLat};
use crate::index::{Columns, Coords, IndexError, KindFilter, SiteTreeParams};
use crate::position::Space;
use crate::site::{Site, SiteRef};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{RTree, AABB};
use std::collections::BTreeMap;

/// Sites per bucket of the query tree. Of 8, 16, 32 and 64, 32 and 64 answer a dense city's hunt
/// and nearest-10 fastest (the scan reads whole runs of the columns), and 32 keeps small queries
/// tighter.
const BUCKET: u32 = 32;

/// A run of [`BUCKET`] consecutive slots by the 3D box of their normals; `data` is the first slot.
type Bucket = GeomWithData<Rectangle<[f64; 3]>, u32>;

/// Margin on chords for the `f32` rounding of stored normals (each component within 6e-8).
const CHORD_EPS: f64 = 4e-7;

/// Sites on Earth in a seamless 3D R*-tree, queried by geodesic radius or nearest-k, with a kind
/// filter. Results do not depend on the order sites were added in.
#[derive(Debug)]
pub struct EarthIndex {
    cols: Columns,
    normals: Vec<[f32; 3]>,
    tree: RTree<Bucket, SiteTreeParams>,
    digest: [u64; 2],
}

/// Collects sites, then builds the tree in one bulk load.
#[derive(Debug, Default)]
pub struct EarthIndexBuilder {
    cols: Columns,
}

impl EarthIndexBuilder {
    pub fn new() -> Self {
        Self::default()
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

    /// Adds a site; its position must pass [`LonLat::check`] and its other fields
    /// [`crate::site::check_site`].
    pub fn push(&mut self, site: SiteRef<'_, LonLat>) -> Result<(), IndexError> {
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
    pub fn build_without(self, drop: &[u32]) -> EarthIndex {
        EarthIndexBuilder { cols: self.cols.without(drop) }.build()
    }

    /// Orders the sites along a Z-order curve over their normals, rewrites the columns in that
    /// order, and bulk-loads the tree over runs of [`BUCKET`] of them. Ids must be unique (see
    /// [`Self::duplicate_slots`]). The order only makes nearby sites neighbours in memory; no
    /// answer depends on it.
    pub fn build(self) -> EarthIndex {
        let cols = self.cols;
        let digest = cols.digest();
        let n = cols.len();
        let normals: Vec<[f32; 3]> =
            crate::par::map(n, 1 << 15, |i| LonLat::from_coords(cols.pos[i]).normal().map(|c| c as f32));
        let mut keyed: Vec<(u64, u32)> = crate::par::map(n, 1 << 15, |i| (z_order(normals[i]), i as u32));
        crate::par::sort_unstable(&mut keyed);
        let mut to = vec![0u32; n];
        for (k, &(_, slot)) in keyed.iter().enumerate() {
            to[slot as usize] = k as u32;
        }
        let cols = cols.permute(&to);
        let normals: Vec<[f32; 3]> = keyed.iter().map(|&(_, slot)| normals[slot as usize]).collect();
        let buckets: Vec<Bucket> = normals
            .chunks(BUCKET as usize)
            .enumerate()
            .map(|(i, chunk)| {
                let (mut lo, mut hi) = ([f64::INFINITY; 3], [f64::NEG_INFINITY; 3]);
                for n in chunk {
                    for d in 0..3 {
                        lo[d] = lo[d].min(f64::from(n[d]));
                        hi[d] = hi[d].max(f64::from(n[d]));
                    }
                }
                GeomWithData::new(Rectangle::from_corners(lo, hi), i as u32 * BUCKET)
            })
            .collect();
        EarthIndex { cols, normals, tree: RTree::bulk_load_with_params(buckets), digest }
    }
}

/// The position of a unit normal on a Z-order (Morton) curve through the cube around the sphere:
/// 21 bits of each component, interleaved.
fn z_order(n: [f32; 3]) -> u64 {
    let spread = |c: f32| {
        let mut v = ((f64::from(c) + 1.0) * 0.5 * f64::from((1u32 << 21) - 1)) as u64 & 0x1f_ffff;
        v = (v | v << 32) & 0x1f_0000_0000_ffff;
        v = (v | v << 16) & 0x1f_0000_ff00_00ff;
        v = (v | v << 8) & 0x100f_00f0_0f00_f00f;
        v = (v | v << 4) & 0x10c3_0c30_c30c_30c3;
        (v | v << 2) & 0x1249_2492_4924_9249
    };
    spread(n[0]) | spread(n[1]) << 1 | spread(n[2]) << 2
}

impl EarthIndex {
    /// Builds an index from owned sites, which must be on Earth. Ids must be unique.
    pub fn from_sites(sites: &[Site]) -> Result<Self, IndexError> {
        let mut b = EarthIndexBuilder::with_capacity(sites.len());
        b.cols.push_sites(sites, Space::Earth)?;
        Ok(b.build())
    }

    /// Builds an index from borrowed sites. Ids must be unique.
    pub fn from_refs<'a>(sites: impl IntoIterator<Item = SiteRef<'a, LonLat>>) -> Result<Self, IndexError> {
        let mut b = EarthIndexBuilder::new();
        for s in sites {
            b.push(s)?;
        }
        Ok(b.build())
    }

    pub fn len(&self) -> usize {
        self.cols.len()
    }

    pub fn is_empty(&self) -> bool {
        self.cols.len() == 0
    }

    /// The box of every site, `None` when there are none: its latitudes' range (`y`), and the
    /// shortest run of longitudes holding every site (`x`), from `min.x` eastwards to `max.x`,
    /// which leaves out the widest gap between sites. A run across the antimeridian has `min.x`
    /// east of `max.x`, as boxes of degrees are read everywhere. Sorts every longitude: call it
    /// once per world, not per frame.
    pub fn bounds(&self) -> Option<crate::geom::Bounds> {
        let n = self.cols.len();
        if n == 0 {
            return None;
        }
        let (mut south, mut north) = (f64::INFINITY, f64::NEG_INFINITY);
        let mut lons: Vec<f64> = self
            .cols
            .pos
            .iter()
            .map(|&[lon, lat]| {
                (south, north) = (south.min(lat), north.max(lat));
                lon
            })
            .collect();
        lons.sort_unstable_by(f64::total_cmp);
        // The gap after `lons[i]`; the last one wraps round to the first longitude.
        let gap = |i: usize| if i + 1 < n { lons[i + 1] - lons[i] } else { lons[0] + 360.0 - lons[n - 1] };
        let widest = (0..n).fold(n - 1, |w, i| if gap(i) > gap(w) { i } else { w });
        let (west, east) = (lons[(widest + 1) % n], lons[widest]);
        Some(crate::geom::Bounds {
            min: crate::geom::Point::new(west, south),
            max: crate::geom::Point::new(east, north),
        })
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

    /// An order-independent digest of the whole site set (hex), as [`crate::SiteIndex::digest`].
    pub fn digest(&self) -> String {
        format!("{:016x}{:016x}", self.digest[0], self.digest[1])
    }

    /// Every site, in the index's own (spatial) order.
    pub fn iter(&self) -> impl Iterator<Item = SiteRef<'_, LonLat>> + '_ {
        (0..self.cols.len()).map(|slot| self.cols.site(slot))
    }

    /// The site in `slot` (0 to `len() - 1`, in the index's own spatial order).
    pub fn site(&self, slot: u32) -> SiteRef<'_, LonLat> {
        self.cols.site(slot as usize)
    }

    /// A filter keeping the named kinds; names this index does not know simply match nothing.
    pub fn kind_filter<S: AsRef<str>>(&self, kinds: &[S]) -> KindFilter {
        KindFilter::of(&self.cols.kind_ids, kinds)
    }

    fn slots(&self, bucket: &Bucket) -> std::ops::Range<u32> {
        bucket.data..(bucket.data + BUCKET).min(self.cols.len() as u32)
    }

    /// Squared chord between a stored normal and a query's.
    fn chord2(&self, slot: u32, n: [f64; 3]) -> f64 {
        let m = self.normals[slot as usize];
        let d = [f64::from(m[0]) - n[0], f64::from(m[1]) - n[1], f64::from(m[2]) - n[2]];
        d[0] * d[0] + d[1] * d[1] + d[2] * d[2]
    }

    /// Sites within `radius` metres of `center` along geodesics (inclusive), in no particular order.
    pub fn within<'a>(
        &'a self,
        center: LonLat,
        radius: f64,
        filter: &'a KindFilter,
    ) -> impl Iterator<Item = SiteRef<'a, LonLat>> + 'a {
        self.within_ring(center, 0.0, radius, filter)
    }

    /// Sites at least `min` and at most `max` metres from `center` along geodesics, in no
    /// particular order.
    pub fn within_ring<'a>(
        &'a self,
        center: LonLat,
        min: f64,
        max: f64,
        filter: &'a KindFilter,
    ) -> impl Iterator<Item = SiteRef<'a, LonLat>> + 'a {
        let mut slots = Vec::new();
        self.for_each_slot_in_ring(center, min, max, |slot| {
            if filter.keeps(self.cols.kind[slot as usize]) {
                slots.push(slot);
            }
        });
        slots.into_iter().map(move |slot| self.site(slot))
    }

    /// Calls `f` with the slot of every site at least `min` and at most `max` metres from
    /// `center` along geodesics. Chord bounds decide almost every site; the geodesic is measured
    /// only in the thin shells around the two radii where they cannot.
    pub(crate) fn for_each_slot_in_ring(&self, center: LonLat, min: f64, max: f64, mut f: impl FnMut(u32)) {
        let n = center.normal();
        let (least, greatest) = super::geodesic::radii_within(center.lat, max);
        let shell = |d: f64| {
            let outer = chord_bound(d, least) + CHORD_EPS;
            let inner = (chord_bound(d, greatest) - CHORD_EPS).max(0.0);
            (inner * inner, outer * outer)
        };
        // A chord below `max_in` is surely within `max`, above `max_out` surely beyond it; a chord
        // below `min_in` is surely nearer than `min`, above `min_out` surely not.
        let (max_in, max_out) = shell(max);
        let (min_in, min_out) = if min > 0.0 { shell(min) } else { (-1.0, -1.0) };
        let from = super::geodesic::From::new(center);
        let distance = |slot: u32| from.distance(self.lonlat(slot));
        // Buckets in slot order, so that the columns are read front to back.
        let mut buckets: Vec<u32> = self.tree.locate_within_distance(n, max_out).map(|b| b.data).collect();
        buckets.sort_unstable();
        for first in buckets {
            for slot in first..(first + BUCKET).min(self.cols.len() as u32) {
                let c2 = self.chord2(slot, n);
                let far_enough = c2 > min_out || (c2 >= min_in && distance(slot) >= min);
                if far_enough && (c2 <= max_in || (c2 <= max_out && distance(slot) <= max)) {
                    f(slot);
                }
            }
        }
    }

    /// The id, kind and weight of the site in `slot`: what a scan of many sites needs.
    pub(crate) fn key(&self, slot: u32) -> crate::site::SiteKey<'_> {
        self.cols.key(slot as usize)
    }

    fn lonlat(&self, slot: u32) -> LonLat {
        LonLat::from_coords(self.cols.pos[slot as usize])
    }

    /// Sites inside a box of longitudes and latitudes (inclusive): `west..=east` (crossing the
    /// antimeridian when `west > east`) and `south..=north`, in no particular order.
    pub fn in_box<'a>(
        &'a self,
        west: f64,
        south: f64,
        east: f64,
        north: f64,
        filter: &'a KindFilter,
    ) -> impl Iterator<Item = SiteRef<'a, LonLat>> + 'a {
        let spans = if west <= east { [(west, east), (1.0, 0.0)] } else { [(west, 180.0), (-180.0, east)] };
        let boxes: Vec<AABB<[f64; 3]>> =
            spans.iter().filter(|(w, e)| w <= e).map(|&(w, e)| normal_box(w, south, e, north)).collect();
        let inside =
            move |p: LonLat| p.lat >= south && p.lat <= north && spans.iter().any(|&(w, e)| p.lon >= w && p.lon <= e);
        boxes
            .into_iter()
            .flat_map(move |aabb| self.tree.locate_in_envelope_intersecting(&aabb).collect::<Vec<_>>())
            .flat_map(move |b| self.slots(b))
            .filter(move |&slot| filter.keeps(self.cols.kind[slot as usize]) && inside(self.lonlat(slot)))
            .map(move |slot| self.site(slot))
    }

    /// The `k` geodesically nearest sites to `p` that pass the filter, nearest first, with their
    /// distances in metres; equal distances are ordered by id.
    ///
    /// Buckets come from the tree nearest first, and their sites are ranked by chord, which is
    /// cheap: once `k` are in hand, the k-th chord bounds their geodesics from above, and that
    /// bound turned back into a chord says how far a nearer site could be, which ends the walk.
    /// Only the candidates within it are measured along the geodesic.
    pub fn nearest(&self, p: LonLat, k: usize, filter: &KindFilter) -> Vec<(f64, SiteRef<'_, LonLat>)> {
        if k == 0 {
            return Vec::new();
        }
        let mut walk = Nearest { k, n: p.normal(), lat: p.lat, cand: Vec::new(), reach: f64::INFINITY };
        for (bucket, bucket_d2) in self.tree.nearest_neighbor_iter_with_distance_2(&walk.n) {
            if bucket_d2 > walk.reach {
                break;
            }
            let (before, n) = (walk.cand.len(), walk.n);
            walk.cand.extend(
                self.slots(bucket)
                    .filter(|&s| filter.keeps(self.cols.kind[s as usize]))
                    .map(|s| (self.chord2(s, n), s)),
            );
            if walk.cand.len() >= k && walk.cand.len() > before {
                walk.tighten();
            }
        }
        let from = super::geodesic::From::new(p);
        let mut found: Vec<(f64, u32)> =
            walk.cand.into_iter().map(|(_, s)| (from.distance(self.lonlat(s)), s)).collect();
        found.sort_unstable_by(|a, b| {
            a.0.total_cmp(&b.0).then_with(|| self.cols.id(a.1 as usize).cmp(self.cols.id(b.1 as usize)))
        });
        found.into_iter().take(k).map(|(d, s)| (d, self.site(s))).collect()
    }

    /// Approximate heap bytes held by the index (arrays, text and tree nodes).
    pub fn heap_bytes(&self) -> usize {
        // As the planar index: about 64 bytes a tree slot, plus inner nodes.
        self.cols.heap_bytes() + self.normals.capacity() * 12 + self.tree.size() * 64 * 17 / 16
    }
}

/// The state of a nearest-k walk: the query's normal and latitude, the candidates by squared chord,
/// and the squared chord beyond which no site can be among the `k` nearest.
struct Nearest {
    k: usize,
    n: [f64; 3],
    lat: f64,
    cand: Vec<(f64, u32)>,
    reach: f64,
}

impl Nearest {
    /// Narrows `reach` to what the k-th candidate allows, and drops the candidates beyond it.
    fn tighten(&mut self) {
        let kth = self.cand.select_nth_unstable_by(self.k - 1, |a, b| a.0.total_cmp(&b.0)).1 .0;
        let angle = 2.0 * libm::asin(((kth.sqrt() + CHORD_EPS) / 2.0).min(1.0));
        // The k-th site is at most this far; geodesics that long stay within a band of latitudes
        // whose radii of curvature bound them more tightly.
        let (least, greatest) = super::geodesic::radii_within(self.lat, angle * MAX_CURVATURE_RADIUS);
        let c = chord_bound(angle * greatest, least) + CHORD_EPS;
        self.reach = self.reach.min(c * c);
        let reach = self.reach;
        self.cand.retain(|&(c2, _)| c2 <= reach);
    }
}

/// A 3D box holding the normals of every position in `west..=east` (no wrap) by `south..=north`,
/// widened by the `f32` rounding of stored normals. Each component is a product of a function of
/// the latitude and one of the longitude, so its range over the box is found from the ranges of
/// the two factors, which are monotone between the quarter turns that fall inside their spans.
fn normal_box(west: f64, south: f64, east: f64, north: f64) -> AABB<[f64; 3]> {
    let range = |f: &dyn Fn(f64) -> f64, lo: f64, hi: f64, extrema: &[f64]| {
        let mut r = (f(lo).min(f(hi)), f(lo).max(f(hi)));
        for &e in extrema.iter().filter(|&&e| e > lo && e < hi) {
            r = (r.0.min(f(e)), r.1.max(f(e)));
        }
        r
    };
    let (rad_w, rad_e) = (west.to_radians(), east.to_radians());
    let (rad_s, rad_n) = (south.to_radians(), north.to_radians());
    let half = core::f64::consts::FRAC_PI_2;
    let pi = core::f64::consts::PI;
    let cos_lat = range(&libm::cos, rad_s, rad_n, &[0.0]);
    let cos_lon = range(&libm::cos, rad_w, rad_e, &[0.0, -pi, pi]);
    let sin_lon = range(&libm::sin, rad_w, rad_e, &[-half, half]);
    let product = |a: (f64, f64), b: (f64, f64)| {
        let p = [a.0 * b.0, a.0 * b.1, a.1 * b.0, a.1 * b.1];
        (p.iter().copied().fold(f64::INFINITY, f64::min), p.iter().copied().fold(f64::NEG_INFINITY, f64::max))
    };
    let (x, y) = (product(cos_lat, cos_lon), product(cos_lat, sin_lon));
    let z = (libm::sin(rad_s), libm::sin(rad_n));
    let e = CHORD_EPS;
    AABB::from_corners([x.0 - e, y.0 - e, z.0 - e], [x.1 + e, y.1 + e, z.1 + e])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::{mix2, unit};

    struct Owned {
        id: String,
        pos: LonLat,
        kind: &'static str,
    }

    fn as_ref(s: &Owned) -> SiteRef<'_, LonLat> {
        SiteRef { id: &s.id, pos: s.pos, kind: s.kind, name: "", weight: 1.0 }
    }

    /// Sites clustered where planar indexes and naive lon/lat trees break: across the antimeridian,
    /// around both poles, on the equator, plus a scatter over the whole globe.
    fn awkward_sites() -> Vec<Owned> {
        let centres = [(180.0, 0.0), (-179.99, 65.0), (0.0, 89.9), (120.0, -89.95), (0.0, 0.0), (139.7, 35.7)];
        (0..6000u64)
            .map(|i| {
                let h = mix2(11, i);
                let (u, v) = (unit(h), unit(mix2(h, 1)));
                let pos = if i % 3 == 0 {
                    LonLat::new(u * 360.0 - 180.0, libm::asin(2.0 * v - 1.0).to_degrees())
                } else {
                    let (lon, lat) = centres[(i % 6) as usize];
                    let p = LonLat::new(lon, lat);
                    super::super::geodesic::destination(p, u * 360.0, v * 30_000.0)
                };
                Owned { id: format!("s{i}"), pos, kind: ["well", "cave"][(h % 2) as usize] }
            })
            .collect()
    }

    #[test]
    fn radius_and_nearest_agree_with_brute_force_everywhere() {
        let sites = awkward_sites();
        let idx = EarthIndex::from_refs(sites.iter().map(as_ref)).unwrap();
        let caves = idx.kind_filter(&["cave"]);
        let queries = [
            LonLat::new(180.0, 0.0),
            LonLat::new(-180.0, 0.001),
            LonLat::new(179.995, 65.0),
            LonLat::new(-45.0, 90.0),
            LonLat::new(100.0, -89.99),
            LonLat::new(0.0, 0.0),
            LonLat::new(139.7, 35.7),
            LonLat::new(-30.0, -40.0),
        ];
        for (q, &c) in queries.iter().enumerate() {
            for r in [0.0, 500.0, 5_000.0, 25_000.0, 2_000_000.0] {
                let mut got: Vec<&str> = idx.within(c, r, &caves).map(|s| s.id).collect();
                let mut want: Vec<&str> = sites
                    .iter()
                    .filter(|s| s.kind == "cave" && c.distance(s.pos) <= r)
                    .map(|s| s.id.as_str())
                    .collect();
                got.sort_unstable();
                want.sort_unstable();
                assert_eq!(got, want, "query {q} radius {r}");
            }
            let k = 1 + q * 5;
            let mut want: Vec<(f64, &str)> =
                sites.iter().filter(|s| s.kind == "cave").map(|s| (c.distance(s.pos), s.id.as_str())).collect();
            want.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(b.1)));
            want.truncate(k);
            let got: Vec<(f64, &str)> = idx.nearest(c, k, &caves).into_iter().map(|(d, s)| (d, s.id)).collect();
            assert_eq!(got, want, "nearest {k} to query {q}");
        }
    }

    #[test]
    fn rings_and_boxes_agree_with_brute_force_across_the_antimeridian_and_at_the_poles() {
        let sites = awkward_sites();
        let idx = EarthIndex::from_refs(sites.iter().map(as_ref)).unwrap();
        let all = KindFilter::all();
        let sorted = |mut v: Vec<String>| {
            v.sort_unstable();
            v
        };
        for c in
            [LonLat::new(180.0, 0.0), LonLat::new(-179.99, 65.0), LonLat::new(10.0, 90.0), LonLat::new(139.7, 35.7)]
        {
            for (lo, hi) in [(30.0, 300.0), (200.0, 800.0), (350.0, 1200.0), (5_000.0, 20_000.0)] {
                let got = sorted(idx.within_ring(c, lo, hi, &all).map(|s| s.id.to_owned()).collect());
                let want = sorted(
                    sites.iter().filter(|s| (lo..=hi).contains(&c.distance(s.pos))).map(|s| s.id.clone()).collect(),
                );
                assert_eq!(got, want, "ring {lo}..{hi} around {c:?}");
            }
        }
        let boxes = [
            (179.9, 64.9, -179.8, 65.1),   // across the antimeridian
            (-180.0, 89.0, 180.0, 90.0),   // the north polar cap
            (-180.0, -90.0, 180.0, -60.0), // the whole south
            (139.0, 35.0, 140.5, 36.0),
            (-180.0, -90.0, 180.0, 90.0), // everything
        ];
        for (w, s, e, n) in boxes {
            let got = sorted(idx.in_box(w, s, e, n, &all).map(|site| site.id.to_owned()).collect());
            let inside = |p: LonLat| {
                p.lat >= s && p.lat <= n && if w <= e { p.lon >= w && p.lon <= e } else { p.lon >= w || p.lon <= e }
            };
            let want = sorted(sites.iter().filter(|site| inside(site.pos)).map(|site| site.id.clone()).collect());
            assert!(!want.is_empty(), "box {w} {s} {e} {n} holds sites");
            assert_eq!(got, want, "box {w} {s} {e} {n}");
        }
    }

    #[test]
    fn bounds_take_the_shortest_run_of_longitudes_across_the_antimeridian_or_not() {
        let at = |lonlats: &[(f64, f64)]| {
            let sites: Vec<Owned> = lonlats
                .iter()
                .enumerate()
                .map(|(i, &(lon, lat))| Owned { id: format!("s{i}"), pos: LonLat::new(lon, lat), kind: "well" })
                .collect();
            EarthIndex::from_refs(sites.iter().map(as_ref))
                .unwrap()
                .bounds()
                .map(|b| (b.min.x, b.min.y, b.max.x, b.max.y))
        };
        assert_eq!(at(&[]), None);
        assert_eq!(at(&[(10.0, 5.0)]), Some((10.0, 5.0, 10.0, 5.0)));
        assert_eq!(at(&[(-21.9, 64.1), (139.7, 35.7), (2.35, 48.86)]), Some((-21.9, 35.7, 139.7, 64.1)));
        // Fiji and Samoa: across the antimeridian, west (178) east of east (-171).
        assert_eq!(at(&[(178.0, -17.0), (-171.8, -13.8), (179.9, -16.5)]), Some((178.0, -17.0, -171.8, -13.8)));
    }

    #[test]
    fn results_and_digest_do_not_depend_on_insertion_order() {
        let sites = awkward_sites();
        let a = EarthIndex::from_refs(sites.iter().map(as_ref)).unwrap();
        let b = EarthIndex::from_refs(sites.iter().rev().map(as_ref)).unwrap();
        assert_eq!(a.digest(), b.digest());
        let all = KindFilter::all();
        let p = LonLat::new(-179.9, 64.9);
        let ids = |i: &EarthIndex| i.nearest(p, 20, &all).into_iter().map(|(_, s)| s.id.to_owned()).collect::<Vec<_>>();
        assert_eq!(ids(&a), ids(&b));
    }

    #[test]
    fn duplicates_are_dropped_after_their_first_occurrence() {
        let mut b = EarthIndexBuilder::new();
        for (id, lon) in [("a", 1.0), ("b", 2.0), ("a", 3.0)] {
            b.push(SiteRef { id, pos: LonLat::new(lon, 0.0), kind: "w", name: "", weight: 1.0 }).unwrap();
        }
        assert_eq!(b.duplicate_slots(), vec![2]);
        let idx = b.build_without(&[2]);
        assert_eq!(idx.len(), 2);
        assert_eq!(idx.iter().find(|s| s.id == "a").unwrap().pos, LonLat::new(1.0, 0.0));
    }
}
