//! Every limit on input, in one place. Each is enforced where the input enters, with a typed error
//! naming the path; `core/tests/limits.rs` tests each at its value and just past it, and the README's
//! limits table lists them with their errors.

/// Stages in a hunt template.
pub const MAX_STAGES: u32 = 50;
/// A template's search radius, metres.
pub const MAX_SEARCH_RADIUS: f64 = 20_000.0;
/// Ids, kinds and items in templates, and player ids, in bytes.
pub const MAX_NAME_LEN: usize = 128;
/// A template's JSON, in bytes.
pub const MAX_TEMPLATE_BYTES: usize = 256 * 1024;
/// Sites a player has already found (never used again).
pub const MAX_FOUND: usize = 100_000;
/// Kinds a player's interests name.
pub const MAX_INTERESTS: usize = 256;
/// A device's reported accuracy counts towards an event's allowance up to this many metres.
pub const MAX_ACCURACY_ALLOWANCE: f64 = 30.0;
/// A player's level.
pub const MAX_LEVEL: u32 = 1000;
/// World seeds, game and round seeds, and times in ms: 2^53 - 1, exact in JavaScript.
pub const MAX_SEED: u64 = (1 << 53) - 1;
/// Distance of any coordinate from the origin, metres.
pub const MAX_COORD: f64 = 1.0e9;
/// Tiles generated for one query of a procedural world.
pub const MAX_TILES_PER_QUERY: u64 = 10_000;
/// Cells in one terrain raster (2048 x 2048).
pub const MAX_RASTER_CELLS: u64 = 1 << 22;
/// Site ids, kinds and names of imported sites, in bytes.
pub const MAX_TEXT_LEN: usize = 256;
/// Sites in one import.
pub const MAX_IMPORT_SITES: u64 = 20_000_000;
/// Rules in a ruleset.
pub const MAX_RULES: usize = 256;
/// A ruleset's JSON, in bytes.
pub const MAX_RULESET_BYTES: usize = 512 * 1024;
/// Rule ids, event types, items, flags and cap keys in rulesets, in bytes.
pub const MAX_RULE_NAME_LEN: usize = 64;
/// Internal events (stage_completed, ...) raised by other internal events; deeper ones are dropped.
pub const MAX_CASCADE: u32 = 8;
/// JSON nesting (arrays and objects) in a JsonLogic expression.
pub const MAX_DEPTH: usize = 64;
/// Operators, arguments and literals in one JsonLogic expression.
pub const MAX_NODES: usize = 10_000;
/// Members of one team (a template's `max_team` is at most this).
pub const MAX_TEAM: u32 = 64;
/// Rows in a live event's payout table.
pub const MAX_PAYOUT_ROWS: usize = 64;
/// How long one window of a live event may last, seconds (31 days).
pub const MAX_WINDOW_S: u64 = 31 * 24 * 3600;
/// Players in one window of a live event (and its default `max_players`).
pub const MAX_WINDOW_PLAYERS: u64 = 1_000_000;
/// Sessions one player may play in one window of a live event.
pub const MAX_ATTEMPTS: u64 = 100;
/// An event's JSON, in bytes.
pub const MAX_EVENT_BYTES: usize = 4096;
/// Answer, item and claim text in an event, in bytes.
pub const MAX_EVENT_TEXT: usize = 256;
/// Events in one session (and lines in one log).
pub const MAX_EVENTS: u64 = 16_000_000;
/// Segments in one `var` or `val` path.
pub const MAX_PATH_SEGMENTS: usize = 256;
