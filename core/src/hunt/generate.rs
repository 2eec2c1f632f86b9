//! Hunt generation.
//!
//! 1. Candidates are the unfound sites of an allowed kind within the search radius. Each gets an
//!    Efraimidis-Spirakis key `-ln(u) / weight` with `u` from `hash(hunt seed, site id)`, so the
//!    order of candidates depends only on the sites, never on how the index was built. The weight
//!    is the site's, times the player's interest in its kind when they named one.
//! 2. Stages are placed one after the other, each taking the first candidate in key order that fits
//!    its kinds, lies within the leg range of the previous stage (the start for the first) and keeps
//!    the spacing from every placed stage. A dead end backtracks, within a fixed budget of tries.
//!    The route is the order of placement.
//! 3. Each stage gets a clue (coordinates at difficulty 1; otherwise a landmark or the previous
//!    stage, chosen by hash among the template's styles), a dig radius and a reward.
//!
//! Every distance is in metres and every bearing from north, measured through [`Position`]:
//! straight lines on planar worlds, geodesics (and true north) on Earth worlds.
//!
//! Seed derivation (frozen): `hunt seed = hash(hash(mix2(mix2(game, round), level), player id),
//! template id)`; sub-choices use `mix2(hunt seed, salt)`. No stream RNG is involved, so no choice
//! depends on how many draws came before it.

use super::clue::{bearing_and_band, Clue, Landmark, Pointer};
use super::template::{ClueStyle, Template, MAX_NAME_LEN};
use super::{Hunt, HuntBody, HuntError, Player, Reward, Seeds, Stage, GENERATOR, MAX_FOUND, MAX_INTERESTS, MAX_LEVEL};
use crate::hash::{below, hash_str, mix2, unit_open};
use crate::position::{Position, Space};
use crate::site::SiteRef;
use crate::world::procedural::MAX_SEED;
use crate::world::{Region, World};
use std::collections::HashSet;

/// Most candidate tests the stage search makes before giving up.
const SEARCH_BUDGET: u32 = 200_000;

/// Distance from a stage, in metres, within which its landmark is chosen, by difficulty 2 to 5:
/// harder hunts measure from further away.
const LANDMARK_RING: [(f64, f64); 4] = [(30.0, 300.0), (80.0, 500.0), (200.0, 800.0), (350.0, 1200.0)];

const SALT_STYLE: u64 = 0x7374_796c;
const SALT_LANDMARK: u64 = 0x6c61_6e64;

/// Which stages admit each kind, and the player's interest in it, worked out once per distinct
/// kind.
struct KindTable<'t> {
    allowed: Vec<&'t [String]>,
    player: &'t Player,
    /// Kinds seen so far with their masks and interests; worlds have few distinct kinds.
    seen: Vec<(String, u64, f64)>,
}

impl<'t> KindTable<'t> {
    fn new(template: &'t Template, player: &'t Player) -> Self {
        Self {
            allowed: (0..template.stages as usize).map(|i| template.kinds_at(i)).collect(),
            player,
            seen: Vec::new(),
        }
    }

    /// Bit i of the mask is set when `kind` is allowed at stage i; the factor multiplies its
    /// sites' weights.
    fn of(&mut self, kind: &str) -> (u64, f64) {
        if let Some((_, mask, factor)) = self.seen.iter().find(|(k, _, _)| k == kind) {
            return (*mask, *factor);
        }
        let mask = self
            .allowed
            .iter()
            .enumerate()
            .filter(|(_, kinds)| kinds.is_empty() || kinds.iter().any(|k| k == kind))
            .fold(0u64, |mask, (i, _)| mask | 1 << i);
        let factor = self.player.interests.get(kind).copied().unwrap_or(1.0);
        self.seen.push((kind.to_owned(), mask, factor));
        (mask, factor)
    }
}

#[derive(Clone, Copy)]
struct Candidate<'r> {
    site: SiteRef<'r, Position>,
    key: f64,
    /// Bit i is set when the site's kind is allowed at stage i.
    stages: u64,
}

fn input(path: &str, reason: impl Into<String>) -> HuntError {
    HuntError::Input { path: path.into(), reason: reason.into() }
}

