//! Worlds: where sites come from. A [`World`] is procedural (a pure function of a seed and a
//! config, unbounded, generated tile by tile), imported onto a plane (points in a [`SiteIndex`],
//! in metres), or the Earth (real places anywhere on the planet, in an [`EarthIndex`]). Hunt
//! generation sees all three through a [`Region`], and measures in metres in each.

pub mod import;
pub mod names;
pub mod noise;
pub mod procedural;
pub mod terrain;

use crate::error::Coded;
use crate::geo::{EarthIndex, LonLat};
use crate::geom::{Bounds, Point};
use crate::index::{KindFilter, SiteIndex};
pub use crate::limits::MAX_RASTER_CELLS;
use crate::position::{Position, Space};
use crate::site::{Site, SiteKey, SiteRef};
use procedural::{ProceduralWorld, Tile};
use serde::Serialize;
use std::sync::Arc;
use terrain::Terrain;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum WorldError {
    #[error("{path}: {reason}")]
    Config { path: String, reason: String },
    #[error("{0}")]
    Query(String),
}

impl Coded for WorldError {
    fn code(&self) -> &'static str {
        match self {
            WorldError::Config { .. } => "world_config",
            WorldError::Query(_) => "world_query",
        }
    }

    fn path(&self) -> Option<String> {
        match self {
            WorldError::Config { path, .. } => Some(path.clone()),
            WorldError::Query(_) => None,
        }
    }
}

/// A world to generate hunts on.
#[derive(Debug)]
pub enum World {
    Procedural(ProceduralWorld),
    /// Sites on a plane, in metres (a CSV of `x,y`, or lon/lat data projected around one point).
    Imported(SiteIndex),
    /// Sites anywhere on the Earth, in degrees, measured along geodesics.
    Earth(EarthIndex),
}

/// Which world a hunt was made on, recorded in the hunt so a server can check it.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum WorldRef {
    /// `config` is the hash of the config's canonical JSON, so a non-default world is told apart.
    Procedural { seed: u64, config: String },
    /// `digest` is the order-independent digest of the site set.
    Imported { sites: u64, digest: String },
    /// As `Imported`, for sites on the Earth.
    Earth { sites: u64, digest: String },
}

impl WorldRef {
    /// The geometry of the world: what a hunt's and its events' positions are.
    pub fn space(&self) -> Space {
        match self {
            WorldRef::Earth { .. } => Space::Earth,
            _ => Space::Plane,
        }
    }
}

impl World {
    /// The world's identity for hunts.
    pub fn reference(&self) -> WorldRef {
        match self {
            World::Procedural(w) => WorldRef::Procedural { seed: w.seed(), config: w.config_digest().to_owned() },
            World::Imported(idx) => WorldRef::Imported { sites: idx.len() as u64, digest: idx.digest() },
            World::Earth(idx) => WorldRef::Earth { sites: idx.len() as u64, digest: idx.digest() },
        }
    }

    /// Whether positions in this world are planar (metres) or on the Earth (degrees).
    pub fn space(&self) -> Space {
        match self {
            World::Earth(_) => Space::Earth,
            _ => Space::Plane,
        }
    }

    /// Whether sites of `kind` can occur in this world.
    pub fn has_kind(&self, kind: &str) -> bool {
        match self {
            World::Procedural(_) => names::KINDS.contains(&kind),
            World::Imported(idx) => idx.kinds().iter().any(|k| k == kind),
            World::Earth(idx) => idx.kinds().iter().any(|k| k == kind),
        }
    }

    /// Kinds this world can hold, sorted.
    pub fn kinds(&self) -> Vec<String> {
        let mut kinds: Vec<String> = match self {
            World::Procedural(_) => names::KINDS.iter().map(|k| (*k).to_owned()).collect(),
            World::Imported(idx) => idx.kinds().to_vec(),
            World::Earth(idx) => idx.kinds().to_vec(),
        };
        kinds.sort();
        kinds
    }

