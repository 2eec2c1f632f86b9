//! The WebAssembly binding of xmarks, published to npm as `xmarks`.
//!
//! Thin by rule: every export converts its arguments, calls the core and converts the result. Game
//! logic lives in the core, so native and wasm cannot disagree. Structured inputs arrive as JS
//! objects (or JSON text) and are read by the core's own JSON parsers, so validation, limits and
//! error messages are the same bytes on every target; outputs are plain objects with the
//! fields of the canonical JSON in its order, and bulk data (site positions, terrain) typed arrays. Every failure is thrown as an `Error`
//! with a stable `code` (see `XmarksError` in the TypeScript types).

mod binary;
mod convert;
mod hunt;
mod logic;
mod rules;
mod session;
mod world;

pub use hunt::{
    canonical_hunt_json, generate_hunt, generate_team_hunt, parse_template, team_walkthrough, walkthrough, HuntHandle,
};
pub use logic::{apply_logic, CompiledLogic};
pub use rules::{check_rules, Rules};
pub use session::{replay, Session};
pub use world::World;

use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &str = include_str!("types.d.ts");

/// The engine's version strings: what hunts and session logs are stamped with.
#[wasm_bindgen(unchecked_return_type = "{ generator: string; session: string; teamSession: string; view: string }")]
pub fn versions() -> JsValue {
    convert::to_js(&serde_json::json!({
        "generator": xmarks::hunt::GENERATOR,
        "session": xmarks::session::SESSION_VERSION,
        "teamSession": xmarks::session::TEAM_SESSION_VERSION,
        "view": xmarks::hunt::view::VIEW,
    }))
    .unwrap_or(JsValue::NULL)
}
