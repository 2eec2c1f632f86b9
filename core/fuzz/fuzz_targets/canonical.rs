//! Canonical JSON round trips: a hunt or an event that parses writes canonical JSON that parses to
//! the same value and writes the same bytes again.
#![no_main]
use libfuzzer_sys::fuzz_target;
use xmarks::session::Event;
use xmarks::Hunt;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(hunt) = Hunt::from_json(text) {
        let canonical = hunt.canonical_json();
        let again = Hunt::from_json(&canonical).expect("canonical JSON parses");
        assert_eq!(again, hunt);
        assert_eq!(again.canonical_json(), canonical);
    }
    if let Ok(event) = Event::from_json(text) {
        let canonical = event.canonical_json();
        let again = Event::from_json(&canonical).expect("canonical JSON parses");
        assert_eq!(again.canonical_json(), canonical);
    }
});