    /// Number of sites of an imported or Earth world; `None` for a procedural (unbounded) one.
    pub fn site_count(&self) -> Option<u64> {
        match self {
            World::Procedural(_) => None,
            World::Imported(idx) => Some(idx.len() as u64),
            World::Earth(idx) => Some(idx.len() as u64),
        }
    }

    /// Terrain at a point; only procedural worlds have terrain.
    pub fn terrain_at(&self, p: Point) -> Option<Terrain> {
        match self {
            World::Procedural(w) => Some(w.terrain_at(p)),
            World::Imported(_) | World::Earth(_) => None,
        }
    }

    /// The part of the world within `radius` metres of `center`, held for queries (procedural
    /// tiles are generated now). `center` must be of this world's space.
    pub fn region(&self, center: Position, radius: f64) -> Result<Region<'_>, WorldError> {
        if center.check_in(self.space()).is_err() || !radius.is_finite() || radius < 0.0 {
            return Err(WorldError::Query("region centre or radius is not finite".into()));
        }
        Ok(match (self, center) {
            (World::Procedural(w), Position::Plane(c)) => {
                Region::Tiles { size: w.config().tile_size(), tiles: w.tiles(Bounds::around(c, radius))? }
            }
            (World::Imported(idx), _) => Region::Index(idx),
            (World::Earth(idx), _) => Region::Earth(idx),
            (World::Procedural(_), Position::Earth(_)) => unreachable!("checked to be in the world's space"),
        })
    }

    /// Sites inside a box, sorted by id. On Earth worlds the box is in degrees: `min` is the
    /// south-west corner (`x` the longitude), `max` the north-east; a west edge east of the east
    /// edge crosses the antimeridian.
    pub fn sites_in(&self, bounds: Bounds) -> Result<Vec<Site>, WorldError> {
        check_bounds(bounds, self.space())?;
        let all = KindFilter::all();
        let mut sites = match self {
            World::Procedural(w) => w.sites_in(bounds)?,
            World::Imported(idx) => idx.in_box(bounds, &all).map(SiteRef::to_site).collect(),
            World::Earth(idx) => {
                idx.in_box(bounds.min.x, bounds.min.y, bounds.max.x, bounds.max.y, &all).map(SiteRef::to_site).collect()
            }
        };
        sites.sort_unstable_by(|a, b| a.id.cmp(&b.id));
        Ok(sites)
    }

    /// The `k` sites nearest to `at` of the given kinds (all when empty), nearest first with
    /// their distances in metres; equal distances are ordered by id. Imported and Earth worlds.
    pub fn nearest(&self, at: Position, k: u32, kinds: &[String]) -> Result<Vec<(f64, Site)>, WorldError> {
        at.check_in(self.space()).map_err(|reason| WorldError::Query(format!("at: {reason}")))?;
        let k = k as usize;
        Ok(match (self, at) {
            (World::Imported(idx), Position::Plane(p)) => idx
                .nearest(p, k, &idx.kind_filter(kinds))
                .into_iter()
                .map(|s| (s.pos.distance(p), s.to_site()))
                .collect(),
            (World::Earth(idx), Position::Earth(p)) => {
                idx.nearest(p, k, &idx.kind_filter(kinds)).into_iter().map(|(d, s)| (d, s.to_site())).collect()
            }
            _ => return Err(WorldError::Query("nearest sites are found in imported and Earth worlds".into())),
        })
    }

    /// Sites within `radius` metres of `at` of the given kinds (all when empty), nearest first
    /// with their distances; equal distances are ordered by id.
    pub fn within(&self, at: Position, radius: f64, kinds: &[String]) -> Result<Vec<(f64, Site)>, WorldError> {
        let region = self.region(at, radius)?;
        let keep = |kind: &str| kinds.is_empty() || kinds.iter().any(|k| k == kind);
        let mut found = Vec::new();
        region.for_each_within(at, radius, |s| {
            if keep(s.kind) {
                found.push((s.pos.distance(at), s.to_site()));
            }
        });
        found.sort_unstable_by(|a, b| a.0.total_cmp(&b.0).then_with(|| a.1.id.cmp(&b.1.id)));
        Ok(found)
    }

    /// The sites inside a box as columns, in the order of [`World::sites_in`]: what a map draws.
    pub fn site_points(&self, bounds: Bounds) -> Result<SitePoints, WorldError> {
        let kinds = self.kinds();
        let sites = self.sites_in(bounds)?;
        let mut points = SitePoints {
            ids: Vec::with_capacity(sites.len()),
            names: Vec::with_capacity(sites.len()),
            xy: Vec::with_capacity(2 * sites.len()),
            kind: Vec::with_capacity(sites.len()),
            kinds: Vec::new(),
        };
        for s in sites {
            points.xy.extend(match s.pos {
                Position::Plane(p) => [p.x, p.y],
                Position::Earth(p) => [p.lon, p.lat],
            });
            // Kinds are sorted and an index holds at most u16::MAX of them.
            points.kind.push(kinds.binary_search(&s.kind).map_or(u16::MAX, |k| k as u16));
            points.ids.push(s.id);
            points.names.push(s.name);
        }
        points.kinds = kinds;
        Ok(points)
    }

    /// The bounding box of an imported world's sites, in degrees on an Earth world (see
    /// [`EarthIndex::bounds`]: it may cross the antimeridian); `None` for a procedural (unbounded)
    /// world or an empty import.
    pub fn bounds(&self) -> Option<Bounds> {
        match self {
            World::Procedural(_) => None,
            World::Imported(idx) => idx.bounds(),
            World::Earth(idx) => idx.bounds(),
        }
    }

    /// Site kinds and biome shares over a box of a procedural world (other worlds have no terrain).
    pub fn summary(&self, bounds: Bounds) -> Result<procedural::WorldSummary, WorldError> {
        check_bounds(bounds, Space::Plane)?;
        match self {
            World::Procedural(w) => w.summary(bounds),
            World::Imported(_) => Err(WorldError::Query("an imported world has no terrain summary".into())),
            World::Earth(_) => Err(WorldError::Query("an Earth world has no terrain summary".into())),
        }
    }

    /// Biome codes over a `width` x `height` grid (see [`ProceduralWorld::biome_raster`]).
    pub fn biome_raster(&self, bounds: Bounds, width: u32, height: u32) -> Result<Vec<u8>, WorldError> {
        check_bounds(bounds, Space::Plane)?;
        if width == 0 || height == 0 || u64::from(width) * u64::from(height) > MAX_RASTER_CELLS {
            return Err(WorldError::Query(format!(
                "a raster is 1 to {MAX_RASTER_CELLS} cells, not {width} x {height}"
            )));
        }
        match self {
            World::Procedural(w) => Ok(w.biome_raster(bounds, width, height)),
            World::Imported(_) => Err(WorldError::Query("an imported world has no terrain".into())),
            World::Earth(_) => Err(WorldError::Query("an Earth world has no terrain".into())),
        }
    }
}

