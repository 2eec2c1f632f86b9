/** Any JSON value: what JsonLogic rules, data and flags are made of. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
/**
 * What a JSON input takes: a `Json` value, or an object `JSON.stringify` would write, such as
 * the package's own `State` or `HuntData` (interfaces, which TypeScript does not count as `Json`).
 * An object without a JSON form (a cycle, a `BigInt`) is refused when called, with `input_invalid`.
 */
export type JsonInput = Json | object;

/** A position in metres on a planar world: `x` east, `y` north. */
export interface Point { x: number; y: number }
/** A position in degrees on an Earth world (WGS84): `lon` east of Greenwich, `lat` north. */
export interface LonLat { lon: number; lat: number }
/** Where something is: a `Point` on planar worlds, a `LonLat` on Earth worlds. */
export type Position = Point | LonLat;
/** Which kind of positions a world has: `Point`s in metres or `LonLat`s in degrees. */
export type Space = "plane" | "earth";
/**
 * An axis-aligned box in metres. On an Earth world, a box of degrees: `min` is the south-west
 * corner (`x` the longitude, `y` the latitude), `max` the north-east.
 */
export interface Bounds { min: Point; max: Point }

/**
 * Every error xmarks throws is an `Error` named `"XmarksError"` with a stable `code`; `path` says
 * where when the problem is in one place (`leg.max`, `rules[2].when`, `line 12`). A rules error
 * lists every problem. `isXmarksError(e)` tells one apart in a `catch`.
 */
export interface XmarksError extends Error {
  name: "XmarksError";
  code: ErrorCode;
  path?: string;
  problems?: RuleProblem[];
  /** For `logic_error`: the error a rule raised and no `try` caught, such as `{ type: "NaN" }`. */
  error?: Json;
}
export type ErrorCode =
  | "input_invalid" | "template_invalid" | "unknown_kind" | "not_enough_sites" | "stage_unplaceable"
  | "hunt_malformed" | "world_config" | "world_query" | "import_malformed" | "import_format"
  | "import_too_large" | "rules_invalid" | "logic_invalid" | "logic_error" | "log_invalid"
  /** A `World`, `Rules`, `Session`, `Logic` or `Hunt` used after its `free()`. */
  | "freed"
  /** A call before `init()` loaded the .wasm; a .wasm that is truncated or not this package's. */
  | "not_initialized" | "wasm_invalid"
  /** An `XmarksWorker` whose worker failed to start or load, or was terminated. */
  | "worker_failed" | RejectionCode;
/** Why a session refused an event. A refused event changes nothing. */
export type RejectionCode =
  | "malformed" | "invalid" | "time_reversed" | "duplicate" | "too_fast" | "dig_away" | "hunt_over"
  | "unknown_stage" | "unknown_item" | "unknown_claim"
  /** A team's event naming someone not in the team. */
  | "unknown_member"
  /** A dig of a stage another member found at the same instant. */
  | "already_found";

// ---- Worlds ----

export type Biome = "deep_water" | "shallow_water" | "beach" | "grassland" | "forest" | "hills" | "mountains";
export interface TerrainConfig {
  feature_size: number; moisture_size: number; sea_level: number; beach: number;
  hills: number; mountains: number; forest: number;
}
/** A procedural world's config; every field has a default. */
export interface WorldConfig { cell_size: number; tile_cells: number; terrain: TerrainConfig }
export interface WorldConfigInput { cell_size?: number; tile_cells?: number; terrain?: Partial<TerrainConfig> }
export interface Terrain { elevation: number; moisture: number; biome: Biome }
/** A site: `x`, `y` on planar worlds, `lon`, `lat` on Earth worlds. */
export type Site = { id: string; kind: string; name: string; weight: number } & Position;
/** A site with its distance in metres from where a query asked (`nearest`, `within`). */
export type NearSite = Site & { distance: number };
/**
 * Sites as columns for drawing: `xy` holds x then y (on Earth: lon then lat) of each site,
 * `kind[i]` indexes `kinds`.
 */
export interface SitePoints { ids: string[]; names: string[]; xy: Float64Array; kind: Uint16Array; kinds: string[] }
export interface WorldSummary { sites: number; kinds: Record<string, number>; biomes: Record<string, number> }
/** Which world a hunt was made on. */
export type WorldRef =
  | { kind: "procedural"; seed: number; config: string }
  | { kind: "imported"; sites: number; digest: string }
  | { kind: "earth"; sites: number; digest: string };
/** How far an import has come: `done` of `total` (bytes of CSV, features of GeoJSON), then indexing. */
export interface ImportProgress { phase: "reading" | "indexing"; done: number; total: number }
/** How far a replay has gone: events replayed and the log's count. */
export interface ReplayProgress { phase: "replaying"; done: number; total: number }
/**
 * `projection`, for lon/lat data: `"earth"` (the default, an Earth world) or `"local"` (a planar
 * world in metres around `origin`, by default the centre of the points' bounding box).
 */
