//! The engine's small inputs read from JSON text: `Seeds::from_json`, `Player::from_json`, ...
//!
//! serde_json's reading of each, compiled in this crate. A binding that reads its arguments
//! through these rather than through `serde_json::from_str` of its own carries no second copy of
//! the JSON parser and the types' visitors (generic code is compiled once per crate that uses it:
//! 70 KB of the wasm package before).

use crate::hunt::{Player, Seeds, Team};
use crate::world::import::ImportOptions;
use crate::{Bounds, Position, Site, WorldConfig};

macro_rules! from_json {
    ($($t:ty),*) => {$(
        impl $t {
            /// Reads one from JSON text, as its `Deserialize` does.
            pub fn from_json(text: &str) -> Result<$t, serde_json::Error> {
                serde_json::from_str(text)
            }
        }
    )*};
}

from_json!(Seeds, Player, Team, Site, WorldConfig, ImportOptions, Position, Bounds);
