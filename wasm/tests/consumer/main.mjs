// The scratch ESM project's program: the installed package under Node (and Deno), as a server
// would use it.
import * as xmarks from "xmarks";
import { play } from "./program.js";

console.log(JSON.stringify(play(xmarks)));
