//! Imported worlds: real points of interest from CSV or GeoJSON.
//!
//! Data in longitudes and latitudes (GeoJSON, or CSV with `lon,lat` or `longitude,latitude`
//! columns) becomes an Earth world ([`World::Earth`]) by default, measured along geodesics
//! anywhere on the planet. [`Projection::Local`] projects it onto a plane around one point instead
//! (right within tens of kilometres of it: small regional sets). CSV with `x,y` columns is planar
//! already ([`World::Imported`]). Rows and features are read one at a time straight into the
//! index's columns; nothing else is kept per site.
//!
//! A malformed row or feature is reported with its line or index. By default the first one fails
//! the import; [`ImportOptions::lenient`] skips and counts them instead (keeping the first few
//! reasons). Duplicate ids are malformed too: the first occurrence wins in lenient mode.

use super::World;
use crate::error::Coded;
use crate::geo::{EarthIndexBuilder, LonLat};
use crate::geom::Point;
use crate::index::{Columns, Coords, IndexError, SiteIndexBuilder};
pub use crate::limits::MAX_IMPORT_SITES;
use crate::site::{check_site, SiteRef};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use std::borrow::Cow;

use crate::progress::PROGRESS_EVERY;
pub use crate::progress::{Phase, Progress};

/// How many skipped rows a lenient import describes; the rest are only counted.
const MAX_REPORTED: usize = 100;

/// Mean Earth radius (IUGG), metres: the local projection's scale.
const EARTH_RADIUS: f64 = 6_371_008.8;

/// How longitudes and latitudes become a world.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Projection {
    /// An Earth world: positions stay in degrees, distances are geodesics.
    #[default]
    Earth,
    /// A planar world in metres, projected around `origin` (equirectangular): exact to a few
    /// metres within tens of kilometres of it, wrong beyond.
    Local,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ImportOptions {
    /// Skip and count malformed rows instead of failing.
    pub lenient: bool,
    /// For longitude and latitude data: [`Projection::Earth`] unless an `origin` is given.
    pub projection: Option<Projection>,
    /// The local projection's centre; by default the centre of the points' bounding box (which
    /// does not depend on their order). Implies [`Projection::Local`].
    pub origin: Option<LonLat>,
}

impl ImportOptions {
    /// The projection these options ask for lon/lat data.
    fn projection(&self) -> Result<Projection, ImportError> {
        match (self.projection, self.origin) {
            (Some(Projection::Earth), Some(_)) => Err(ImportError::Options {
                path: "options.origin".into(),
                reason: "only the local projection has an origin".into(),
            }),
            (Some(p), _) => Ok(p),
            (None, Some(_)) => Ok(Projection::Local),
            (None, None) => Ok(Projection::Earth),
        }
    }
}

/// One skipped row or feature.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ImportProblem {
    /// `line 12` for CSV, `features[3]` for GeoJSON.
    pub at: String,
    pub reason: String,
}

/// What an import read.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ImportReport {
    pub imported: u64,
    pub skipped: u64,
    /// The first skipped rows with their reasons (at most 100).
    pub problems: Vec<ImportProblem>,
    /// The projection centre used (local projection only).
    pub origin: Option<LonLat>,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ImportError {
    #[error("{at}: {reason}")]
    Malformed { at: String, reason: String },
    #[error("{0}")]
    Format(String),
    #[error("{path}: {reason}")]
    Options { path: String, reason: String },
    #[error("more than {MAX_IMPORT_SITES} sites")]
    TooLarge,
    #[error(transparent)]
    Index(#[from] IndexError),
}

impl Coded for ImportError {
    fn code(&self) -> &'static str {
        match self {
            ImportError::Malformed { .. } => "import_malformed",
            ImportError::Format(_) => "import_format",
            ImportError::Options { .. } => "input_invalid",
            ImportError::TooLarge => "import_too_large",
            ImportError::Index(_) => "import_too_large",
        }
    }

    fn path(&self) -> Option<String> {
        match self {
            ImportError::Malformed { at, .. } => Some(at.clone()),
            ImportError::Options { path, .. } => Some(path.clone()),
            _ => None,
        }
    }
}