export interface ImportOptions { lenient?: boolean; projection?: "earth" | "local" | null; origin?: LonLat | null }
export interface ImportReport {
  imported: number; skipped: number; problems: { at: string; reason: string }[]; origin: LonLat | null;
}

// ---- Hunts ----

export type ClueStyle = "coordinates" | "landmark" | "previous";
export interface Treasure { item: string; points: number }
export interface Rewards { points: number; items: (string | null)[] | null; treasure: Treasure }
/** A designer's hunt template, with every default filled in. */
export interface Template {
  id: string; stages: number; leg: { min: number; max: number }; spacing: number; search_radius: number;
  kinds: string[]; stage_kinds: string[][] | null; difficulty: number; time_limit_s: number | null;
  max_speed: number; clue_styles: ClueStyle[]; dig_radius: number; rewards: Rewards;
  /** The most members of a team playing its hunts (2 to 64); absent: its hunts are for one player. */
  max_team?: number;
}
/** A template as written: only `id` and `stages` are required. */
export type TemplateInput = Partial<Omit<Template, "rewards">> & {
  id: string; stages: number; rewards?: Partial<Rewards>;
};
/** The game's seeds, integers up to 2^53 - 1. */
export interface Seeds { game: number; round: number }
/**
 * Who a hunt is for. `start` is a `Point` on planar worlds, a `LonLat` on Earth worlds.
 * `interests` weighs kinds of site: `{ well: 2, cave: 0 }` makes wells twice as likely and leaves
 * caves out.
 */
export interface Player {
  id: string; start: Position; level?: number; found?: string[]; interests?: Record<string, number>;
}
/** One member of a `Team`: a player without a start of their own. */
export interface TeamMember { id: string; level?: number; found?: string[]; interests?: Record<string, number> }
/**
 * A team a hunt is made for (`generateTeamHunt`): 2 to the template's `max_team` members who meet
 * at `start`. The hunt is the team's as one player's: the team's id, its members' mean level
 * (rounded half up), no site a member has found, each kind's mean interest (1 where not named).
 */
export interface Team { id: string; start: Position; members: TeamMember[] }
export type Wind =
  | "N" | "NNE" | "NE" | "ENE" | "E" | "ESE" | "SE" | "SSE" | "S" | "SSW" | "SW" | "WSW" | "W" | "WNW" | "NW" | "NNW";
/** A range of paces a clue gives for a distance: the true distance lies within it. */
export interface Band { min: number; max: number }
export type Landmark = { id: string; name: string } & Position;
/**
 * How a clue points at its stage. Distances in clues are in paces: one pace is 0.75 m.
 * `coordinates` gives the site's position: on planar worlds in whole metres east and north of the
 * world's origin ("Dig at -762 east, -301 north."), on Earth worlds in degrees and minutes
 * ("Dig at 64°08.930′N 21°56.420′W."); `from` of `previous` is the stage number measured from
 * (0: the start).
 */
export type Pointer =
  | ({ style: "coordinates" } & Position)
  | { style: "landmark"; landmark: Landmark; bearing: Wind; paces: Band }
  | { style: "previous"; from: number; bearing: Wind; paces: Band };
export interface Clue { pointer: Pointer; kind: string | null; text: string }
/** One stage of a hunt. `number` counts from 1; `dig_radius` is in metres. */
export interface Stage {
  number: number; site: Site; dig_radius: number; clue: Clue;
  reward: { points: number; item: string | null }; treasure: Treasure | null;
}
/**
 * A hunt's data, as JSON has it; `fingerprint` is the SHA-256 of the rest, the bytes every target
 * agrees on. `length` is the route from the start through every stage, in whole metres (along
 * geodesics on Earth worlds); `max_speed` is in metres a second; `time_limit_s` in seconds. Every
 * function taking a hunt takes this (or its JSON text), read and its fingerprint checked; a `Hunt`
 * is taken as it is.
 */
export interface HuntData {
  generator: string; template: string; world: WorldRef; seeds: Seeds;
  /** The player's id, or the team's. */
  player: string;
  /** A team's hunt: its members' ids (absent from one player's). */
  members?: string[];
  level: number;
  start: Position; difficulty: number; time_limit_s: number | null; max_speed: number; length: number;
  stages: Stage[]; fingerprint: string;
}
/** A `Hunt`'s data: frozen all the way down, so that it cannot drift from the engine's copy. */
export interface Hunt extends Readonly<HuntData> {}
/**
 * A generated hunt (from `generateHunt`, `Hunt.from` or `session.hunt()`): its data as own, frozen
 * properties (what `JSON.stringify`, `structuredClone` and spreading see), beside the engine's copy
 * of it in wasm memory, read and fingerprinted once. Sessions, walkthroughs and views take that copy
 * as it is (a session opens about 40 times faster than from a plain object). The copies of the 64
 * most recent `Hunt`s are kept (an older one reads its data again when next used, and keeps the
 * copy again), so that hunts made by the thousand grow no memory; `free()` lets one go at once,
 * after which its data stays readable and it is refused with `freed` where it would be used.
 */
