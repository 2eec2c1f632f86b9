//! Hunt generation and templates.

use crate::convert::{coded, parse, read_doc, to_js, JsResult};
use crate::world::{integer, World};
use std::cell::RefCell;
use wasm_bindgen::prelude::*;
use xmarks::hunt::view::commitment;
use xmarks::session::PlayableHunt;
use xmarks::{Hunt, HuntError, Player, Seeds, Site, Team, Template};

/// A hunt held in wasm memory, read and fingerprinted once. The package's `Hunt` class
/// (wasm/npm/xmarks.js) wraps one beside the hunt's plain data, so that sessions, views and
/// walkthroughs take it as it is instead of reading the hunt's JSON again.
#[wasm_bindgen(js_name = __HuntHandle, skip_typescript)]
pub struct HuntHandle(RefCell<Held>);

/// A hunt as generated, until the first session on it makes it playable (computing its facts
/// costs more than a session's opening otherwise does, and most generated hunts in a benchmark or
/// a server's lobby are never played here).
enum Held {
    Hunt(Box<Hunt>),
    Playable(PlayableHunt),
}

impl HuntHandle {
    /// A hunt as generated or read: made playable when a session first opens on it.
    fn held(hunt: Hunt) -> HuntHandle {
        HuntHandle(RefCell::new(Held::Hunt(Box::new(hunt))))
    }

    /// A hunt being played.
    pub(crate) fn playing(hunt: PlayableHunt) -> HuntHandle {
        HuntHandle(RefCell::new(Held::Playable(hunt)))
    }

    fn with<T>(&self, f: impl FnOnce(&Hunt) -> T) -> T {
        match &*self.0.borrow() {
            Held::Hunt(hunt) => f(hunt),
            Held::Playable(playable) => f(playable.hunt()),
        }
    }

    /// The hunt, made playable the first time.
    pub(crate) fn playable(&self) -> PlayableHunt {
        let mut held = self.0.borrow_mut();
        match &*held {
            Held::Playable(playable) => playable.clone(),
            Held::Hunt(hunt) => {
                let playable = PlayableHunt::new(Hunt::clone(hunt));
                *held = Held::Playable(playable.clone());
                playable
            }
        }
    }
}

#[wasm_bindgen(js_class = __HuntHandle)]
impl HuntHandle {
    /// A hunt from JS (an object or its JSON text), its fingerprint checked.
    pub fn read(hunt: JsValue) -> JsResult<HuntHandle> {
        Ok(HuntHandle::held(read_hunt(&hunt)?))
    }

    /// The hunt as plain objects.
    pub fn data(&self) -> JsResult<JsValue> {
        self.with(to_js)
    }

    #[wasm_bindgen(js_name = canonicalJson)]
    pub fn canonical_json(&self) -> String {
        self.with(Hunt::canonical_json)
    }

    pub fn walkthrough(&self, started_ms: f64) -> JsResult<JsValue> {
        let started_ms = integer(started_ms, "startedMs", xmarks::limits::MAX_SEED)?;
        self.with(|hunt| to_js(&xmarks::session::script::walkthrough(hunt, started_ms)))
    }

    #[wasm_bindgen(js_name = teamWalkthrough)]
    pub fn team_walkthrough(&self, started_ms: f64) -> JsResult<JsValue> {
        let started_ms = integer(started_ms, "startedMs", xmarks::limits::MAX_SEED)?;
        self.with(|hunt| to_js(&xmarks::session::script::team_walkthrough(hunt, started_ms)))
    }

    #[wasm_bindgen(js_name = playerViewJson)]
    pub fn player_view_json(&self, salt: &str, found: f64) -> JsResult<String> {
        let found = integer(found, "found", u64::from(u32::MAX))? as u32;
        Ok(self.with(|hunt| hunt.player_view(salt, found).canonical_json()))
    }
}