/// Whether an import may hold `count` sites.
pub fn within_site_limit(count: u64) -> Result<(), ImportError> {
    if count > MAX_IMPORT_SITES {
        Err(ImportError::TooLarge)
    } else {
        Ok(())
    }
}

/// Collects rows into an index's columns, enforcing strict or lenient handling of bad ones in one
/// place.
struct Intake {
    lenient: bool,
    cols: Columns,
    /// Where each pushed site came from (a line or feature number, told by `at`), for duplicate
    /// reports: a number, not its text, which cost an allocation per row.
    origins: Vec<u64>,
    at: fn(u64) -> String,
    skipped: u64,
    problems: Vec<ImportProblem>,
}

impl Intake {
    fn new(lenient: bool, at: fn(u64) -> String) -> Self {
        Self { lenient, cols: Columns::default(), origins: Vec::new(), at, skipped: 0, problems: Vec::new() }
    }

    fn reject(&mut self, origin: u64, reason: String) -> Result<(), ImportError> {
        let at = (self.at)(origin);
        if !self.lenient {
            return Err(ImportError::Malformed { at, reason });
        }
        self.skipped += 1;
        if self.problems.len() < MAX_REPORTED {
            self.problems.push(ImportProblem { at, reason });
        }
        Ok(())
    }

    fn push<P: Coords>(&mut self, origin: u64, site: SiteRef<'_, P>) -> Result<(), ImportError> {
        if let Err(reason) = check_site(site.id, site.pos.into(), site.kind, site.name, site.weight) {
            return self.reject(origin, reason);
        }
        within_site_limit(self.cols.len() as u64 + 1)?;
        self.cols.push(site)?;
        self.origins.push(origin);
        Ok(())
    }

    /// Reports duplicate ids (all but their first occurrence) and returns the columns without them.
    fn finish(mut self) -> Result<(Columns, ImportReport), ImportError> {
        let dups = self.cols.duplicate_slots();
        for &slot in &dups {
            self.reject(self.origins[slot as usize], "duplicate id (an earlier row has the same id)".into())?;
        }
        let cols = self.cols.without(&dups);
        let report =
            ImportReport { imported: cols.len() as u64, skipped: self.skipped, problems: self.problems, origin: None };
        Ok((cols, report))
    }
}

/// Sites read in longitudes and latitudes, made into the world `projection` asks for. The local
/// projection's default origin is the centre of the bounding box of every site read, duplicates
/// included.
fn lonlat_world(
    intake: Intake,
    options: &ImportOptions,
    projection: Projection,
) -> Result<(World, ImportReport), ImportError> {
    let origin = match projection {
        Projection::Earth => None,
        Projection::Local => Some(options.origin.unwrap_or_else(|| bbox_centre(&intake.cols.pos))),
    };
    let (cols, mut report) = intake.finish()?;
    let Some(origin) = origin else {
        return Ok((World::Earth(EarthIndexBuilder::from_columns(cols).build()), report));
    };
    let mut planar = Columns::with_capacity(cols.len(), 0);
    for slot in 0..cols.len() {
        let s = cols.site::<LonLat>(slot);
        planar.push(SiteRef { id: s.id, pos: project(s.pos, origin), kind: s.kind, name: s.name, weight: s.weight })?;
    }
    report.origin = Some(origin);
    Ok((World::Imported(SiteIndexBuilder::from_columns(planar).build()), report))
}

fn bbox_centre(points: &[[f64; 2]]) -> LonLat {
    if points.is_empty() {
        return LonLat::new(0.0, 0.0);
    }
    let (lo, hi) = crate::index::extent(points);
    LonLat::new((lo[0] + hi[0]) / 2.0, (lo[1] + hi[1]) / 2.0)
}

