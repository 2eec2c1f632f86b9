//! Any bytes as a CSV import and any text as a GeoJSON import, strict and lenient: no panic, and
//! what imports has an index that answers queries.
#![no_main]
use libfuzzer_sys::fuzz_target;
use xmarks::index::KindFilter;
use xmarks::{import_csv, import_geojson, Bounds, ImportOptions, Point};

fuzz_target!(|data: &[u8]| {
    for lenient in [false, true] {
        let options = ImportOptions { lenient, origin: None };
        let csv = import_csv(data, options.clone());
        let geojson = std::str::from_utf8(data).ok().map(|text| import_geojson(text, options));
        for (index, report) in csv.into_iter().chain(geojson.into_iter().flatten()) {
            assert_eq!(index.len() as u64, report.imported);
            let all = Bounds { min: Point::new(-2e9, -2e9), max: Point::new(2e9, 2e9) };
            assert_eq!(index.in_box(all, &KindFilter::all()).count(), index.len());
            let _ = index.digest();
        }
    }
});
