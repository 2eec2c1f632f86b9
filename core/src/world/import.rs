//! Imported worlds: real points of interest from CSV or GeoJSON, into a [`SiteIndex`].
//!
//! A malformed row or feature is reported with its line or index. By default the first one fails
//! the import; [`ImportOptions::lenient`] skips and counts them instead (keeping the first few
//! reasons). Duplicate ids are malformed too: the first occurrence wins in lenient mode.

use crate::error::Coded;
use crate::geom::Point;
use crate::index::{IndexError, SiteIndex, SiteIndexBuilder};
pub use crate::limits::MAX_IMPORT_SITES;
use crate::site::{check_site, SiteRef};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

/// How many skipped rows a lenient import describes; the rest are only counted.
const MAX_REPORTED: usize = 100;

/// Mean Earth radius (IUGG), metres.
const EARTH_RADIUS: f64 = 6_371_008.8;

/// A longitude and latitude in degrees (WGS 84).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LonLat {
    pub lon: f64,
    pub lat: f64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ImportOptions {
    /// Skip and count malformed rows instead of failing.
    pub lenient: bool,
    /// GeoJSON projection centre; by default the centre of the points' bounding box (which does not
    /// depend on feature order).
    pub origin: Option<LonLat>,
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
    /// The projection centre used (GeoJSON only).
    pub origin: Option<LonLat>,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ImportError {
    #[error("{at}: {reason}")]
    Malformed { at: String, reason: String },
    #[error("{0}")]
    Format(String),
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
            ImportError::TooLarge => "import_too_large",
            ImportError::Index(_) => "import_too_large",
        }
    }

    fn path(&self) -> Option<String> {
        match self {
            ImportError::Malformed { at, .. } => Some(at.clone()),
            _ => None,
        }
    }
}

/// How far an import has come, for a progress bar: `done` of `total` (bytes of CSV, features of
/// GeoJSON) while reading, then the index is built.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Progress {
    pub phase: Phase,
    pub done: u64,
    pub total: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    Reading,
    Indexing,
}

/// Rows or features between two progress reports.
const PROGRESS_EVERY: usize = 8192;

/// Whether an import may hold `count` sites.
pub fn within_site_limit(count: u64) -> Result<(), ImportError> {
    if count > MAX_IMPORT_SITES {
        Err(ImportError::TooLarge)
    } else {
        Ok(())
    }
}

/// Collects rows, enforcing strict or lenient handling of bad ones in one place.
struct Intake {
    options: ImportOptions,
    builder: SiteIndexBuilder,
    /// Where each pushed site came from, for duplicate reports.
    origins: Vec<String>,
    skipped: u64,
    problems: Vec<ImportProblem>,
}

impl Intake {
    fn new(options: ImportOptions) -> Self {
        Self { options, builder: SiteIndexBuilder::new(), origins: Vec::new(), skipped: 0, problems: Vec::new() }
    }

    fn reject(&mut self, at: String, reason: String) -> Result<(), ImportError> {
        if !self.options.lenient {
            return Err(ImportError::Malformed { at, reason });
        }
        self.skipped += 1;
        if self.problems.len() < MAX_REPORTED {
            self.problems.push(ImportProblem { at, reason });
        }
        Ok(())
    }

    fn push(&mut self, at: String, site: SiteRef<'_>) -> Result<(), ImportError> {
        if let Err(reason) = check_site(site.id, site.pos, site.kind, site.name, site.weight) {
            return self.reject(at, reason);
        }
        within_site_limit(self.builder.len() as u64 + 1)?;
        self.builder.push(site)?;
        self.origins.push(at);
        Ok(())
    }

    fn finish(mut self, origin: Option<LonLat>) -> Result<(SiteIndex, ImportReport), ImportError> {
        let dups = self.builder.duplicate_slots();
        for &slot in &dups {
            let at = std::mem::take(&mut self.origins[slot as usize]);
            self.reject(at, "duplicate id (an earlier row has the same id)".into())?;
        }
        let index = self.builder.build_without(&dups);
        let report =
            ImportReport { imported: index.len() as u64, skipped: self.skipped, problems: self.problems, origin };
        Ok((index, report))
    }
}

/// Imports CSV with a header naming the columns `id,x,y,kind,name` and optionally `weight`
/// (in any order; an empty weight is 1). Coordinates are metres on the world plane.
pub fn import_csv(bytes: &[u8], options: ImportOptions) -> Result<(SiteIndex, ImportReport), ImportError> {
    import_csv_with_progress(bytes, options, &mut |_| {})
}