/// Imports CSV with a header naming the columns `id`, `kind`, `name`, a position, and optionally
/// `weight` (in any order; an empty weight is 1). The position is `x,y` in metres (a planar
/// world), or `lon,lat` (also `longitude,latitude`) in degrees: an Earth world, or a planar one
/// with [`Projection::Local`].
pub fn import_csv(bytes: &[u8], options: ImportOptions) -> Result<(World, ImportReport), ImportError> {
    import_csv_with_progress(bytes, options, &mut |_| {})
}

/// [`import_csv`], reporting its progress to `progress` every few thousand rows.
pub fn import_csv_with_progress(
    bytes: &[u8],
    options: ImportOptions,
    progress: &mut dyn FnMut(Progress),
) -> Result<(World, ImportReport), ImportError> {
    let mut reader = csv::ReaderBuilder::new().has_headers(true).flexible(true).from_reader(bytes);
    let headers = reader.byte_headers().map_err(|e| ImportError::Format(format!("line 1: {e}")))?.clone();
    let column = |name: &str| headers.iter().position(|h| h == name.as_bytes());
    let text_cols = ["id", "kind", "name"].map(column);
    let planar = (column("x"), column("y"));
    let degrees = match (column("lon"), column("lat")) {
        (Some(lon), Some(lat)) => Some((lon, lat)),
        _ => column("longitude").zip(column("latitude")),
    };
    let [Some(id), Some(kind), Some(name)] = text_cols else {
        return Err(ImportError::Format(
            "line 1: header must name the columns id,x,y,kind,name or id,lon,lat,kind,name (and optionally weight)"
                .into(),
        ));
    };
    let layout = CsvLayout { id, kind, name, weight: column("weight") };
    match (planar, degrees) {
        ((Some(_), Some(_)), Some(_)) => Err(ImportError::Format(
            "line 1: header names both x,y (metres) and lon,lat (degrees): keep one pair".into(),
        )),
        ((Some(x), Some(y)), None) => {
            if options.projection.is_some() || options.origin.is_some() {
                return Err(ImportError::Options {
                    path: "options.projection".into(),
                    reason: "x,y data is in metres already; projections are for lon,lat data".into(),
                });
            }
            let mut intake = Intake::new(options.lenient, |n| format!("line {n}"));
            read_csv(&mut reader, &layout, bytes.len() as u64, progress, &mut intake, ("x", x), ("y", y), Point::new)?;
            let (cols, report) = intake.finish()?;
            Ok((World::Imported(SiteIndexBuilder::from_columns(cols).build()), report))
        }
        (_, Some((lon, lat))) => {
            let projection = options.projection()?;
            let mut intake = Intake::new(options.lenient, |n| format!("line {n}"));
            let (lon_name, lat_name) = if column("lon").is_some() { ("lon", "lat") } else { ("longitude", "latitude") };
            read_csv(
                &mut reader,
                &layout,
                bytes.len() as u64,
                progress,
                &mut intake,
                (lon_name, lon),
                (lat_name, lat),
                LonLat::new,
            )?;
            lonlat_world(intake, &options, projection)
        }
        _ => Err(ImportError::Format(
            "line 1: header must name the columns id,x,y,kind,name or id,lon,lat,kind,name (and optionally weight)"
                .into(),
        )),
    }
}

/// Where a CSV's text columns are.
struct CsvLayout {
    id: usize,
    kind: usize,
    name: usize,
    weight: Option<usize>,
}