/// Generates `player`'s hunt from a template on a world: the same bytes on every target.
// The package's module wraps the handle in a `Hunt`.
#[wasm_bindgen(js_name = generateHunt, unchecked_return_type = "Hunt")]
pub fn generate_hunt(
    world: &World,
    #[wasm_bindgen(unchecked_param_type = "TemplateInput | string")] template: JsValue,
    #[wasm_bindgen(unchecked_param_type = "Seeds")] seeds: JsValue,
    #[wasm_bindgen(unchecked_param_type = "Player")] player: JsValue,
) -> JsResult<HuntHandle> {
    let template = read_template(&template)?;
    let seeds: Seeds = parse(&seeds, "seeds", Seeds::from_json)?;
    let player: Player = parse(&player, "player", Player::from_json)?;
    let hunt = xmarks::generate(&world.inner, &template, &seeds, &player).map_err(|e| coded(&e))?;
    Ok(HuntHandle::held(hunt))
}

/// Generates `team`'s hunt from a template that allows teams (`max_team`): one hunt the members play
/// together in one session, the same bytes on every target.
// The package's module wraps the handle in a `Hunt`.
#[wasm_bindgen(js_name = generateTeamHunt, unchecked_return_type = "Hunt")]
pub fn generate_team_hunt(
    world: &World,
    #[wasm_bindgen(unchecked_param_type = "TemplateInput | string")] template: JsValue,
    #[wasm_bindgen(unchecked_param_type = "Seeds")] seeds: JsValue,
    #[wasm_bindgen(unchecked_param_type = "Team")] team: JsValue,
) -> JsResult<HuntHandle> {
    let template = read_template(&template)?;
    let seeds: Seeds = parse(&seeds, "seeds", Seeds::from_json)?;
    let team: Team = parse(&team, "team", Team::from_json)?;
    let hunt = xmarks::generate_team(&world.inner, &template, &seeds, &team).map_err(|e| coded(&e))?;
    Ok(HuntHandle::held(hunt))
}

/// A team's scripted play of its hunt: the members walk each leg side by side and take turns to
/// dig (member `i % n` digs stage `i`). For demos and tests.
#[wasm_bindgen(js_name = teamWalkthrough, unchecked_return_type = "GameEvent[]")]
pub fn team_walkthrough(
    #[wasm_bindgen(unchecked_param_type = "HuntData | string")] hunt: JsValue,
    #[wasm_bindgen(js_name = startedMs)] started_ms: f64,
) -> JsResult<JsValue> {
    let started_ms = integer(started_ms, "startedMs", xmarks::limits::MAX_SEED)?;
    to_js(&xmarks::session::script::team_walkthrough(&read_hunt(&hunt)?, started_ms))
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
pub fn canonical_hunt_json(
    #[wasm_bindgen(unchecked_param_type = "HuntData | string")] hunt: JsValue,
) -> JsResult<String> {
    Ok(read_hunt(&hunt)?.canonical_json())
}

/// The events of a player who walks straight to every stage at the template's speed and digs on
/// the spot: for demos and tests.
#[wasm_bindgen(unchecked_return_type = "GameEvent[]")]
pub fn walkthrough(
    #[wasm_bindgen(unchecked_param_type = "HuntData | string")] hunt: JsValue,
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
    #[wasm_bindgen(unchecked_param_type = "HuntData | string")] hunt: JsValue,
    salt: &str,
    found: f64,
) -> JsResult<String> {
    let found = integer(found, "found", u64::from(u32::MAX))? as u32;
    Ok(read_hunt(&hunt)?.player_view(salt, found).canonical_json())
}

/// The commitment to `site` under `salt`, to check a view's stage once the salt is revealed.
#[wasm_bindgen(js_name = stageCommitment)]
pub fn stage_commitment(salt: &str, #[wasm_bindgen(unchecked_param_type = "Site")] site: JsValue) -> JsResult<String> {
    let site: Site = parse(&site, "site", Site::from_json)?;
    Ok(commitment(salt, &site))
}

fn read_template(template: &JsValue) -> JsResult<Template> {
    read_doc(template, "template", |text| Template::from_json(text).map_err(|e| coded(&HuntError::from(e))))
}

/// A hunt from JS, its fingerprint checked.
pub(crate) fn read_hunt(hunt: &JsValue) -> JsResult<Hunt> {
    read_doc(hunt, "hunt", |text| Hunt::from_json(text).map_err(|e| coded(&e)))
}