/// [`import_csv`], reporting its progress to `progress` every few thousand rows.
pub fn import_csv_with_progress(
    bytes: &[u8],
    options: ImportOptions,
    progress: &mut dyn FnMut(Progress),
) -> Result<(SiteIndex, ImportReport), ImportError> {
    let mut reader = csv::ReaderBuilder::new().has_headers(true).flexible(true).from_reader(bytes);
    let headers = reader.byte_headers().map_err(|e| ImportError::Format(format!("line 1: {e}")))?.clone();
    let column = |name: &str| headers.iter().position(|h| h == name.as_bytes());
    let cols = ["id", "x", "y", "kind", "name"].map(column);
    let weight_col = column("weight");
    let [Some(id_c), Some(x_c), Some(y_c), Some(kind_c), Some(name_c)] = cols else {
        return Err(ImportError::Format(
            "line 1: header must name the columns id,x,y,kind,name (and optionally weight)".into(),
        ));
    };
    let mut intake = Intake::new(options);
    let mut record = csv::ByteRecord::new();
    let total = bytes.len() as u64;
    for row in 0.. {
        if row % PROGRESS_EVERY == 0 {
            progress(Progress { phase: Phase::Reading, done: reader.position().byte(), total });
        }
        let line = reader.position().line() + 1;
        match reader.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                intake.reject(format!("line {line}"), e.to_string())?;
                continue;
            }
        }
        let at = format!("line {}", record.position().map_or(line, |p| p.line()));
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
            let weight = match weight_col.map(|c| field(c, "weight")).transpose()?.map(str::trim) {
                None | Some("") => 1.0,
                Some(_) => number(weight_col.expect("checked"), "weight")?,
            };
            Ok::<_, String>((
                field(id_c, "id")?,
                Point::new(number(x_c, "x")?, number(y_c, "y")?),
                field(kind_c, "kind")?,
                field(name_c, "name")?,
                weight,
            ))
        })();
        match parsed {
            Ok((id, pos, kind, name, weight)) => intake.push(at, SiteRef { id, pos, kind, name, weight })?,
            Err(reason) => intake.reject(at, reason)?,
        }
    }
    progress(Progress { phase: Phase::Indexing, done: total, total });
    intake.finish(None)
}

#[derive(Deserialize)]
struct Collection<'a> {
    #[serde(rename = "type")]
    kind: String,
    #[serde(borrow)]
    features: Vec<&'a RawValue>,
}

#[derive(Deserialize)]
struct Feature {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    id: Option<serde_json::Value>,
    geometry: Option<Geometry>,
    #[serde(default)]
    properties: Option<serde_json::Map<String, serde_json::Value>>,
}

#[derive(Deserialize)]
struct Geometry {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    coordinates: serde_json::Value,
}

struct GeoPoint {
    at: String,
    lonlat: LonLat,
    id: String,
    kind: String,
    name: String,
    weight: f64,
}

