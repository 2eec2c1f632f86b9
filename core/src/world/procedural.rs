//! Procedural worlds: an unbounded plane cut into tiles, each a pure function of
//! (seed, config, tile coordinates).
//!
//! Sites are placed one candidate per grid cell (a hashed jitter inside the cell); a candidate
//! survives if it is on land and no land candidate of a neighbouring cell within the conflict
//! radius has a higher hashed priority (a Matérn hard-core process). The decision reads only the
//! 3x3 cells around a candidate, so it is the same whichever tile asks, which makes the spread even
//! and seamless across tile edges. Positions are whole centimetres.

use super::names::{name_for, pick_kind};
use super::terrain::{Biome, Terrain, TerrainConfig, TerrainSeeds};
use super::WorldError;
use crate::geom::{Bounds, Point};
use crate::hash::{below, mix, mix2};
pub use crate::limits::{MAX_SEED, MAX_TILES_PER_QUERY};
use crate::position::Position;
use crate::site::Site;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// How many generated tiles a world keeps; past that the cache starts over. Outputs never depend
/// on the cache, only speed does.
const TILE_CACHE: usize = 4096;

/// The greatest weight of a procedural site (weights are 0.5 to 2.0).
pub const MAX_SITE_WEIGHT: f64 = 2.0;

/// A procedural world's configuration. `Default` is the world the demo and golden vectors use.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WorldConfig {
    /// Side of a site cell in metres: about one site per cell on land.
    pub cell_size: u32,
    /// Cells per tile side.
    pub tile_cells: u32,
    pub terrain: TerrainConfig,
}

impl Default for WorldConfig {
    fn default() -> Self {
        Self { cell_size: 64, tile_cells: 16, terrain: TerrainConfig::default() }
    }
}

impl WorldConfig {
    pub fn tile_size(&self) -> f64 {
        f64::from(self.cell_size) * f64::from(self.tile_cells)
    }

    fn check(&self) -> Result<(), WorldError> {
        let invalid = |path: &str, reason: String| WorldError::Config { path: path.into(), reason };
        if !(8..=10_000).contains(&self.cell_size) {
            return Err(invalid("cell_size", format!("{} is not in 8..=10000 metres", self.cell_size)));
        }
        if !(1..=256).contains(&self.tile_cells) {
            return Err(invalid("tile_cells", format!("{} is not in 1..=256", self.tile_cells)));
        }
        self.terrain.check().map_err(|(path, reason)| WorldError::Config { path, reason })
    }
}

/// The sites of one tile, in cell order.
#[derive(Debug)]
pub struct Tile {
    pub x: i64,
    pub y: i64,
    pub sites: Vec<Site>,
}

/// One cell's candidate site.
#[derive(Clone, Copy)]
struct Candidate {
    cm: (i64, i64),
    priority: u64,
    terrain: Terrain,
    hash: u64,
}

/// A seeded procedural world. Cheap to share: tiles are cached behind a lock.
#[derive(Debug)]
pub struct ProceduralWorld {
    seed: u64,
    config: WorldConfig,
    terrain_seeds: TerrainSeeds,
    site_seed: u64,
    /// First 16 hex digits of the SHA-256 of the config's canonical JSON: tells worlds apart in hunts.
    config_digest: String,
    cache: Mutex<HashMap<(i64, i64), Arc<Tile>>>,
}

impl Clone for ProceduralWorld {
    fn clone(&self) -> Self {
        Self::new(self.seed, self.config.clone()).expect("a built world's config is valid")
    }
}

impl ProceduralWorld {
    pub fn new(seed: u64, config: WorldConfig) -> Result<Self, WorldError> {
        if seed > MAX_SEED {
            return Err(WorldError::Config { path: "seed".into(), reason: format!("{seed} is above 2^53 - 1") });
        }
        config.check()?;
        let config_digest =
            crate::hash::sha256_hex(&serde_json::to_vec(&config).expect("configs serialise"))[..16].to_owned();
        Ok(Self {
            config_digest,
            seed,
            terrain_seeds: TerrainSeeds::new(seed),
            site_seed: mix2(seed, 0x7369_7465),
            config,
            cache: Mutex::new(HashMap::new()),
        })
    }

    pub fn seed(&self) -> u64 {
        self.seed
    }

    pub fn config(&self) -> &WorldConfig {
        &self.config
    }

    pub fn config_digest(&self) -> &str {
        &self.config_digest
    }

    pub fn terrain_at(&self, p: Point) -> Terrain {
        self.config.terrain.at(self.terrain_seeds, p.x, p.y)
    }

