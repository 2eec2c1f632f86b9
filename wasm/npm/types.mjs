// Finishes the xmarks.d.ts wasm-bindgen writes: narrows `InitOutput` (the raw wasm exports, typed
// with `any`) to the one export users need, its memory, so the public surface has no `any`; types
// `init`'s inputs without requiring the DOM lib; declares `Symbol.dispose` for older libs; then
// declares what the package's module adds over the bindings. Run by wasm/build.sh.
import { readFileSync, writeFileSync } from "node:fs";

const file = process.argv[2];
let text = readFileSync(file, "utf8");

/** Replaces `pattern` in the declarations, failing loudly when wasm-bindgen's output has moved. */
function replace(pattern, by) {
  const next = text.replace(pattern, by);
  if (next === text) throw new Error(`${file}: nothing matches ${pattern}`);
  text = next;
}

// lib.dom's RequestInfo, BufferSource and WebAssembly are absent from a Node project without the
// DOM lib: each is taken from the global scope where the project's libs declare it, and is a
// structural stand-in where they do not.
replace(/\nexport type SyncInitInput = .*;\n/, "\n");
replace(
  /export type InitInput = .*;\n/,
  `/** A global type where the project's libs declare it (\`K\`), \`F\` where they do not. */
type Global<K extends string, F> = typeof globalThis extends { [P in K]: infer T } ? T : F;
type Wasm = Global<"WebAssembly", { Module: { prototype: object }; Memory: { prototype: { readonly buffer: ArrayBuffer } } }>;
type WebUrl = Global<"URL", { prototype: { readonly href: string } }>["prototype"];
type WebRequest = Global<"Request", { prototype: { readonly url: string } }>["prototype"];
type WebResponse = Global<"Response", { prototype: { arrayBuffer(): Promise<ArrayBuffer> } }>["prototype"];
/** The .wasm's bytes or compiled module. */
export type SyncInitInput = ArrayBuffer | ArrayBufferView | Wasm["Module"]["prototype"];
/** Where \`init\` finds the .wasm: its URL (a string, a \`URL\` or a \`Request\`), a fetched \`Response\`, or \`SyncInitInput\`. */
export type InitInput = string | WebUrl | WebRequest | WebResponse | SyncInitInput;
`,
);
replace(
  /export interface InitOutput \{[^}]*\}/,
  "/** The instance's exports; only its memory is for users. */\n" +
    'export interface InitOutput {\n    readonly memory: Wasm["Memory"]["prototype"];\n}',
);
// The classes' `[Symbol.dispose]` (for `using`) needs lib esnext.disposable's declaration of the
// symbol; declared here exactly as that lib does, so that the types check under older libs too.
text +=
  "\ndeclare global {\n" +
  "    interface SymbolConstructor {\n" +
  "        /** The method `using` calls; the classes have it where the JS engine has the symbol. */\n" +
  "        readonly dispose: unique symbol;\n" +
  "    }\n" +
  "}\n";
// Functions the package's module (wasm/npm/xmarks.js) adds over the bindings.
text +=
  "\n/** What a hunt's player may see of it: `playerViewJson`, parsed. */\n" +
  "export function playerView(hunt: HuntData | string, salt: string, found: number): HuntView;\n" +
  "\n/** Whether `e` is an error xmarks threw (an `XmarksError`, with its `code`): for `catch (e)`. */\n" +
  "export function isXmarksError(e: unknown): e is XmarksError;\n" +
  "\n/** The read-only methods of `World` that a `WorkerWorld` forwards to its worker. */\n" +
  'export type WorkerRead = "space" | "nearest" | "within" | "reference" | "importReport" | "kinds" | "bounds" | "terrainAt" | "sitesIn" | "sitePoints" | "biomeRaster" | "summary";\n' +
  "/**\n" +
  " * A world held by an `XmarksWorker`: `World`'s read-only methods, each answering with a promise;\n" +
  " * `generateHunt` answers with the hunt's data (`Session` and `Hunt.from` take it); `free()`\n" +
  " * releases it in the worker.\n" +
  " */\n" +
  "export type WorkerWorld = { [K in WorkerRead]: (...args: Parameters<World[K]>) => Promise<ReturnType<World[K]>> } & {\n" +
  "    /** What the world is, known at once. */\n" +
  "    readonly info: { space: Space; kinds: string[]; bounds: Bounds | null; report: ImportReport | null };\n" +
  "    generateHunt(template: TemplateInput | string, seeds: Seeds, player: Player): Promise<HuntData>;\n" +
  "    free(): Promise<void>;\n" +
  "};\n" +
  "/** A call's progress as an `XmarksWorker`'s `progress` event has it: which call (`op`), and how far. */\n" +
  "export type WorkerProgress = (ImportProgress | ReplayProgress) & { op: string };\n" +
  "/** A Web Worker, or what `XmarksWorker` uses of one. */\n" +
  'type WorkerLike = Global<"Worker", { prototype: { postMessage(message: unknown): void; terminate(): void } }>["prototype"];\n' +
  "/**\n" +
  " * Long calls off the page's thread: imports and replays run in a Web Worker that holds the worlds\n" +
  " * it imported, so a game's frame loop never stalls. Progress comes to each call's `onProgress`\n" +
  " * and as a `progress` event. The worker is the package's `worker.js`, unless `options.worker` is\n" +
  " * one the page started itself (`xmarks/worker.js`); `options.module` hands it the page's compiled\n" +
  " * module instead of fetching the .wasm again. Errors are the package's `XmarksError`s; a worker\n" +
  " * that fails or is terminated fails its calls with `worker_failed`.\n" +
  " */\n" +
  "export class XmarksWorker {\n" +
  "    constructor(options?: { worker?: WorkerLike; module?: SyncInitInput });\n" +
  "    importCsv(data: Uint8Array | string, options?: ImportOptions | null, onProgress?: ((progress: ImportProgress) => void) | null): Promise<WorkerWorld>;\n" +
  "    importGeojson(text: string, options?: ImportOptions | null, onProgress?: ((progress: ImportProgress) => void) | null): Promise<WorkerWorld>;\n" +
  "    procedural(seed: number, config?: WorldConfigInput | null): Promise<WorkerWorld>;\n" +
  "    /** `replay` in the worker; the session is restored on this thread from its snapshot, to go on with. */\n" +
  "    replay(log: string, onProgress?: ((progress: ReplayProgress) => void) | null): Promise<Replay>;\n" +
  "    /** Stops the worker and frees its worlds; calls still running reject with `worker_failed`. */\n" +
  "    terminate(): void;\n" +
  '    addEventListener(type: "progress", listener: (event: { readonly detail: WorkerProgress }) => void): void;\n' +
  '    removeEventListener(type: "progress", listener: (event: { readonly detail: WorkerProgress }) => void): void;\n' +
  "}\n" +
  "\n/**\n" +
  " * Times for a session's events: whole milliseconds from `startedMs` (the time the session was\n" +
  " * opened with), advancing with a monotonic clock (`performance.now()` unless `source` is given)\n" +
  " * and never going backwards, so that a player's real pace is what the speed check sees.\n" +
  " */\n" +
  "export class GameClock {\n" +
  "    constructor(startedMs?: number, source?: () => number);\n" +
  "    /** The time now, for an event's `t`. */\n" +
  "    now(): number;\n" +
  "}\n";
writeFileSync(file, text);