/// Reads every row into `intake`, the position from the columns `a` and `b` (named for messages)
/// made into a position by `pos`.
#[allow(clippy::too_many_arguments)]
fn read_csv<P: Coords>(
    reader: &mut csv::Reader<&[u8]>,
    layout: &CsvLayout,
    total: u64,
    progress: &mut dyn FnMut(Progress),
    intake: &mut Intake,
    a: (&str, usize),
    b: (&str, usize),
    pos: fn(f64, f64) -> P,
) -> Result<(), ImportError> {
    let mut record = csv::ByteRecord::new();
    for row in 0.. {
        if row % PROGRESS_EVERY == 0 {
            progress(Progress { phase: Phase::Reading, done: reader.position().byte(), total });
        }
        let line = reader.position().line() + 1;
        match reader.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                intake.reject(line, e.to_string())?;
                continue;
            }
        }
        let at = record.position().map_or(line, |p| p.line());
        let field = |i: usize, name: &str| -> Result<&str, String> {
            let raw = record.get(i).ok_or_else(|| format!("missing column {name}"))?;
            std::str::from_utf8(raw).map_err(|_| format!("{name} is not valid UTF-8"))
        };
        let number = |i: usize, name: &str| -> Result<f64, String> {
            let text = field(i, name)?.trim();
            let v: f64 = text.parse().map_err(|_| format!("{name} {text:?} is not a number"))?;
            if v.is_finite() {
                Ok(v)
            } else {
                Err(format!("{name} {text:?} is not finite"))
            }
        };
        let parsed = (|| {
            let weight = match layout.weight.map(|c| field(c, "weight")).transpose()?.map(str::trim) {
                None | Some("") => 1.0,
                Some(_) => number(layout.weight.expect("checked"), "weight")?,
            };
            Ok::<_, String>((
                field(layout.id, "id")?,
                pos(number(a.1, a.0)?, number(b.1, b.0)?),
                field(layout.kind, "kind")?,
                field(layout.name, "name")?,
                weight,
            ))
        })();
        match parsed {
            Ok((id, pos, kind, name, weight)) => intake.push(at, SiteRef { id, pos, kind, name, weight })?,
            Err(reason) => intake.reject(at, reason)?,
        }
    }
    progress(Progress { phase: Phase::Indexing, done: total, total });
    Ok(())
}

#[derive(Deserialize)]
struct Collection<'a> {
    #[serde(rename = "type")]
    kind: String,
    #[serde(borrow)]
    features: Vec<&'a RawValue>,
}

#[derive(Deserialize)]
struct Feature<'a> {
    #[serde(rename = "type", borrow)]
    kind: Cow<'a, str>,
    #[serde(default, borrow)]
    id: Option<&'a RawValue>,
    geometry: Option<Geometry>,
    #[serde(default, borrow)]
    properties: Option<Properties<'a>>,
}

/// The properties a site is read from, borrowed from the text as they are: the last of a
/// repeated key, as a JSON object reads. The others are skipped without being built (a map of
/// every property cost most of a feature's allocations).
#[derive(Default)]
struct Properties<'a> {
    id: Option<&'a RawValue>,
    kinds: [Option<&'a RawValue>; 4],
    name: Option<&'a RawValue>,
    weight: Option<&'a RawValue>,
}

/// The properties that may name a site's kind, in the order they are tried.
const KIND_KEYS: [&str; 4] = ["kind", "amenity", "tourism", "historic"];

impl<'de: 'a, 'a> Deserialize<'de> for Properties<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Reader<'a>(std::marker::PhantomData<Properties<'a>>);
        impl<'de: 'a, 'a> serde::de::Visitor<'de> for Reader<'a> {
            type Value = Properties<'a>;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a map")
            }

            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Properties<'a>, A::Error> {
                let mut p = Properties::default();
                while let Some(key) = map.next_key::<Cow<'de, str>>()? {
                    let slot = match key.as_ref() {
                        "id" => &mut p.id,
                        "name" => &mut p.name,
                        "weight" => &mut p.weight,
                        other => match KIND_KEYS.iter().position(|k| *k == other) {
                            Some(i) => &mut p.kinds[i],
                            None => {
                                map.next_value::<serde::de::IgnoredAny>()?;
                                continue;
                            }
                        },
                    };
                    *slot = Some(map.next_value::<&'de RawValue>()?);
                }
                Ok(p)
            }
        }
        d.deserialize_map(Reader(std::marker::PhantomData))
    }
}