    /// Biome codes ([`Biome`] as `u8`) sampled at the centres of a `width` x `height` grid over
    /// `bounds`, row by row from the north edge: what a map draws.
    pub fn biome_raster(&self, bounds: Bounds, width: u32, height: u32) -> Vec<u8> {
        let (dx, dy) = (bounds.width() / f64::from(width), bounds.height() / f64::from(height));
        let mut out = Vec::with_capacity(width as usize * height as usize);
        for row in 0..height {
            let y = bounds.max.y - (f64::from(row) + 0.5) * dy;
            for col in 0..width {
                let x = bounds.min.x + (f64::from(col) + 0.5) * dx;
                out.push(self.terrain_at(Point::new(x, y)).biome as u8);
            }
        }
        out
    }

    /// The tile at tile coordinates `(tx, ty)`, generated or from the cache.
    pub fn tile(&self, tx: i64, ty: i64) -> Arc<Tile> {
        if let Some(t) = self.cache.lock().unwrap_or_else(|e| e.into_inner()).get(&(tx, ty)) {
            return Arc::clone(t);
        }
        let tile = Arc::new(self.generate_tile(tx, ty));
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        if cache.len() >= TILE_CACHE {
            cache.clear();
        }
        cache.insert((tx, ty), Arc::clone(&tile));
        tile
    }

    /// Tile coordinates covering `bounds`, row-major from the south-west.
    pub fn tiles_covering(&self, bounds: Bounds) -> Result<Vec<(i64, i64)>, WorldError> {
        if !(bounds.min.is_valid() && bounds.max.is_valid())
            || bounds.min.x > bounds.max.x
            || bounds.min.y > bounds.max.y
        {
            return Err(WorldError::Query("region is not a finite box within 1e9 m".into()));
        }
        let size = self.config.tile_size();
        let t = |v: f64| (v / size).floor() as i64;
        let (x0, x1, y0, y1) = (t(bounds.min.x), t(bounds.max.x), t(bounds.min.y), t(bounds.max.y));
        let count = (x1 - x0 + 1) as u64 * (y1 - y0 + 1) as u64;
        if count > MAX_TILES_PER_QUERY {
            return Err(WorldError::Query(format!(
                "region covers {count} tiles, more than the limit of {MAX_TILES_PER_QUERY}"
            )));
        }
        Ok((y0..=y1).flat_map(|y| (x0..=x1).map(move |x| (x, y))).collect())
    }

    /// The tiles covering `bounds`.
    pub fn tiles(&self, bounds: Bounds) -> Result<Vec<Arc<Tile>>, WorldError> {
        Ok(self.tiles_covering(bounds)?.into_iter().map(|(x, y)| self.tile(x, y)).collect())
    }

    fn candidate(&self, cx: i64, cy: i64) -> Candidate {
        let hash = mix2(mix2(self.site_seed, cx as u64), cy as u64);
        let cell_cm = i64::from(self.config.cell_size) * 100;
        let jx = i64::from(below(mix2(hash, 1), cell_cm as u32));
        let jy = i64::from(below(mix2(hash, 2), cell_cm as u32));
        let cm = (cx * cell_cm + jx, cy * cell_cm + jy);
        let terrain = self.config.terrain.at(self.terrain_seeds, cm.0 as f64 / 100.0, cm.1 as f64 / 100.0);
        Candidate { cm, priority: mix(hash ^ 3), terrain, hash }
    }

    fn generate_tile(&self, tx: i64, ty: i64) -> Tile {
        let n = i64::from(self.config.tile_cells);
        let side = (n + 2) as usize;
        let (cx0, cy0) = (tx * n - 1, ty * n - 1);
        let cands: Vec<Candidate> = (0..side as i64)
            .flat_map(|j| (0..side as i64).map(move |i| (i, j)))
            .map(|(i, j)| self.candidate(cx0 + i, cy0 + j))
            .collect();
        // Conflict radius: 0.75 of a cell, in centimetres, squared.
        let r_cm = i64::from(self.config.cell_size) * 75;
        let r2 = r_cm * r_cm;
        let mut sites = Vec::new();
        for j in 1..=n as usize {
            for i in 1..=n as usize {
                let c = &cands[j * side + i];
                if !c.terrain.biome.is_land() {
                    continue;
                }
                let beaten = (-1i64..=1).flat_map(|dj| (-1i64..=1).map(move |di| (di, dj))).any(|(di, dj)| {
                    if di == 0 && dj == 0 {
                        return false;
                    }
                    let o = &cands[(j as i64 + dj) as usize * side + (i as i64 + di) as usize];
                    let (ex, ey) = (o.cm.0 - c.cm.0, o.cm.1 - c.cm.1);
                    o.terrain.biome.is_land() && ex * ex + ey * ey < r2 && o.priority > c.priority
                });
                if beaten {
                    continue;
                }
                let (cx, cy) = (cx0 + i as i64, cy0 + j as i64);
                sites.push(self.site(cx, cy, c));
            }
        }
        Tile { x: tx, y: ty, sites }
    }

