//! SVG maps of a hunt: terrain (an embedded PNG), the coastline, sites, the route and an X, with
//! a compass rose and a scale bar. Earth hunts are drawn in a local projection around their start.

use anyhow::Result;
use base64::Engine;
use std::fmt::Write;
use xmarks::geo::{geodesic, LonLat};
use xmarks::{Biome, Bounds, Hunt, Point, Pointer, Position, World};

const PARCHMENT: [u8; 3] = [236, 220, 180];
const INK: &str = "#3b2a1a";

fn biome_colour(b: Biome) -> [u8; 3] {
    match b {
        Biome::DeepWater => [64, 104, 140],
        Biome::ShallowWater => [104, 150, 172],
        Biome::Beach => [226, 206, 150],
        Biome::Grassland => [170, 186, 112],
        Biome::Forest => [98, 134, 80],
        Biome::Hills => [160, 146, 100],
        Biome::Mountains => [140, 128, 118],
    }
}

fn kind_style(kind: &str) -> (&'static str, &'static str) {
    match kind {
        "well" | "shrine" | "statue" => ("circle", "#5b4a8a"),
        "cave" | "mine" => ("triangle", "#4a3a2a"),
        "shipwreck" | "lighthouse" => ("diamond", "#2a5a7a"),
        "old_tree" => ("circle", "#2f5a2a"),
        "ruins" | "watchtower" | "windmill" => ("square", "#7a4a2a"),
        _ => ("square", "#6a5a4a"),
    }
}

/// How positions land on the map's plane, in metres. Planar positions stay as they are; Earth
/// positions take the azimuthal equidistant projection around the hunt's start: true distances and
/// true bearings from the start (so north is up there), and within 0.1% of true everywhere within
/// 20 km of it.
enum Plane {
    Flat,
    Around(LonLat),
}

impl Plane {
    fn of(hunt: &Hunt) -> Plane {
        match hunt.start {
            Position::Plane(_) => Plane::Flat,
            Position::Earth(c) => Plane::Around(c),
        }
    }

    fn project(&self, p: Position) -> Point {
        match (self, p) {
            (Plane::Around(c), Position::Earth(p)) => {
                let (d, b) = geodesic::inverse(*c, p);
                let b = b.to_radians();
                Point::new(d * libm::sin(b), d * libm::cos(b))
            }
            (_, Position::Plane(p)) => p,
            (Plane::Flat, Position::Earth(p)) => Point::new(p.lon, p.lat), // not drawn: no Earth site on a plane
        }
    }

    /// The box of the world's own coordinates holding everything in `b` (a box on the map's
    /// plane): `b` itself on a plane; on Earth a box of longitudes and latitudes, crossing the
    /// antimeridian when its west edge is east of its east edge.
    fn world_box(&self, b: Bounds) -> Bounds {
        let Plane::Around(c) = self else { return b };
        let (mut south, mut north, mut west, mut east) = (90.0f64, -90.0f64, 0.0f64, 0.0f64);
        for i in 0..=8 {
            for j in 0..=8 {
                let q = Point::new(b.min.x + b.width() * f64::from(i) / 8.0, b.min.y + b.height() * f64::from(j) / 8.0);
                let bearing = libm::atan2(q.x, q.y).to_degrees();
                let p = geodesic::destination(*c, bearing, q.x.hypot(q.y));
                south = south.min(p.lat);
                north = north.max(p.lat);
                let d = geodesic::lon_delta(c.lon, p.lon);
                west = west.min(d);
                east = east.max(d);
            }
        }
        let margin = 0.001;
        if north >= 89.0 || south <= -89.0 || east - west >= 359.0 {
            return Bounds {
                min: Point::new(-180.0, (south - margin).max(-90.0)),
                max: Point::new(180.0, (north + margin).min(90.0)),
            };
        }
        Bounds {
            min: Point::new(geodesic::wrap_lon(c.lon + west - margin), (south - margin).max(-90.0)),
            max: Point::new(geodesic::wrap_lon(c.lon + east + margin), (north + margin).min(90.0)),
        }
    }
}