#[derive(Deserialize)]
struct Geometry {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    coordinates: serde_json::Value,
}

struct GeoPoint {
    lonlat: LonLat,
    id: String,
    kind: String,
    name: String,
    weight: f64,
}

/// A JSON string, as it reads.
fn string_of(v: &RawValue) -> Option<String> {
    v.get().starts_with('"').then(|| serde_json::from_str(v.get()).ok()).flatten()
}

/// A JSON string or number as text (a number as serde_json writes it).
fn text_of(v: &RawValue) -> Option<String> {
    string_of(v).or_else(|| serde_json::from_str::<serde_json::Number>(v.get()).ok().map(|n| n.to_string()))
}

fn read_feature(raw: &RawValue) -> Result<GeoPoint, String> {
    let f: Feature = serde_json::from_str(raw.get()).map_err(|e| e.to_string())?;
    if f.kind != "Feature" {
        return Err(format!("type is {:?}, expected \"Feature\"", f.kind));
    }
    let g = f.geometry.ok_or("geometry is missing")?;
    if g.kind != "Point" {
        return Err(format!("geometry.type is {:?}, expected \"Point\"", g.kind));
    }
    let coords = g.coordinates.as_array().ok_or("geometry.coordinates is not an array")?;
    let [lon, lat] = match coords.as_slice() {
        [lon, lat] | [lon, lat, _] => [lon, lat].map(serde_json::Value::as_f64),
        _ => return Err("geometry.coordinates must be [lon, lat]".into()),
    };
    let (Some(lon), Some(lat)) = (lon, lat) else {
        return Err("geometry.coordinates must be numbers".into());
    };
    if !(-180.0..=180.0).contains(&lon) || !(-90.0..=90.0).contains(&lat) {
        return Err(format!("geometry.coordinates [{lon}, {lat}] are not a longitude and latitude"));
    }
    let props = f.properties.unwrap_or_default();
    let id = f.id.or(props.id).and_then(text_of).ok_or("no id (feature id or properties.id)")?;
    let kind = props.kinds.iter().flatten().find_map(|k| string_of(k)).ok_or("no properties.kind")?;
    let name = props.name.and_then(string_of).unwrap_or_else(|| id.clone());
    let weight = match props.weight.map(RawValue::get) {
        None | Some("null") => 1.0,
        Some(w) => serde_json::from_str::<f64>(w).map_err(|_| "properties.weight is not a number")?,
    };
    Ok(GeoPoint { lonlat: LonLat { lon, lat }, id, kind, name, weight })
}

/// Projects lon/lat to metres around `origin` (equirectangular, exact to a few metres over tens of
/// kilometres), rounded to millimetres. `libm` keeps the cosine identical on every target.
pub fn project(p: LonLat, origin: LonLat) -> Point {
    let k = EARTH_RADIUS * core::f64::consts::PI / 180.0;
    let x = (p.lon - origin.lon) * k * libm::cos(origin.lat.to_radians());
    let y = (p.lat - origin.lat) * k;
    Point::new(libm::round(x * 1000.0) / 1000.0, libm::round(y * 1000.0) / 1000.0)
}

/// Imports a GeoJSON `FeatureCollection` of `Point` features: an Earth world, or a planar one with
/// [`Projection::Local`]. Each feature needs an id (the feature's `id` or `properties.id`) and a
/// kind (`properties.kind`, or OpenStreetMap's `amenity`, `tourism` or `historic`);
/// `properties.name` and `properties.weight` are optional.
pub fn import_geojson(text: &str, options: ImportOptions) -> Result<(World, ImportReport), ImportError> {
    import_geojson_with_progress(text, options, &mut |_| {})
}

