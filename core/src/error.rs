//! What every error of the engine tells a program: a stable code, where, and why (its `Display`).

/// An error with a stable machine-readable code and, when it is one place, a path: a JSON path
/// (`leg.max`, `rules[2].when`), a CSV line (`line 12`) or a GeoJSON feature (`features[3]`).
/// The JS binding turns these into the `code` and `path` of the `Error`s it throws.
pub trait Coded: std::error::Error {
    /// A `snake_case` code that does not change between releases.
    fn code(&self) -> &'static str;

    /// Where the problem is, when it is in one place.
    fn path(&self) -> Option<String> {
        None
    }
}