fn check_inputs(world: &World, template: &Template, seeds: &Seeds, player: &Player) -> Result<(), HuntError> {
    template.validate()?;
    for (path, v) in [("seeds.game", seeds.game), ("seeds.round", seeds.round)] {
        if v > MAX_SEED {
            return Err(input(path, format!("{v} is above 2^53 - 1")));
        }
    }
    if player.id.is_empty() || player.id.len() > MAX_NAME_LEN {
        return Err(input("player.id", format!("must be 1 to {MAX_NAME_LEN} bytes")));
    }
    match (world.space(), player.start.check_in(world.space())) {
        (_, Ok(())) => {}
        (Space::Plane, Err(_)) if player.start.space() == Space::Plane => {
            return Err(input("player.start", "is not a finite point within 1e9 m"));
        }
        (_, Err(reason)) => return Err(input("player.start", reason)),
    }
    if !(1..=MAX_LEVEL).contains(&player.level) {
        return Err(input("player.level", format!("{} is not in 1..={MAX_LEVEL}", player.level)));
    }
    if player.found.len() > MAX_FOUND {
        return Err(input("player.found", format!("has more than {MAX_FOUND} ids")));
    }
    if player.interests.len() > MAX_INTERESTS {
        return Err(input("player.interests", format!("names more than {MAX_INTERESTS} kinds")));
    }
    for (kind, &w) in &player.interests {
        if kind.is_empty() || kind.len() > MAX_NAME_LEN {
            return Err(input("player.interests", format!("a kind must be 1 to {MAX_NAME_LEN} bytes")));
        }
        if !(w.is_finite() && (0.0..=1.0e6).contains(&w)) {
            return Err(input(&format!("player.interests.{kind}"), format!("{w:?} is not in 0..=1000000")));
        }
    }
    let stage_kinds = template.stage_kinds.iter().flat_map(|per_stage| {
        per_stage
            .iter()
            .enumerate()
            .flat_map(|(i, ks)| ks.iter().enumerate().map(move |(j, k)| (format!("stage_kinds[{i}][{j}]"), k)))
    });
    let kinds = template.kinds.iter().enumerate().map(|(i, k)| (format!("kinds[{i}]"), k));
    for (path, kind) in kinds.chain(stage_kinds) {
        if !world.has_kind(kind) {
            let known = world.kinds();
            let known = if known.is_empty() { "no sites".to_owned() } else { format!("kinds {}", known.join(", ")) };
            return Err(HuntError::UnknownKind { path: format!("template.{path}"), kind: kind.clone(), known });
        }
    }
    Ok(())
}

/// The seed every choice of this player's hunt derives from.
fn hunt_seed(seeds: &Seeds, player: &Player, template: &Template) -> u64 {
    let h = mix2(mix2(seeds.game, seeds.round), u64::from(player.level));
    hash_str(hash_str(h, &player.id), &template.id)
}

/// An exponential variate scaled by weight: smaller keys come first.
fn es_key(seed: u64, id: &str, weight: f64) -> f64 {
    -libm::log(unit_open(hash_str(seed, id))) / weight
}

/// Generates `player`'s hunt from `template` on `world`.
pub fn generate(world: &World, template: &Template, seeds: &Seeds, player: &Player) -> Result<Hunt, HuntError> {
    check_inputs(world, template, seeds, player)?;
    let seed = hunt_seed(seeds, player, template);
    let n = template.stages as usize;
    let reach = template.search_radius + LANDMARK_RING[3].1;
    let region = world.region(player.start, reach)?;

    let found: HashSet<&str> = player.found.iter().map(String::as_str).collect();
    let mut kinds = KindTable::new(template, player);
    let mut cands = Vec::new();
    region.for_each_within(player.start, template.search_radius, |site| {
        if site.weight <= 0.0 || (!found.is_empty() && found.contains(site.id)) {
            return;
        }
        let (stages, factor) = kinds.of(site.kind);
        let weight = site.weight * factor;
        if stages != 0 && weight > 0.0 {
            cands.push(Candidate { site, key: es_key(seed, site.id, weight), stages });
        }
    });
    if cands.len() < n {
        return Err(HuntError::NotEnoughSites {
            available: cands.len() as u64,
            needed: template.stages,
            radius: template.search_radius,
            nearest: nearest_beyond(world, template, player, &found),
        });
    }
    // Sort small (key, position) pairs rather than the candidates themselves.
    let mut order: Vec<(f64, u32)> = cands.iter().enumerate().map(|(i, c)| (c.key, i as u32)).collect();
    order.sort_unstable_by(|a, b| {
        a.0.total_cmp(&b.0).then_with(|| cands[a.1 as usize].site.id.cmp(cands[b.1 as usize].site.id))
    });
    let cands: Vec<Candidate<'_>> = order.iter().map(|&(_, i)| cands[i as usize]).collect();

    let mut search = Search {
        cands: &cands,
        template,
        start: player.start,
        used: vec![false; cands.len()],
        route: Vec::with_capacity(n),
        tries: 0,
        stuck: None,
    };
    if !search.place(0) {
        return Err(search.explain());
    }
    let route: Vec<SiteRef<'_, Position>> = search.route.iter().map(|&i| cands[i].site).collect();
    Ok(Hunt::new(assemble(world, &region, template, seeds, player, seed, &route)))
}

