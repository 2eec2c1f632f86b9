//! Any text as a hunt template: parsing never panics, and a valid template either gives a hunt or a
//! typed error, the same one twice (generation is a pure function).
#![no_main]
use libfuzzer_sys::fuzz_target;
use xmarks::{generate, Player, Point, Seeds, Template};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(template) = Template::from_json(text) else { return };
    let f = xmarks_fuzz::fixture();
    let player = Player::new("p", Point::new(120.0, -80.0)).with_level(3);
    let seeds = Seeds { game: 9, round: 2 };
    let a = generate(&f.world, &template, &seeds, &player).map(|h| h.canonical_json());
    let b = generate(&f.world, &template, &seeds, &player).map(|h| h.canonical_json());
    assert_eq!(a, b, "generation is deterministic");
});
