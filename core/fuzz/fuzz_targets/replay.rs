//! Any text as a session log: replay never panics; what it accepts, it accepts again identically.
#![no_main]
use libfuzzer_sys::fuzz_target;
use xmarks::session::log;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(r) = log::replay(text) {
        let again = log::replay(text).expect("replay is deterministic");
        assert_eq!(again.session.state_hash(), r.session.state_hash());
    }
});
