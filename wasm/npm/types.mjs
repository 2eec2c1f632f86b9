// Narrows the `InitOutput` interface wasm-bindgen writes into xmarks.d.ts (the raw wasm exports,
// typed with `any`) to the one export users need, its memory: the public surface has no `any`;
// then declares what the package's module adds over the bindings.
import { readFileSync, writeFileSync } from "node:fs";

const file = process.argv[2];
const text = readFileSync(file, "utf8");
const narrowed = text.replace(
  /export interface InitOutput \{[^}]*\}/,
  "/** The instance's exports; only its memory is for users. */\n" +
    "export interface InitOutput {\n    readonly memory: WebAssembly.Memory;\n}",
);
if (narrowed === text) throw new Error(`${file}: no InitOutput interface to narrow`);
// Functions the package's module (wasm/npm/xmarks.js) adds over the bindings.
const added =
  "\n/** What a hunt's player may see of it: `playerViewJson`, parsed. */\n" +
  "export function playerView(hunt: Hunt | string, salt: string, found: number): HuntView;\n";
writeFileSync(file, narrowed + added);
