//! Hunt generation and templates.

use crate::convert::{coded, json_text, parse, to_js, JsResult};
use crate::world::{integer, World};
use wasm_bindgen::prelude::*;
use xmarks::{Hunt, HuntError, Player, Seeds, Template};

/// Generates `player`'s hunt from a template on a world: the same bytes on every target.
#[wasm_bindgen(js_name = generateHunt, unchecked_return_type = "Hunt")]
pub fn generate_hunt(
    world: &World,
    #[wasm_bindgen(unchecked_param_type = "TemplateInput | string")] template: JsValue,
    #[wasm_bindgen(unchecked_param_type = "Seeds")] seeds: JsValue,
    #[wasm_bindgen(unchecked_param_type = "Player")] player: JsValue,
) -> JsResult<JsValue> {
    let template = read_template(&template)?;
    let seeds: Seeds = parse(&seeds, "seeds")?;
    let player: Player = parse(&player, "player")?;
    let hunt = xmarks::generate(&world.inner, &template, &seeds, &player).map_err(|e| coded(&e))?;
    to_js(&hunt)
}

/// Validates a template and returns it with every default filled in.
#[wasm_bindgen(js_name = parseTemplate, unchecked_return_type = "Template")]
pub fn parse_template(
    #[wasm_bindgen(unchecked_param_type = "TemplateInput | string")] template: JsValue,
) -> JsResult<JsValue> {
    to_js(&read_template(&template)?)
}

/// A hunt's canonical JSON (the golden vectors' bytes), after checking its fingerprint.
#[wasm_bindgen(js_name = canonicalHuntJson)]
pub fn canonical_hunt_json(#[wasm_bindgen(unchecked_param_type = "Hunt | string")] hunt: JsValue) -> JsResult<String> {
    Ok(read_hunt(&hunt)?.canonical_json())
}

/// The events of a player who walks straight to every stage at the template's speed and digs on
/// the spot: for demos and tests.
#[wasm_bindgen(unchecked_return_type = "GameEvent[]")]
pub fn walkthrough(
    #[wasm_bindgen(unchecked_param_type = "Hunt | string")] hunt: JsValue,
    #[wasm_bindgen(js_name = startedMs)] started_ms: f64,
) -> JsResult<JsValue> {
    let started_ms = integer(started_ms, "startedMs", xmarks::limits::MAX_SEED)?;
    to_js(&xmarks::session::script::walkthrough(&read_hunt(&hunt)?, started_ms))
}

fn read_template(template: &JsValue) -> JsResult<Template> {
    Template::from_json(&json_text(template, "template")?).map_err(|e| coded(&HuntError::from(e)))
}

/// A hunt from JS, its fingerprint checked.
pub(crate) fn read_hunt(hunt: &JsValue) -> JsResult<Hunt> {
    Hunt::from_json(&json_text(hunt, "hunt")?).map_err(|e| coded(&e))
}