/// On Earth worlds, where the nearest unfound site of the template's kinds is, to say in the error
/// of a start with too few sites around it (in the middle of an ocean, say).
fn nearest_beyond(world: &World, template: &Template, player: &Player, found: &HashSet<&str>) -> Option<String> {
    if world.space() != Space::Earth {
        return None;
    }
    let any_kind = (0..template.stages as usize).any(|i| template.kinds_at(i).is_empty());
    let mut kinds: Vec<String> = if any_kind {
        Vec::new()
    } else {
        (0..template.stages as usize).flat_map(|i| template.kinds_at(i).iter().cloned()).collect()
    };
    kinds.sort();
    kinds.dedup();
    let k = (found.len() + 1).min(1000) as u32;
    let sites = world.nearest(player.start, k, &kinds).ok()?;
    Some(match sites.iter().find(|(_, s)| !found.contains(s.id.as_str()) && s.weight > 0.0) {
        Some((d, s)) if *d >= 10_000.0 => format!("the nearest is {:.1} km from the start ({})", d / 1000.0, s.name),
        Some((d, s)) => format!("the nearest is {:.0} m from the start ({})", d, s.name),
        None => "this world has no other site of those kinds".into(),
    })
}

/// Depth-first placement of stages in key order.
struct Search<'a, 'r> {
    cands: &'a [Candidate<'r>],
    template: &'a Template,
    start: Position,
    used: Vec<bool>,
    route: Vec<usize>,
    tries: u32,
    /// The deepest stage that found no candidate, with the route placed before it.
    stuck: Option<(usize, Vec<usize>)>,
}

impl Search<'_, '_> {
    fn prev(&self) -> Position {
        self.route.last().map_or(self.start, |&i| self.cands[i].site.pos)
    }

    fn place(&mut self, stage: usize) -> bool {
        if stage == self.template.stages as usize {
            return true;
        }
        let prev = self.prev();
        let (leg, spacing) = (&self.template.leg, self.template.spacing);
        for i in 0..self.cands.len() {
            if self.tries >= SEARCH_BUDGET {
                return false;
            }
            self.tries += 1;
            let c = &self.cands[i];
            if self.used[i] || c.stages & (1 << stage) == 0 {
                continue;
            }
            let d = c.site.pos.distance(prev);
            if d < leg.min || d > leg.max {
                continue;
            }
            if self.route.iter().any(|&j| self.cands[j].site.pos.distance(c.site.pos) < spacing) {
                continue;
            }
            self.used[i] = true;
            self.route.push(i);
            if self.place(stage + 1) {
                return true;
            }
            self.route.pop();
            self.used[i] = false;
        }
        if self.stuck.as_ref().is_none_or(|(s, _)| stage > *s) {
            self.stuck = Some((stage, self.route.clone()));
        }
        false
    }

    /// Says what fell short at the deepest stage the search could not fill.
    fn explain(&self) -> HuntError {
        let t = self.template;
        let (stage, route) = self.stuck.clone().unwrap_or((0, Vec::new()));
        let prev = route.last().map_or(self.start, |&i| self.cands[i].site.pos);
        let from = if stage == 0 { "the start".to_owned() } else { format!("stage {stage}") };
        let open: Vec<&Candidate<'_>> = self
            .cands
            .iter()
            .enumerate()
            .filter(|(i, c)| !route.contains(i) && c.stages & (1 << stage) != 0)
            .map(|(_, c)| c)
            .collect();
        let in_leg: Vec<_> =
            open.iter().filter(|c| (t.leg.min..=t.leg.max).contains(&c.site.pos.distance(prev))).collect();
        let mut reason = format!(
            "{} unfound sites of its kinds within {} m of the start, {} of them {}..{} m from {from}",
            open.len(),
            t.search_radius,
            in_leg.len(),
            t.leg.min,
            t.leg.max
        );
        if !in_leg.is_empty() {
            reason.push_str(&format!(", none of those at least {} m from the other stages", t.spacing));
        }
        if self.tries >= SEARCH_BUDGET {
            reason.push_str(&format!(" (search gave up after {SEARCH_BUDGET} tries)"));
        }
        HuntError::Unplaceable { stage: stage as u32 + 1, stages: t.stages, reason }
    }
}