    fn site(&self, cx: i64, cy: i64, c: &Candidate) -> Site {
        let kind = pick_kind(c.terrain.biome, mix2(c.hash, 4)).expect("sites are on land");
        Site {
            id: format!("{cx}:{cy}"),
            pos: Position::Plane(Point::new(c.cm.0 as f64 / 100.0, c.cm.1 as f64 / 100.0)),
            kind: kind.to_owned(),
            name: name_for(kind, mix2(c.hash, 5)),
            weight: f64::from(50 + below(mix2(c.hash, 6), 151)) / 100.0, // at most MAX_SITE_WEIGHT
        }
    }

    /// Sites inside `bounds`, in tile order then cell order.
    pub fn sites_in(&self, bounds: Bounds) -> Result<Vec<Site>, WorldError> {
        let mut out = Vec::new();
        for tile in self.tiles(bounds)? {
            out.extend(tile.sites.iter().filter(|s| s.pos.as_point().is_some_and(|p| bounds.contains(p))).cloned());
        }
        Ok(out)
    }

    /// Counts of biomes sampled on a grid and of site kinds, over a region: the CLI's summary.
    pub fn summary(&self, bounds: Bounds) -> Result<WorldSummary, WorldError> {
        let raster = self.biome_raster(bounds, 128, 128);
        let mut biomes = std::collections::BTreeMap::new();
        for b in Biome::ALL {
            let n = raster.iter().filter(|&&v| v == b as u8).count() as u64;
            biomes.insert(b.name().to_owned(), n as f64 / raster.len() as f64);
        }
        let sites = self.sites_in(bounds)?;
        let mut kinds = std::collections::BTreeMap::new();
        for s in &sites {
            *kinds.entry(s.kind.clone()).or_insert(0u64) += 1;
        }
        Ok(WorldSummary { sites: sites.len() as u64, kinds, biomes })
    }
}

/// What a region of a procedural world holds.
#[derive(Debug, Clone, Serialize)]
pub struct WorldSummary {
    pub sites: u64,
    pub kinds: std::collections::BTreeMap<String, u64>,
    /// Share of the region's area in each biome.
    pub biomes: std::collections::BTreeMap<String, f64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn world() -> ProceduralWorld {
        ProceduralWorld::new(7, WorldConfig::default()).unwrap()
    }

    #[test]
    fn sites_are_on_land_and_spaced() {
        let w = world();
        let b = Bounds::around(Point::new(0.0, 0.0), 3000.0);
        let sites = w.sites_in(b).unwrap();
        assert!(sites.len() > 300, "{}", sites.len());
        for s in &sites {
            assert!(w.terrain_at(s.pos.as_point().unwrap()).biome.is_land());
        }
        let min = 0.75 * 64.0;
        for (i, a) in sites.iter().enumerate() {
            for b in &sites[i + 1..] {
                assert!(a.pos.distance(b.pos) >= min - 1e-9, "{} {}", a.id, b.id);
            }
        }
    }

    #[test]
    fn tiles_do_not_depend_on_generation_order() {
        let a = world();
        let b = world();
        let coords = [(0, 0), (1, 0), (-1, 2), (3, -3)];
        let first: Vec<_> = coords.iter().map(|&(x, y)| a.tile(x, y).sites.clone()).collect();
        let second: Vec<_> = coords.iter().rev().map(|&(x, y)| b.tile(x, y).sites.clone()).collect();
        assert_eq!(first, second.into_iter().rev().collect::<Vec<_>>());
    }

    #[test]
    fn the_world_has_all_biomes_and_a_coast() {
        let w = world();
        let s = w.summary(Bounds::around(Point::new(0.0, 0.0), 12_000.0)).unwrap();
        for b in Biome::ALL {
            assert!(s.biomes[b.name()] > 0.0, "{} missing: {:?}", b.name(), s.biomes);
        }
    }

    #[test]
    fn bad_configs_and_regions_are_errors() {
        assert!(ProceduralWorld::new(MAX_SEED + 1, WorldConfig::default()).is_err());
        let cfg = WorldConfig { cell_size: 0, ..WorldConfig::default() };
        assert!(matches!(ProceduralWorld::new(1, cfg), Err(WorldError::Config { path, .. }) if path == "cell_size"));
        let w = world();
        assert!(w.tiles(Bounds::around(Point::new(0.0, 0.0), 1.0e7)).is_err());
        assert!(w.tiles(Bounds::around(Point::new(f64::NAN, 0.0), 1.0)).is_err());
    }
}
