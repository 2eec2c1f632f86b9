//! Any bytes as a CSV import and any text as a GeoJSON import, strict and lenient, onto the Earth
//! and projected: no panic, and what imports is a world that answers queries.
#![no_main]
use libfuzzer_sys::fuzz_target;
use xmarks::world::import::Projection;
use xmarks::{import_csv, import_geojson, Bounds, ImportOptions, Point, Space, World};

fuzz_target!(|data: &[u8]| {
    for (lenient, projection) in [(false, None), (true, None), (true, Some(Projection::Local))] {
        let options = ImportOptions { lenient, projection, origin: None };
        let csv = import_csv(data, options.clone());
        let geojson = std::str::from_utf8(data).ok().map(|text| import_geojson(text, options));
        for (world, report) in csv.into_iter().chain(geojson.into_iter().flatten()) {
            assert_eq!(world.site_count(), Some(report.imported));
            let all = match world.space() {
                Space::Plane => Bounds { min: Point::new(-1e9, -1e9), max: Point::new(1e9, 1e9) },
                Space::Earth => Bounds { min: Point::new(-180.0, -90.0), max: Point::new(180.0, 90.0) },
            };
            assert_eq!(world.sites_in(all).expect("the whole world").len() as u64, report.imported);
            assert!(matches!(world, World::Imported(_) | World::Earth(_)));
        }
    }
});