fn assemble(
    world: &World,
    region: &Region<'_>,
    t: &Template,
    seeds: &Seeds,
    player: &Player,
    seed: u64,
    route: &[SiteRef<'_, Position>],
) -> HuntBody {
    let on_route: HashSet<&str> = route.iter().map(|s| s.id).collect();
    let level_bonus = 20 + u64::from(player.level.min(21) - 1);
    let points = u32::try_from(u64::from(t.rewards.points) * level_bonus / 20).unwrap_or(u32::MAX);
    let mut length = 0.0;
    let mut prev = player.start;
    let stages = route
        .iter()
        .enumerate()
        .map(|(i, site)| {
            length += prev.distance(site.pos);
            let pointer = pointer(region, t, seed, i, prev, *site, &on_route);
            prev = site.pos;
            let last = i + 1 == route.len();
            Stage {
                number: i as u32 + 1,
                site: site.to_site(),
                dig_radius: t.effective_dig_radius(),
                clue: Clue::new(pointer, (t.difficulty <= 3).then(|| site.kind.to_owned())),
                reward: Reward { points, item: t.rewards.items.as_ref().and_then(|items| items[i].clone()) },
                treasure: last.then(|| t.rewards.treasure.clone()),
            }
        })
        .collect();
    HuntBody {
        generator: GENERATOR.into(),
        template: t.id.clone(),
        world: world.reference(),
        seeds: *seeds,
        player: player.id.clone(),
        level: player.level,
        start: player.start,
        difficulty: t.difficulty,
        time_limit_s: t.time_limit_s,
        max_speed: t.max_speed,
        length: libm::round(length) as u32,
        stages,
    }
}

fn pointer(
    region: &Region<'_>,
    t: &Template,
    seed: u64,
    i: usize,
    prev: Position,
    site: SiteRef<'_, Position>,
    on_route: &HashSet<&str>,
) -> Pointer {
    if t.difficulty == 1 {
        return Pointer::Coordinates { at: site.pos };
    }
    let styles: Vec<ClueStyle> = t.clue_styles.iter().copied().filter(|s| *s != ClueStyle::Coordinates).collect();
    let style = match styles.len() {
        0 => ClueStyle::Coordinates,
        n => styles[below(mix2(seed, SALT_STYLE ^ i as u64), n as u32) as usize],
    };
    match style {
        ClueStyle::Coordinates => Pointer::Coordinates { at: site.pos },
        ClueStyle::Landmark => {
            match landmark(region, t.difficulty, mix2(seed, SALT_LANDMARK ^ i as u64), site.pos, on_route) {
                Some(l) => {
                    let (bearing, paces) = bearing_and_band(l.pos, site.pos, t.difficulty);
                    Pointer::Landmark {
                        landmark: Landmark { id: l.id.to_owned(), name: l.name.to_owned(), pos: l.pos },
                        bearing,
                        paces,
                    }
                }
                None => previous(i, prev, site.pos, t.difficulty),
            }
        }
        ClueStyle::Previous => previous(i, prev, site.pos, t.difficulty),
    }
}

fn previous(i: usize, prev: Position, to: Position, difficulty: u8) -> Pointer {
    let (bearing, paces) = bearing_and_band(prev, to, difficulty);
    Pointer::Previous { from: i as u32, bearing, paces }
}

/// The landmark for a stage: among sites in the difficulty's ring that are not on the route, the one
/// with the smallest weighted key (well-known sites are likelier).
fn landmark<'r>(
    region: &'r Region<'_>,
    difficulty: u8,
    seed: u64,
    at: Position,
    on_route: &HashSet<&str>,
) -> Option<SiteRef<'r, Position>> {
    let (lo, hi) = LANDMARK_RING[usize::from(difficulty.clamp(2, 5)) - 2];
    let mut best: Option<(f64, SiteRef<'r, Position>)> = None;
    region.for_each_in_ring(at, lo, hi, |s| {
        if on_route.contains(s.id) {
            return;
        }
        let key = es_key(seed, s.id, s.weight + 1.0);
        if best.as_ref().is_none_or(|(k, b)| key < *k || (key == *k && s.id < b.id)) {
            best = Some((key, s));
        }
    });
    best.map(|(_, s)| s)
}
