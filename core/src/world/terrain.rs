//! Terrain: elevation and moisture from seeded noise, and the biome they make.

use super::noise::fbm;
use crate::hash::mix2;
use serde::{Deserialize, Serialize};

/// What the ground is at a point. The order is the code used in terrain rasters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[repr(u8)]
pub enum Biome {
    DeepWater = 0,
    ShallowWater = 1,
    Beach = 2,
    Grassland = 3,
    Forest = 4,
    Hills = 5,
    Mountains = 6,
}

impl Biome {
    pub const ALL: [Biome; 7] = [
        Biome::DeepWater,
        Biome::ShallowWater,
        Biome::Beach,
        Biome::Grassland,
        Biome::Forest,
        Biome::Hills,
        Biome::Mountains,
    ];

    pub fn is_land(self) -> bool {
        self >= Biome::Beach
    }

    pub fn name(self) -> &'static str {
        match self {
            Biome::DeepWater => "deep_water",
            Biome::ShallowWater => "shallow_water",
            Biome::Beach => "beach",
            Biome::Grassland => "grassland",
            Biome::Forest => "forest",
            Biome::Hills => "hills",
            Biome::Mountains => "mountains",
        }
    }
}

/// Terrain parameters of a procedural world (part of its config).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TerrainConfig {
    /// Size in metres of the largest landforms (continents and bays).
    pub feature_size: f64,
    /// Size in metres of moisture patches (forest versus grassland).
    pub moisture_size: f64,
    /// Elevation of the coastline, in noise units (-1..1): higher means more sea.
    pub sea_level: f64,
    /// Width of the beach above the sea level, in noise units.
    pub beach: f64,
    /// Elevations where hills and mountains begin.
    pub hills: f64,
    pub mountains: f64,
    /// Moisture above which lowland is forest rather than grassland.
    pub forest: f64,
}

impl Default for TerrainConfig {
    fn default() -> Self {
        Self {
            feature_size: 4000.0,
            moisture_size: 2500.0,
            sea_level: -0.05,
            beach: 0.03,
            hills: 0.25,
            mountains: 0.42,
            forest: 0.08,
        }
    }
}

/// Elevation, moisture and biome at one point.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Terrain {
    pub elevation: f64,
    pub moisture: f64,
    pub biome: Biome,
}

/// Seeds for the two noise fields, derived from the world seed.
#[derive(Debug, Clone, Copy)]
pub struct TerrainSeeds {
    elevation: u64,
    moisture: u64,
}

impl TerrainSeeds {
    pub fn new(world_seed: u64) -> Self {
        Self { elevation: mix2(world_seed, 0x656c_6576), moisture: mix2(world_seed, 0x6d6f_6973) }
    }
}

impl TerrainConfig {
    /// Terrain at `(x, y)` metres.
    pub fn at(&self, seeds: TerrainSeeds, x: f64, y: f64) -> Terrain {
        let elevation = fbm(seeds.elevation, x / self.feature_size, y / self.feature_size, 6);
        let moisture = fbm(seeds.moisture, x / self.moisture_size, y / self.moisture_size, 3);
        Terrain { elevation, moisture, biome: self.biome(elevation, moisture) }
    }

    pub fn biome(&self, elevation: f64, moisture: f64) -> Biome {
        let sea = self.sea_level;
        if elevation < sea - 0.12 {
            Biome::DeepWater
        } else if elevation < sea {
            Biome::ShallowWater
        } else if elevation < sea + self.beach {
            Biome::Beach
        } else if elevation >= self.mountains {
            Biome::Mountains
        } else if elevation >= self.hills {
            Biome::Hills
        } else if moisture > self.forest {
            Biome::Forest
        } else {
            Biome::Grassland
        }
    }

    pub(crate) fn check(&self) -> Result<(), (String, String)> {
        let sizes = [("feature_size", self.feature_size), ("moisture_size", self.moisture_size)];
        for (field, v) in sizes {
            if !(v.is_finite() && (10.0..=1.0e7).contains(&v)) {
                return Err((format!("terrain.{field}"), format!("{v} is not in 10..=10000000 metres")));
            }
        }
        let levels = [
            ("sea_level", self.sea_level),
            ("beach", self.beach),
            ("hills", self.hills),
            ("mountains", self.mountains),
            ("forest", self.forest),
        ];
        for (field, v) in levels {
            if !(v.is_finite() && (-1.0..=1.0).contains(&v)) {
                return Err((format!("terrain.{field}"), format!("{v} is not in -1..=1")));
            }
        }
        if !(self.sea_level + self.beach <= self.hills && self.hills <= self.mountains) {
            return Err(("terrain".into(), "levels must rise: sea_level + beach <= hills <= mountains".into()));
        }
        Ok(())
    }
}