export declare class Hunt {
  private constructor();
  /** A `Hunt` of a hunt given as data or JSON text (a server's, a file's), its fingerprint checked. */
  static from(hunt: HuntData | string): Hunt;
  /** Lets the engine's copy go now; the data stays readable, and the `Hunt` cannot be used. */
  free(): void;
  [Symbol.dispose](): void;
}

/** One stage as its player sees it: the site only once found, a commitment to it always. */
export interface StageView {
  number: number; dig_radius: number; clue: Clue; reward: { points: number; item: string | null };
  treasure: Treasure | null;
  /** Hex SHA-256 of the salt, a newline and the site's canonical JSON (`stageCommitment`). */
  commitment: string;
  site?: Site;
}
/** What a player may see of a hunt (`playerView`): no site of a stage not yet found. */
export interface HuntView {
  view: string; fingerprint: string; template: string; player: string; level: number; start: Position;
  difficulty: number; time_limit_s: number | null; max_speed: number; stages: StageView[];
}

// ---- Rules ----

export interface Cap { key: string; limit: number }
export interface RuleSpec {
  id: string; on: string[]; when?: Json; then: Json[]; priority?: number; once?: boolean;
  cooldown_ms?: number; cap?: Cap | null;
}
/** A ruleset as written (JsonLogic conditions and effects). */
export interface RulesetSpec { id: string; rules: RuleSpec[] }
export interface RuleProblem { path: string; reason: string }
/** A rule worth a second look (`Rules.notes()`): its condition or effects can raise an error no `try` catches. */
export interface RuleNote { path: string; rule: string; reason: string }

// ---- Sessions ----

/**
 * A player's event, or the host's answer to a claim. `t` is milliseconds on the game's clock. Moves
 * and digs carry a `Position` of the hunt's world, and optionally the device's reported `accuracy`
 * in metres (it widens the allowance for position noise, up to 30 m).
 */
export type GameEvent = (
  | ({ type: "move"; t: number; accuracy?: number } & Position)
  | ({ type: "dig"; t: number; accuracy?: number } & Position)
  | { type: "answer"; t: number; stage: number; answer: string }
  | { type: "use"; t: number; item: string }
  | { type: "tick"; t: number }
  | { type: "claim_result"; t: number; claim: string; granted: boolean }
  /** The server's word that the live event's window closed: an active session fails. */
  | { type: "window_closed"; t: number }
) & {
  /**
   * In a team's session (format 3), the member who made the event: required on moves, digs,
   * answers and uses, optional on the host's events. Absent from one player's events.
   */
  member?: string;
};
/** What applying an event did. */
export type Outcome =
  | { type: "stage_completed"; stage: number }
  /** A dig that missed the stage's site; `misses` counts this stage's misses so far. (Session format 2.) */
  | { type: "missed"; stage: number; misses: number }
  | { type: "points"; rule: string; delta: number; total: number }
  | { type: "item_given"; rule: string; item: string; count: number }
  | { type: "item_taken"; rule: string; item: string; count: number }
  | { type: "flag_set"; rule: string; flag: string; value: Json }
  | { type: "hint"; rule: string; stage: number; text: string }
  | { type: "message"; rule: string; text: string }
  | { type: "hunt_completed" }
  | { type: "hunt_failed"; reason: string }
  | { type: "rule_error"; rule: string; at: string; error: string }
  | { type: "claim"; rule: string; claim: string; cap: string; limit: number };
export type Status = "active" | "completed" | "failed";
/**
 * Everything a session knows; the state hash covers its canonical JSON. `stage` is how many
 * stages are completed, so the stage being played is `hunt.stages[state.stage]`, whose `number` is
 * `state.stage + 1`. `t` and `started_ms` are milliseconds; the position is the player's last.
 */
export type State = {
  seq: number; started_ms: number; t: number; stage: number; misses: number;
  digs: number; points: number; items: Record<string, number>; flags: Record<string, Json>; status: Status;
  fired: Record<string, { count: number; last_ms: number }>; claims: Record<string, string>;
  /** A team's session: each member's clock, position, digs, points and items. */
  members?: Record<string, MemberState>;
  /** A team's session: who found each completed stage, and when. */
  finds?: { stage: number; member?: string; t: number }[];
  chain: string; last_event: string;
} & Position;
/** One member of a team's session; the team's own fields are the `State`'s. */
export type MemberState = { t: number; digs: number; points: number; items: Record<string, number> } & Position;
/** A session rebuilt from its log, with the outcomes of every event in order. */
export interface Replay { session: Session; outcomes: Outcome[][] }
