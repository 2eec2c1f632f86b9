//! `World`: a procedural, imported or Earth world, its queries, and what a map draws from it.

use crate::convert::{
    coded, error, given, parse, parse_or_default, reporter, to_js, with, JsResult, OptImportOptions, OptProgress,
    OptWorldConfig,
};
use wasm_bindgen::prelude::*;
use xmarks::limits::MAX_SEED;
use xmarks::world::import;
use xmarks::{Bounds, ImportOptions, ImportReport, Point, Position, ProceduralWorld, Site, WorldConfig};

/// A world to generate hunts on. Holds wasm memory: call `free()` when done with it.
#[wasm_bindgen]
pub struct World {
    pub(crate) inner: xmarks::World,
    report: Option<ImportReport>,
}

#[wasm_bindgen]
impl World {
    /// A procedural world: a pure function of `seed` (an integer up to 2^53 - 1) and `config`.
    pub fn procedural(seed: f64, config: Option<OptWorldConfig>) -> JsResult<World> {
        let seed = integer(seed, "seed", MAX_SEED)?;
        let config: WorldConfig = parse_or_default(&given(config), "config", WorldConfig::from_json)?;
        let inner = ProceduralWorld::new(seed, config).map_err(|e| coded(&e))?;
        Ok(World { inner: xmarks::World::Procedural(inner), report: None })
    }

    /// Real points of interest from CSV, bytes or text: `id,x,y,kind,name[,weight]` in metres (a
    /// planar world), or `id,lon,lat,kind,name[,weight]` in degrees (an Earth world, unless
    /// `options.projection` is `"local"`). `onProgress`, when given, is called every few thousand
    /// rows (for a progress bar).
    #[wasm_bindgen(js_name = importCsv)]
    pub fn import_csv(
        #[wasm_bindgen(unchecked_param_type = "Uint8Array | string")] data: JsValue,
        options: Option<OptImportOptions>,
        #[wasm_bindgen(js_name = onProgress)] on_progress: Option<OptProgress>,
    ) -> JsResult<World> {
        let bytes = match data.as_string() {
            Some(text) => text.into_bytes(),
            None => data
                .dyn_into::<js_sys::Uint8Array>()
                .map_err(|_| error("input_invalid", "data: expected a Uint8Array or a string", Some("data")))?
                .to_vec(),
        };
        let options: ImportOptions = parse_or_default(&given(options), "options", ImportOptions::from_json)?;
        let (inner, report) =
            import::import_csv_with_progress(&bytes, options, &mut reporter(given(on_progress).dyn_ref()))
                .map_err(|e| coded(&e))?;
        Ok(World { inner, report: Some(report) })
    }

    /// Real points of interest from GeoJSON `Point` features: an Earth world, or a planar one in
    /// metres with `options.projection` `"local"`.
    #[wasm_bindgen(js_name = importGeojson)]
    pub fn import_geojson(
        text: &str,
        options: Option<OptImportOptions>,
        #[wasm_bindgen(js_name = onProgress)] on_progress: Option<OptProgress>,
    ) -> JsResult<World> {
        let options: ImportOptions = parse_or_default(&given(options), "options", ImportOptions::from_json)?;
        let (inner, report) =
            import::import_geojson_with_progress(text, options, &mut reporter(given(on_progress).dyn_ref()))
                .map_err(|e| coded(&e))?;
        Ok(World { inner, report: Some(report) })
    }

    /// `"plane"` (positions `{x, y}` in metres) or `"earth"` (positions `{lon, lat}` in degrees).
    #[wasm_bindgen(unchecked_return_type = "Space")]
    pub fn space(&self) -> JsResult<JsValue> {
        to_js(&self.inner.space())
    }

    /// The `k` sites nearest to `at`, of the given kinds (all when none), nearest first, each with
    /// its distance in metres (`distance`); equal distances are ordered by id. Imported and Earth
    /// worlds.
    #[wasm_bindgen(unchecked_return_type = "NearSite[]")]
    pub fn nearest(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Position")] at: JsValue,
        k: u32,
        kinds: Option<Vec<String>>,
    ) -> JsResult<JsValue> {
        let at: Position = parse(&at, "at", Position::from_json)?;
        let found = self.inner.nearest(at, k, &kinds.unwrap_or_default()).map_err(|e| coded(&e))?;
        near_sites(found)
    }

    /// The sites within `radius` metres of `at`, of the given kinds (all when none), nearest
    /// first, each with its distance in metres.
    #[wasm_bindgen(unchecked_return_type = "NearSite[]")]
    pub fn within(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Position")] at: JsValue,
        radius: f64,
        kinds: Option<Vec<String>>,
    ) -> JsResult<JsValue> {
        let at: Position = parse(&at, "at", Position::from_json)?;
        if !(radius.is_finite() && (0.0..=xmarks::limits::MAX_SEARCH_RADIUS).contains(&radius)) {
            let max = xmarks::limits::MAX_SEARCH_RADIUS;
            return Err(error(
                "input_invalid",
                &format!("radius: {radius} is not in 0..={max} metres"),
                Some("radius"),
            ));
        }
        let found = self.inner.within(at, radius, &kinds.unwrap_or_default()).map_err(|e| coded(&e))?;
        near_sites(found)
    }

