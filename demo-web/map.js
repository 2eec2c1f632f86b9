// The treasure map: a canvas view of a world with a camera (centre and metres per pixel of its
// plane), terrain drawn in tiles generated as the view needs them (procedural worlds) or land and
// coastlines (the Earth), site symbols and names, the hunt's marks, a compass rose and a scale bar.
// Pan and zoom with mouse, touch and keyboard.
//
// Positions given to and by the view are the world's own (`{x, y}` metres, or `{lon, lat}`); the
// source's `plane` (earth.js) puts them on the plane the camera looks at.
import { PLANE, drawLand } from "./earth.js";

const TILE_PX = 256; // screen pixels per terrain tile at its zoom level
const CELLS = 96; // terrain samples per tile side
// Biome colours in World.biomes() order, toned to parchment.
const BIOME_RGB = [
  [116, 152, 165], [150, 186, 190], [233, 214, 163], [206, 206, 150], [158, 172, 117], [190, 168, 122], [160, 146, 128],
];
const COAST = [92, 64, 34];
const PAPER = "#efe0bb";
const SEA = "#c9d3c0"; // the Earth's oceans, where the land is drawn over
const INK = "#3b2a17";
const RED = "#a3261b";

/** A stable small hash of a string, to give each kind its own symbol. */
function hashOf(s) {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

export class MapView {
  /**
   * @param canvas the canvas to draw on
   * @param hooks `{ onClick(point), onViewChange() }`
   */
  constructor(canvas, hooks) {
    this.canvas = canvas;
    this.ctx = canvas.getContext("2d");
    this.hooks = hooks;
    this.camera = { x: 0, y: 0, mpp: 2 };
    this.plane = PLANE;
    this.source = null;
    this.tiles = new Map();
    this.queue = [];
    this.points = null; // { ids, names, xy, kind, kinds }
    // `mates`: teammates in the online mode, `{ at, name }`.
    this.overlay = { start: null, player: null, dest: null, found: [], route: null, treasure: null, stages: [], mates: [] };
    this.frame = 0;
    this.pointers = new Map();
    this.bindInput();
    new ResizeObserver(() => this.resize()).observe(canvas);
    this.resize();
  }

  /**
   * Shows another world (`source` from app.js); clears every cache. `view` is `{ at, mpp }`: a
   * position of the world and metres of its plane per pixel.
   */
  setSource(source, view) {
    this.source = source;
    this.plane = source.plane ?? PLANE;
    this.tiles.clear();
    this.queue = [];
    this.points = null;
    if (view) {
      Object.assign(this.camera, this.plane.toMap(view.at));
      this.camera.mpp = this.clampZoom(view.mpp);
    }
    this.refreshSites();
    this.redraw();
  }

  clampZoom(mpp) {
    return Math.min(this.plane.zoom.max, Math.max(this.plane.zoom.min, mpp));
  }

  resize() {
    const r = this.canvas.getBoundingClientRect();
    this.dpr = window.devicePixelRatio || 1;
    this.canvas.width = Math.max(1, Math.round(r.width * this.dpr));
    this.canvas.height = Math.max(1, Math.round(r.height * this.dpr));
    this.width = r.width;
    this.height = r.height;
    this.refreshSites();
    this.redraw();
  }

  // ---- coordinates: the plane's metres (y north) <-> CSS pixels (y down); world positions

  /** Where a world position is drawn: on the copy of the world nearest the camera. */
  at(pos) {
    const q = this.plane.toMap(pos);
    const w = this.plane.width;
    if (w) q.x += Math.round((this.camera.x - q.x) / w) * w;
    return this.toScreen(q);
  }

  /** The world position under a screen point. */
  positionAt(sx, sy) {
    return this.plane.fromMap(this.toWorld(sx, sy));
  }

  /** Which copies of the world (east and west of the first) the view shows: [0] on a plane. */
  copies() {
    const w = this.plane.width;
    if (!w) return [0];
    const b = this.viewBounds(0);
    const out = [];
    for (let k = Math.floor((b.min.x + w / 2) / w); k <= Math.floor((b.max.x + w / 2) / w); k++) out.push(k);
    return out;
  }

  /** Ground metres per CSS pixel at the centre of the view. */
  groundMpp() {
    return this.camera.mpp * this.plane.groundScale(this.camera.y);
  }

  toScreen(p) {
    const c = this.camera;
    return { x: this.width / 2 + (p.x - c.x) / c.mpp, y: this.height / 2 - (p.y - c.y) / c.mpp };
  }

  toWorld(sx, sy) {
    const c = this.camera;
    return { x: c.x + (sx - this.width / 2) * c.mpp, y: c.y - (sy - this.height / 2) * c.mpp };
  }

  viewBounds(pad = 0) {
    const a = this.toWorld(-pad, this.height + pad);
    const b = this.toWorld(this.width + pad, -pad);
    return { min: { x: a.x, y: a.y }, max: { x: b.x, y: b.y } };
  }

  pan(dx, dy) {
    this.camera.x -= dx * this.camera.mpp;
    this.camera.y += dy * this.camera.mpp;
    const w = this.plane.width;
    if (w) {
      this.camera.x -= Math.round(this.camera.x / w) * w; // the Earth goes round
      this.camera.y = Math.max(-w / 2, Math.min(w / 2, this.camera.y));
    }
    this.changed();
  }

  zoom(factor, sx = this.width / 2, sy = this.height / 2) {
    const before = this.toWorld(sx, sy);
    this.camera.mpp = this.clampZoom(this.camera.mpp * factor);
    const after = this.toWorld(sx, sy);
    this.camera.x += before.x - after.x;
    this.camera.y += before.y - after.y;
    this.changed();
  }

  /** Frames the given world positions with a margin. */
  fit(positions) {
    const w = this.plane.width;
    const first = this.plane.toMap(positions[0]);
    const qs = positions.map((p) => {
      const q = this.plane.toMap(p);
      if (w) q.x += Math.round((first.x - q.x) / w) * w; // the short way across the antimeridian
      return q;
    });
    const xs = qs.map((q) => q.x);
    const ys = qs.map((q) => q.y);
    const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
    this.camera.x = (x0 + x1) / 2;
    this.camera.y = (y0 + y1) / 2;
    const spread = 1.3 * Math.max((x1 - x0) / this.width, (y1 - y0) / this.height);
    this.camera.mpp = this.clampZoom(Math.max(this.plane.earth ? 1 : 0.25, spread));
    this.changed();
  }

  /** Keeps world position `p` in view, recentring when it nears an edge. */
  follow(p) {
    const s = this.at(p);
    const m = 60;
    if (s.x < m || s.y < m || s.x > this.width - m || s.y > this.height - m) this.centreOn(p);
  }

  /** Centres the view on world position `p`, at `mpp` metres of the plane per pixel if given. */
  centreOn(p, mpp) {
    Object.assign(this.camera, this.plane.toMap(p));
    if (mpp) this.camera.mpp = this.clampZoom(mpp);
    this.changed();
  }

  changed() {
    clearTimeout(this.settle);
    this.settle = setTimeout(() => this.refreshSites(), 120);
    this.redraw();
    this.hooks.onViewChange?.();
  }

  // ---- data

  /** Fetches the sites of the view (and a margin) from the world, then redraws. */
  async refreshSites() {
    if (!this.source || !this.width) return;
    const bounds = this.plane.worldBox(this.viewBounds(this.width / 2));
    const ask = ++this.frame;
    try {
      const points = await this.source.points(bounds);
      if (ask !== this.frame) return;
      this.points = points;
    } catch (e) {
      this.points = null; // a view too large for the world to list: draw terrain only
    }
    this.redraw();
  }

  /** The terrain tile at a zoom level, or null while it is generated (a few per frame). */
  tile(level, tx, ty) {
    const key = `${level}/${tx}/${ty}`;
    const hit = this.tiles.get(key);
    if (hit !== undefined) return hit;
    this.tiles.set(key, null);
    this.queue.push({ key, level, tx, ty });
    this.pump();
    return null;
  }

  pump() {
    if (this.pumping) return;
    this.pumping = true;
    const work = async () => {
      const started = performance.now();
      while (this.queue.length && performance.now() - started < 12) {
        const job = this.queue.pop(); // newest first: what the view shows now
        this.tiles.set(job.key, await this.renderTile(job));
      }
      if (this.tiles.size > 600) this.evict();
      this.redraw();
      if (this.queue.length) requestAnimationFrame(work);
      else this.pumping = false;
    };
    requestAnimationFrame(work);
  }

  evict() {
    const keep = new Set(this.visibleTiles().map((t) => t.key));
    for (const key of this.tiles.keys()) if (!keep.has(key)) this.tiles.delete(key);
  }

  async renderTile({ level, tx, ty }) {
    const size = TILE_PX * 2 ** level; // metres per tile side
    const bounds = { min: { x: tx * size, y: ty * size }, max: { x: (tx + 1) * size, y: (ty + 1) * size } };
    const raster = await this.source.raster(bounds, CELLS, CELLS);
    const canvas = new OffscreenCanvas(CELLS, CELLS);
    const g = canvas.getContext("2d");
    if (!raster) return { canvas: null, marks: [] }; // an imported world: the paper shows through
    const img = g.createImageData(CELLS, CELLS);
    const water = (i, j) => i < 0 || j < 0 || i >= CELLS || j >= CELLS || raster[j * CELLS + i] <= 1;
    for (let j = 0; j < CELLS; j++) {
      for (let i = 0; i < CELLS; i++) {
        const b = raster[j * CELLS + i];
        const coast = b > 1 && (water(i - 1, j) || water(i + 1, j) || water(i, j - 1) || water(i, j + 1));
        const rgb = coast && !(i === 0 || j === 0 || i === CELLS - 1 || j === CELLS - 1) ? COAST : BIOME_RGB[b];
        const o = 4 * (j * CELLS + i);
        // A little grain, fixed per cell, for the paper look.
        const grain = ((Math.imul(i + tx * CELLS, 73856093) ^ Math.imul(j + ty * CELLS, 19349663)) >>> 0) % 9 - 4;
        img.data[o] = rgb[0] + grain;
        img.data[o + 1] = rgb[1] + grain;
        img.data[o + 2] = rgb[2] + grain;
        img.data[o + 3] = 255;
      }
    }
    g.putImageData(img, 0, 0);
    const marks = [];
    for (let j = 2; j < CELLS - 2; j += 5) {
      for (let i = 2; i < CELLS - 2; i += 5) {
        const b = raster[j * CELLS + i];
        if (b >= 5) marks.push({ i, j, big: b === 6 });
      }
    }
    return { canvas, marks };
  }

  visibleTiles() {
    const level = Math.max(-3, Math.round(Math.log2(this.camera.mpp)));
    const size = TILE_PX * 2 ** level;
    const b = this.viewBounds();
    const out = [];
    for (let ty = Math.floor(b.min.y / size); ty * size < b.max.y; ty++) {
      for (let tx = Math.floor(b.min.x / size); tx * size < b.max.x; tx++) out.push({ key: `${level}/${tx}/${ty}`, level, tx, ty, size });
    }
    return out;
  }

  // ---- drawing

  redraw() {
    if (this.drawing) return;
    this.drawing = true;
    requestAnimationFrame(() => {
      this.drawing = false;
      this.draw();
    });
  }

  draw() {
    const { ctx, dpr } = this;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.fillStyle = this.source?.land ? SEA : PAPER;
    ctx.fillRect(0, 0, this.width, this.height);
    if (this.source?.land) drawLand(this, this.source.land, { fill: PAPER, coast: "rgba(92, 64, 34, 0.9)" });
    if (this.source) {
      this.drawTerrain();
      this.drawSites();
    }
    this.drawHunt();
    this.drawCompass();
    this.drawScale();
    this.drawVignette();
  }

  drawTerrain() {
    if (this.source.raster === null) return;
    const { ctx } = this;
    ctx.imageSmoothingEnabled = true;
    for (const t of this.visibleTiles()) {
      const tile = this.tile(t.level, t.tx, t.ty);
      const p = this.toScreen({ x: t.tx * t.size, y: (t.ty + 1) * t.size });
      const side = t.size / this.camera.mpp;
      if (!tile?.canvas) continue;
      ctx.drawImage(tile.canvas, p.x, p.y, side + 0.5, side + 0.5);
      // Hills and mountains: little ridges in ink.
      ctx.strokeStyle = "rgba(70, 50, 25, 0.55)";
      ctx.lineWidth = 1;
      const cell = side / CELLS;
      ctx.beginPath();
      for (const m of tile.marks) {
        const x = p.x + (m.i + 0.5) * cell;
        const y = p.y + (m.j + 0.5) * cell; // raster rows run from the north edge
        const w = (m.big ? 4 : 2.5) * Math.min(2, Math.max(0.6, cell));
        ctx.moveTo(x - w, y + w * 0.6);
        ctx.lineTo(x, y - w * 0.6);
        ctx.lineTo(x + w, y + w * 0.6);
      }
      ctx.stroke();
    }
  }

  drawSites() {
    const pts = this.points;
    if (!pts) return;
    const { ctx } = this;
    const many = pts.ids.length > 20_000; // the whole world zoomed out: a dot a site
    const r = many ? 1 : Math.max(1.5, Math.min(4, 6 / Math.sqrt(this.camera.mpp)));
    const shapes = pts.kinds.map((k) => hashOf(k) % 4);
    const named = pts.names && pts.ids.length <= 600 && this.groundMpp() <= 400;
    const earth = this.plane.earth;
    ctx.font = "italic 11px Palatino, Georgia, serif";
    ctx.textBaseline = "middle";
    ctx.fillStyle = INK;
    ctx.strokeStyle = INK;
    let labels = 0;
    // Zoomed out on the Earth the world repeats east and west: dots on every copy in view.
    const repeat = this.plane.width ? this.plane.width / this.camera.mpp : 0;
    for (let i = 0; i < pts.ids.length; i++) {
      const [a, b] = [pts.xy[2 * i], pts.xy[2 * i + 1]];
      const s = this.at(earth ? { lon: a, lat: b } : { x: a, y: b });
      if (many) {
        for (let x = s.x - Math.ceil(s.x / repeat) * repeat; x < this.width; x += repeat) {
          if (x > -2 && s.y > -2 && s.y < this.height + 2) ctx.fillRect(x - 0.5, s.y - 0.5, 1.5, 1.5);
        }
        continue;
      }
      if (s.x < -10 || s.y < -10 || s.x > this.width + 10 || s.y > this.height + 10) continue;
      ctx.beginPath();
      switch (shapes[pts.kind[i]]) {
        case 0: ctx.arc(s.x, s.y, r, 0, 2 * Math.PI); ctx.fill(); break;
        case 1: ctx.moveTo(s.x, s.y - r * 1.2); ctx.lineTo(s.x + r, s.y + r); ctx.lineTo(s.x - r, s.y + r); ctx.fill(); break;
        case 2: ctx.rect(s.x - r * 0.8, s.y - r * 0.8, r * 1.6, r * 1.6); ctx.fill(); break;
        default: ctx.lineWidth = 1.5; ctx.arc(s.x, s.y, r, 0, 2 * Math.PI); ctx.stroke();
      }
      if (named && labels < 200) {
        ctx.fillStyle = "rgba(59, 42, 23, 0.9)";
        ctx.fillText(pts.names[i], s.x + r + 3, s.y);
        ctx.fillStyle = INK;
        labels++;
      }
    }
  }

  drawHunt() {
    const { ctx } = this;
    const o = this.overlay;
    if (o.route) {
      ctx.strokeStyle = RED;
      ctx.lineWidth = 2;
      ctx.setLineDash([8, 6]);
      ctx.beginPath();
      let prev = null;
      o.route.forEach((p, i) => {
        const s = this.at(p);
        // The short way across the antimeridian: continue from the previous mark's copy.
        if (prev && this.plane.width) {
          const w = this.plane.width / this.camera.mpp;
          s.x += Math.round((prev.x - s.x) / w) * w;
        }
        prev = s;
        if (i === 0) ctx.moveTo(s.x, s.y);
        else ctx.lineTo(s.x, s.y);
      });
      ctx.stroke();
      ctx.setLineDash([]);
    }
    if (o.start) {
      const s = this.at(o.start);
      ctx.strokeStyle = RED;
      ctx.lineWidth = 2;
      ctx.beginPath();
      ctx.arc(s.x, s.y, 7, 0, 2 * Math.PI);
      ctx.stroke();
    }
    ctx.font = "bold 12px Palatino, Georgia, serif";
    for (const f of o.found) {
      const s = this.at(f.at);
      ctx.fillStyle = "rgba(163, 38, 27, 0.85)";
      ctx.beginPath();
      ctx.arc(s.x, s.y, 9, 0, 2 * Math.PI);
      ctx.fill();
      ctx.fillStyle = PAPER;
      ctx.textAlign = "center";
      ctx.fillText(String(f.number), s.x, s.y + 1);
      ctx.textAlign = "start";
    }
    if (o.treasure) {
      const s = this.at(o.treasure);
      ctx.strokeStyle = RED;
      ctx.lineWidth = 6;
      ctx.lineCap = "round";
      ctx.beginPath();
      ctx.moveTo(s.x - 14, s.y - 14);
      ctx.lineTo(s.x + 14, s.y + 14);
      ctx.moveTo(s.x + 14, s.y - 14);
      ctx.lineTo(s.x - 14, s.y + 14);
      ctx.stroke();
      ctx.lineCap = "butt";
    }
    if (o.dest) {
      const s = this.at(o.dest);
      ctx.strokeStyle = INK;
      ctx.lineWidth = 1;
      ctx.setLineDash([3, 3]);
      ctx.beginPath();
      ctx.arc(s.x, s.y, 5, 0, 2 * Math.PI);
      ctx.stroke();
      ctx.setLineDash([]);
    }
    // Teammates (online) in blue with their names, the player in red.
    const dot = (s, colour) => {
      ctx.fillStyle = colour;
      ctx.strokeStyle = PAPER;
      ctx.lineWidth = 2;
      ctx.beginPath();
      ctx.arc(s.x, s.y, 6, 0, 2 * Math.PI);
      ctx.fill();
      ctx.stroke();
    };
    for (const m of o.mates) {
      const s = this.at(m.at);
      dot(s, "#2f5f8a");
      ctx.fillStyle = INK;
      ctx.font = "bold 12px Palatino, Georgia, serif";
      ctx.fillText(m.name, s.x + 9, s.y - 7);
    }
    if (o.player) dot(this.at(o.player), RED);
  }

  drawCompass() {
    const { ctx } = this;
    const cx = this.width - 60;
    const cy = this.height - 64;
    ctx.strokeStyle = INK;
    ctx.lineWidth = 0.8;
    // 16 points, longest at the cardinal winds, drawn from the shortest up.
    for (const [every, long, fill] of [[1, 16, "rgba(59, 42, 23, 0.8)"], [2, 26, "rgba(248, 239, 217, 0.95)"], [4, 40, "rgba(59, 42, 23, 0.9)"]]) {
      for (let i = 0; i < 16; i += every) {
        ctx.save();
        ctx.translate(cx, cy);
        ctx.rotate((i * Math.PI) / 8);
        ctx.fillStyle = fill;
        ctx.beginPath();
        ctx.moveTo(0, -long);
        ctx.lineTo(long / 7, 0);
        ctx.lineTo(-long / 7, 0);
        ctx.closePath();
        ctx.fill();
        ctx.stroke();
        ctx.restore();
      }
    }
    ctx.beginPath();
    ctx.arc(cx, cy, 30, 0, 2 * Math.PI);
    ctx.stroke();
    ctx.fillStyle = INK;
    ctx.font = "bold 13px Palatino, Georgia, serif";
    ctx.textAlign = "center";
    ctx.fillText("N", cx, cy - 46);
    ctx.textAlign = "start";
  }

  /** A bar of a round number of ground metres (at the view's centre, on the Earth). */
  drawScale() {
    const { ctx } = this;
    const mpp = this.groundMpp();
    const target = 120 * mpp;
    const step = [1, 2, 5].map((m) => m * 10 ** Math.floor(Math.log10(target))).filter((v) => v <= target).pop() ?? target;
    const px = step / mpp;
    const x = 16;
    const y = this.height - 20;
    ctx.strokeStyle = INK;
    ctx.lineWidth = 2;
    ctx.beginPath();
    ctx.moveTo(x, y - 5);
    ctx.lineTo(x, y);
    ctx.lineTo(x + px, y);
    ctx.lineTo(x + px, y - 5);
    ctx.stroke();
    ctx.fillStyle = INK;
    ctx.font = "12px Palatino, Georgia, serif";
    const label = step >= 1000 ? `${(step / 1000).toLocaleString("en")} km` : `${step} m`;
    ctx.fillText(label, x + 4, y - 8);
    this.canvas.dataset.scale = label; // what the bar says, for the page's tests
  }

  drawVignette() {
    const { ctx } = this;
    const g = ctx.createRadialGradient(this.width / 2, this.height / 2, Math.min(this.width, this.height) * 0.35,
      this.width / 2, this.height / 2, Math.max(this.width, this.height) * 0.75);
    g.addColorStop(0, "rgba(120, 85, 40, 0)");
    g.addColorStop(1, "rgba(120, 85, 40, 0.35)");
    ctx.fillStyle = g;
    ctx.fillRect(0, 0, this.width, this.height);
  }

  // ---- input

  bindInput() {
    const c = this.canvas;
    c.addEventListener("pointerdown", (e) => {
      c.setPointerCapture(e.pointerId);
      this.pointers.set(e.pointerId, { x: e.offsetX, y: e.offsetY, startX: e.offsetX, startY: e.offsetY });
      c.focus();
    });
    c.addEventListener("pointermove", (e) => {
      const p = this.pointers.get(e.pointerId);
      if (!p) return;
      if (this.pointers.size === 2) {
        const [a, b] = [...this.pointers.values()];
        const before = Math.hypot(a.x - b.x, a.y - b.y);
        p.x = e.offsetX;
        p.y = e.offsetY;
        const after = Math.hypot(a.x - b.x, a.y - b.y);
        if (before > 0 && after > 0) this.zoom(before / after, (a.x + b.x) / 2, (a.y + b.y) / 2);
        p.moved = true;
        return;
      }
      this.pan(e.offsetX - p.x, e.offsetY - p.y);
      p.x = e.offsetX;
      p.y = e.offsetY;
      if (Math.hypot(p.x - p.startX, p.y - p.startY) > 4) p.moved = true;
    });
    const up = (e) => {
      const p = this.pointers.get(e.pointerId);
      this.pointers.delete(e.pointerId);
      if (p && !p.moved && this.pointers.size === 0 && e.type === "pointerup") this.hooks.onClick?.(this.positionAt(e.offsetX, e.offsetY));
    };
    c.addEventListener("pointerup", up);
    c.addEventListener("pointercancel", up);
    c.addEventListener("wheel", (e) => {
      e.preventDefault();
      this.zoom(Math.exp(e.deltaY * 0.0015), e.offsetX, e.offsetY);
    }, { passive: false });
  }

  /** Keyboard pan and zoom; returns whether the key was used. */
  key(e) {
    const step = 80;
    switch (e.key) {
      case "ArrowLeft": this.pan(step, 0); return true;
      case "ArrowRight": this.pan(-step, 0); return true;
      case "ArrowUp": this.pan(0, step); return true;
      case "ArrowDown": this.pan(0, -step); return true;
      case "+": case "=": this.zoom(1 / 1.4); return true;
      case "-": case "_": this.zoom(1.4); return true;
      default: return false;
    }
  }
}
