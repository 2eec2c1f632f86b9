//! Hunt generation and templates.

use crate::convert::{coded, parse, read_doc, to_js, JsResult};
use crate::world::{integer, World};
use wasm_bindgen::prelude::*;
use xmarks::hunt::view::commitment;
use xmarks::{Hunt, HuntError, Player, Seeds, Site, Template};

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

/// What `hunt`'s player may see of it, as canonical JSON (the golden vectors' bytes): clues, dig
/// radii and rewards, each stage's site replaced by a commitment under `salt` (a secret of the
/// game's), and the first `found` stages' sites shown. `playerView` in the package's module
/// parses it. Text, not an object, so that the view costs no deserialiser in the wasm.
#[wasm_bindgen(js_name = playerViewJson)]
pub fn player_view_json(
    #[wasm_bindgen(unchecked_param_type = "Hunt | string")] hunt: JsValue,
    salt: &str,
    found: f64,
) -> JsResult<String> {
    let found = integer(found, "found", u64::from(u32::MAX))? as u32;
    Ok(read_hunt(&hunt)?.player_view(salt, found).canonical_json())
}

/// The commitment to `site` under `salt`, to check a view's stage once the salt is revealed.
#[wasm_bindgen(js_name = stageCommitment)]
pub fn stage_commitment(salt: &str, #[wasm_bindgen(unchecked_param_type = "Site")] site: JsValue) -> JsResult<String> {
    let site: Site = parse(&site, "site")?;
    Ok(commitment(salt, &site))
}

fn read_template(template: &JsValue) -> JsResult<Template> {
    read_doc(template, "template", |text| Template::from_json(text).map_err(|e| coded(&HuntError::from(e))))
}

/// A hunt from JS, its fingerprint checked.
pub(crate) fn read_hunt(hunt: &JsValue) -> JsResult<Hunt> {
    read_doc(hunt, "hunt", |text| Hunt::from_json(text).map_err(|e| coded(&e)))
}