    /// Which world this is, as hunts record it.
    #[wasm_bindgen(unchecked_return_type = "WorldRef")]
    pub fn reference(&self) -> JsResult<JsValue> {
        to_js(&self.inner.reference())
    }

    /// What an import read and skipped; `undefined` for a procedural world.
    #[wasm_bindgen(js_name = importReport, unchecked_return_type = "ImportReport | undefined")]
    pub fn import_report(&self) -> JsResult<JsValue> {
        self.report.as_ref().map_or(Ok(JsValue::UNDEFINED), to_js)
    }

    /// The site kinds this world can hold, sorted.
    #[wasm_bindgen(unchecked_return_type = "string[]")]
    pub fn kinds(&self) -> JsResult<JsValue> {
        to_js(&self.inner.kinds())
    }

    /// The bounding box of an imported world's sites; on an Earth world a box of degrees (the
    /// shortest run of longitudes holding them, `min.x` east of `max.x` when it crosses the
    /// antimeridian); `undefined` for a procedural (unbounded) one.
    #[wasm_bindgen(unchecked_return_type = "Bounds | undefined")]
    pub fn bounds(&self) -> JsResult<JsValue> {
        self.inner.bounds().map_or(Ok(JsValue::UNDEFINED), |b| to_js(&b))
    }

    /// The terrain at a point; `undefined` in an imported world.
    #[wasm_bindgen(js_name = terrainAt, unchecked_return_type = "Terrain | undefined")]
    pub fn terrain_at(&self, x: f64, y: f64) -> JsResult<JsValue> {
        self.inner.terrain_at(Point::new(x, y)).map_or(Ok(JsValue::UNDEFINED), |t| to_js(&t))
    }

    /// The sites inside a box, sorted by id. On an Earth world the box is in degrees: `min` is the
    /// south-west corner (`x` the longitude, `y` the latitude), `max` the north-east, and a west
    /// edge east of the east edge crosses the antimeridian.
    #[wasm_bindgen(js_name = sitesIn, unchecked_return_type = "Site[]")]
    pub fn sites_in(&self, #[wasm_bindgen(unchecked_param_type = "Bounds")] bounds: JsValue) -> JsResult<JsValue> {
        let sites = self.inner.sites_in(parse(&bounds, "bounds", Bounds::from_json)?).map_err(|e| coded(&e))?;
        to_js(&sites)
    }

    /// The sites inside a box (as for `sitesIn`) as columns, for drawing: `xy` holds x and y (lon
    /// and lat on Earth) of each site in turn.
    #[wasm_bindgen(js_name = sitePoints, unchecked_return_type = "SitePoints")]
    pub fn site_points(&self, #[wasm_bindgen(unchecked_param_type = "Bounds")] bounds: JsValue) -> JsResult<JsValue> {
        let points = self.inner.site_points(parse(&bounds, "bounds", Bounds::from_json)?).map_err(|e| coded(&e))?;
        let out = js_sys::Object::new().into();
        let out = with(out, "ids", &to_js(&points.ids)?);
        let out = with(out, "names", &to_js(&points.names)?);
        let out = with(out, "xy", &js_sys::Float64Array::from(&points.xy[..]).into());
        let out = with(out, "kind", &js_sys::Uint16Array::from(&points.kind[..]).into());
        Ok(with(out, "kinds", &to_js(&points.kinds)?))
    }

    /// Biome codes (indexes into `biomes()`) over a `width` x `height` grid of `bounds`, row by
    /// row from the north edge. Procedural worlds only.
    #[wasm_bindgen(js_name = biomeRaster)]
    pub fn biome_raster(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Bounds")] bounds: JsValue,
        width: u32,
        height: u32,
    ) -> JsResult<js_sys::Uint8Array> {
        let bounds: Bounds = parse(&bounds, "bounds", Bounds::from_json)?;
        let raster = self.inner.biome_raster(bounds, width, height).map_err(|e| coded(&e))?;
        Ok(js_sys::Uint8Array::from(&raster[..]))
    }

    /// Counts of sites by kind and shares of biomes over a box of a procedural world.
    #[wasm_bindgen(unchecked_return_type = "WorldSummary")]
    pub fn summary(&self, #[wasm_bindgen(unchecked_param_type = "Bounds")] bounds: JsValue) -> JsResult<JsValue> {
        to_js(&self.inner.summary(parse(&bounds, "bounds", Bounds::from_json)?).map_err(|e| coded(&e))?)
    }

    /// The biome names in code order (the values of `biomeRaster`).
    #[wasm_bindgen(unchecked_return_type = "Biome[]")]
    pub fn biomes() -> JsResult<JsValue> {
        to_js(&xmarks::Biome::ALL)
    }
}

/// Sites with their distances, as `{...site, distance}` objects.
fn near_sites(found: Vec<(f64, Site)>) -> JsResult<JsValue> {
    let out = js_sys::Array::new();
    for (distance, site) in found {
        out.push(&with(to_js(&site)?, "distance", &distance.into()));
    }
    Ok(out.into())
}

/// A JS number as an exact integer in `0..=max`.
pub(crate) fn integer(v: f64, what: &str, max: u64) -> JsResult<u64> {
    if v.fract() == 0.0 && v >= 0.0 && v <= max as f64 {
        Ok(v as u64)
    } else {
        Err(error("input_invalid", &format!("{what}: {v} is not an integer in 0..={max}"), Some(what)))
    }
}