/// The map's extent on its plane: the hunt's start, stages and landmarks, padded and squared.
fn extent(hunt: &Hunt, plane: &Plane) -> Bounds {
    let mut pts = vec![plane.project(hunt.start)];
    for s in &hunt.stages {
        pts.push(plane.project(s.site.pos));
        if let Pointer::Landmark { landmark, .. } = &s.clue.pointer {
            pts.push(plane.project(landmark.pos));
        }
    }
    let (mut lo, mut hi) = (pts[0], pts[0]);
    for p in &pts {
        lo = Point::new(lo.x.min(p.x), lo.y.min(p.y));
        hi = Point::new(hi.x.max(p.x), hi.y.max(p.y));
    }
    let half = ((hi.x - lo.x).max(hi.y - lo.y) / 2.0 + 250.0).max(500.0);
    Bounds::around(Point::new((lo.x + hi.x) / 2.0, (lo.y + hi.y) / 2.0), half)
}

struct View {
    b: Bounds,
    size: f64,
    plane: Plane,
}

impl View {
    fn px(&self, p: Point) -> (f64, f64) {
        ((p.x - self.b.min.x) / self.b.width() * self.size, (self.b.max.y - p.y) / self.b.height() * self.size)
    }

    /// Where a position of the world is drawn.
    fn at(&self, p: Position) -> (f64, f64) {
        self.px(self.plane.project(p))
    }
}

fn terrain_png(world: &World, b: Bounds, res: u32) -> Result<Option<String>> {
    let World::Procedural(w) = world else {
        return Ok(None);
    };
    let mut rgb = Vec::with_capacity((res * res * 3) as usize);
    let (dx, dy) = (b.width() / f64::from(res), b.height() / f64::from(res));
    for row in 0..res {
        for col in 0..res {
            let p = Point::new(b.min.x + (f64::from(col) + 0.5) * dx, b.max.y - (f64::from(row) + 0.5) * dy);
            let t = w.terrain_at(p);
            let base = biome_colour(t.biome);
            // Shade by elevation so hills read as relief.
            let shade = 0.85 + 0.3 * (t.elevation + 0.2).clamp(0.0, 1.0);
            rgb.extend(base.iter().map(|&c| (f64::from(c) * shade).min(255.0) as u8));
        }
    }
    let mut png_bytes = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut png_bytes, res, res);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        enc.write_header()?.write_image_data(&rgb)?;
    }
    Ok(Some(base64::engine::general_purpose::STANDARD.encode(png_bytes)))
}

