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
use crate::world::{Handle, Region, World};
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
struct KindTable<'t, 'r> {
    allowed: Vec<&'t [String]>,
    player: &'t Player,
    /// Kinds seen so far with their masks and interests; worlds have few distinct kinds.
    seen: Vec<(&'r str, u64, f64)>,
}

impl<'t, 'r> KindTable<'t, 'r> {
    fn new(template: &'t Template, player: &'t Player) -> Self {
        Self {
            allowed: (0..template.stages as usize).map(|i| template.kinds_at(i)).collect(),
            player,
            seen: Vec::new(),
        }
    }

    /// Bit i of the mask is set when `kind` is allowed at stage i; the factor multiplies its
    /// sites' weights.
    fn of(&mut self, kind: &'r str) -> (u64, f64) {
        // Indexes hand out every site's kind from one table, so the same kind is mostly the same
        // pointer: compare that before the text.
        if let Some((_, mask, factor)) =
            self.seen.iter().find(|(k, _, _)| std::ptr::eq(k.as_ptr(), kind.as_ptr()) && k.len() == kind.len())
        {
            return (*mask, *factor);
        }
        if let Some((_, mask, factor)) = self.seen.iter().find(|(k, _, _)| *k == kind) {
            return (*mask, *factor);
        }
        let mask = self
            .allowed
            .iter()
            .enumerate()
            .filter(|(_, kinds)| kinds.is_empty() || kinds.iter().any(|k| k == kind))
            .fold(0u64, |mask, (i, _)| mask | 1 << i);
        let factor = self.player.interests.get(kind).copied().unwrap_or(1.0);
        self.seen.push((kind, mask, factor));
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

thread_local! {
    static PENDING: std::cell::RefCell<Vec<Pending>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// A candidate whose key is not computed yet, and whose site is not looked up yet.
struct Pending {
    handle: Handle,
    u: f64,
    weight: f64,
    stages: u64,
}

/// Candidates handed out in key order, their keys computed only as far as the search goes.
///
/// A hunt usually takes its stages from the first few dozen candidates in key order, and keying
/// every candidate (a logarithm each) and sorting them all is most of the cost of a hunt in a
/// dense city. So the first band holds the candidates whose keys are below a threshold `T`, chosen
/// so that about `want` of them are expected below it; [`unit_bar`] finds them without a logarithm
/// for the rest. Only a search that goes past the first band keys and sorts the remaining ones.
/// Either way the candidates come out in the order of all their keys sorted by (key, id), which is
/// what fixes the hunt; the threshold only decides how much work it takes.
struct KeyOrder<'r> {
    region: &'r Region<'r>,
    pending: Vec<Pending>,
    sorted: Vec<Candidate<'r>>,
}

impl<'r> KeyOrder<'r> {
    fn new(region: &'r Region<'r>, mut pending: Vec<Pending>, want: usize) -> Self {
        let mut first = Vec::new();
        if pending.len() > 2 * want {
            let total: f64 = pending.iter().map(|p| p.weight).sum();
            let heaviest = pending.iter().map(|p| p.weight).fold(0.0, f64::max);
            let threshold = want as f64 / total;
            let bar = unit_bar(threshold, heaviest);
            pending.retain(|p| {
                if p.u > bar {
                    let key = key_of(p.u, p.weight);
                    if key < threshold {
                        first.push(Candidate { site: region.site(p.handle), key, stages: p.stages });
                        return false;
                    }
                }
                true
            });
        }
        let mut order = KeyOrder { region, pending, sorted: Vec::new() };
        if first.is_empty() {
            order.key_the_rest();
        } else {
            sort_by_key_then_id(&mut first);
            order.sorted = first;
        }
        order
    }

    /// Keys every candidate not keyed yet, and appends them in order: their keys are all at
    /// least the first band's threshold, so they all come after it.
    fn key_the_rest(&mut self) {
        let region = self.region;
        let mut rest: Vec<Candidate<'r>> = self
            .pending
            .drain(..)
            .map(|p| Candidate { site: region.site(p.handle), key: key_of(p.u, p.weight), stages: p.stages })
            .collect();
        sort_by_key_then_id(&mut rest);
        self.sorted.extend(rest);
    }

    /// The `i`-th candidate in key order, if there are that many.
    fn get(&mut self, i: usize) -> Option<Candidate<'r>> {
        if i >= self.sorted.len() && !self.pending.is_empty() {
            self.key_the_rest();
        }
        self.sorted.get(i).copied()
    }

    /// Every candidate, in key order.
    fn all(&mut self) -> &[Candidate<'r>] {
        self.key_the_rest();
        &self.sorted
    }
}

impl Drop for KeyOrder<'_> {
    /// Gives the candidates' buffer back to the thread, for its next hunt.
    fn drop(&mut self) {
        let mut pending = std::mem::take(&mut self.pending);
        pending.clear();
        PENDING.with(|p| *p.borrow_mut() = pending);
    }
}

/// Sorts small (key, position) pairs rather than the candidates themselves, ties by id.
fn sort_by_key_then_id(cands: &mut Vec<Candidate<'_>>) {
    let mut order: Vec<(f64, u32)> = cands.iter().enumerate().map(|(i, c)| (c.key, i as u32)).collect();
    order.sort_unstable_by(|a, b| {
        a.0.total_cmp(&b.0).then_with(|| cands[a.1 as usize].site.id.cmp(cands[b.1 as usize].site.id))
    });
    *cands = order.iter().map(|&(_, i)| cands[i as usize]).collect();
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

/// The uniform number in (0, 1] a site's sampling key is made from.
fn site_unit(seed: u64, id: &str) -> f64 {
    unit_open(hash_str(seed, id))
}

/// An exponential variate scaled by weight: smaller keys come first.
fn key_of(u: f64, weight: f64) -> f64 {
    -libm::log(u) / weight
}

/// A key can be below `key` with a weight of at most `max_weight` only if its uniform number is
/// above this (`exp(-key * max_weight)`, a hair lower so that rounding never drops a site): the
/// test that spares most sites their logarithm. It only ever passes more sites than it must, so it
/// shapes no output.
fn unit_bar(key: f64, max_weight: f64) -> f64 {
    libm::exp(-key * max_weight) * (1.0 - 1e-9)
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
    // Dense cities have thousands of candidates: reuse this thread's buffer rather than regrow one
    // for every hunt.
    let mut pending = PENDING.with(|p| std::mem::take(&mut *p.borrow_mut()));
    pending.clear();
    region.scan_ring(player.start, 0.0, template.search_radius, |handle, site| {
        if site.weight <= 0.0 || (!found.is_empty() && found.contains(site.id)) {
            return;
        }
        let (stages, factor) = kinds.of(site.kind);
        let weight = site.weight * factor;
        if stages != 0 && weight > 0.0 {
            pending.push(Pending { handle, u: site_unit(seed, site.id), weight, stages });
        }
    });
    if pending.len() < n {
        let available = pending.len() as u64;
        PENDING.with(|p| *p.borrow_mut() = pending);
        return Err(HuntError::NotEnoughSites {
            available,
            needed: template.stages,
            radius: template.search_radius,
            nearest: nearest_beyond(world, template, player, &found),
        });
    }
    let mut order = KeyOrder::new(&region, pending, 16 * n);

    let mut search = Search {
        cands: &mut order,
        template,
        start: player.start,
        used: Vec::new(),
        route: Vec::with_capacity(n),
        tries: 0,
        stuck: None,
    };
    if !search.place(0) {
        return Err(search.explain());
    }
    let route: Vec<SiteRef<'_, Position>> = search.route.iter().map(|&i| search.cands.sorted[i].site).collect();
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
    cands: &'a mut KeyOrder<'r>,
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
        self.route.last().map_or(self.start, |&i| self.cands.sorted[i].site.pos)
    }

    fn place(&mut self, stage: usize) -> bool {
        if stage == self.template.stages as usize {
            return true;
        }
        let prev = self.prev();
        let (leg, spacing) = (&self.template.leg, self.template.spacing);
        for i in 0.. {
            let Some(c) = self.cands.get(i) else { break };
            if self.tries >= SEARCH_BUDGET {
                return false;
            }
            self.tries += 1;
            if self.used.len() <= i {
                self.used.resize(self.cands.sorted.len(), false);
            }
            if self.used[i] || c.stages & (1 << stage) == 0 {
                continue;
            }
            let d = c.site.pos.distance(prev);
            if d < leg.min || d > leg.max {
                continue;
            }
            if self.route.iter().any(|&j| self.cands.sorted[j].site.pos.distance(c.site.pos) < spacing) {
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
    fn explain(&mut self) -> HuntError {
        let t = self.template;
        let (stage, route) = self.stuck.clone().unwrap_or((0, Vec::new()));
        let cands = self.cands.all();
        let prev = route.last().map_or(self.start, |&i| cands[i].site.pos);
        let from = if stage == 0 { "the start".to_owned() } else { format!("stage {stage}") };
        let open: Vec<&Candidate<'_>> = cands
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
        members: Vec::new(),
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
/// with the smallest weighted key (well-known sites are likelier). Once a best is in hand, a site
/// whose uniform number is below [`unit_bar`] of it cannot beat it and is passed over without its
/// logarithm.
fn landmark<'r>(
    region: &'r Region<'_>,
    difficulty: u8,
    seed: u64,
    at: Position,
    on_route: &HashSet<&str>,
) -> Option<SiteRef<'r, Position>> {
    let (lo, hi) = LANDMARK_RING[usize::from(difficulty.clamp(2, 5)) - 2];
    let heaviest = region.max_weight() + 1.0;
    let mut best: Option<(f64, &str, Handle)> = None;
    let mut bar = 0.0;
    region.scan_ring(at, lo, hi, |handle, s| {
        let u = site_unit(seed, s.id);
        if u <= bar {
            return;
        }
        let key = key_of(u, s.weight + 1.0);
        if best.is_none_or(|(k, id, _)| key < k || (key == k && s.id < id)) && !on_route.contains(s.id) {
            best = Some((key, s.id, handle));
            bar = unit_bar(key, heaviest);
        }
    });
    best.map(|(_, _, handle)| region.site(handle))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geom::Point;
    use crate::site::Site;
    use crate::SiteIndex;

    /// The first band and the rest, handed out one by one, are exactly all the candidates sorted
    /// by (key, id), whatever the band's size.
    #[test]
    fn key_order_hands_out_every_candidate_in_key_order() {
        let sites: Vec<Site> = (0..3000u64)
            .map(|i| {
                let h = mix2(17, i);
                // Coarse weights make equal keys impossible to rule out; ids break such ties.
                let weight = [0.5, 1.0, 2.0, 250.0][(h % 4) as usize];
                let pos = Point::new(crate::hash::unit(h) * 1000.0, crate::hash::unit(mix2(h, 1)) * 1000.0);
                Site { id: format!("s{i}"), pos: pos.into(), kind: "well".into(), name: String::new(), weight }
            })
            .collect();
        let world = World::Imported(SiteIndex::from_sites(&sites).unwrap());
        let centre = Position::Plane(Point::new(500.0, 500.0));
        let region = world.region(centre, 2000.0).unwrap();
        for (seed, want) in [(1u64, 8), (2, 80), (3, 800), (4, 5000)] {
            let mut pending = Vec::new();
            region.scan_ring(centre, 0.0, 2000.0, |handle, s| {
                pending.push(Pending { handle, u: site_unit(seed, s.id), weight: s.weight, stages: 1 });
            });
            let mut all: Vec<(f64, &str)> =
                pending.iter().map(|p| (key_of(p.u, p.weight), region.site(p.handle).id)).collect();
            all.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(b.1)));
            let mut order = KeyOrder::new(&region, pending, want);
            let banded = order.sorted.len();
            assert!(banded < 3000 || want >= 1500, "want {want}: a first band of {banded}");
            let mut got = Vec::new();
            while let Some(c) = order.get(got.len()) {
                got.push((c.key, c.site.id));
            }
            assert_eq!(got, all, "want {want}");
        }
    }
}
