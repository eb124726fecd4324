import { startParts, stopParts, type Part } from '../parts';

/** Parts that write each step they take into `steps`. */
function recorded(names: string[], steps: string[], failing: Partial<Record<string, 'start' | 'stop' | 'release'>> = {}): Part[] {
  const step = (name: string, phase: 'start' | 'stop' | 'release') => async () => {
    await Promise.resolve();
    steps.push(`${phase} ${name}`);
    if (failing[name] === phase) throw new Error(`${name} failed to ${phase}`);
  };
  return names.map((name) => ({ name, start: step(name, 'start'), stop: step(name, 'stop'), release: step(name, 'release') }));
}

describe('parts of the sidecar', () => {
  it('start in the declared order, one after the other', async () => {
    const steps: string[] = [];
    await startParts(recorded(['outbox', 'dispatcher', 'relay'], steps));
    expect(steps).toEqual(['start outbox', 'start dispatcher', 'start relay']);
  });

  it('stop in the reverse order, then release in the reverse order once all have stopped', async () => {
    const steps: string[] = [];
    await stopParts(recorded(['outbox', 'dispatcher', 'relay'], steps));
    expect(steps).toEqual(['stop relay', 'stop dispatcher', 'stop outbox', 'release relay', 'release dispatcher', 'release outbox']);
  });

  it('waits for each step before the next one', async () => {
    const steps: string[] = [];
    let drained = false;
    const parts: Part[] = [
      { name: 'outbox', release: () => void steps.push(`outbox released after the drain: ${drained}`) },
      { name: 'dispatcher', stop: () => new Promise<void>((resolve) => setTimeout(() => ((drained = true), resolve()), 20)) },
    ];
    await stopParts(parts);
    expect(steps).toEqual(['outbox released after the drain: true']);
  });

  it('parts without a step are passed over', async () => {
    const steps: string[] = [];
    const parts: Part[] = [{ name: 'bare' }, ...recorded(['relay'], steps)];
    await startParts(parts);
    await stopParts(parts);
    expect(steps).toEqual(['start relay', 'stop relay', 'release relay']);
  });

  it('a step that throws ends the sequence and rejects with its error (the process exits 1, the outbox keeps what is unsettled)', async () => {
    const steps: string[] = [];
    await expect(stopParts(recorded(['outbox', 'dispatcher', 'relay'], steps, { dispatcher: 'stop' }))).rejects.toThrow('dispatcher failed to stop');
    expect(steps).toEqual(['stop relay', 'stop dispatcher']);
    const started: string[] = [];
    await expect(startParts(recorded(['outbox', 'relay', 'pollers'], started, { relay: 'start' }))).rejects.toThrow('relay failed to start');
    expect(started).toEqual(['start outbox', 'start relay']);
  });
});
