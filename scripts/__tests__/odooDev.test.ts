import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

import {
  ADDON_ROOT, BRIDGE_MODULES, MODULE_DIR, SHOP_MODULES, baseDatabaseName, loadConfig, main, moduleHash, moduleLogProblems, odooBaseArgs, odooUnavailableReason,
} from '../odooDev';

function copyModule(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'odooDev-hash-'));
  fs.cpSync(MODULE_DIR, dir, { recursive: true });
  return dir;
}

describe('moduleHash', () => {
  let dir: string;
  beforeEach(() => {
    dir = copyModule();
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('is stable for identical content', () => {
    expect(moduleHash(dir)).toBe(moduleHash(MODULE_DIR));
    expect(moduleHash(dir)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('changes when a view or model changes (a reinstall is needed)', () => {
    const before = moduleHash(dir);
    fs.appendFileSync(path.join(dir, 'views', 'website_templates.xml'), '\n<!-- edit -->\n');
    const afterView = moduleHash(dir);
    expect(afterView).not.toBe(before);
    fs.appendFileSync(path.join(dir, 'models', 'website.py'), '\n# edit\n');
    expect(moduleHash(dir)).not.toBe(afterView);
  });

  it('covers the bridge modules the template installs too', () => {
    expect(BRIDGE_MODULES.every((bridge) => fs.existsSync(path.join(ADDON_ROOT, bridge, '__manifest__.py')))).toBe(true);
    expect(moduleHash(dir, [])).not.toBe(moduleHash(dir));
  });

  it('ignores compiled assets, tests and bytecode (no reinstall needed)', () => {
    const before = moduleHash(dir);
    fs.mkdirSync(path.join(dir, 'static', 'src', 'js'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'static', 'src', 'js', 'tiktok_events.js'), 'export const rebuilt = 1;\n');
    fs.appendFileSync(path.join(dir, 'tests', 'test_hashing.py'), '\n# edit\n');
    fs.mkdirSync(path.join(dir, 'models', '__pycache__'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'models', '__pycache__', 'website.cpython-311.pyc'), 'x');
    expect(moduleHash(dir)).toBe(before);
  });
});

describe('moduleLogProblems', () => {
  it('keeps only warnings and errors that name the module', () => {
    const log = [
      '2026-01-01 10:00:00,000 1 INFO db odoo.modules.loading: Loading module website_tiktok_events (116/116)',
      '2026-01-01 10:00:01,000 1 WARNING db odoo.addons.attachment_indexation: pdfminer missing',
      '2026-01-01 10:00:02,000 1 WARNING db odoo.addons.website_tiktok_events.models.website: bad field',
      '2026-01-01 10:00:03,000 1 ERROR db odoo.modules.registry: Failed to load website_tiktok_events',
    ].join('\n');
    expect(moduleLogProblems(log)).toEqual([
      expect.stringContaining('bad field'),
      expect.stringContaining('Failed to load website_tiktok_events'),
    ]);
  });
});

describe('configuration', () => {
  it('points Odoo at the source tree and at this repository\'s addon folder', () => {
    const config = loadConfig({ ODOO_SRC: '/opt/odoo19', ODOO_DB_PASSWORD: 'pw' });
    const args = odooBaseArgs(config);
    expect(args[0]).toBe('/opt/odoo19/odoo-bin');
    expect(args).toContain(`--addons-path=/opt/odoo19/addons,/opt/odoo19/odoo/addons,${ADDON_ROOT}`);
    expect(args).toContain('--db_password=pw');
    expect(args).toContain('--http-interface=127.0.0.1');
    expect(ADDON_ROOT).toBe(path.resolve(__dirname, '..', '..', 'addon'));
  });

  it('names the base database after its apps unless ODOO_BASE_DB says otherwise', () => {
    expect(loadConfig({}).baseDb).toBe(baseDatabaseName(SHOP_MODULES));
    expect(baseDatabaseName(SHOP_MODULES)).toMatch(/^shop_base_[0-9a-f]{8}$/);
    expect(baseDatabaseName(SHOP_MODULES)).not.toBe(baseDatabaseName(SHOP_MODULES.filter((m) => m !== 'point_of_sale')));
    expect(baseDatabaseName([...SHOP_MODULES].reverse())).toBe(baseDatabaseName(SHOP_MODULES));
    expect(loadConfig({ ODOO_BASE_DB: 'my_base' }).baseDb).toBe('my_base');
  });

  it('has the app of every bridge in the base database', () => {
    for (const bridge of BRIDGE_MODULES) {
      const manifest = fs.readFileSync(path.join(ADDON_ROOT, bridge, '__manifest__.py'), 'utf8');
      const depends = /'depends':\s*\[([^\]]*)\]/.exec(manifest)?.[1] ?? '';
      const apps = [...depends.matchAll(/'([a-z_]+)'/g)].map((m) => m[1]).filter((m) => !m.startsWith('website_tiktok'));
      expect(apps.filter((app) => !SHOP_MODULES.includes(app) && !(app === 'crm' && SHOP_MODULES.includes('website_crm'))))
        .toEqual([]);
    }
  });

  it('skips with one clear line when the Odoo source is absent', async () => {
    const missing = path.join(os.tmpdir(), 'no-odoo-here');
    expect(odooUnavailableReason(loadConfig({ ODOO_SRC: missing }))).toBe(
      `no Odoo 19 source at ${missing} (set ODOO_SRC)`,
    );
    const previous = process.env.ODOO_SRC;
    const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    process.env.ODOO_SRC = missing;
    try {
      await expect(main(['test'])).resolves.toBe(0);
      expect(log).toHaveBeenCalledWith(`odooDev: skipped, no Odoo 19 source at ${missing} (set ODOO_SRC)`);
    } finally {
      if (previous === undefined) delete process.env.ODOO_SRC;
      else process.env.ODOO_SRC = previous;
      log.mockRestore();
    }
  });
});
