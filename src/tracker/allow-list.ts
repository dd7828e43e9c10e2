/**
 * The allow-list of infohashes (`--allow FILE`), in opentracker's whitelist format: one infohash per
 * line as 40 hex digits. Blank lines and `#` comments are allowed. Infohashes are kept as lowercase
 * hex, the form the tracker looks them up by.
 */
export class AllowListError extends Error {
  override name = 'AllowListError';
}

export function parseAllowList(text: string): Set<string> {
  const hashes = new Set<string>();
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.replace(/#.*$/, '').trim();
    if (line === '') return;
    if (!/^[0-9a-fA-F]{40}$/.test(line)) {
      throw new AllowListError(`line ${i + 1}: ${JSON.stringify(line.slice(0, 60))} is not an infohash (40 hex digits)`);
    }
    hashes.add(line.toLowerCase());
  });
  return hashes;
}