fn check_bounds(b: Bounds, space: Space) -> Result<(), WorldError> {
    let ok = match space {
        Space::Plane => b.min.is_valid() && b.max.is_valid() && b.min.x <= b.max.x && b.min.y <= b.max.y,
        Space::Earth => {
            let (sw, ne) = (LonLat::new(b.min.x, b.min.y), LonLat::new(b.max.x, b.max.y));
            sw.check().is_ok() && ne.check().is_ok() && b.min.y <= b.max.y
        }
    };
    if ok {
        Ok(())
    } else if space == Space::Earth {
        Err(WorldError::Query(
            "bounds are longitudes in -180..=180 and latitudes in -90..=90 with south <= north".into(),
        ))
    } else {
        Err(WorldError::Query("bounds are not finite, within range, with min <= max".into()))
    }
}

/// Sites as columns: `xy` holds x and y (on Earth: lon and lat) of each site in turn, `kind`
/// indexes `kinds`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SitePoints {
    pub ids: Vec<String>,
    pub names: Vec<String>,
    pub xy: Vec<f64>,
    pub kind: Vec<u16>,
    pub kinds: Vec<String>,
}

/// Sites of a world around a point, ready to be queried without further generation.
pub enum Region<'w> {
    /// Procedural tiles of side `size` metres.
    Tiles {
        size: f64,
        tiles: Vec<Arc<Tile>>,
    },
    Index(&'w SiteIndex),
    Earth(&'w EarthIndex),
}

impl Region<'_> {
    /// The greatest weight a site of this region can have.
    pub fn max_weight(&self) -> f64 {
        match self {
            Region::Tiles { .. } => procedural::MAX_SITE_WEIGHT,
            Region::Index(idx) => idx.max_weight(),
            Region::Earth(idx) => idx.max_weight(),
        }
    }

    /// Calls `f` for every site within `radius` metres of `center`, in no particular order.
    pub fn for_each_within<'r>(&'r self, center: Position, radius: f64, mut f: impl FnMut(SiteRef<'r, Position>)) {
        self.scan_ring(center, 0.0, radius, |handle, _| f(self.site(handle)));
    }

    /// Calls `f` with a handle and the id, kind and weight of every site at least `min` and at
    /// most `max` metres from `center`, in no particular order: the cheap way through many sites,
    /// [`Region::site`] giving the whole of the few that matter.
    pub fn scan_ring<'r>(&'r self, center: Position, min: f64, max: f64, mut f: impl FnMut(Handle, SiteKey<'r>)) {
        // Planar sites nearer than `min` are skipped by their distance, as hunts always measured.
        let far_enough = |p: Point| min <= 0.0 || Position::Plane(p).distance(center) >= min;
        match (self, center) {
            (Region::Tiles { size, tiles }, Position::Plane(c)) => {
                let r2 = max * max;
                let b = Bounds::around(c, max);
                let (x0, x1) = ((b.min.x / size).floor() as i64, (b.max.x / size).floor() as i64);
                let (y0, y1) = ((b.min.y / size).floor() as i64, (b.max.y / size).floor() as i64);
                for (t, tile) in tiles.iter().enumerate() {
                    if !((x0..=x1).contains(&tile.x) && (y0..=y1).contains(&tile.y)) {
                        continue;
                    }
                    for (i, s) in tile.sites.iter().enumerate() {
                        let Position::Plane(p) = s.pos else { continue };
                        if p.distance2(c) <= r2 && far_enough(p) {
                            let key = SiteKey { id: &s.id, kind: &s.kind, weight: s.weight };
                            f(Handle((t as u64) << 32 | i as u64), key);
                        }
                    }
                }
            }
            (Region::Index(idx), Position::Plane(c)) => idx.for_each_slot_within(c, max, |slot, p| {
                if far_enough(p) {
                    f(Handle(u64::from(slot)), idx.key(slot));
                }
            }),
            (Region::Earth(idx), Position::Earth(c)) => {
                idx.for_each_slot_in_ring(c, min, max, |slot| f(Handle(u64::from(slot)), idx.key(slot)));
            }
            _ => {} // a centre of the other space: nothing is near it
        }
    }

    /// The site a scan handed out `handle` for.
    pub fn site(&self, handle: Handle) -> SiteRef<'_, Position> {
        match self {
            Region::Tiles { tiles, .. } => tiles[(handle.0 >> 32) as usize].sites[handle.0 as u32 as usize].as_ref(),
            Region::Index(idx) => idx.site(handle.0 as u32).positioned(),
            Region::Earth(idx) => idx.site(handle.0 as u32).positioned(),
        }
    }
}

/// A site of a [`Region`], as its scans hand it out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Handle(u64);