/// Coastline segments by marching squares over elevation at sea level.
fn coastline(world: &World, view: &View, res: u32) -> String {
    let World::Procedural(w) = world else {
        return String::new();
    };
    let sea = w.config().terrain.sea_level;
    let b = view.b;
    let n = res as usize + 1;
    let at = |i: usize, j: usize| {
        Point::new(b.min.x + b.width() * i as f64 / f64::from(res), b.max.y - b.height() * j as f64 / f64::from(res))
    };
    let elev: Vec<f64> =
        (0..n).flat_map(|j| (0..n).map(move |i| (i, j))).map(|(i, j)| w.terrain_at(at(i, j)).elevation - sea).collect();
    let mut d = String::new();
    let lerp = |p: Point, q: Point, a: f64, c: f64| {
        let t = a / (a - c);
        Point::new(p.x + (q.x - p.x) * t, p.y + (q.y - p.y) * t)
    };
    for j in 0..res as usize {
        for i in 0..res as usize {
            let corners = [(i, j), (i + 1, j), (i + 1, j + 1), (i, j + 1)];
            let v: Vec<f64> = corners.iter().map(|&(a, c)| elev[c * n + a]).collect();
            let mut crossings = Vec::new();
            for k in 0..4 {
                let (a, c) = (v[k], v[(k + 1) % 4]);
                if (a >= 0.0) != (c >= 0.0) {
                    let (p, q) = (corners[k], corners[(k + 1) % 4]);
                    crossings.push(lerp(at(p.0, p.1), at(q.0, q.1), a, c));
                }
            }
            for pair in crossings.chunks_exact(2) {
                let (x0, y0) = view.px(pair[0]);
                let (x1, y1) = view.px(pair[1]);
                let _ = write!(d, "M{x0:.1} {y0:.1}L{x1:.1} {y1:.1}");
            }
        }
    }
    format!(r#"<path d="{d}" fill="none" stroke="{INK}" stroke-width="1.6" stroke-opacity="0.8"/>"#)
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

fn symbol(out: &mut String, kind: &str, x: f64, y: f64) {
    let (shape, colour) = kind_style(kind);
    let _ = match shape {
        "circle" => write!(out, r#"<circle cx="{x:.1}" cy="{y:.1}" r="3.2" fill="{colour}"/>"#),
        "triangle" => write!(out, r#"<path d="M{x:.1} {:.1}l3.8 6.6h-7.6z" fill="{colour}"/>"#, y - 4.4),
        "diamond" => write!(out, r#"<path d="M{x:.1} {:.1}l3.6 3.6l-3.6 3.6l-3.6 -3.6z" fill="{colour}"/>"#, y - 3.6),
        _ => write!(out, r#"<rect x="{:.1}" y="{:.1}" width="6" height="6" fill="{colour}"/>"#, x - 3.0, y - 3.0),
    };
}

/// Draws `hunt` on `world` as a self-contained SVG document.
pub fn map(world: &World, hunt: &Hunt, size: u32) -> Result<String> {
    let plane = Plane::of(hunt);
    let view = View { b: extent(hunt, &plane), size: f64::from(size), plane };
    let s = view.size;
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{size}" height="{size}" viewBox="0 0 {size} {size}" font-family="Georgia, serif">"#
    );
    let [r, g, b] = PARCHMENT;
    let _ = write!(svg, r#"<rect width="{s}" height="{s}" fill="rgb({r},{g},{b})"/>"#);
    if let Some(png) = terrain_png(world, view.b, 384)? {
        let _ = write!(
            svg,
            r#"<image href="data:image/png;base64,{png}" width="{s}" height="{s}" preserveAspectRatio="none" opacity="0.9"/>"#
        );
    }
    svg.push_str(&coastline(world, &view, 160));

    // Sites in view, then the route, stages, landmarks and the X on top.
    let stage_ids: Vec<&str> = hunt.stages.iter().map(|st| st.site.id.as_str()).collect();
    for site in world.sites_in(view.plane.world_box(view.b))?.iter().take(20_000) {
        if !stage_ids.contains(&site.id.as_str()) {
            let (x, y) = view.at(site.pos);
            symbol(&mut svg, &site.kind, x, y);
        }
    }
    let mut route = String::new();
    for (i, p) in std::iter::once(hunt.start).chain(hunt.stages.iter().map(|st| st.site.pos)).enumerate() {
        let (x, y) = view.at(p);
        let _ = write!(route, "{}{x:.1} {y:.1}", if i == 0 { "M" } else { "L" });
    }
    let _ =
        write!(svg, r##"<path d="{route}" fill="none" stroke="#8b1a1a" stroke-width="2.5" stroke-dasharray="9 6"/>"##);
    for st in &hunt.stages {
        if let Pointer::Landmark { landmark, .. } = &st.clue.pointer {
            let (x, y) = view.at(landmark.pos);
            let _ = write!(
                svg,
                r#"<circle cx="{x:.1}" cy="{y:.1}" r="5" fill="none" stroke="{INK}" stroke-width="1.5"/><text x="{:.1}" y="{:.1}" font-size="12" fill="{INK}" font-style="italic">{}</text>"#,
                x + 8.0,
                y + 4.0,
                escape(&landmark.name)
            );
        }
    }
    let (sx, sy) = view.at(hunt.start);
    let _ = write!(
        svg,
        r##"<circle cx="{sx:.1}" cy="{sy:.1}" r="7" fill="#f4e9c8" stroke="{INK}" stroke-width="2"/><text x="{:.1}" y="{:.1}" font-size="13" fill="{INK}">Start</text>"##,
        sx + 10.0,
        sy - 8.0
    );
    for st in &hunt.stages {
        let (x, y) = view.at(st.site.pos);
        if st.treasure.is_some() {
            let a = 11.0;
            let _ = write!(
                svg,
                r##"<path d="M{:.1} {:.1}L{:.1} {:.1}M{:.1} {:.1}L{:.1} {:.1}" stroke="#b01010" stroke-width="5" stroke-linecap="round"/>"##,
                x - a,
                y - a,
                x + a,
                y + a,
                x - a,
                y + a,
                x + a,
                y - a
            );
        } else {
            let _ = write!(
                svg,
                r##"<circle cx="{x:.1}" cy="{y:.1}" r="10" fill="#f4e9c8" stroke="#8b1a1a" stroke-width="2"/><text x="{x:.1}" y="{:.1}" font-size="12" font-weight="bold" text-anchor="middle" fill="#8b1a1a">{}</text>"##,
                y + 4.0,
                st.number
            );
        }
        let _ = write!(
            svg,
            r#"<text x="{:.1}" y="{:.1}" font-size="12" fill="{INK}">{}</text>"#,
            x + 13.0,
            y + 16.0,
            escape(&st.site.name)
        );
    }

    // Compass rose, scale bar, title.
    let (cx, cy) = (s - 60.0, 70.0);
    let _ = write!(
        svg,
        r##"<g stroke="{INK}" stroke-width="1.5"><circle cx="{cx}" cy="{cy}" r="34" fill="#f4e9c8" fill-opacity="0.8"/><path d="M{cx} {}L{} {cy}L{cx} {}L{} {cy}Z" fill="{INK}"/></g><text x="{cx}" y="{}" font-size="16" text-anchor="middle" fill="{INK}">N</text>"##,
        cy - 30.0,
        cx + 7.0,
        cy + 30.0,
        cx - 7.0,
        cy - 38.0
    );
    let metres = [100.0, 200.0, 500.0, 1000.0, 2000.0, 5000.0, 10_000.0, 20_000.0]
        .into_iter()
        .find(|m| m / view.b.width() * s > s / 8.0)
        .unwrap_or(20_000.0);
    let len = metres / view.b.width() * s;
    let _ = write!(
        svg,
        r#"<path d="M30 {0}h{len:.1}" stroke="{INK}" stroke-width="3"/><text x="30" y="{1}" font-size="13" fill="{INK}">{metres} m</text>"#,
        s - 30.0,
        s - 38.0
    );
    let projection = match hunt.start {
        Position::Plane(_) => String::new(),
        Position::Earth(c) => format!(
            " · azimuthal equidistant around {}",
            xmarks::hunt::clue::degrees_minutes(c.lat, "N", "S")
                + " "
                + &xmarks::hunt::clue::degrees_minutes(c.lon, "E", "W")
        ),
    };
    let _ = write!(
        svg,
        r#"<text x="30" y="40" font-size="22" fill="{INK}">{} — for {}</text><text x="30" y="60" font-size="11" fill="{INK}">difficulty {} · {} stages · {} m · {}{projection}</text>"#,
        escape(&hunt.template),
        escape(&hunt.player),
        hunt.difficulty,
        hunt.stages.len(),
        hunt.length,
        &hunt.fingerprint[..16]
    );
    svg.push_str("</svg>\n");
    Ok(svg)
}
