import { startStack } from '../../tests/e2e/support/stack';
import { newShopper } from '../../tests/e2e/support/shopper';
(async () => {
  const t0 = Date.now();
  const stack = await startStack({ suite: 'probe', debug: true });
  console.log('stack', Date.now() - t0);
  try {
    const s = await newShopper(stack);
    const v = await s.visit('/shop?search=desk');
    console.log('config', JSON.stringify(v.config));
    console.log('panel', v.panel.slice(0, 300));
    await new Promise((r) => setTimeout(r, 3000));
    console.log('ttq', JSON.stringify(await s.ttq()));
    console.log('tiktok', s.tiktokRequests);
    console.log('relay', s.relayRequests.map((r) => r.body.slice(0, 200)));
    console.log('delivered', JSON.stringify(stack.fake.delivered.map((d) => [d.row.event, d.row.event_id, d.testEventCode])));
  } finally {
    console.log(stack.sidecarOutput.join('').slice(-3000));
    await stack.stop();
    console.log('total', Date.now() - t0);
  }
})().catch((e) => { console.error(e); process.exit(1); });
