/**
 * "Did you mean …?" for a mistyped event type or command: the candidate that contains what was
 * typed (`disconnected` → `connection.disconnected`), else the nearest by edit distance, if it
 * is near enough to be a typo.
 */

/** Levenshtein distance: insertions, deletions and substitutions, one each. */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1) {
      const substitution = previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1);
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, substitution);
    }
    previous = current;
  }
  return previous[b.length]!;
}

/**
 * The candidate `typed` most likely meant, or undefined when none is close.
 *
 * @example
 * suggest('conection.created', ['connection.created', 'rules.updated']); // 'connection.created'
 */
export function suggest(typed: string, candidates: readonly string[]): string | undefined {
  const wanted = typed.trim().toLowerCase();
  if (wanted.length === 0) return undefined;
  const containing = candidates.filter((candidate) => wanted.length >= 4 && candidate.includes(wanted));
  if (containing.length === 1) return containing[0];
  let best: { candidate: string; distance: number } | undefined;
  for (const candidate of candidates) {
    const distance = editDistance(wanted, candidate.toLowerCase());
    if (!best || distance < best.distance) best = { candidate, distance };
  }
  // A third of the word, at least two edits: typos, not different words.
  return best && best.distance <= Math.max(2, Math.floor(wanted.length / 3)) ? best.candidate : undefined;
}
