//! Worlds: where sites come from. A [`World`] is either procedural (a pure function of a seed and
//! a config, unbounded, generated tile by tile) or imported (real points in a [`SiteIndex`]).
//! Hunt generation sees both through a [`Region`].

pub mod import;
pub mod names;
pub mod noise;
pub mod procedural;
pub mod terrain;

use crate::error::Coded;
use crate::geom::{Bounds, Point};
use crate::index::SiteIndex;
pub use crate::limits::MAX_RASTER_CELLS;
use crate::site::SiteRef;
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
    Imported(SiteIndex),
}

/// Which world a hunt was made on, recorded in the hunt so a server can check it.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum WorldRef {
    /// `config` is the hash of the config's canonical JSON, so a non-default world is told apart.
    Procedural { seed: u64, config: String },
    /// `digest` is the order-independent digest of the site set.
    Imported { sites: u64, digest: String },
}

impl World {
    /// The world's identity for hunts.
    pub fn reference(&self) -> WorldRef {
        match self {
            World::Procedural(w) => WorldRef::Procedural { seed: w.seed(), config: w.config_digest().to_owned() },
            World::Imported(idx) => WorldRef::Imported { sites: idx.len() as u64, digest: idx.digest() },
        }
    }

    /// Whether sites of `kind` can occur in this world.
    pub fn has_kind(&self, kind: &str) -> bool {
        match self {
            World::Procedural(_) => names::KINDS.contains(&kind),
            World::Imported(idx) => idx.kinds().iter().any(|k| k == kind),
        }
    }

    /// Kinds this world can hold, sorted.
    pub fn kinds(&self) -> Vec<String> {
        let mut kinds: Vec<String> = match self {
            World::Procedural(_) => names::KINDS.iter().map(|k| (*k).to_owned()).collect(),
            World::Imported(idx) => idx.kinds().to_vec(),
        };
        kinds.sort();
        kinds
    }

    /// Terrain at a point; imported worlds have none.
    pub fn terrain_at(&self, p: Point) -> Option<Terrain> {
        match self {
            World::Procedural(w) => Some(w.terrain_at(p)),
            World::Imported(_) => None,
        }
    }

    /// The part of the world within `radius` of `center`, held for queries (procedural tiles are
    /// generated now).
    pub fn region(&self, center: Point, radius: f64) -> Result<Region<'_>, WorldError> {
        if !center.is_valid() || !radius.is_finite() || radius < 0.0 {
            return Err(WorldError::Query("region centre or radius is not finite".into()));
        }
        Ok(match self {
            World::Procedural(w) => {
                Region::Tiles { size: w.config().tile_size(), tiles: w.tiles(Bounds::around(center, radius))? }
            }
            World::Imported(idx) => Region::Index(idx),
        })
    }

    /// Sites inside a box, sorted by id.
    pub fn sites_in(&self, bounds: Bounds) -> Result<Vec<crate::site::Site>, WorldError> {
        check_bounds(bounds)?;
        let mut sites = match self {
            World::Procedural(w) => w.sites_in(bounds)?,
            World::Imported(idx) => idx.in_box(bounds, &idx.kind_filter::<&str>(&[])).map(SiteRef::to_site).collect(),
        };
        sites.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(sites)
    }

    /// The sites inside a box as columns, in the order of [`World::sites_in`]: what a map draws.
    pub fn site_points(&self, bounds: Bounds) -> Result<SitePoints, WorldError> {
        let kinds = self.kinds();
        let sites = self.sites_in(bounds)?;
        let mut points = SitePoints {
            ids: Vec::with_capacity(sites.len()),
            xy: Vec::with_capacity(2 * sites.len()),
            kind: Vec::with_capacity(sites.len()),
            kinds: Vec::new(),
        };
        for s in sites {
            points.xy.extend([s.x, s.y]);
            // Kinds are sorted and an index holds at most u16::MAX of them.
            points.kind.push(kinds.binary_search(&s.kind).map_or(u16::MAX, |k| k as u16));
            points.ids.push(s.id);
        }
        points.kinds = kinds;
        Ok(points)
    }

    /// The bounding box of an imported world's sites; `None` for a procedural (unbounded) world or
    /// an empty import.
    pub fn bounds(&self) -> Option<Bounds> {
        match self {
            World::Procedural(_) => None,
            World::Imported(idx) => idx.bounds(),
        }
    }

    /// Site kinds and biome shares over a box of a procedural world (imported worlds have no terrain).
    pub fn summary(&self, bounds: Bounds) -> Result<procedural::WorldSummary, WorldError> {
        check_bounds(bounds)?;
        match self {
            World::Procedural(w) => w.summary(bounds),
            World::Imported(_) => Err(WorldError::Query("an imported world has no terrain summary".into())),
        }
    }

    /// Biome codes over a `width` x `height` grid (see [`ProceduralWorld::biome_raster`]).
    pub fn biome_raster(&self, bounds: Bounds, width: u32, height: u32) -> Result<Vec<u8>, WorldError> {
        check_bounds(bounds)?;
        if width == 0 || height == 0 || u64::from(width) * u64::from(height) > MAX_RASTER_CELLS {
            return Err(WorldError::Query(format!(
                "a raster is 1 to {MAX_RASTER_CELLS} cells, not {width} x {height}"
            )));
        }
        match self {
            World::Procedural(w) => Ok(w.biome_raster(bounds, width, height)),
            World::Imported(_) => Err(WorldError::Query("an imported world has no terrain".into())),
        }
    }
}

fn check_bounds(b: Bounds) -> Result<(), WorldError> {
    if b.min.is_valid() && b.max.is_valid() && b.min.x <= b.max.x && b.min.y <= b.max.y {
        Ok(())
    } else {
        Err(WorldError::Query("bounds are not finite, within range, with min <= max".into()))
    }
}

/// Sites as columns: `xy` holds x and y of each site in turn, `kind` indexes `kinds`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SitePoints {
    pub ids: Vec<String>,
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
}

impl Region<'_> {
    /// Calls `f` for every site within `radius` of `center`, in no particular order.
    pub fn for_each_within<'r>(&'r self, center: Point, radius: f64, mut f: impl FnMut(SiteRef<'r>)) {
        match self {
            Region::Tiles { size, tiles } => {
                let r2 = radius * radius;
                let b = Bounds::around(center, radius);
                let (x0, x1) = ((b.min.x / size).floor() as i64, (b.max.x / size).floor() as i64);
                let (y0, y1) = ((b.min.y / size).floor() as i64, (b.max.y / size).floor() as i64);
                let near = tiles.iter().filter(|t| (x0..=x1).contains(&t.x) && (y0..=y1).contains(&t.y));
                for s in near.flat_map(|t| t.sites.iter()) {
                    if s.pos().distance2(center) <= r2 {
                        f(s.as_ref());
                    }
                }
            }
            Region::Index(idx) => {
                for s in idx.within(center, radius, &ALL_KINDS) {
                    f(s);
                }
            }
        }
    }
}

static ALL_KINDS: crate::index::KindFilter = crate::index::KindFilter::all();
