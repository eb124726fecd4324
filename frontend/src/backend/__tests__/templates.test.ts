import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TEMPLATE_FILES, gatherTemplates } from '../../../../scripts/buildFrontend';

const TEMPLATE_NAME = /t-name="([^"]+)"/g;
const names = (xml: string) => [...xml.matchAll(TEMPLATE_NAME)].map((m) => m[1]);

describe('the OWL templates beside their components', () => {
  it('reach Odoo whole: each loaded file holds every template of its sources, in their order', () => {
    for (const { sources } of TEMPLATE_FILES) {
      const gathered = gatherTemplates(sources);
      expect(names(gathered)).toEqual(sources.flatMap((source) => names(readFileSync(source, 'utf8'))));
      expect(gathered).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>\n<!-- Generated from [^>]+-->\n<templates xml:space="preserve">\n/);
      expect(gathered.endsWith('</templates>\n')).toBe(true);
    }
  });

  it('refuses a source that is not one <templates> element, naming the file', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'templates-')), 'broken.xml');
    writeFileSync(file, '<t t-name="website_tiktok_events.Alone"><div/></t>\n');
    expect(() => gatherTemplates([file])).toThrow(/broken\.xml: expected one <templates xml:space="preserve"> element/);
  });
});