/// [`import_geojson`], reporting its progress to `progress` every few thousand features.
pub fn import_geojson_with_progress(
    text: &str,
    options: ImportOptions,
    progress: &mut dyn FnMut(Progress),
) -> Result<(World, ImportReport), ImportError> {
    let projection = options.projection()?;
    let coll: Collection<'_> = serde_json::from_str(text).map_err(|e| ImportError::Format(format!("GeoJSON: {e}")))?;
    if coll.kind != "FeatureCollection" {
        return Err(ImportError::Format(format!("GeoJSON: type is {:?}, expected \"FeatureCollection\"", coll.kind)));
    }
    within_site_limit(coll.features.len() as u64)?;
    let mut intake = Intake::new(options.lenient, |i| format!("features[{i}]"));
    let total = coll.features.len() as u64;
    for (i, raw) in coll.features.iter().enumerate() {
        if i as u64 % PROGRESS_EVERY == 0 {
            progress(Progress { phase: Phase::Reading, done: i as u64, total });
        }
        let at = i as u64;
        match read_feature(raw) {
            Ok(p) => {
                intake.push(at, SiteRef { id: &p.id, pos: p.lonlat, kind: &p.kind, name: &p.name, weight: p.weight })?
            }
            Err(reason) => intake.reject(at, reason)?,
        }
    }
    progress(Progress { phase: Phase::Indexing, done: total, total });
    lonlat_world(intake, &options, projection)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geo::EarthIndex;
    use crate::index::SiteIndex;

    fn planar(imported: (World, ImportReport)) -> (SiteIndex, ImportReport) {
        match imported {
            (World::Imported(idx), report) => (idx, report),
            (w, _) => panic!("a planar world, not {:?}", w.reference()),
        }
    }

    fn earth(imported: (World, ImportReport)) -> (EarthIndex, ImportReport) {
        match imported {
            (World::Earth(idx), report) => (idx, report),
            (w, _) => panic!("an Earth world, not {:?}", w.reference()),
        }
    }

    fn local() -> ImportOptions {
        ImportOptions { projection: Some(Projection::Local), ..ImportOptions::default() }
    }

    const CSV: &str = "id,x,y,kind,name,weight\na,0,0,well,Old Well,1\nb,10.5,-3,cave,Dark Cave,\n";

    #[test]
    fn progress_is_reported_in_order_and_changes_nothing() {
        let mut csv = String::from("id,x,y,kind,name\n");
        for i in 0..20_000 {
            csv.push_str(&format!("s{i},{i},0,well,Well {i}\n"));
        }
        let mut seen = Vec::new();
        let (idx, _) =
            planar(import_csv_with_progress(csv.as_bytes(), ImportOptions::default(), &mut |p| seen.push(p)).unwrap());
        assert_eq!(idx.digest(), planar(import_csv(csv.as_bytes(), ImportOptions::default()).unwrap()).0.digest());
        assert!(seen.len() >= 3, "{seen:?}");
        assert!(seen.windows(2).all(|w| w[0].done <= w[1].done));
        assert_eq!(
            *seen.last().unwrap(),
            Progress { phase: Phase::Indexing, done: csv.len() as u64, total: csv.len() as u64 }
        );
    }

    #[test]
    fn csv_imports_rows() {
        let (idx, report) = planar(import_csv(CSV.as_bytes(), ImportOptions::default()).unwrap());
        assert_eq!(report.imported, 2);
        assert_eq!(idx.len(), 2);
        let b = idx.iter().find(|s| s.id == "b").unwrap();
        assert_eq!((b.id, b.pos, b.kind, b.name, b.weight), ("b", Point::new(10.5, -3.0), "cave", "Dark Cave", 1.0));
    }

    #[test]
    fn csv_reports_the_bad_line_or_skips_it() {
        let bad = format!("{CSV}c,NaN,0,well,Bad,1\nd,1,1,well,Fine,1\nb,2,2,well,Dup,1\n");
        let err = import_csv(bad.as_bytes(), ImportOptions::default()).unwrap_err();
        assert_eq!(err.to_string(), "line 4: x \"NaN\" is not finite");
        let lenient = ImportOptions { lenient: true, ..ImportOptions::default() };
        let (idx, report) = planar(import_csv(bad.as_bytes(), lenient).unwrap());
        assert_eq!((idx.len(), report.skipped), (3, 2));
        assert_eq!(report.problems[1].at, "line 6");
        assert!(report.problems[1].reason.contains("duplicate"));
    }

    #[test]
    fn csv_needs_its_columns_and_utf8() {
        assert!(matches!(import_csv(b"id,x,y\n", ImportOptions::default()), Err(ImportError::Format(_))));
        let err = import_csv(b"id,x,y,kind,name\na,0,0,well,\xff\n", ImportOptions::default()).unwrap_err();
        assert_eq!(err.to_string(), "line 2: name is not valid UTF-8");
    }

    #[test]
    fn geojson_projects_points_around_the_bbox_centre_when_asked() {
        let text = r#"{"type":"FeatureCollection","features":[
            {"type":"Feature","id":"n1","geometry":{"type":"Point","coordinates":[2.0,48.0]},"properties":{"kind":"well","name":"A"}},
            {"type":"Feature","geometry":{"type":"Point","coordinates":[2.02,48.01]},"properties":{"id":7,"amenity":"fountain"}}]}"#;
        let (idx, report) = planar(import_geojson(text, local()).unwrap());
        let origin = report.origin.unwrap();
        assert!((origin.lon - 2.01).abs() < 1e-12 && (origin.lat - 48.005).abs() < 1e-12, "{origin:?}");
        let a = idx.iter().find(|s| s.id == "n1").unwrap();
        let b = idx.iter().find(|s| s.id == "7").unwrap();
        assert_eq!((b.id, b.kind, b.name), ("7", "fountain", "7"));
        assert!((a.pos.x + b.pos.x).abs() < 0.01 && (a.pos.y + b.pos.y).abs() < 0.01);
        assert!((b.pos.y - 556.0).abs() < 1.0, "{:?}", b.pos);
        assert!((b.pos.x - 744.0).abs() < 1.0, "{:?}", b.pos);
    }

    #[test]
    fn geojson_reports_the_bad_feature() {
        let text = r#"{"type":"FeatureCollection","features":[
            {"type":"Feature","id":"a","geometry":{"type":"Point","coordinates":[0,0]},"properties":{"kind":"well"}},
            {"type":"Feature","id":"b","geometry":{"type":"LineString","coordinates":[[0,0],[1,1]]},"properties":{"kind":"well"}}]}"#;
        let err = import_geojson(text, ImportOptions::default()).unwrap_err();
        assert_eq!(err.to_string(), "features[1]: geometry.type is \"LineString\", expected \"Point\"");
        assert_eq!(import_geojson(text, local()).unwrap_err(), err);
        let lenient = ImportOptions { lenient: true, ..ImportOptions::default() };
        assert_eq!(import_geojson(text, lenient).unwrap().1.skipped, 1);
        assert!(matches!(import_geojson("{", ImportOptions::default()), Err(ImportError::Format(_))));
    }

    #[test]
    fn geojson_properties_read_as_a_json_object_does() {
        let feature = |id: &str, props: &str| {
            format!(
                r#"{{"type":"Feature",{id}"geometry":{{"type":"Point","coordinates":[1,2]}},"properties":{props}}}"#
            )
        };
        let one = |f: String| {
            let text = format!(r#"{{"type":"FeatureCollection","features":[{f}]}}"#);
            let (idx, _) = earth(import_geojson(&text, ImportOptions::default())?);
            let s = idx.iter().next().unwrap();
            Ok::<_, ImportError>((s.id.to_owned(), s.kind.to_owned(), s.name.to_owned(), s.weight))
        };
        // A repeated key counts its last value; a kind that is not a string gives way to amenity;
        // a numeric id is its number's text; escapes are read; other properties are skipped.
        let got = one(feature(
            "",
            r#"{"id":12,"name":"A","name":"B\u00e9","kind":3,"amenity":"bench","extra":{"deep":[1,{"x":null}]},"weight":null}"#,
        ))
        .unwrap();
        assert_eq!(got, ("12".into(), "bench".into(), "Bé".into(), 1.0));
        // The feature's own id first, the name defaulting to the id, a numeric weight.
        let got = one(feature(r#""id":"f","#, r#"{"id":"p","kind":"well","weight":2}"#)).unwrap();
        assert_eq!(got, ("f".into(), "well".into(), "f".into(), 2.0));
        let err = |props: &str| one(feature(r#""id":"f","#, props)).unwrap_err().to_string();
        assert_eq!(err(r#"{"kind":"well","weight":"2"}"#), "features[0]: properties.weight is not a number");
        assert_eq!(err(r#"{"amenity":7}"#), "features[0]: no properties.kind");
        assert!(err("[1]").starts_with("features[0]: invalid type: sequence, expected a map"), "{}", err("[1]"));
        // A property that is not read is skipped, however deep (it was built, and failed past 128
        // levels, before).
        let deep = format!(r#"{{"kind":"well","extra":{}{}}}"#, "[".repeat(10_000), "]".repeat(10_000));
        assert_eq!(one(feature(r#""id":"f","#, &deep)).unwrap().1, "well");
    }

    #[test]
    fn lon_lat_data_becomes_an_earth_world_by_default() {
        let text = r#"{"type":"FeatureCollection","features":[
            {"type":"Feature","id":"fiji","geometry":{"type":"Point","coordinates":[179.99,-16.5]},"properties":{"kind":"well"}},
            {"type":"Feature","id":"pole","geometry":{"type":"Point","coordinates":[0,90]},"properties":{"kind":"well"}}]}"#;
        let (idx, report) = earth(import_geojson(text, ImportOptions::default()).unwrap());
        assert_eq!((idx.len(), report.origin), (2, None));
        let csv = "id,lat,lon,kind,name\nfiji,-16.5,179.99,well,fiji\npole,90,0,well,pole\n";
        let (from_csv, _) = earth(import_csv(csv.as_bytes(), ImportOptions::default()).unwrap());
        let sites = |i: &EarthIndex| {
            let mut v: Vec<(String, LonLat)> = i.iter().map(|s| (s.id.to_owned(), s.pos)).collect();
            v.sort_by(|a, b| a.0.cmp(&b.0));
            v
        };
        assert_eq!(sites(&from_csv), sites(&idx));
        let long = "id,longitude,latitude,kind,name\na,-21.94,64.15,well,A\n";
        assert_eq!(earth(import_csv(long.as_bytes(), ImportOptions::default()).unwrap()).0.len(), 1);
        let (projected, report) = planar(import_csv(long.as_bytes(), local()).unwrap());
        assert_eq!((projected.len(), report.origin), (1, Some(LonLat::new(-21.94, 64.15))));
    }

    #[test]
    fn lon_lat_rows_out_of_range_are_refused_with_the_likely_cause() {
        let swapped = "id,lon,lat,kind,name\na,35.6,139.7,well,A\n";
        let err = import_csv(swapped.as_bytes(), ImportOptions::default()).unwrap_err();
        assert_eq!(err.to_string(), "line 2: lat 139.7 is not in -90..=90 (lon, lat in that order?)");
        let both = "id,x,y,lon,lat,kind,name\n";
        assert!(import_csv(both.as_bytes(), ImportOptions::default()).unwrap_err().to_string().contains("keep one"));
        let options =
            ImportOptions { projection: Some(Projection::Earth), origin: Some(LonLat::new(0.0, 0.0)), lenient: false };
        assert_eq!(import_csv(swapped.as_bytes(), options).unwrap_err().path().as_deref(), Some("options.origin"));
        assert_eq!(import_csv(CSV.as_bytes(), local()).unwrap_err().path().as_deref(), Some("options.projection"));
    }
}
