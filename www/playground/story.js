// Tiny story generator for the demo workers: deterministic for a title (and attempt), built
// from a few sentence patterns, split into tokens the worker streams one by one. No network.

const heroes = ["a lighthouse keeper", "a retired clockmaker", "a young cartographer", "an old ferry captain", "a beekeeper", "a night-shift baker"];
const places = ["on a windy island", "in a city of bridges", "at the edge of a salt marsh", "under a mountain observatory", "beside a frozen harbour", "in a town of bells"];
const wants = ["to finish one last map", "to find the missing tide tables", "to fix the tower clock before dawn", "to bake bread for the whole valley", "to light the lamp one more time", "to catch the last ferry"];
const twists = ["but the fog came in faster than the forecast", "but every road led back to the square", "but the gears had been replaced with glass", "but the bees had other plans", "but the harbour master lost the only key", "but the stars were in the wrong places"];
const endings = ["so the whole town stayed up to watch", "and by morning the work was done", "and nobody ever forgot that night", "and the lamp still burns there today", "and the map is still on the wall", "and the bread was better than ever"];

/** A small, stable hash of a string (FNV-1a). */
function hash(text) {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** A seeded generator of indexes (mulberry32). */
function picker(seed) {
  let state = seed;
  return (list) => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return list[((t ^ (t >>> 14)) >>> 0) % list.length];
  };
}

const capitalise = (s) => s[0].toUpperCase() + s.slice(1);

/** The story's tokens (words with their trailing space or punctuation), with `.title`. */
export function storyFor(title, attempt = 0) {
  const pick = picker(hash(`${title}#${attempt}`));
  const sentences = [];
  for (let i = 0; i < 3; i++) {
    sentences.push(`${capitalise(pick(heroes))} lived ${pick(places)} and wanted ${pick(wants)}, ${pick(twists)}, ${pick(endings)}.`);
  }
  const tokens = sentences.join(" ").split(/(?<= )/);
  tokens.title = title.length > 60 ? `${title.slice(0, 57)}…` : title;
  return tokens;
}
