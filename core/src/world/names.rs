//! Site kinds of procedural worlds, which biomes hold them, and the names sites get.
//!
//! Word lists are data: changing one changes generated worlds, so it needs a generator version bump.

use super::terrain::Biome;
use crate::hash::{below, mix2, pick_weighted};

/// Every kind a procedural world can hold.
pub const KINDS: [&str; 13] = [
    "well",
    "ruins",
    "old_tree",
    "cave",
    "shipwreck",
    "statue",
    "shrine",
    "standing_stone",
    "windmill",
    "lighthouse",
    "watchtower",
    "mine",
    "cairn",
];

/// Kinds a biome holds, with their relative odds.
pub fn kinds_of(biome: Biome) -> &'static [(&'static str, u32)] {
    match biome {
        Biome::DeepWater | Biome::ShallowWater => &[],
        Biome::Beach => &[("shipwreck", 5), ("lighthouse", 1), ("cairn", 1), ("cave", 1)],
        Biome::Grassland => {
            &[("well", 4), ("ruins", 2), ("statue", 2), ("windmill", 2), ("standing_stone", 2), ("shrine", 1)]
        }
        Biome::Forest => &[("old_tree", 5), ("shrine", 2), ("ruins", 2), ("well", 1)],
        Biome::Hills => &[("cave", 3), ("watchtower", 2), ("standing_stone", 2), ("ruins", 1), ("mine", 1)],
        Biome::Mountains => &[("cave", 3), ("mine", 2), ("cairn", 3)],
    }
}

/// Chooses a kind for a site in `biome` from a hash.
pub fn pick_kind(biome: Biome, h: u64) -> Option<&'static str> {
    let table = kinds_of(biome);
    if table.is_empty() {
        return None;
    }
    let weights: Vec<u32> = table.iter().map(|&(_, w)| w).collect();
    Some(table[pick_weighted(h, &weights) as usize].0)
}

fn nouns(kind: &str) -> &'static [&'static str] {
    match kind {
        "well" => &["Well", "Spring", "Cistern"],
        "ruins" => &["Ruins", "Keep", "Hall", "Abbey"],
        "old_tree" => &["Oak", "Yew", "Elm", "Hanging Tree"],
        "cave" => &["Cave", "Grotto", "Hollow", "Den"],
        "shipwreck" => &["Wreck", "Hulk", "Keel"],
        "statue" => &["Statue", "Colossus", "Effigy"],
        "shrine" => &["Shrine", "Chapel", "Altar"],
        "standing_stone" => &["Stone", "Stones", "Menhir", "Ring"],
        "windmill" => &["Mill", "Windmill"],
        "lighthouse" => &["Light", "Lighthouse", "Beacon"],
        "watchtower" => &["Tower", "Watch", "Lookout"],
        "mine" => &["Mine", "Shaft", "Diggings"],
        "cairn" => &["Cairn", "Marker", "Pile"],
        _ => &["Place"],
    }
}

const OWNERS: [&str; 24] = [
    "Gull", "Marrow", "Bess", "Crow", "Tamsin", "Hook", "Fenwick", "Odo", "Wren", "Salt", "Barnaby", "Morgan", "Quill",
    "Ash", "Jory", "Nell", "Magpie", "Corwin", "Ysolde", "Pike", "Hale", "Rook", "Dunstan", "Mab",
];

const ADJECTIVES: [&str; 20] = [
    "Old",
    "Grey",
    "Broken",
    "Whispering",
    "Crooked",
    "Silent",
    "Red",
    "Drowned",
    "Lonely",
    "Hollow",
    "Sunken",
    "Black",
    "Weeping",
    "Gilded",
    "Forgotten",
    "Mossy",
    "Windy",
    "Twin",
    "High",
    "Cold",
];

const PLACES: [&str; 12] = [
    "Saltmarsh",
    "Harrow",
    "Elder Vale",
    "Blackwater",
    "Dunmore",
    "Kestrel Head",
    "Thornby",
    "Greyhaven",
    "Mirefield",
    "Oakhurst",
    "Stormcrag",
    "Fairholm",
];

fn choose<'a>(h: u64, salt: u64, words: &'a [&'a str]) -> &'a str {
    words[below(mix2(h, salt), words.len() as u32) as usize]
}

/// A name for a site of `kind` from a hash: "Gull's Cave", "the Old Well", "the Shrine of Thornby".
pub fn name_for(kind: &str, h: u64) -> String {
    let noun = choose(h, 1, nouns(kind));
    match below(mix2(h, 2), 3) {
        0 => format!("{}'s {noun}", choose(h, 3, &OWNERS)),
        1 => format!("the {} {noun}", choose(h, 4, &ADJECTIVES)),
        _ => format!("the {noun} of {}", choose(h, 5, &PLACES)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_land_biome_holds_known_kinds() {
        for biome in Biome::ALL {
            assert_eq!(kinds_of(biome).is_empty(), !biome.is_land());
            for (kind, _) in kinds_of(biome) {
                assert!(KINDS.contains(kind), "{kind}");
                assert_ne!(nouns(kind), &["Place"]);
            }
        }
    }

    #[test]
    fn names_are_deterministic_and_varied() {
        assert_eq!(name_for("well", 99), name_for("well", 99));
        let distinct: std::collections::BTreeSet<_> = (0..200).map(|h| name_for("cave", mix2(h, 9))).collect();
        assert!(distinct.len() > 50);
    }
}