fn text_of(v: &serde_json::Value) -> Option<String> {
    match v {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
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
    let id =
        f.id.as_ref().or_else(|| props.get("id")).and_then(text_of).ok_or("no id (feature id or properties.id)")?;
    let kind = ["kind", "amenity", "tourism", "historic"]
        .iter()
        .find_map(|k| props.get(*k).and_then(serde_json::Value::as_str))
        .ok_or("no properties.kind")?
        .to_owned();
    let name = props.get("name").and_then(serde_json::Value::as_str).map_or_else(|| id.clone(), str::to_owned);
    let weight = match props.get("weight") {
        None | Some(serde_json::Value::Null) => 1.0,
        Some(w) => w.as_f64().ok_or("properties.weight is not a number")?,
    };
    Ok(GeoPoint { at: String::new(), lonlat: LonLat { lon, lat }, id, kind, name, weight })
}

/// Projects lon/lat to metres around `origin` (equirectangular, exact to a few metres over tens of
/// kilometres), rounded to millimetres. `libm` keeps the cosine identical on every target.
pub fn project(p: LonLat, origin: LonLat) -> Point {
    let k = EARTH_RADIUS * core::f64::consts::PI / 180.0;
    let x = (p.lon - origin.lon) * k * libm::cos(origin.lat.to_radians());
    let y = (p.lat - origin.lat) * k;
    Point::new(libm::round(x * 1000.0) / 1000.0, libm::round(y * 1000.0) / 1000.0)
}

/// Imports a GeoJSON `FeatureCollection` of `Point` features. Each feature needs an id (the
/// feature's `id` or `properties.id`) and a kind (`properties.kind`, or OpenStreetMap's `amenity`,
/// `tourism` or `historic`); `properties.name` and `properties.weight` are optional.
pub fn import_geojson(text: &str, options: ImportOptions) -> Result<(SiteIndex, ImportReport), ImportError> {
    import_geojson_with_progress(text, options, &mut |_| {})
}

/// [`import_geojson`], reporting its progress to `progress` every few thousand features.
pub fn import_geojson_with_progress(
    text: &str,
    options: ImportOptions,
    progress: &mut dyn FnMut(Progress),
) -> Result<(SiteIndex, ImportReport), ImportError> {
    let coll: Collection<'_> = serde_json::from_str(text).map_err(|e| ImportError::Format(format!("GeoJSON: {e}")))?;
    if coll.kind != "FeatureCollection" {
        return Err(ImportError::Format(format!("GeoJSON: type is {:?}, expected \"FeatureCollection\"", coll.kind)));
    }
    within_site_limit(coll.features.len() as u64)?;
    let mut intake = Intake::new(options);
    let mut points = Vec::with_capacity(coll.features.len());
    let total = coll.features.len() as u64;
    for (i, raw) in coll.features.iter().enumerate() {
        if i % PROGRESS_EVERY == 0 {
            progress(Progress { phase: Phase::Reading, done: i as u64, total });
        }
        match read_feature(raw) {
            Ok(mut p) => {
                p.at = format!("features[{i}]");
                points.push(p);
            }
            Err(reason) => intake.reject(format!("features[{i}]"), reason)?,
        }
    }
    let origin = intake.options.origin.or_else(|| {
        let (mut lo, mut hi) = (LonLat { lon: 180.0, lat: 90.0 }, LonLat { lon: -180.0, lat: -90.0 });
        for p in &points {
            lo = LonLat { lon: lo.lon.min(p.lonlat.lon), lat: lo.lat.min(p.lonlat.lat) };
            hi = LonLat { lon: hi.lon.max(p.lonlat.lon), lat: hi.lat.max(p.lonlat.lat) };
        }
        (!points.is_empty()).then(|| LonLat { lon: (lo.lon + hi.lon) / 2.0, lat: (lo.lat + hi.lat) / 2.0 })
    });
    progress(Progress { phase: Phase::Indexing, done: total, total });
    let origin_point = origin.unwrap_or(LonLat { lon: 0.0, lat: 0.0 });
    for p in points {
        let pos = project(p.lonlat, origin_point);
        intake.push(p.at, SiteRef { id: &p.id, pos, kind: &p.kind, name: &p.name, weight: p.weight })?;
    }
    intake.finish(origin)
}

#[cfg(test)]
mod tests {
    use super::*;

    const CSV: &str = "id,x,y,kind,name,weight\na,0,0,well,Old Well,1\nb,10.5,-3,cave,Dark Cave,\n";

    #[test]
    fn progress_is_reported_in_order_and_changes_nothing() {
        let mut csv = String::from("id,x,y,kind,name\n");
        for i in 0..20_000 {
            csv.push_str(&format!("s{i},{i},0,well,Well {i}\n"));
        }
        let mut seen = Vec::new();
        let (idx, _) =
            import_csv_with_progress(csv.as_bytes(), ImportOptions::default(), &mut |p| seen.push(p)).unwrap();
        assert_eq!(idx.digest(), import_csv(csv.as_bytes(), ImportOptions::default()).unwrap().0.digest());
        assert!(seen.len() >= 3, "{seen:?}");
        assert!(seen.windows(2).all(|w| w[0].done <= w[1].done));
        assert_eq!(
            *seen.last().unwrap(),
            Progress { phase: Phase::Indexing, done: csv.len() as u64, total: csv.len() as u64 }
        );
    }

    #[test]
    fn csv_imports_rows() {
        let (idx, report) = import_csv(CSV.as_bytes(), ImportOptions::default()).unwrap();
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
        let (idx, report) = import_csv(bad.as_bytes(), lenient).unwrap();
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
    fn geojson_projects_points_around_the_bbox_centre() {
        let text = r#"{"type":"FeatureCollection","features":[
            {"type":"Feature","id":"n1","geometry":{"type":"Point","coordinates":[2.0,48.0]},"properties":{"kind":"well","name":"A"}},
            {"type":"Feature","geometry":{"type":"Point","coordinates":[2.02,48.01]},"properties":{"id":7,"amenity":"fountain"}}]}"#;
        let (idx, report) = import_geojson(text, ImportOptions::default()).unwrap();
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
        let lenient = ImportOptions { lenient: true, ..ImportOptions::default() };
        assert_eq!(import_geojson(text, lenient).unwrap().1.skipped, 1);
        assert!(matches!(import_geojson("{", ImportOptions::default()), Err(ImportError::Format(_))));
    }
}
