/**
 * Every example delivery in examples/events/ says where it comes from, in
 * examples/events/PROVENANCE.md: copied from a public OFAuth source, adapted from one (and
 * what changed), or constructed because no source shows it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fixtureFiles } from '../fixtures/events.ts';

const KINDS = ['copied', 'adapted', 'constructed'] as const;

interface ProvenanceRow {
  readonly file: string;
  readonly kind: string;
  readonly source: string;
  readonly change: string;
}

/** The rows of the provenance table: `| \`file\` | kind | source | change |`. */
function provenanceRows(): ProvenanceRow[] {
  const text = readFileSync(new URL('../../examples/events/PROVENANCE.md', import.meta.url), 'utf8');
  return text
    .split('\n')
    .filter((line) => line.startsWith('| `'))
    .map((line) => {
      const [file = '', kind = '', source = '', change = ''] = line
        .slice(1, -1)
        .split(' | ')
        .map((cell) => cell.trim());
      return { file: file.replaceAll('`', ''), kind, source, change };
    });
}

describe('the provenance of the example deliveries', () => {
  const rows = provenanceRows();

  it('has one row for every fixture file, and a file for every row', () => {
    // GIVEN the fixture files and the table
    const files = fixtureFiles();
    // WHEN they are compared / THEN they name the same files, each once
    expect(rows.map((row) => row.file).sort()).toEqual(files);
    expect(files.length).toBeGreaterThanOrEqual(12);
    for (const row of rows) {
      expect({
        file: row.file,
        exists: existsSync(new URL(`../../examples/events/${row.file}`, import.meta.url)),
      }).toEqual({
        file: row.file,
        exists: true,
      });
    }
  });

  it('says for each fixture whether it is copied, adapted or constructed, from what, and what changed', () => {
    for (const row of rows) {
      expect({ file: row.file, kind: KINDS.includes(row.kind as (typeof KINDS)[number]) }).toEqual({
        file: row.file,
        kind: true,
      });
      expect({ file: row.file, source: row.source.length > 10 }).toEqual({ file: row.file, source: true });
      expect({ file: row.file, change: row.change.length > 0 }).toEqual({ file: row.file, change: true });
      if (row.kind === 'copied')
        expect({ file: row.file, change: row.change }).toEqual({ file: row.file, change: 'nothing' });
      else expect({ file: row.file, change: row.change }).not.toEqual({ file: row.file, change: 'nothing' });
    }
  });

  it('marks the two documented-shape payloads no public source shows as constructed', () => {
    const kindOf = (file: string) => rows.find((row) => row.file === file)?.kind;
    expect(kindOf('connection.disconnected.json')).toBe('constructed');
    expect(kindOf('rules.updated.json')).toBe('constructed');
  });
});
